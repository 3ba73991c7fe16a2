"""R2PVI and DRPVI: exact duals on exact moments, infinite-data limits, PEVI limit, protocol."""

import doctest

import numpy as np
import pytest
from conftest import property_settings
from hypothesis import given
from hypothesis import strategies as st

import algorithms.offline.robust._common as common_module
import algorithms.offline.robust.drpvi as drpvi_module
import algorithms.offline.robust.r2pvi as r2pvi_module
from algorithms.offline import (
    DRPVI,
    LEARNERS,
    PEVI,
    R2PVI,
    GreedyLSVI,
    collect,
    partial_coverage_behaviour,
    population_counts,
    uniform_behaviour,
)
from algorithms.offline.robust._regression import chi2_penalty_dual, tv_ball_dual
from algorithms.registry import make_learner
from instances.linear import lure_linear_mdp, robust_route_linear_mdp, simplex_feature_linear_mdp
from mdptheory.robust import UncertaintySet, d_rectangular_evaluate, d_rectangular_solve


def test_doctests():
    for module in (r2pvi_module, drpvi_module, common_module):
        assert doctest.testmod(module).failed == 0


# --- exact oracles --------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**31),
    lam=st.floats(0.03, 10.0),
    rho=st.floats(0.0, 1.0),
    S=st.integers(2, 8),
)
@property_settings(60)
def test_coordinate_duals_on_exact_moments_equal_the_exact_inner_problems(seed, lam, rho, S):
    rng = np.random.default_rng(seed)
    factors = rng.dirichlet(np.full(S, 0.7), size=3)
    V = rng.random(S) * float(rng.choice([1.0, 5.0]))
    order = np.argsort(V, kind="stable")
    chi2 = UncertaintySet("chi2", penalty=lam).backup(factors, V)
    np.testing.assert_allclose(chi2_penalty_dual(factors, V, order, lam), chi2, atol=1e-10)
    tv = UncertaintySet("tv", radius=rho).backup(factors, V)
    np.testing.assert_allclose(tv_ball_dual(factors, V, rho), tv, atol=1e-10)


@pytest.mark.parametrize(
    "learner",
    [
        R2PVI("kl", penalty=0.3, c=0.0),
        R2PVI("tv", penalty=0.8, c=0.0),
        R2PVI("chi2", penalty=0.3, c=0.0),
        DRPVI(radius=0.6, c=0.0),
    ],
    ids=lambda learner: learner.label,
)
def test_infinite_data_gives_the_exact_robust_optimum(learner):
    model = robust_route_linear_mdp()
    stats = population_counts(model, "uniform", 1e12)
    result = learner.fit(model, stats)
    exact = d_rectangular_solve(model, learner.uncertainty)
    assert result.suboptimality == pytest.approx(0.0, abs=1e-12)
    assert result.estimated_value == pytest.approx(exact.value, abs=1e-9)
    # the factors the start reaches at stage 1 (fast road, safe road)
    np.testing.assert_allclose(
        result.factor_estimates[1, 2:4], exact.factor_values[1, 2:4], atol=1e-9
    )


def test_infinite_penalty_is_pevi_regression_and_greedy_without_pessimism():
    model = simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=5)
    data = collect(model, "uniform", 300, seed=2)
    for kind in ("tv", "kl", "chi2"):
        robust = R2PVI(kind, penalty=np.inf, c=0.0).fit(model, data)
        greedy = GreedyLSVI().fit(model, data)
        np.testing.assert_allclose(robust.estimate, greedy.estimate, atol=1e-12)
        assert np.array_equal(robust.policy, greedy.policy)
    # with pessimism the regressions agree too; only the penalty's form differs
    robust = R2PVI("kl", penalty=np.inf, c=0.1).fit(model, data)
    pevi = PEVI(c=0.1).fit(model, data)
    assert robust.estimate.shape == pevi.estimate.shape
    assert np.all(robust.penalty >= 0.0)


def test_large_penalty_approaches_the_nominal_backup():
    model = simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=5)
    data = collect(model, "uniform", 300, seed=2)
    nominal = R2PVI("kl", penalty=np.inf, c=0.05).fit(model, data)
    near = R2PVI("tv", penalty=1e6, c=0.05).fit(model, data)
    np.testing.assert_allclose(near.estimate, nominal.estimate, atol=1e-12)
    # chi-square: the sup over alpha of M [V]_alpha is M V only where M >= 0; ridge weights of
    # mixed signs make it larger (never smaller) than the nominal regression
    near = R2PVI("chi2", penalty=1e9, c=0.05).fit(model, data)
    assert np.all(near.factor_estimates[-1] == nominal.factor_estimates[-1])
    assert np.all(near.factor_estimates >= nominal.factor_estimates - 1e-6)
    # KL as printed: -lam log of ridge-shrunk moments (row mass m_i < 1) grows like
    # lam (1 - m_i) until the floor e^{-H/lam} caps it at H, so the limit is PEVI's only when
    # the moments are normalised, as with (nearly) infinite data
    shrunk = R2PVI("kl", penalty=1e6, c=0.05).fit(model, data)
    assert np.all(shrunk.factor_estimates > nominal.factor_estimates + 1.0)
    stats = population_counts(model, "uniform", 1e12)
    exact = R2PVI("kl", penalty=np.inf, c=0.0).fit(model, stats)
    near = R2PVI("kl", penalty=1e3, c=0.0).fit(model, stats)
    np.testing.assert_allclose(near.estimate, exact.estimate, atol=1e-2)
    near = R2PVI("chi2", penalty=1e9, c=0.0).fit(model, stats)
    np.testing.assert_allclose(near.estimate, exact.estimate, atol=1e-6)


# --- defining invariants --------------------------------------------------------------------


@given(seed=st.integers(0, 2**31), n=st.integers(5, 200))
@property_settings(8)
def test_robust_suboptimality_is_exact_and_nonnegative(seed, n):
    model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=seed)
    data = collect(model, "uniform", n, seed=seed)
    for learner in (R2PVI("chi2", penalty=0.5, c=0.05), DRPVI(radius=0.3, c=0.05)):
        result = learner.fit(model, data)
        value = d_rectangular_evaluate(model, learner.uncertainty, result.policy).value
        assert result.robust_value == value
        assert result.suboptimality >= -1e-12
        assert np.all(result.Q_hat >= 0.0)
        assert np.all(result.Q_hat <= np.arange(model.H, 0, -1)[:, None, None])


def test_uncovered_robust_optimum_leaves_a_positive_robust_gap_covered_does_not():
    model = robust_route_linear_mdp()
    learner = R2PVI("tv", penalty=0.8, c=0.02)
    full = uniform_behaviour(model)
    part = partial_coverage_behaviour(model, [(0, 0, 1)], base=full)
    covered = learner.fit(model, collect(model, full, 3000, seed=1))
    uncovered = learner.fit(model, collect(model, part, 3000, seed=1))
    assert covered.suboptimality == 0.0
    assert uncovered.suboptimality == pytest.approx(0.08, abs=1e-12)
    # the instance-dependent term does not shrink for the uncovered safe road
    assert uncovered.robust_uncertainty[0] == pytest.approx(1.0)
    assert covered.robust_uncertainty[0] < 0.05


# --- reproducibility and protocol -----------------------------------------------------------


def test_registered_run_is_reproducible_and_reports_pevi_in_robust_terms():
    assert LEARNERS["r2pvi"] is R2PVI and LEARNERS["drpvi"] is DRPVI
    learner = make_learner("r2pvi", divergence="tv", penalty="0.8", c="0.02")
    model = robust_route_linear_mdp()
    a = learner.run(model, 60, seed=3)
    b = learner.run(model, 60, seed=3)
    assert np.array_equal(a.gap, b.gap)
    assert a.extras["iteration"][-1] == 60
    assert a.gap.shape == a.extras["pevi_robust_gap"].shape
    # PEVI heads for the nominal optimum (fast road), robustly worse by 0.1 lam = 0.08
    assert a.extras["pevi_robust_gap"][-1] == pytest.approx(0.08)
    trace = make_learner("drpvi", radius="0.6", c="0.02").run(model, 30, seed=0)
    assert np.all(trace.gap >= -1e-12)


# --- bad input ------------------------------------------------------------------------------


def test_bad_hyperparameters_and_models_are_refused():
    with pytest.raises(ValueError, match="divergence"):
        R2PVI("hellinger")
    with pytest.raises(ValueError, match="penalty"):
        R2PVI("kl", penalty=-1.0)
    with pytest.raises(ValueError, match="radius"):
        DRPVI(radius=-0.1)
    with pytest.raises(ValueError, match="xi"):
        R2PVI(xi=1.5)
    with pytest.raises(ValueError, match="exclude"):
        DRPVI(exclude="0,0")
    model = robust_route_linear_mdp()
    data = collect(model, "uniform", 20, seed=0)
    with pytest.raises(ValueError, match="LinearMDP"):
        R2PVI().fit(model.tabular(), data)
    # signed factors: lure_linear_mdp is a linear MDP but not d-rectangular
    lure = lure_linear_mdp()
    with pytest.raises(ValueError, match=r"phi\[|mu\["):
        DRPVI().fit(lure, collect(lure, "uniform", 20, seed=0))
    with pytest.raises(ValueError, match="data are for"):
        R2PVI().fit(model, collect(simplex_feature_linear_mdp(S=3, A=2, H=3, d=2), "uniform", 5, 0))
