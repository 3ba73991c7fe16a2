"""s-rectangular TV: water levels and knapsacks against cvxpy, and the sandwich between
(s, a)-rectangular balls."""

import numpy as np
import pytest
from conftest import random_discounted_mdp

import mdptheory as mt
from mdptheory.robust import UncertaintySet, robust_evaluate, robust_value_iteration
from mdptheory.robust.s_rectangular import (
    _policy_values,
    _state_values,
    s_rectangular_tv_evaluate,
    s_rectangular_tv_values,
)

pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate")


def random_mdp(seed: int) -> mt.FiniteMDP:
    return random_discounted_mdp(seed, S=4, A=3, gamma=0.8)


def primal_state(P, R, V, gamma, rho, s, pi=None):
    """The s-rectangular inner problem at state s as a cvxpy LP (max-min swapped for the
    optimum: min_q max_a; a weighted sum for a fixed policy)."""
    import cvxpy as cp

    S, A = R.shape
    q = cp.Variable((A, S), nonneg=True)
    constraints = [cp.sum(q, axis=1) == 1, 0.5 * cp.sum(cp.abs(q - P[s])) <= rho]
    q_values = R[s] + gamma * (q @ V)
    if pi is None:
        t = cp.Variable()
        problem = cp.Problem(cp.Minimize(t), [*constraints, t >= q_values])
    else:
        problem = cp.Problem(cp.Minimize(pi[s] @ q_values), constraints)
    problem.solve(solver="CLARABEL")
    return float(problem.value)


@pytest.mark.parametrize("seed", range(4))
def test_one_sweep_equals_the_cvxpy_primal(seed):
    mdp = random_mdp(seed)
    rng = np.random.default_rng(100 + seed)
    V = rng.random(mdp.S) * 5
    rho = float(rng.uniform(0.05, 1.5))
    pi = rng.dirichlet(np.ones(mdp.A), mdp.S)
    optimal = _state_values(mdp.P, mdp.R, V, mdp.gamma, rho)
    fixed = _policy_values(mdp.P, mdp.R, V, mdp.gamma, rho, pi)
    for s in range(mdp.S):
        assert optimal[s] == pytest.approx(
            primal_state(mdp.P, mdp.R, V, mdp.gamma, rho, s), abs=1e-7
        )
        assert fixed[s] == pytest.approx(
            primal_state(mdp.P, mdp.R, V, mdp.gamma, rho, s, pi), abs=1e-7
        )


def test_values_sit_between_the_rectangular_balls():
    mdp = random_mdp(7)
    rho = 0.3
    s_rect = s_rectangular_tv_values(mdp, rho, tol=1e-10)
    wide = robust_value_iteration(mdp, UncertaintySet("tv", radius=rho), tol=1e-10)
    narrow = robust_value_iteration(mdp, UncertaintySet("tv", radius=rho / mdp.A), tol=1e-10)
    slack = s_rect.bound + wide.bound + narrow.bound + 1e-9
    assert np.all(wide.values <= s_rect.values + slack)
    assert np.all(s_rect.values <= narrow.values + slack)
    # with one action the two rectangularities coincide
    one = mt.FiniteMDP(mdp.P[:, :1], mdp.R[:, :1], mdp.gamma)
    np.testing.assert_allclose(
        s_rectangular_tv_values(one, rho, tol=1e-11).values,
        robust_value_iteration(one, UncertaintySet("tv", radius=rho), tol=1e-11).values,
        atol=1e-9,
    )


def test_policy_value_and_limits():
    mdp = random_mdp(3)
    policy = np.array([0, 1, 2, 0])
    # radius 0: the nominal value; a deterministic policy's s-rect value equals its (s,a) value
    nominal = mt.evaluate(mdp, policy)
    np.testing.assert_allclose(
        s_rectangular_tv_evaluate(mdp, policy, 0.0, tol=1e-12).values, nominal, atol=1e-10
    )
    s_rect = s_rectangular_tv_evaluate(mdp, policy, 0.2, tol=1e-11).values
    sa = robust_evaluate(mdp, policy, UncertaintySet("tv", radius=0.2), tol=1e-11).values
    np.testing.assert_allclose(s_rect, sa, atol=1e-9)
    # the optimum over randomised policies is at least every policy's robust value
    assert np.all(s_rectangular_tv_values(mdp, 0.2, tol=1e-11).values >= s_rect - 1e-9)


def test_bad_input_is_refused():
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="radius must lie in"):
        s_rectangular_tv_values(mdp, -0.1)
    with pytest.raises(ValueError, match="needs a FiniteMDP"):
        s_rectangular_tv_values(mt.EpisodicMDP(mdp.P, mdp.R, H=2), 0.1)
    with pytest.raises(ValueError, match=r"policy\[1\] is action 5"):
        s_rectangular_tv_evaluate(mdp, np.array([0, 5, 0, 0]), 0.1)
