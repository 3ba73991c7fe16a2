"""Average-reward ground truth: classification, optimal gain and bias, policy gain, diameter.

Oracles share no code with the library: the gain of every deterministic policy from the Cesaro
limit of its aperiodic transform (matrix squaring), recurrent classes and reachability from
boolean transitive closures, hitting times by value iteration on the shortest-path problem.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdptheory import FiniteMDP
from mdptheory.average_reward import (
    average_reward_lp,
    bellman_gaps,
    classify,
    diameter,
    min_hitting_times,
    multichain_policy_iteration,
    optimal_gain_bias,
    policy_gain_bias,
    span,
    summary,
)
from mdptheory.planning import relative_value_iteration
from proofs_check.strategies import kernels, rewards

# --------------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------------


def cesaro_limit(P_pi: np.ndarray) -> np.ndarray:
    """P* = lim of the aperiodic transform's powers, by 60 squarings (rows renormalised, so
    rounding cannot compound)."""
    M = 0.5 * (np.eye(P_pi.shape[0]) + P_pi)
    for _ in range(60):
        M = M @ M
        M /= M.sum(axis=1, keepdims=True)
    return M


def policies_of(S: int, A: int):
    return (np.array(p) for p in itertools.product(range(A), repeat=S))


def brute_gain(P: np.ndarray, R: np.ndarray) -> np.ndarray:
    """g*(s) = max over deterministic policies of (P*_pi r_pi)(s)."""
    S, A = R.shape
    best = np.full(S, -np.inf)
    states = np.arange(S)
    for pi in policies_of(S, A):
        best = np.maximum(best, cesaro_limit(P[states, pi]) @ R[states, pi])
    return best


def closure(adjacency: np.ndarray) -> np.ndarray:
    """Reflexive transitive closure of a boolean matrix (Warshall)."""
    reach = adjacency.copy() | np.eye(adjacency.shape[0], dtype=bool)
    for k in range(reach.shape[0]):
        reach |= reach[:, [k]] & reach[[k], :]
    return reach


def n_recurrent_classes(P_pi: np.ndarray) -> int:
    reach = closure(P_pi > 0)
    recurrent = [s for s in range(P_pi.shape[0]) if np.all(reach[reach[s], s])]
    # Two recurrent states are in one class iff they reach each other.
    classes = {tuple(np.flatnonzero(reach[s] & reach[:, s])) for s in recurrent}
    return len(classes)


def brute_unichain(P: np.ndarray) -> bool:
    S, A = P.shape[:2]
    states = np.arange(S)
    return all(n_recurrent_classes(P[states, pi]) == 1 for pi in policies_of(S, A))


def brute_hitting(P: np.ndarray, target: int, sweeps: int = 200_000) -> np.ndarray:
    """Value iteration on the shortest-path problem from tau = 0 (increases to the minimum)."""
    S = P.shape[0]
    others = np.arange(S) != target
    tau = np.zeros(S)
    for _ in range(sweeps):
        new = 1.0 + (P[:, :, others] @ tau[others]).min(axis=1)
        new[target] = 0.0
        if np.max(np.abs(new - tau)) < 1e-13:
            return new
        tau = new
    return tau


@st.composite
def clean_kernels(draw, S: int, A: int, sparsity: float) -> np.ndarray:
    """Kernels whose positive entries are at least 1e-3 (tiny probabilities make chains that
    are closed to working precision, a separate matter)."""
    P = draw(kernels(S, A, sparsity=sparsity))
    P = np.where(P < 1e-3, 0.0, P)
    empty = P.sum(axis=2) == 0
    P[empty, 0] = 1.0
    return P / P.sum(axis=2, keepdims=True)


def two_state(delta=0.1, epsilon=0.05) -> FiniteMDP:
    """UCRL2's two-state block: s0 pays 0, s1 pays 1; action 1 of s0 moves with delta + eps."""
    P = np.array(
        [
            [[1 - delta, delta], [1 - delta - epsilon, delta + epsilon]],
            [[delta, 1 - delta], [delta, 1 - delta]],
        ]
    )
    return FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)


def river(S=6) -> FiniteMDP:
    from instances.tabular import river_swim

    return river_swim(S=S)


# --------------------------------------------------------------------------------------------
# Exact oracles
# --------------------------------------------------------------------------------------------


def test_two_state_block_closed_forms():
    delta, epsilon = 0.1, 0.05
    info = summary(two_state(delta, epsilon))
    assert info.gain == pytest.approx((delta + epsilon) / (2 * delta + epsilon), abs=1e-14)
    assert info.span == pytest.approx(1 / (2 * delta + epsilon), abs=1e-12)
    assert info.diameter.value == pytest.approx(1 / delta, abs=1e-12)
    assert info.solution.policy.tolist() == [1, 0]
    assert info.gaps[0, 0] == pytest.approx(epsilon * info.span, abs=1e-13)
    assert info.gaps[0, 1] == 0.0 and np.all(info.gaps[1] == 0.0)


def test_river_swim_against_relative_value_iteration_and_the_lps():
    mdp = river()
    sol = optimal_gain_bias(mdp)
    rvi = relative_value_iteration(mdp, tol=1e-12)
    assert sol.gain == pytest.approx(rvi.gain, abs=1e-10)
    np.testing.assert_allclose(sol.bias, rvi.bias - rvi.bias.min(), atol=1e-8)
    assert sol.bound < 1e-13 and sol.normalisation == "min_s h(s) = 0"
    lp = average_reward_lp(mdp)
    assert lp.gain_primal == pytest.approx(sol.gain, abs=1e-9)
    assert lp.gain_dual == pytest.approx(sol.gain, abs=1e-9)
    assert lp.occupancy.sum() == pytest.approx(1.0, abs=1e-9)
    # The occupancy is stationary: inflow equals outflow at every state.
    P = mdp.P
    np.testing.assert_allclose(
        lp.occupancy.sum(axis=1), np.einsum("sa,sat->t", lp.occupancy, P), atol=1e-9
    )


def test_river_swim_hitting_times_match_value_iteration():
    mdp = river()
    d = diameter(mdp)
    for target in range(mdp.S):
        np.testing.assert_allclose(
            d.hitting_times[:, target], brute_hitting(mdp.P, target), rtol=1e-10, atol=1e-10
        )
    assert (d.source, d.target) == (0, 5) and d.residual < 1e-12


def draw_model(data, max_S: int, zero: float):
    """Draw S in 1..max_S, A in 1..3, a kernel of :func:`clean_kernels` (``zero``) and rewards;
    return them with the ``FiniteMDP`` they make (gamma 0.5, ignored by the average reward)."""
    S = data.draw(st.integers(1, max_S))
    A = data.draw(st.integers(1, 3))
    P = data.draw(clean_kernels(S, A, zero))
    R = data.draw(rewards((S, A)))
    return S, A, P, R, FiniteMDP(P, R, gamma=0.5)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_gain_bias_and_classification_against_brute_force(data):
    S, _, P, R, mdp = draw_model(data, 4, 0.6)
    g = brute_gain(P, R)
    opt = multichain_policy_iteration(mdp)
    np.testing.assert_allclose(opt.gain, g, atol=1e-9)
    reach = closure((P > 0).any(axis=1))
    c = classify(mdp)
    assert c.communicating == bool(reach.all())
    assert c.unichain == brute_unichain(P)
    assert c.weakly_communicating == (len(c.end_components) == 1)
    if c.weakly_communicating:
        assert np.ptp(g) < 1e-9  # weakly communicating: a constant optimal gain
    if np.ptp(g) < 1e-9:
        sol = optimal_gain_bias(mdp)
        assert sol.gain == pytest.approx(g[0], abs=1e-9)
        q = R + P @ sol.bias
        np.testing.assert_allclose(q.max(axis=1), sol.gain + sol.bias, atol=1e-9)
        assert sol.bias.min() == 0.0
        gaps = bellman_gaps(mdp, sol)
        assert gaps.min() >= 0.0
        assert np.all(gaps[np.arange(S), sol.policy] == 0.0)
    else:
        with pytest.raises(ValueError, match="closed class"):
            optimal_gain_bias(mdp)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_hitting_times_against_value_iteration(data):
    S = data.draw(st.integers(2, 4))
    A = data.draw(st.integers(1, 3))
    P = data.draw(clean_kernels(S, A, 0.5))
    mdp = FiniteMDP(P, np.zeros((S, A)), gamma=0.5)
    target = data.draw(st.integers(0, S - 1))
    hit = min_hitting_times(mdp, target)
    finite = np.isfinite(hit.times)
    oracle = brute_hitting(P, target, sweeps=20_000)
    if not np.allclose(hit.times[finite], oracle[finite], rtol=1e-7, atol=1e-7):
        # Slowly mixing kernels (hitting times in the thousands) need more sweeps to converge.
        converged = brute_hitting(P, target)
        np.testing.assert_allclose(hit.times[finite], converged[finite], rtol=1e-7, atol=1e-7)
    # Where no policy reaches the target surely, value iteration keeps growing.
    assert np.all(oracle[~finite] > 1e3)
    d = diameter(mdp)
    assert np.isfinite(d.value) == classify(mdp).communicating


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_policy_gain_bias_solves_the_evaluation_equation(data):
    S, A, P, R, mdp = draw_model(data, 5, 0.3)
    pi = np.asarray(data.draw(st.lists(st.integers(0, A - 1), min_size=S, max_size=S)))
    states = np.arange(S)
    P_pi, r_pi = P[states, pi], R[states, pi]
    if n_recurrent_classes(P_pi) > 1:
        with pytest.raises(ValueError, match="recurrent"):
            policy_gain_bias(mdp, pi)
        return
    result = policy_gain_bias(mdp, pi)
    assert result.gain == pytest.approx(float((cesaro_limit(P_pi) @ r_pi)[0]), abs=1e-9)
    np.testing.assert_allclose(result.gain + result.bias, r_pi + P_pi @ result.bias, atol=1e-9)
    assert result.bias.min() == 0.0
    # A stochastic policy that is the same deterministic one gives the same answer.
    onehot = np.eye(A)[pi]
    assert policy_gain_bias(mdp, onehot).gain == pytest.approx(result.gain, abs=1e-12)


# --------------------------------------------------------------------------------------------
# Classification of hand-made models
# --------------------------------------------------------------------------------------------


def test_classification_of_hand_made_models():
    # Two absorbing states that cannot reach each other: multichain, not weakly communicating.
    stuck = FiniteMDP(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), [[0.0], [1.0]], gamma=0.9)
    c = classify(stuck)
    assert c.labels == ("multichain",) and c.closed_pair == ((0,), (1,))
    # State 0 is transient under every policy; 1 and 2 communicate: weakly communicating.
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = 1.0
    P[1, 0, 1] = P[1, 1, 2] = 1.0
    P[2, 0, 2] = P[2, 1, 1] = 1.0
    c = classify(FiniteMDP(P, np.zeros((3, 2)), gamma=0.9))
    assert not c.communicating and c.weakly_communicating and c.transient == (0,)
    assert c.unichain is False  # stay at 1 and stay at 2: two classes
    # A cycle of three states, each action moving to one of the other two: unichain without a
    # state that every policy reaches (decided by the exhaustive search).
    P = np.zeros((3, 2, 3))
    for s in range(3):
        P[s, 0, (s + 1) % 3] = 1.0
        P[s, 1, (s + 2) % 3] = 1.0
    c = classify(FiniteMDP(P, np.zeros((3, 2)), gamma=0.9))
    assert c.unichain is True and "exhaustive" in c.unichain_reason
    assert c.labels == ("unichain", "communicating", "weakly communicating")


def test_river_swim_is_unichain_and_communicating():
    assert classify(river()).labels == ("unichain", "communicating", "weakly communicating")


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_state_dependent_optimal_gain_names_two_closed_classes():
    stuck = FiniteMDP(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), [[0.2], [0.7]], gamma=0.9)
    with pytest.raises(
        ValueError,
        match=r"0\.7 on the closed class \{1\} and 0\.2 on the "
        r"closed class \{0\}",
    ):
        optimal_gain_bias(stuck)
    with pytest.raises(ValueError, match=r"\{0\} and \{1\}"):
        policy_gain_bias(stuck, np.array([0, 0]))
    d = diameter(stuck)
    assert d.value == np.inf


def test_bad_inputs_raise_value_errors():
    from mdptheory import EpisodicMDP

    episodic = EpisodicMDP(np.ones((1, 1, 1)), [[1.0]], H=2)
    for function in (optimal_gain_bias, diameter, classify, average_reward_lp):
        with pytest.raises(ValueError, match="FiniteMDP"):
            function(episodic)
    mdp = river()
    with pytest.raises(ValueError, match=r"policy\[2\] is action 5"):
        policy_gain_bias(mdp, np.array([0, 0, 5, 0, 0, 0]))
    with pytest.raises(ValueError, match="target"):
        min_hitting_times(mdp, 6)
    with pytest.raises(ValueError, match="empty"):
        span([])


def test_solve_command_prints_gain_bias_span_and_diameter(capsys):
    from mdptheory.cli import main

    assert main(["solve", "river_swim", "--objective", "average"]) == 0
    out = capsys.readouterr().out
    info = summary(river())
    for text in (
        f"rho* = {info.gain:.12g}",
        f"sp(h*) = {info.span:.12g}",
        f"D = {info.diameter.value:.12g}",
        "min_s h(s) = 0",
        "unichain",
    ):
        assert text in out
    assert main(["solve", "river_swim", "--H", "5", "--objective", "average"]) == 2
    assert "without horizon" in capsys.readouterr().err
