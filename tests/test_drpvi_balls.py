"""DRPVI with KL and chi-square balls: exact coordinate duals on exact moments (against the
d-rectangular inner problems and the cvxpy primal), monotone in the radius, nominal at radius 0,
infinite-data limit, reproducibility, bad input, and the rate check with its control."""

import doctest

import numpy as np
import pytest
from conftest import property_settings
from hypothesis import given
from hypothesis import strategies as st

import algorithms.offline.robust._ball_duals as ball_duals_module
from algorithms.offline import DRPVI, collect, population_counts
from algorithms.offline.robust._ball_duals import chi2_ball_dual, kl_ball_dual
from algorithms.registry import make_learner
from instances.linear import robust_route_linear_mdp, simplex_feature_linear_mdp
from mdptheory.robust import UncertaintySet, d_rectangular_evaluate, d_rectangular_solve
from mdptheory.robust.d_rectangular import factor_backup
from mdptheory.robust.primal import inner_problem_primal
from proofs_check import harness
from proofs_check.mutants import get_mutant, probe_changes


def test_doctests():
    assert doctest.testmod(ball_duals_module).failed == 0


def _duals(kind, M, V, rho):
    if kind == "kl":
        return kl_ball_dual(M, V, rho)
    return chi2_ball_dual(M, V, np.argsort(V, kind="stable"), rho)


def _factors(seed, d, S, sparse):
    rng = np.random.default_rng(seed)
    mu = rng.dirichlet(np.full(S, float(rng.choice([0.3, 1.0, 5.0]))), size=d)
    if sparse:
        mu[:, rng.random(S) < 0.3] = 0.0
        mu[:, 0] += 0.02  # every factor keeps some mass
        mu /= mu.sum(axis=1, keepdims=True)
    V = rng.random(S) * float(rng.choice([1.0, 5.0]))
    if seed % 4 == 0:
        V = np.round(V)  # ties
    return mu, V


# --- exact oracles --------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**31),
    rho=st.one_of(st.just(0.0), st.floats(1e-4, 3.0)),
    S=st.integers(2, 12),
    sparse=st.booleans(),
    kind=st.sampled_from(("kl", "chi2")),
)
@property_settings(80)
def test_duals_on_exact_moments_equal_the_exact_inner_problems(seed, rho, S, sparse, kind):
    mu, V = _factors(seed, 3, S, sparse)
    exact = factor_backup(UncertaintySet(kind, radius=rho), mu, V)
    # the chi-square dual's square root amplifies the rounding of a variance near 0
    tol = 1e-10 if kind == "kl" else 1e-8
    np.testing.assert_allclose(_duals(kind, mu, V, rho), exact, atol=tol * (1 + V.max()))


@given(
    seed=st.integers(0, 2**31),
    rho=st.floats(1e-3, 1.5),
    sparse=st.booleans(),
    kind=st.sampled_from(("kl", "chi2")),
)
@property_settings(10)
def test_duals_on_exact_moments_equal_the_cvxpy_primal(seed, rho, sparse, kind):
    mu, V = _factors(seed, 2, 6, sparse)
    nu = _duals(kind, mu, V, rho)
    for i in range(2):
        primal, _ = inner_problem_primal(UncertaintySet(kind, radius=rho), mu[i], V)
        assert abs(nu[i] - primal) <= 1e-7


@given(
    seed=st.integers(0, 2**31),
    r1=st.floats(0.0, 2.0),
    r2=st.floats(0.0, 2.0),
    kind=st.sampled_from(("kl", "chi2")),
    sparse=st.booleans(),
)
@property_settings(30)
def test_duals_are_monotone_in_the_radius(seed, r1, r2, kind, sparse):
    small, large = sorted((r1, r2))
    mu, V = _factors(seed, 3, 8, sparse)
    assert np.all(_duals(kind, mu, V, large) <= _duals(kind, mu, V, small) + 1e-9)


def test_radius_zero_is_the_regression_of_V():
    mu, V = _factors(1, 4, 9, False)
    M = mu + 0.01 * np.random.default_rng(0).standard_normal(mu.shape)
    np.testing.assert_allclose(kl_ball_dual(M, V, 0.0), M @ V, atol=1e-12)
    np.testing.assert_allclose(_duals("chi2", mu, V, 0.0), mu @ V, atol=1e-12)
    for kind in ("kl", "chi2"):
        near = _duals(kind, mu, V, 1e-10)
        assert np.all(near <= mu @ V + 1e-12)
        np.testing.assert_allclose(near, mu @ V, atol=1e-4)


@pytest.mark.parametrize("kind", ["kl", "chi2"])
def test_infinite_data_gives_the_exact_robust_optimum(kind):
    model = robust_route_linear_mdp()
    learner = DRPVI(radius=0.3, divergence=kind, c=0.0)
    result = learner.fit(model, population_counts(model, "uniform", 1e12))
    exact = d_rectangular_solve(model, learner.uncertainty)
    assert result.suboptimality == pytest.approx(0.0, abs=1e-12)
    # chi-square: the square root turns the ridge shrinkage 1e-12 of the moments into ~1e-6
    assert result.estimated_value == pytest.approx(exact.value, abs=1e-8 if kind == "kl" else 1e-5)


# --- invariants, reproducibility, bad input -------------------------------------------------


@pytest.mark.parametrize("kind", ["kl", "chi2"])
def test_suboptimality_is_exact_nonnegative_and_reproducible(kind):
    model = simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=2)
    data = collect(model, "uniform", 300, seed=5)
    learner = DRPVI(radius=0.2, divergence=kind, c=0.05)
    a, b = learner.fit(model, data), learner.fit(model, data)
    assert np.array_equal(a.Q_hat, b.Q_hat) and a.suboptimality == b.suboptimality
    assert a.suboptimality >= -1e-12
    assert a.robust_value == d_rectangular_evaluate(model, learner.uncertainty, a.policy).value
    assert a.method == learner.label == f"DRPVI-{kind}(rho=0.2) c=0.05"
    trace = make_learner("drpvi", radius="0.2", divergence=kind, c="0.05").run(model, 40, seed=3)
    again = make_learner("drpvi", radius="0.2", divergence=kind, c="0.05").run(model, 40, seed=3)
    np.testing.assert_array_equal(trace.gap, again.gap)


def test_bad_input_is_refused():
    with pytest.raises(
        ValueError, match="divergence must be 'tv', 'kl' or 'chi2', got 'hellinger'"
    ):
        DRPVI(radius=0.1, divergence="hellinger")
    with pytest.raises(ValueError, match="radius"):
        DRPVI(radius=-0.1, divergence="kl")


# --- the check and its mutant ---------------------------------------------------------------


def test_rate_check_does_not_fail_and_rejects_its_control():
    result = harness.run_check(
        "liu2024-drpvi-kl-chi2-covered-rate", "quick", seed=0, raise_errors=True
    )
    assert result.verdict.status in ("pass", "inconclusive"), result.verdict.reason
    assert result.controls and all(c.rejected for c in result.controls)
    theorem = harness.get("liu2024-drpvi-kl-chi2-covered-rate")
    assert theorem.module == "proofs_check.theorems.robust_drpvi" and not theorem.verified
    assert "revision 1" in theorem.rule.lower()


def test_grid_argmin_mutant_changes_its_target():
    mutant = get_mutant("drpvi-kl-ball-grid-argmin")
    changed, what = probe_changes(mutant.patches[0], mutant.id)
    assert changed, what
