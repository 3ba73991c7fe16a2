"""d-rectangular sets of linear MDPs: exact robust DP and evaluation against cvxpy and oracles."""

import doctest

import numpy as np
import pytest
from conftest import property_settings
from hypothesis import given
from hypothesis import strategies as st

from instances.linear import simplex_feature_linear_mdp
from mdptheory.linear import LinearMDP
from mdptheory.planning import backward_induction
from mdptheory.robust import (
    UncertaintySet,
    d_rectangular_evaluate,
    d_rectangular_solve,
    divergence,
)
from mdptheory.robust import d_rectangular as module
from mdptheory.robust.d_rectangular import check_d_rectangular
from mdptheory.robust.primal import SOLVER_OPTIONS

DIVERGENCES = ("tv", "kl", "chi2")

pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate")


def sets(rho: float, lam: float):
    return [UncertaintySet(k, radius=rho) for k in DIVERGENCES] + [
        UncertaintySet(k, penalty=lam) for k in DIVERGENCES
    ]


def joint_primal(uncertainty, factors, weights, V) -> float:
    """``inf sum_i w_i mu_i . V`` over every factor in its own set, as one cvxpy program (the
    factors are not decoupled by hand)."""
    import cvxpy as cp

    d, S = factors.shape
    objective = 0
    constraints = []
    for i in range(d):
        p = factors[i]
        kind = uncertainty.divergence
        support = np.arange(S) if kind == "tv" else np.flatnonzero(p > 0)
        q = cp.Variable(support.size, nonneg=True)
        constraints.append(cp.sum(q) == 1)
        ps = p[support]
        if kind == "tv":
            term = 0.5 * cp.norm1(q - ps)
        elif kind == "kl":
            term = cp.sum(cp.rel_entr(q, ps))
        else:
            term = cp.sum(cp.multiply(1.0 / ps, cp.square(q - ps)))
        objective = objective + weights[i] * (V[support] @ q)
        if uncertainty.penalised:
            objective = objective + weights[i] * uncertainty.penalty * term
        else:
            constraints.append(term <= uncertainty.radius)
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver="CLARABEL", **SOLVER_OPTIONS["CLARABEL"])
    assert problem.status in ("optimal", "optimal_inaccurate")
    return float(problem.value)


def test_doctests():
    assert doctest.testmod(module).failed == 0


# --- exact oracles --------------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**31),
    rho=st.floats(0.02, 0.8),
    lam=st.floats(0.1, 5.0),
    which=st.integers(0, 5),
)
@property_settings(12)
def test_backup_equals_joint_cvxpy_primal(seed, rho, lam, which):
    model = simplex_feature_linear_mdp(S=4, A=2, H=2, d=3, seed=seed)
    uncertainty = sets(rho, lam)[which]
    solution = d_rectangular_solve(model, uncertainty)
    V1 = solution.values[1]
    rng = np.random.default_rng(seed)
    s, a = int(rng.integers(4)), int(rng.integers(2))
    factors = model.mu[0].T
    expected = model.R[0, s, a] + joint_primal(uncertainty, factors, model.phi[s, a], V1)
    assert solution.q[0, s, a] == pytest.approx(expected, abs=1e-7)


def test_zero_radius_and_infinite_penalty_give_the_nominal_optimum():
    model = simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=2)
    nominal = backward_induction(model.tabular())
    for uncertainty in (UncertaintySet("kl", radius=0.0), UncertaintySet("chi2", penalty=np.inf)):
        solution = d_rectangular_solve(model, uncertainty)
        np.testing.assert_allclose(solution.values, nominal.values[: model.H], atol=1e-12)


def test_tv_radius_one_gives_the_minimum_of_the_next_values():
    model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=2, seed=4)
    solution = d_rectangular_solve(model, UncertaintySet("tv", radius=1.0))
    for h in range(model.H - 1):
        np.testing.assert_allclose(solution.factor_values[h], solution.values[h + 1].min())
    np.testing.assert_allclose(solution.factor_values[-1], 0.0)


# --- defining invariants --------------------------------------------------------------------


@given(seed=st.integers(0, 2**31), rho=st.floats(0.01, 0.9), lam=st.floats(0.1, 10.0))
@property_settings(10)
def test_robust_optimum_dominates_every_policy_and_the_worst_factors_are_in_the_set(seed, rho, lam):
    model = simplex_feature_linear_mdp(S=5, A=3, H=3, d=3, seed=seed)
    nominal_policy = backward_induction(model.tabular()).policy
    rng = np.random.default_rng(seed)
    other = rng.integers(0, 3, size=(3, 5))
    nominal_value = float(model.initial @ backward_induction(model.tabular()).values[0])
    for uncertainty in sets(rho, lam):
        best = d_rectangular_solve(model, uncertainty)
        again = d_rectangular_evaluate(model, uncertainty, best.policy)
        assert again.value == pytest.approx(best.value, abs=1e-10)
        for policy in (nominal_policy, other):
            assert d_rectangular_evaluate(model, uncertainty, policy).value <= best.value + 1e-10
        assert best.value <= nominal_value + 1e-10
        if not uncertainty.penalised:
            np.testing.assert_allclose(best.policy_values, best.values, atol=1e-9)
            for h in range(model.H):
                for i in range(model.d):
                    assert uncertainty.contains(model.mu[h, :, i], best.worst_factors[h, i])


@given(seed=st.integers(0, 2**31))
@property_settings(8)
def test_robust_value_is_monotone_in_radius_and_in_one_over_lambda(seed):
    model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=seed)
    for kind in DIVERGENCES:
        by_radius = [
            d_rectangular_solve(model, UncertaintySet(kind, radius=r)).value
            for r in (0.0, 0.05, 0.2, 0.6)
        ]
        by_penalty = [
            d_rectangular_solve(model, UncertaintySet(kind, penalty=lam)).value
            for lam in (np.inf, 10.0, 1.0, 0.1)
        ]
        assert np.all(np.diff(by_radius) <= 1e-12)
        assert np.all(np.diff(by_penalty) <= 1e-12)


def test_worst_kernel_is_the_phi_mixture_of_the_worst_factors():
    model = simplex_feature_linear_mdp(S=5, A=2, H=3, d=3, seed=7)
    solution = d_rectangular_solve(model, UncertaintySet("chi2", radius=0.3))
    np.testing.assert_allclose(solution.worst_kernel.sum(axis=-1), 1.0, atol=1e-12)
    h, s, a = 1, 2, 1
    mixture = model.phi[s, a] @ solution.worst_factors[h]
    np.testing.assert_allclose(solution.worst_kernel[h, s, a], mixture)
    assert divergence("chi2", model.mu[h, :, 0], solution.worst_factors[h, 0]) <= 0.3 + 1e-9


def test_same_model_same_numbers_bit_for_bit():
    a = d_rectangular_solve(simplex_feature_linear_mdp(seed=3), UncertaintySet("kl", radius=0.1))
    b = d_rectangular_solve(simplex_feature_linear_mdp(seed=3), UncertaintySet("kl", radius=0.1))
    assert np.array_equal(a.values, b.values) and np.array_equal(a.worst_kernel, b.worst_kernel)


# --- bad input ------------------------------------------------------------------------------


def test_bad_models_sets_and_policies_are_refused_naming_the_index():
    phi = np.array([[[1.2, -0.2], [0.5, 0.5]]])
    mu = np.array([[[1.0, 1.0]]])
    with pytest.raises(ValueError, match=r"phi\[0, 0, 1\] is -0.2"):
        check_d_rectangular(LinearMDP(phi, mu, theta=[[0.0, 0.0]]))
    phi = np.array([[[0.6, 0.6], [1.2, 0.0]]])
    with pytest.raises(ValueError, match=r"sum_i phi\[0, 0, i\] is 1.2"):
        d_rectangular_solve(
            LinearMDP(phi, mu / 1.2, theta=[[0.0, 0.0]]), UncertaintySet("tv", radius=0.1)
        )
    # signed factors: phi . mu is a distribution but mu[:, :, 1] is not
    phi = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    mu = np.array([[[1.5, 0.5], [-0.5, 0.5]]])
    with pytest.raises(ValueError, match=r"mu\[0, 1, 0\] is -0.5"):
        check_d_rectangular(LinearMDP(phi, mu, theta=[[0.0, 0.0]]))
    model = simplex_feature_linear_mdp(S=3, A=2, H=2, d=2, seed=0)
    with pytest.raises(ValueError, match="UncertaintySet"):
        d_rectangular_solve(model, "kl")
    with pytest.raises(ValueError, match="LinearMDP"):
        d_rectangular_solve(model.tabular(), UncertaintySet("kl", radius=0.1))
    with pytest.raises(ValueError, match="outside|action"):
        d_rectangular_evaluate(model, UncertaintySet("kl", radius=0.1), np.full((2, 3), 5))
