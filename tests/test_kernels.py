"""Shared numba kernels: sampling, rollouts, compiled backward induction, the greedy backup and
the exact evaluation of executed policies over their reachable states."""

import numpy as np
import pytest
from hypothesis import given, settings

import mdptheory as mt
from mdptheory import _kernels
from proofs_check.strategies import episodic_mdps


def test_rollouts_are_reproducible():
    rng = np.random.default_rng(1)
    mdp = mt.EpisodicMDP(
        rng.dirichlet(np.ones(5), size=(5, 2)), rng.random((5, 2)), H=7, noise="bernoulli"
    )
    policy = rng.integers(0, 2, size=(7, 5))

    def run(seed):
        gen = mt.as_generator(seed)
        return [
            _kernels.rollout_episode(
                mdp.P, mdp.R, mdp.noise.code, mdp.noise.sigma, mdp.initial, policy, gen
            )
            for _ in range(20)
        ]

    first, second = run(3), run(3)
    for a, b in zip(first, second, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(first, run(4), strict=True))


def test_sampling_frequencies_match_probabilities():
    probabilities = np.array([0.2, 0.0, 0.5, 0.3])
    gen = np.random.default_rng(0)
    draws = np.array(
        [_kernels.sample_categorical(probabilities, gen.random()) for _ in range(40_000)]
    )
    counts = np.bincount(draws, minlength=4) / draws.size
    assert counts[1] == 0.0
    np.testing.assert_allclose(counts, probabilities, atol=0.01)
    # A uniform just below 1 past a rounding-short total lands on the last positive index.
    assert _kernels.sample_categorical(np.array([0.3, 0.7 - 1e-16, 0.0]), 1 - 1e-17) == 1


def test_rollout_state_frequencies_match_occupancy():
    rng = np.random.default_rng(2)
    mdp = mt.EpisodicMDP(rng.dirichlet(np.ones(3), size=(3, 2)), rng.random((3, 2)), H=4)
    policy = rng.integers(0, 2, size=(4, 3))
    gen = np.random.default_rng(5)
    counts = np.zeros((4, 3))
    n = 20_000
    for _ in range(n):
        states, _, _ = _kernels.rollout_episode(mdp.P, mdp.R, 0, 0.0, mdp.initial, policy, gen)
        counts[np.arange(4), states[:4]] += 1
    np.testing.assert_allclose(counts / n, mt.occupancy(mdp, policy).sum(axis=2), atol=0.015)


def test_sparse_rollout_matches_dense_in_distribution():
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.full(4, 0.5), size=(4, 2))
    csr = sp.csr_array(P.reshape(8, 4))
    mdp = mt.EpisodicMDP(P, rng.random((4, 2)), H=3)
    policy = rng.integers(0, 2, size=(3, 4))
    gen = np.random.default_rng(0)
    counts = np.zeros(4)
    for _ in range(20_000):
        states, _, _ = _kernels.rollout_csr(
            csr.indptr, csr.indices, csr.data, mdp.R, 0, 0.0, mdp.initial, policy, gen
        )
        counts[states[3]] += 1
    final = mt.occupancy(mdp, policy)[2]
    expected = np.einsum("sa,sat->t", final, P)
    np.testing.assert_allclose(counts / 20_000, expected, atol=0.015)


@settings(max_examples=25, deadline=None)
@given(episodic_mdps(max_states=4))
def test_compiled_backward_induction_matches_planner(mdp):
    Q, V, policy = _kernels.backward_induction_kernel(mdp.P, mdp.R)
    sol = mt.backward_induction(mdp)
    np.testing.assert_allclose(V[:-1], sol.values, atol=1e-12)
    np.testing.assert_allclose(Q, sol.q, atol=1e-12)
    V_pi = _kernels.evaluate_deterministic_kernel(mdp.P, mdp.R, policy)
    np.testing.assert_allclose(V_pi[:-1], mt.evaluate(mdp, policy), atol=1e-12)


def test_stable_order_is_the_stable_argsort():
    from mdptheory.risk import INSERTION_SORT_MAX, stable_order

    rng = np.random.default_rng(3)
    for n in (1, 2, 7, INSERTION_SORT_MAX, INSERTION_SORT_MAX + 5):
        values = rng.integers(0, 4, size=n).astype(np.float64)  # many ties
        order = np.empty(n, dtype=np.int64)
        stable_order(values, order)
        np.testing.assert_array_equal(order, np.argsort(values, kind="mergesort"))


def with_unreachable_states(mdp) -> tuple[np.ndarray, np.ndarray]:
    """The dense kernel of ``mdp`` without its moves to state 0 of probability below 0.3, and its
    start distribution without state 0 (where another state can start): some states are
    unreachable."""
    P4 = np.array(mdp.dense_P(), dtype=np.float64)
    P4[..., 0] = np.where(P4[..., 0] < 0.3, 0.0, P4[..., 0])
    P4 /= P4.sum(axis=-1, keepdims=True)
    initial = np.array(mdp.initial, dtype=np.float64)
    if initial[1:].sum() > 0:
        initial[0] = 0.0  # an unreachable start state
    initial /= initial.sum()
    return P4, initial


@settings(max_examples=25, deadline=None)
@given(episodic_mdps(max_states=4))
def test_reachable_evaluation_is_bitwise_the_dense_start_value(mdp):
    P4, initial = with_unreachable_states(mdp)
    ws = _kernels.reachable_evaluation(P4, initial, mdp.H)
    ws.V[:-1] = 7.0  # stale values must not leak in
    rng = np.random.default_rng(0)
    for _ in range(3):
        policy = rng.integers(0, mdp.A, size=(mdp.H, mdp.S))
        value = _kernels.evaluate_deterministic_reachable(P4, mdp.R, policy, initial, ws)
        dense = _kernels.evaluate_deterministic_kernel(P4, mdp.R, policy)
        assert value == _kernels.start_value(initial, dense[0])
        # The lists and the marks name the same states: those reachable through positive
        # kernel entries (the support of the occupancy measure).
        occupied = np.zeros((mdp.H, mdp.S), dtype=bool)
        occupied[0] = initial > 0
        for h in range(mdp.H - 1):
            rows = P4[min(h, P4.shape[0] - 1), np.arange(mdp.S), policy[h]]
            occupied[h + 1] = (rows[occupied[h]] > 0).any(axis=0)
        np.testing.assert_array_equal(ws.reach, occupied)
        for h in range(mdp.H):
            listed = np.sort(ws.members[h, : ws.counts[h]])
            np.testing.assert_array_equal(listed, np.flatnonzero(occupied[h]))


@settings(max_examples=25, deadline=None)
@given(episodic_mdps(max_states=4))
def test_evaluation_from_the_first_difference_is_exact(mdp):
    """Skipping the evaluation of a policy that acts as the last evaluated one wherever that one
    goes, or evaluating it from the first stage where it does not, gives the exact value, bit
    for bit, whatever it does elsewhere."""
    P4, initial = with_unreachable_states(mdp)
    ws = _kernels.reachable_evaluation(P4, initial, mdp.H)
    assert _kernels.first_difference(np.zeros((mdp.H, mdp.S), dtype=np.int64), ws) == 0
    rng = np.random.default_rng(1)
    policy = rng.integers(0, mdp.A, size=(mdp.H, mdp.S))
    for _ in range(12):
        stage = rng.integers(0, mdp.H)  # a few actions of one stage change
        flip = rng.random(mdp.S) < 0.5
        policy[stage] = np.where(flip, rng.integers(0, mdp.A, size=mdp.S), policy[stage])
        first = _kernels.first_difference(policy, ws)
        assert first in (0, stage, mdp.H)
        if first < mdp.H:
            _kernels.evaluate_deterministic_reachable(P4, mdp.R, policy, initial, ws, first)
        dense = _kernels.evaluate_deterministic_kernel(P4, mdp.R, policy)
        assert ws.value[0] == _kernels.start_value(initial, dense[0])
        assert _kernels.first_difference(policy, ws) == mdp.H
    off = _kernels.reachable_evaluation(P4, initial, mdp.H, exact=False)
    assert _kernels.first_difference(policy, off) == mdp.H and np.isnan(off.value[0])


def test_greedy_backup_is_max_and_first_argmax():
    rng = np.random.default_rng(4)
    Q = rng.integers(0, 3, size=(6, 4)).astype(np.float64)  # many ties
    V = np.empty(6)
    policy = np.empty(6, dtype=np.int64)
    _kernels.greedy_backup(Q, V, policy)
    np.testing.assert_array_equal(V, Q.max(axis=1))
    np.testing.assert_array_equal(policy, Q.argmax(axis=1))
    # A tolerance sends near-ties to the smallest action.
    Q = np.array([[1.0 - 1e-13, 1.0, 0.5], [0.2, 0.9, 1.0]])
    _kernels.greedy_backup(Q, V[:2], policy[:2], 1e-12)
    np.testing.assert_array_equal(policy[:2], [0, 2])
    np.testing.assert_array_equal(V[:2], [1.0, 1.0])
    # A flat row of S A values, as the offline planner keeps them.
    flat = rng.random(6)
    _kernels.greedy_backup(flat.reshape(3, 2), V[:3], policy[:3])
    np.testing.assert_array_equal(policy[:3], flat.reshape(3, 2).argmax(axis=1))


@settings(max_examples=25, deadline=None)
@given(episodic_mdps(max_states=5))
def test_reachable_icvar_evaluation_is_bitwise_the_full_one(mdp):
    from mdptheory.risk import icvar_evaluate_kernel, icvar_evaluate_reachable

    P4, initial = with_unreachable_states(mdp)
    V = np.full((mdp.H + 1, mdp.S), 7.0)
    reach = np.zeros((mdp.H, mdp.S), dtype=np.bool_)
    order = np.empty(mdp.S, dtype=np.int64)
    rng = np.random.default_rng(0)
    for alpha in (0.0, 0.25, 1.0):
        policy = rng.integers(0, mdp.A, size=(mdp.H, mdp.S))
        value = icvar_evaluate_reachable(P4, mdp.R, alpha, policy, initial, V, reach, order)
        full = icvar_evaluate_kernel(P4, mdp.R, alpha, policy)
        assert value == _kernels.start_value(initial, full[0])


@pytest.mark.parametrize("dense", [False, True])
def test_first_difference_sees_only_the_reachable_states(dense):
    """A change at a state the evaluated policy does not reach needs no evaluation; one at a
    reachable state needs it from its stage on; on a chain (one reachable state a stage) as on
    dense rows (all reachable)."""
    H, S, A = 5, 6, 2
    rng = np.random.default_rng(3)
    if dense:
        P4 = rng.dirichlet(np.ones(S), size=(1, S, A))
    else:  # a deterministic chain: one state a stage
        P4 = np.zeros((1, S, A, S))
        for s in range(S):
            P4[0, s, 0, max(s - 1, 0)] = 1.0
            P4[0, s, 1, min(s + 1, S - 1)] = 1.0
    R3 = rng.random((H, S, A))
    initial = np.eye(S)[0]
    ws = _kernels.reachable_evaluation(P4, initial, H)
    policy = np.ones((H, S), dtype=np.int64)
    _kernels.evaluate_deterministic_reachable(P4, R3, policy, initial, ws)
    assert ws.reach[1:].all() if dense else (ws.counts == 1).all()
    unreachable = np.argwhere(~ws.reach)
    if len(unreachable):
        changed = policy.copy()
        changed[tuple(unreachable[-1])] = 0
        assert _kernels.first_difference(changed, ws) == H
    h, s = 2, int(np.flatnonzero(ws.reach[2])[0])
    changed = policy.copy()
    changed[h, s] = 0
    assert _kernels.first_difference(changed, ws) == h
    _kernels.evaluate_deterministic_reachable(P4, R3, changed, initial, ws, h)
    dense_value = _kernels.start_value(
        initial, _kernels.evaluate_deterministic_kernel(P4, R3, changed)[0]
    )
    assert ws.value[0] == dense_value
