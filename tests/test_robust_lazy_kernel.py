"""Robust value iteration writes the worst-case kernel on demand: the final backup's values and
the policy's rows equal those of the eager ``worst_case`` bit for bit, for every set and both
KL paths, and the kernel written on first access is the eager one. The KL ball's series moments,
shared among the cores, equal the serial ones."""

import pickle

import numpy as np
import pytest
from conftest import property_settings
from hypothesis import given
from hypothesis import strategies as st

import mdptheory.robust._tilt as tilt_module
import mdptheory.robust.planning as planning_module
from mdptheory import FiniteMDP
from mdptheory.evaluation import evaluate
from mdptheory.robust import UncertaintySet, robust_value_iteration
from mdptheory.robust.sets import ANCHORED_ROWS
from mdptheory.threads import numba_threads

SETS = [
    UncertaintySet("kl", radius=0.1),
    UncertaintySet("kl", radius=3.0),
    UncertaintySet("kl", penalty=1.0),
    UncertaintySet("tv", radius=0.2),
    UncertaintySet("tv", radius=0.3, support="nominal"),
    UncertaintySet("tv", penalty=0.5),
    UncertaintySet("chi2", radius=0.1),
    UncertaintySet("chi2", radius=2.0),
    UncertaintySet("chi2", penalty=1.0),
    UncertaintySet("tv", radius=0.0),
]


def _rows(seed: int, n: int, S: int):
    rng = np.random.default_rng(seed)
    P = rng.random((n, S)) ** 2
    P[rng.random((n, S)) < 0.3] = 0.0
    P[:, 0] += 0.01
    P /= P.sum(axis=1, keepdims=True)
    return P, rng.random(S) * 4.0 - 1.0


def _model(seed: int, S: int, A: int) -> FiniteMDP:
    P, _ = _rows(seed, S * A, S)
    return FiniteMDP(P.reshape(S, A, S), np.random.default_rng(seed + 1).random((S, A)), 0.9)


@pytest.mark.parametrize("uncertainty", SETS, ids=lambda u: u.label)
@pytest.mark.parametrize("n", [40, ANCHORED_ROWS + 20])
def test_final_values_and_rows_equal_the_eager_worst_case_bit_for_bit(uncertainty, n):
    P, V = _rows(n, n, 17)
    rng = np.random.default_rng(0)
    warm = np.where(rng.random(n) < 0.5, rng.random(n) * 3.0, 0.0)  # some warm, some cold
    eager_values, eager_Q2 = uncertainty.worst_case(P, V, warm.copy())
    after = warm.copy()
    values = uncertainty.worst_case_values(P, V, after)
    assert np.array_equal(values, eager_values)
    rows = rng.permutation(n)[: n // 3]
    Q2 = uncertainty.worst_case_minimisers(P, V, warm, after, rows)
    assert np.array_equal(Q2, eager_Q2[rows])
    every = uncertainty.worst_case_minimisers(P, V, warm, after, np.arange(n))
    assert np.array_equal(every, eager_Q2)


@pytest.mark.parametrize("uncertainty", SETS[:7], ids=lambda u: u.label)
def test_lazy_kernel_equals_the_eager_one_bit_for_bit(uncertainty):
    # S A = 300 rows: the KL ball takes the anchored path
    mdp = _model(5, 30, 10)
    solution = robust_value_iteration(mdp, uncertainty, tol=1e-9)
    assert "worst_kernel" not in vars(solution)  # nothing written before it is asked for
    S, A = mdp.S, mdp.A
    deferred = solution.kernel_source
    P2 = mdp.P.reshape(S * A, S)
    eager = uncertainty.worst_case(P2, solution.values, deferred.warm.copy())[1].reshape(S, A, S)
    kernel = solution.worst_kernel
    assert np.array_equal(kernel, eager)
    assert solution.worst_kernel is kernel  # written once
    # the policy value was computed from the same rows as the kernel holds
    states = np.arange(S)
    policy_mdp = FiniteMDP(
        kernel[states, solution.policy][:, None, :],
        mdp.R[states, solution.policy][:, None],
        mdp.gamma,
    )
    assert np.array_equal(solution.policy_values, evaluate(policy_mdp, np.zeros(S, dtype=np.int64)))
    # and the q-values are those of the kernel's rows
    inner = (kernel.reshape(S * A, S) @ solution.values).reshape(S, A)
    if not uncertainty.penalised:
        np.testing.assert_allclose(
            solution.q, mdp.R + mdp.gamma * inner, atol=1e-10 * (1 + np.abs(solution.values).max())
        )


def test_a_solution_with_a_deferred_kernel_pickles():
    mdp = _model(2, 12, 3)
    solution = robust_value_iteration(mdp, UncertaintySet("kl", radius=0.2), tol=1e-9)
    copy = pickle.loads(pickle.dumps(solution))
    assert np.array_equal(copy.worst_kernel, solution.worst_kernel)
    assert np.array_equal(copy.values, solution.values)


@given(seed=st.integers(0, 2**31), rho=st.floats(1e-3, 2.0))
@property_settings(4)
def test_kernel_rows_are_in_the_ball_and_attain_the_values(seed, rho):
    mdp = _model(seed % 1000, 30, 9)  # 270 rows: the anchored KL path
    ball = UncertaintySet("kl", radius=rho)
    solution = robust_value_iteration(mdp, ball, tol=1e-9)
    kernel = solution.worst_kernel.reshape(-1, mdp.S)
    np.testing.assert_allclose(kernel.sum(axis=1), 1.0, atol=1e-12)
    for r in (0, 100, 269):
        assert ball.contains(mdp.P.reshape(-1, mdp.S)[r], kernel[r])


@given(seed=st.integers(0, 2**31), n=st.integers(1, 23), S=st.integers(1, 40), k=st.integers(1, 19))
@property_settings(25)
def test_parallel_moments_equal_the_serial_ones(seed, n, S, k):
    rng = np.random.default_rng(seed)
    P = rng.random((n, S))
    Ft = rng.random((k, S)) * np.exp(-rng.random((k, 1)) * 5.0)
    parallel = tilt_module.dense_moments(P, Ft)
    with numba_threads(1):
        serial = tilt_module.dense_moments(P, Ft)
    assert parallel.shape == (n, k)
    # one thread per entry in a fixed order: the same bits, and within 1e-12 of the product
    assert np.array_equal(parallel, serial)
    np.testing.assert_allclose(parallel, P @ Ft.T, rtol=1e-12, atol=1e-300)


@given(seed=st.integers(0, 2**31), n=st.integers(1, 30), S=st.integers(1, 30), k=st.integers(1, 14))
@property_settings(20)
def test_moments_of_a_block_of_rows_equal_the_dense_ones(seed, n, S, k):
    rng = np.random.default_rng(seed)
    P = rng.random((n, S))
    Ft = rng.random((k, S))
    rows = np.sort(rng.permutation(n)[: int(rng.integers(1, n + 1))])
    G = tilt_module.rows_moments(P, rows, Ft)
    np.testing.assert_allclose(G, P[rows] @ Ft.T, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(G, tilt_module.block_moments(P, rows, Ft.T), rtol=1e-12)
    # a pair of rows gets the same bits whether the block holds every row or some of them
    if rows.size % 2 == 0:
        assert np.array_equal(G, tilt_module.dense_moments(np.ascontiguousarray(P[rows]), Ft))


@pytest.mark.parametrize("uncertainty", SETS[:9], ids=lambda u: u.label)
def test_robust_evaluate_uses_the_policy_rows_and_writes_the_kernel_on_demand(uncertainty):
    mdp = _model(8, 30, 10)  # 300 rows: the KL ball takes the anchored path
    S, A = mdp.S, mdp.A
    policy = np.random.default_rng(3).integers(A, size=S)
    result = planning_module.robust_evaluate(mdp, policy, uncertainty, tol=1e-10)
    assert "worst_kernel" not in vars(result)
    eager = uncertainty.worst_case(mdp.P.reshape(S * A, S), result.values)[1].reshape(S, A, S)
    assert np.array_equal(result.worst_kernel, eager)
    # the same policy as probabilities takes the path through the whole kernel
    one_hot = np.eye(A)[policy]
    full = planning_module.robust_evaluate(mdp, one_hot, uncertainty, tol=1e-10)
    np.testing.assert_allclose(result.values, full.values, rtol=0, atol=1e-10)
    assert result.iterations == full.iterations
    assert np.array_equal(full.worst_kernel, full.kernel_source)


def test_the_deferred_kernel_does_not_follow_edits_of_the_returned_values():
    mdp = _model(4, 30, 10)
    ball = UncertaintySet("kl", radius=0.3)
    first = robust_value_iteration(mdp, ball, tol=1e-9)
    second = robust_value_iteration(mdp, ball, tol=1e-9)
    second.values[:] = 0.0  # the caller's array; the kernel keeps its own copy
    assert np.array_equal(second.worst_kernel, first.worst_kernel)
