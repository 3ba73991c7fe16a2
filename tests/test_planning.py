"""Exact planners against a brute-force oracle that shares no code with them."""

import itertools
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_discounted_mdp
from hypothesis import given, settings

import mdptheory as mt
from proofs_check.strategies import episodic_mdps, finite_mdps


def brute_force_discounted(P, R, gamma):
    """V* as the pointwise max over every deterministic stationary policy (Puterman 6.2.10)."""
    S, A = R.shape
    best = np.full(S, -np.inf)
    for actions in itertools.product(range(A), repeat=S):
        P_pi = np.array([P[s, actions[s]] for s in range(S)])
        r_pi = np.array([R[s, actions[s]] for s in range(S)])
        V = np.linalg.inv(np.eye(S) - gamma * P_pi) @ r_pi
        best = np.maximum(best, V)
    return best


def brute_force_episodic(P4, R3):
    """V*_1 as the max over every deterministic Markov policy, by forward occupancies."""
    H, S, A = R3.shape
    best = np.full(S, -np.inf)
    for flat in itertools.product(range(A), repeat=H * S):
        pi = np.array(flat).reshape(H, S)
        for s0 in range(S):
            dist = np.zeros(S)
            dist[s0] = 1.0
            total = 0.0
            for h in range(H):
                kernel = P4[h if P4.shape[0] > 1 else 0]
                total += sum(dist[s] * R3[h, s, pi[h, s]] for s in range(S))
                dist = sum(dist[s] * kernel[s, pi[h, s]] for s in range(S))
            best[s0] = max(best[s0], total)
    return best


# Random discounted MDPs (seed, S, A, gamma) with peaked Dirichlet(0.3) kernel rows.
random_mdp = partial(random_discounted_mdp, concentration=0.3)


@settings(max_examples=40, deadline=None)
@given(finite_mdps(max_states=4, max_actions=3))
def test_policy_iteration_matches_brute_force(mdp):
    oracle = brute_force_discounted(mdp.P, mdp.R, mdp.gamma)
    sol = mt.policy_iteration(mdp)
    np.testing.assert_allclose(sol.values, oracle, atol=1e-9, rtol=0)
    np.testing.assert_allclose(sol.policy_values, oracle, atol=1e-9, rtol=0)
    assert np.max(np.abs(sol.values - oracle)) <= sol.bound + 1e-9


@settings(max_examples=40, deadline=None)
@given(finite_mdps(max_states=4, max_actions=3))
def test_value_iteration_bound_is_certified(mdp):
    oracle = brute_force_discounted(mdp.P, mdp.R, mdp.gamma)
    sol = mt.value_iteration(mdp, tol=1e-6)
    assert sol.stop_reason == "tolerance"
    # The oracle is a linear solve: its own rounding is about eps * cond * |V|, cond <=
    # (1 + gamma) / (1 - gamma), which at gamma near 1 exceeds a fixed 1e-12.
    rounding = (
        64
        * np.finfo(float).eps
        * (1 + mdp.gamma)
        / (1 - mdp.gamma)
        * max(1.0, float(np.max(np.abs(oracle))))
    )
    assert np.max(np.abs(sol.values - oracle)) <= sol.bound + rounding
    # policy_values is the exact value of the returned policy, not the iterate.
    P_pi = mdp.P[np.arange(mdp.S), sol.policy]
    r_pi = mdp.R[np.arange(mdp.S), sol.policy]
    exact = np.linalg.inv(np.eye(mdp.S) - mdp.gamma * P_pi) @ r_pi
    np.testing.assert_allclose(sol.policy_values, exact, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(episodic_mdps(max_states=2, max_actions=2, max_horizon=3))
def test_backward_induction_matches_brute_force(mdp):
    oracle = brute_force_episodic(mdp.P, mdp.R)
    sol = mt.backward_induction(mdp)
    np.testing.assert_allclose(sol.values[0], oracle, atol=1e-12)
    np.testing.assert_allclose(sol.policy_values, mt.evaluate(mdp, sol.policy), atol=1e-12)
    assert sol.bound == 0.0 and sol.values.shape == (mdp.H, mdp.S)


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
@pytest.mark.parametrize("seed", [0, 1])
def test_vi_pi_lp_agree(gamma, seed):
    mdp = random_mdp(seed, 12, 3, gamma)
    pi = mt.policy_iteration(mdp)
    vi = mt.value_iteration(mdp, tol=1e-10)
    lp = mt.linear_program(mdp)
    np.testing.assert_allclose(vi.values, pi.values, atol=1e-8)
    np.testing.assert_allclose(lp.values, pi.values, atol=1e-8)
    np.testing.assert_array_equal(lp.policy, pi.policy)
    for sol in (pi, vi, lp):
        assert np.max(np.abs(sol.values - pi.values)) <= sol.bound + 1e-9
        assert sol.policy_gap >= 0
    # LP duality: the dual is the optimal policy's discounted occupancy (Puterman 6.9).
    np.testing.assert_allclose(lp.occupancy.sum(), 1 / (1 - gamma), rtol=1e-7)
    np.testing.assert_allclose(lp.occupancy, mt.occupancy(mdp, pi.policy), atol=1e-6)


@pytest.mark.parametrize("direct_max_states", [2000, 5])
def test_sparse_kernel_gives_the_same_solution(direct_max_states, monkeypatch):
    # 5 sends the 15-state systems through the Krylov path used for large sparse models.
    monkeypatch.setattr(mt.evaluation, "SPARSE_DIRECT_MAX_STATES", direct_max_states)
    dense = random_mdp(3, 15, 3, 0.95)
    P, R = dense.P, dense.R
    sparse = mt.FiniteMDP(sp.csr_array(P.reshape(45, 15)), R, 0.95)
    ref = mt.solve(dense)
    for method in ("policy_iteration", "value_iteration", "linear_program"):
        sol = mt.solve(sparse, method=method)
        np.testing.assert_allclose(sol.values, ref.values, atol=1e-8)
        np.testing.assert_array_equal(sol.policy, ref.policy)
    stochastic = np.random.default_rng(0).dirichlet(np.ones(3), size=15)
    np.testing.assert_allclose(
        mt.evaluate(sparse, stochastic), mt.evaluate(dense, stochastic), atol=1e-10
    )
    np.testing.assert_allclose(
        mt.occupancy(sparse, stochastic), mt.occupancy(dense, stochastic), atol=1e-10
    )
    episodic_sparse = mt.EpisodicMDP(sp.csr_array(P.reshape(45, 15)), R, H=6)
    episodic_dense = mt.EpisodicMDP(P, R, H=6)
    np.testing.assert_allclose(
        mt.solve(episodic_sparse).values, mt.solve(episodic_dense).values, atol=1e-12
    )


def test_value_iteration_max_iter_is_reported():
    mdp = random_mdp(0, 5, 2, 0.99)
    sol = mt.value_iteration(mdp, tol=1e-12, max_iter=3)
    assert sol.stop_reason == "max_iter" and sol.iterations == 3
    assert np.max(np.abs(sol.values - mt.solve(mdp).values)) <= sol.bound + 1e-12


def test_solve_picks_exact_methods():
    mdp = random_mdp(0, 4, 2, 0.9)
    P, R = mdp.P, mdp.R
    assert mt.solve(mdp).method == "policy_iteration"
    assert mt.solve(mt.EpisodicMDP(P, R, H=3)).method == "backward_induction"
    with pytest.raises(ValueError, match="unknown method 'simplex'"):
        mt.solve(mdp, method="simplex")
    with pytest.raises(ValueError, match="needs a FiniteMDP"):
        mt.value_iteration(mt.EpisodicMDP(P, R, H=3))


def test_relative_value_iteration_against_linear_system():
    mdp = random_mdp(5, 8, 3, 0.9)
    P, R = mdp.P, mdp.R
    sol = mt.relative_value_iteration(mdp, tol=1e-12)
    assert sol.communicating
    # Gain and bias of the returned policy from (I - P_pi) h + g 1 = r_pi, h(0) = 0.
    S = mdp.S
    P_pi = P[np.arange(S), sol.policy]
    r_pi = R[np.arange(S), sol.policy]
    system = np.zeros((S + 1, S + 1))
    system[:S, :S] = np.eye(S) - P_pi
    system[:S, S] = 1.0
    system[S, 0] = 1.0
    x = np.linalg.solve(system, np.append(r_pi, 0.0))
    assert abs(x[S] - sol.gain) <= sol.bound + 1e-10
    np.testing.assert_allclose(sol.bias, x[:S], atol=1e-8)
    # Optimality equation g + h = max_a [r + P h].
    np.testing.assert_allclose(sol.gain + sol.bias, sol.q.max(axis=1), atol=1e-8)
    # The gain is the limit of (1 - gamma) V*_gamma as gamma -> 1 (Blackwell).
    discounted = mt.FiniteMDP(P, R, gamma=0.9999)
    assert abs((1 - 0.9999) * mt.solve(discounted).values.mean() - sol.gain) < 1e-3


def test_relative_value_iteration_rejects_multichain():
    # Two absorbing states with different rewards: the optimal gain depends on the start.
    P = np.zeros((2, 1, 2))
    P[0, 0, 0] = P[1, 0, 1] = 1.0
    mdp = mt.FiniteMDP(P, [[0.0], [1.0]], gamma=0.5)
    with pytest.raises(ValueError, match="not communicating"):
        mt.relative_value_iteration(mdp, max_iter=200)


def test_linear_program_weights_must_be_positive():
    mdp = random_mdp(0, 3, 2, 0.5)
    with pytest.raises(ValueError, match=r"weights\[1\] is 0.0"):
        mt.linear_program(mdp, weights=[1.0, 0.0, 1.0])
