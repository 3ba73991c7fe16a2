"""Numba kernels shared by the exact core and the learners.

Every kernel is ``@njit(cache=True)`` and takes float64 arrays in the library's layout:
episodic kernels ``P4[hp, s, a, s']`` with ``hp`` of length 1 (stationary) or H, rewards
``R3[h, s, a]``. Random kernels take a ``numpy.random.Generator`` so a compiled run draws the
same numbers as the seed says, bit for bit.

Reward-noise codes follow :class:`mdptheory.tabular.RewardNoise`: 0 deterministic,
1 Bernoulli, 2 Gaussian with ``sigma``.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit

BACKEND = f"numba {numba.__version__}"
"""Name of the JIT backend recorded in results."""


@njit(cache=True)
def sample_categorical(probabilities: np.ndarray, uniform: float) -> int:
    """Index ``i`` with ``cumsum[i-1] <= uniform < cumsum[i]`` (inverse-CDF sampling).

    Rounding can leave the total just below 1; a ``uniform`` beyond it falls on the last index
    with positive probability.
    """
    total = 0.0
    last_positive = 0
    for i in range(probabilities.shape[0]):
        p = probabilities[i]
        if p > 0.0:
            last_positive = i
            total += p
            if uniform < total:
                return i
    return last_positive


@njit(cache=True)
def draw_reward(mean: float, noise_code: int, sigma: float, rng) -> float:
    """One reward sample around ``mean`` under the given noise model."""
    if noise_code == 0:
        return mean
    if noise_code == 1:
        return 1.0 if rng.random() < mean else 0.0
    return mean + sigma * rng.standard_normal()


@njit(cache=True)
def stage_index(P4: np.ndarray, h: int) -> int:
    """Index of stage ``h`` in a kernel whose stage axis has length 1 or H."""
    return h if P4.shape[0] > 1 else 0


_NO_POLICY = np.zeros((0, 0), dtype=np.int64)
_NO_PROBABILITIES = np.zeros((0, 0, 0))
_NO_KERNEL = np.zeros((0, 0, 0, 0))
_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_DATA = np.zeros(0)


@njit(cache=True, inline="always")
def _rollout(P4, indptr, indices, data, R3, noise_code, sigma, initial, policy, probabilities, rng):
    """One episode; the one place that fixes the order of the draws.

    Draws: the start state, then at each step the action (stochastic policies only), the
    reward, the next state. The action is ``policy[h, s]``, or drawn from
    ``probabilities[h, s]`` when that array is not empty; the next state is drawn from
    ``P4[hp, s, a]``, or from the CSR row ``s * A + a`` when ``indptr`` is not empty. Inlined
    into each public rollout, where the placeholders are constants, so the branches fold away
    (called, they cost a third of a rollout).
    """
    H, _, A = R3.shape
    stochastic = probabilities.shape[0] > 0
    sparse = indptr.shape[0] > 0
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    rewards = np.empty(H, dtype=np.float64)
    s = sample_categorical(initial, rng.random())
    for h in range(H):
        if stochastic:
            a = sample_categorical(probabilities[h, s], rng.random())
        else:
            a = policy[h, s]
        states[h] = s
        actions[h] = a
        rewards[h] = draw_reward(R3[h, s, a], noise_code, sigma, rng)
        if sparse:
            row = s * A + a
            start, stop = indptr[row], indptr[row + 1]
            s = indices[start + sample_categorical(data[start:stop], rng.random())]
        else:
            s = sample_categorical(P4[stage_index(P4, h), s, a], rng.random())
    states[H] = s
    return states, actions, rewards


@njit(cache=True)
def rollout_episode(
    P4: np.ndarray,
    R3: np.ndarray,
    noise_code: int,
    sigma: float,
    initial: np.ndarray,
    policy: np.ndarray,
    rng,
):
    """Run one episode of a deterministic policy ``policy[h, s]``.

    Returns ``states`` (H + 1,), ``actions`` (H,) and sampled ``rewards`` (H,).
    """
    return _rollout(
        P4,
        _NO_ROWS,
        _NO_ROWS,
        _NO_DATA,
        R3,
        noise_code,
        sigma,
        initial,
        policy,
        _NO_PROBABILITIES,
        rng,
    )


@njit(cache=True)
def rollout_episode_stochastic(
    P4: np.ndarray,
    R3: np.ndarray,
    noise_code: int,
    sigma: float,
    initial: np.ndarray,
    policy: np.ndarray,
    rng,
):
    """As :func:`rollout_episode` for a stochastic policy ``policy[h, s, a]``."""
    return _rollout(
        P4, _NO_ROWS, _NO_ROWS, _NO_DATA, R3, noise_code, sigma, initial, _NO_POLICY, policy, rng
    )


@njit(cache=True)
def rollout_csr(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    R3: np.ndarray,
    noise_code: int,
    sigma: float,
    initial: np.ndarray,
    policy: np.ndarray,
    rng,
):
    """As :func:`rollout_episode` for a stationary sparse kernel in CSR form (row s*A + a)."""
    return _rollout(
        _NO_KERNEL,
        indptr,
        indices,
        data,
        R3,
        noise_code,
        sigma,
        initial,
        policy,
        _NO_PROBABILITIES,
        rng,
    )


@njit(cache=True)
def row_dot(row: np.ndarray, values: np.ndarray) -> float:
    """``sum_i row[i] values[i]`` by a plain loop, in index order.

    Inside compiled loops ``np.dot`` on vectors of a few dozen entries costs a BLAS call each
    time (several times the arithmetic); this loop costs the arithmetic. The planners and the
    evaluation below use the same loop, so an optimal policy evaluates to exactly ``V*``.
    """
    total = 0.0
    for i in range(row.shape[0]):
        total += row[i] * values[i]
    return total


@njit(cache=True)
def greedy_action(Q_h: np.ndarray, s: int, tie_tol: float = 0.0):
    """``(max_a Q_h[s, a], a)``, ``a`` the first action whose value is within ``tie_tol`` of the
    max.

    With ``tie_tol = 0`` (the default) ``a`` is the first maximiser, as ``np.argmax``. A positive
    ``tie_tol`` sends near-ties to the smallest action, so a choice between actions whose values
    are equal algebraically does not hang on the last ulp of their sums. The max first, then the
    scan for that action: one rule for both cases.
    """
    best = -np.inf
    for a in range(Q_h.shape[1]):
        if Q_h[s, a] > best:
            best = Q_h[s, a]
    best_a = 0
    while Q_h[s, best_a] < best - tie_tol:
        best_a += 1
    return best, best_a


@njit(cache=True)
def greedy_backup(
    Q_h: np.ndarray, V_h: np.ndarray, policy_h: np.ndarray, tie_tol: float = 0.0
) -> None:
    """The greedy step of one stage of a backward pass: ``V_h[s] = max_a Q_h[s, a]`` and
    ``policy_h[s]`` its first maximiser (:func:`greedy_action`), for every state s.

    ``Q_h`` is (S, A) (a flat row of S A values is passed as ``row.reshape(S, A)``), ``V_h`` and
    ``policy_h`` are (S,). A backward pass fills a stage's Q in its own way (exact backward
    induction, the optimistic planning of the learners) and ends the stage with this call.
    """
    for s in range(Q_h.shape[0]):
        V_h[s], policy_h[s] = greedy_action(Q_h, s, tie_tol)


@njit(cache=True)
def backward_arrays(H: int, S: int, A: int):
    """The arrays a backward pass fills: ``Q`` (H, S, A) uninitialised, ``V`` (H + 1, S) zero
    (so ``V[H] = 0``) and ``policy`` (H, S) of int64 zeros."""
    return np.empty((H, S, A)), np.zeros((H + 1, S)), np.zeros((H, S), dtype=np.int64)


@njit(cache=True)
def backward_induction_kernel(P4: np.ndarray, R3: np.ndarray):
    """Optimal finite-horizon values by backward induction.

    ``Q[h] = R3[h] + P_h V[h + 1]``, ``V[h] = max_a Q[h]``, ``V[H] = 0``; ties go to the
    smallest action. Returns ``Q`` (H, S, A), ``V`` (H + 1, S) and ``policy`` (H, S).
    """
    H, S, A = R3.shape
    Q, V, policy = backward_arrays(H, S, A)
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        next_value = V[h + 1]
        for s in range(S):
            for a in range(A):
                Q[h, s, a] = R3[h, s, a] + row_dot(P4[hp, s, a], next_value)
        greedy_backup(Q[h], V[h], policy[h])
    return Q, V, policy


@njit(cache=True)
def evaluate_deterministic_kernel(P4: np.ndarray, R3: np.ndarray, policy: np.ndarray):
    """Exact values ``V[h, s]`` (H + 1, S) of a deterministic policy ``policy[h, s]``.

    Plain loops (:func:`row_dot`), no BLAS call per state: this runs once per episode inside the
    learners' compiled loops, on vectors of S entries.
    """
    H, S, _ = R3.shape
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        for s in range(S):
            a = policy[h, s]
            V[h, s] = R3[h, s, a] + row_dot(P4[hp, s, a], V[h + 1])
    return V


@njit(cache=True)
def start_value(initial: np.ndarray, V0: np.ndarray) -> float:
    """``sum_s initial[s] V0[s]``: the value from the start distribution (plain loop)."""
    return row_dot(initial, V0)


@njit(cache=True)
def row_supports(P4: np.ndarray):
    """The nonzero entries of every row ``P4[hp, s, a]``, in CSR form (row ``(hp S + s) A + a``).

    Returns ``indptr`` (rows + 1,) and ``indices``: the support of row ``r`` is
    ``indices[indptr[r]:indptr[r + 1]]``, in increasing order. Computed once per run, it lets
    :func:`evaluate_deterministic_reachable` skip the zeros of sparse kernels (chains, grids).
    """
    HP, S, A, S2 = P4.shape
    n_rows = HP * S * A
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    for hp in range(HP):
        for s in range(S):
            for a in range(A):
                row = (hp * S + s) * A + a
                count = 0
                for t in range(S2):
                    if P4[hp, s, a, t] != 0.0:
                        count += 1
                indptr[row + 1] = indptr[row] + count
    indices = np.empty(indptr[n_rows], dtype=np.int64)
    k = 0
    for hp in range(HP):
        for s in range(S):
            for a in range(A):
                for t in range(S2):
                    if P4[hp, s, a, t] != 0.0:
                        indices[k] = t
                        k += 1
    return indptr, indices


class ReachableEvaluation(NamedTuple):
    """Workspace and memory of the exact evaluation of a learner's executed policies.

    Made once per run, for one kernel and one start distribution, by
    :func:`reachable_evaluation`; :func:`evaluate_deterministic_reachable` fills it. The value
    of a deterministic policy from the start distribution depends only on its actions at the
    states it can reach, so the value of the last evaluated policy serves every later policy
    that acts the same at those states (:func:`first_difference`).
    """

    indptr: np.ndarray
    """(rows + 1,) and ``indices``: the supports of the kernel's rows (:func:`row_supports`)."""
    indices: np.ndarray
    V: np.ndarray
    """(H + 1, S): the values at the reachable states of the last evaluation; ``V[H] = 0``."""
    reach: np.ndarray
    """(H, S) bool: ``reach[h, s]``, state s reachable at stage h."""
    members: np.ndarray
    """(H, S) int64: ``members[h, :counts[h]]`` are the states reachable at stage h (at stage
    0 the start states, in increasing order, fixed when the workspace is made)."""
    counts: np.ndarray
    """(H,) int64."""
    evaluated: np.ndarray
    """(H, S) int64: the last evaluated policy, at its reachable states."""
    value: np.ndarray
    """(1,): its value from the start distribution; NaN before the first evaluation."""
    exact: bool
    """False: no evaluation at all, the value is NaN (the loop timed without its oracle)."""


def reachable_evaluation(
    P4: np.ndarray, initial: np.ndarray, H: int, exact: bool = True
) -> ReachableEvaluation:
    """A fresh :class:`ReachableEvaluation` for policies of horizon ``H`` on the kernel ``P4``
    from the start distribution ``initial``."""
    S = P4.shape[1]
    indptr, indices = row_supports(P4)
    reach = np.zeros((H, S), dtype=np.bool_)
    members = np.zeros((H, S), dtype=np.int64)
    counts = np.zeros(H, dtype=np.int64)
    starts = np.flatnonzero(np.asarray(initial) > 0.0)
    reach[0, starts] = True
    members[0, : starts.size] = starts
    counts[0] = starts.size
    return ReachableEvaluation(
        indptr,
        indices,
        np.zeros((H + 1, S)),
        reach,
        members,
        counts,
        np.zeros((H, S), dtype=np.int64),
        np.full(1, np.nan),
        bool(exact),
    )


@njit(cache=True)
def evaluate_deterministic_reachable(
    P4: np.ndarray,
    R3: np.ndarray,
    policy: np.ndarray,
    initial: np.ndarray,
    ws: ReachableEvaluation,
    first: int = 0,
) -> float:
    """``sum_s initial[s] V^pi_0(s)`` of a deterministic policy, over the reachable states only.

    ``ws`` comes from :func:`reachable_evaluation` for the same ``P4`` and ``initial``. A
    forward pass lists in ``ws.members``/``ws.counts`` (and marks in ``ws.reach``) the states
    the policy can occupy at each stage, unmarking those of the previous call first; the
    backward pass then runs over those states only, summing over the nonzeros of their rows
    (a zero term would add exactly 0), writing ``ws.V`` there and leaving the other entries as
    they were. A reachable state's successors under its action are reachable, so every value
    read was computed in this call, by the same sums in the same order as the dense loop; the
    start states are summed in increasing order and a state of weight 0 would add exactly 0.
    The result is therefore bit for bit
    ``start_value(initial, evaluate_deterministic_kernel(P4, R3, policy)[0])``. The cost is the
    number of nonzeros of the reachable rows: on a chain with one start state, H rows instead
    of H S. The actions evaluated and the value are kept in ``ws.evaluated`` and ``ws.value``
    (see :func:`first_difference`).

    ``first > 0`` says that ``policy`` takes the actions of the last evaluated one at every
    reachable state of the stages before ``first`` (:func:`first_difference`): the states
    reachable up to stage ``first`` are then those of the last call, and the forward pass
    starts there.
    """
    H, S, A = R3.shape
    # Fields taken out once: each access to a tuple's array costs a reference count.
    reach, members, counts, V = ws.reach, ws.members, ws.counts, ws.V
    indptr, indices, evaluated = ws.indptr, ws.indices, ws.evaluated
    for h in range(first, H - 1):
        hp = stage_index(P4, h)
        for i in range(counts[h + 1]):
            reach[h + 1, members[h + 1, i]] = False
        n = 0
        for i in range(counts[h]):
            s = members[h, i]
            row = (hp * S + s) * A + policy[h, s]
            for k in range(indptr[row], indptr[row + 1]):
                t = indices[k]
                if not reach[h + 1, t]:
                    reach[h + 1, t] = True
                    members[h + 1, n] = t
                    n += 1
        counts[h + 1] = n
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        for i in range(counts[h]):
            s = members[h, i]
            a = policy[h, s]
            evaluated[h, s] = a
            row = (hp * S + s) * A + a
            total = 0.0
            for k in range(indptr[row], indptr[row + 1]):
                t = indices[k]
                total += P4[hp, s, a, t] * V[h + 1, t]
            V[h, s] = R3[h, s, a] + total
    total = 0.0
    for i in range(counts[0]):
        s = members[0, i]
        total += initial[s] * V[0, s]
    ws.value[0] = total
    return total


@njit(cache=True)
def first_difference(policy: np.ndarray, ws: ReachableEvaluation) -> int:
    """The first stage at which ``policy`` acts differently from the last evaluated policy at a
    state that one reaches: 0 before the first evaluation, H if there is none, and always H
    when ``ws.exact`` is False (nothing is evaluated, ``ws.value`` stays NaN).

    At H the two policies reach the same states and take the same actions there, so their
    values are equal, bit for bit, and ``ws.value`` is the value of ``policy``; otherwise
    ``evaluate_deterministic_reachable(..., ws, first)`` (or another evaluation followed by
    :func:`remember`) brings it up to date. This is how the learners evaluate the executed
    policy exactly in every episode at the cost, in most of them, of one pass comparing two
    policies. The check is written in the learners' loops rather than wrapped with the
    evaluation in one function: a compiled call costs a reference count per array argument,
    which an episode of a few microseconds notices.
    """
    evaluated, reach = ws.evaluated, ws.reach
    H, S = evaluated.shape
    if not ws.exact:
        return H
    if np.isnan(ws.value[0]):
        return 0
    for h in range(H):
        # Whether the stage differs anywhere, without a branch per state (the compiler
        # vectorises it); only then, where.
        differs = False
        for s in range(S):
            differs |= policy[h, s] != evaluated[h, s]
        if differs:
            for s in range(S):
                if policy[h, s] != evaluated[h, s] and reach[h, s]:
                    return h
    return H


@njit(cache=True)
def remember(policy: np.ndarray, value: float, ws: ReachableEvaluation) -> None:
    """Keep the actions of ``policy`` at the states marked in ``ws.reach`` and its ``value``,
    after an evaluation that marked them itself (such as
    :func:`mdptheory.risk.icvar_evaluate_reachable`), as
    :func:`evaluate_deterministic_reachable` does by itself."""
    reach, evaluated = ws.reach, ws.evaluated
    H, S = reach.shape
    for h in range(H):
        for s in range(S):
            if reach[h, s]:
                evaluated[h, s] = policy[h, s]
    ws.value[0] = value


@njit(cache=True)
def cholesky_inverse(M: np.ndarray) -> tuple[np.ndarray, float]:
    """``(M^{-1}, log det M)`` of a symmetric positive definite matrix ``M``, from its Cholesky
    factor ``L`` (``M = L L^T``): ``log det M = 2 sum_i log L_ii`` and ``M^{-1} = W^T W`` with
    ``L W = I`` solved by forward substitution.

    The exact recomputation behind the rank-one (Sherman-Morrison) updates of the linear
    learners' Gram matrices, which drift from ``M^{-1}`` in floating point.

    Examples
    --------
    >>> inv, log_det = cholesky_inverse(np.array([[4.0, 2.0], [2.0, 3.0]]))
    >>> bool(np.allclose(inv @ np.array([[4.0, 2.0], [2.0, 3.0]]), np.eye(2)))
    True
    >>> round(float(np.exp(log_det)), 12)
    8.0
    """
    d = M.shape[0]
    chol = np.linalg.cholesky(M)
    log_det = 0.0
    for i in range(d):
        log_det += 2.0 * np.log(chol[i, i])
    # W = L^{-1} is lower triangular: column by column, from the diagonal down.
    W = np.zeros((d, d))
    for col in range(d):
        for i in range(col, d):
            s = 1.0 if i == col else 0.0
            for m in range(col, i):
                s -= chol[i, m] * W[m, col]
            W[i, col] = s / chol[i, i]
    return W.T @ W, log_det


@njit(cache=True)
def matvec_into(M: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """``out = M x`` by plain loops, each entry summed in index order (as :func:`row_dot`).

    For the small matrices of the learners' rank-one updates, where a BLAS call costs more
    than the arithmetic; ``out`` must not share memory with ``M`` or ``x``.

    Examples
    --------
    >>> out = np.empty(2)
    >>> matvec_into(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]), out)
    >>> out.tolist()
    [3.0, 7.0]
    """
    n, m = M.shape
    for i in range(n):
        total = 0.0
        for j in range(m):
            total += M[i, j] * x[j]
        out[i] = total
