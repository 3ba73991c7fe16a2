"""Compiled CVaR walks: many distributions, one value vector, one sort.

The values are sorted once and each distribution is walked in that order until the mass
``alpha`` is covered (:func:`cvar_sorted_row`, the lower-tail CVaR of
:mod:`mdptheory.risk.measures`). On this walk stand :func:`cvar_rows_kernel` (the backup of
:func:`~mdptheory.risk.measures.cvar_backup`), iterated-CVaR backward induction
(:func:`icvar_dp_kernel`, Du, Wang, Huang, ICLR 2023, eq. (ii)) and the iterated-CVaR value of
a policy (:func:`icvar_evaluate_kernel`, eq. (i), and :func:`icvar_evaluate_reachable`, the
same over the reachable states only, which ICVaR-RM calls every episode). Stages are
``h = 0..H-1`` here and ``1..H`` in the paper.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mdptheory._kernels import backward_arrays, greedy_backup, stage_index

__all__ = [
    "INSERTION_SORT_MAX",
    "cvar_rows_kernel",
    "cvar_sorted_row",
    "icvar_dp_kernel",
    "icvar_evaluate_kernel",
    "icvar_evaluate_reachable",
    "stable_order",
]


@njit(cache=True)
def cvar_sorted_row(
    weights: np.ndarray, total: float, values: np.ndarray, order: np.ndarray, alpha: float
) -> float:
    """CVaR^alpha of ``values`` under ``weights / total``, ``order`` sorting ``values`` ascending.

    ``weights`` may be probabilities (``total = 1``) or visit counts (``total`` = their sum),
    so empirical CVaRs are computed without forming ``p̂``. ``alpha = 0`` is the worst-path
    limit: the smallest value with positive weight. Walks the sorted atoms until the mass
    ``alpha * total`` is covered: O(n) with an early stop, no allocation.
    """
    threshold = alpha * total
    below_mass = 0.0  # sum of weights of atoms below the current one
    below_moment = 0.0  # sum of weight * value of those atoms
    last = -1
    for j in range(order.shape[0]):
        s = order[j]
        w = weights[s]
        if w <= 0.0:
            continue
        x = values[s]
        if alpha == 0.0:
            return x
        last = s
        if below_mass + w >= threshold:
            # x is VaR^alpha: CVaR = x - (1/alpha) sum_{i below} p_i (x - v_i).
            return x - (below_mass * x - below_moment) / threshold
        below_mass += w
        below_moment += w * x
    # Rounding left the total weight a hair below alpha * total: the VaR atom is the largest.
    x = values[last]
    return x - (below_mass * x - below_moment) / threshold


@njit(cache=True)
def cvar_rows_kernel(P2: np.ndarray, values: np.ndarray, alpha: float, out: np.ndarray) -> None:
    """``out[i] = CVaR^alpha_{s' ~ P2[i]}(values[s'])`` for every row; one sort of ``values``."""
    order = np.argsort(values, kind="mergesort")
    for i in range(P2.shape[0]):
        out[i] = cvar_sorted_row(P2[i], 1.0, values, order, alpha)


@njit(cache=True)
def icvar_dp_kernel(P4: np.ndarray, R3: np.ndarray, alpha: float):
    """Iterated-CVaR backward induction (Du, Wang, Huang 2023, eq. (ii)); alpha = 0: eq. (2).

    ``Q[h, s, a] = R3[h, s, a] + CVaR^alpha_{s' ~ P_h(.|s, a)}(V[h + 1, s'])``,
    ``V[h] = max_a Q[h]``, ``V[H] = 0``; one sort of ``V[h + 1]`` per stage, ties to the
    smallest action. Returns ``Q`` (H, S, A), ``V`` (H + 1, S), ``policy`` (H, S).
    """
    H, S, A = R3.shape
    Q, V, policy = backward_arrays(H, S, A)
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        next_value = V[h + 1]
        order = np.argsort(next_value, kind="mergesort")
        for s in range(S):
            for a in range(A):
                Q[h, s, a] = R3[h, s, a] + cvar_sorted_row(
                    P4[hp, s, a], 1.0, next_value, order, alpha
                )
        greedy_backup(Q[h], V[h], policy[h])
    return Q, V, policy


@njit(cache=True)
def icvar_evaluate_kernel(
    P4: np.ndarray, R3: np.ndarray, alpha: float, policy: np.ndarray
) -> np.ndarray:
    """Iterated-CVaR values ``V[h, s]`` (H + 1, S) of a deterministic policy (eq. (i))."""
    H, S, _ = R3.shape
    V = np.zeros((H + 1, S))
    order = np.empty(S, dtype=np.int64)
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        next_value = V[h + 1]
        stable_order(next_value, order)
        for s in range(S):
            a = policy[h, s]
            V[h, s] = R3[h, s, a] + cvar_sorted_row(P4[hp, s, a], 1.0, next_value, order, alpha)
    return V


@njit(cache=True)
def icvar_evaluate_reachable(
    P4: np.ndarray,
    R3: np.ndarray,
    alpha: float,
    policy: np.ndarray,
    initial: np.ndarray,
    V: np.ndarray,
    reach: np.ndarray,
    order: np.ndarray,
) -> float:
    """``sum_s initial[s] V_0(s)`` of :func:`icvar_evaluate_kernel`, over reachable states only.

    A forward pass marks in ``reach`` (H, S) the states the policy can occupy from ``initial``;
    the backward pass computes ``V`` (H + 1, S) at those states only, each stage sorting only
    the values of the states reachable at the next one (``order``, length S, is workspace). A
    reachable row puts weight on reachable states only, and the atoms it walks come in the same
    stable order as in the full sort, so every value is bit for bit that of
    :func:`icvar_evaluate_kernel`; unreachable start states have weight 0.
    """
    H, S, _ = R3.shape
    for s in range(S):
        reach[0, s] = initial[s] > 0.0
        V[H, s] = 0.0
    for h in range(H - 1):
        hp = stage_index(P4, h)
        for t in range(S):
            reach[h + 1, t] = False
        for s in range(S):
            if reach[h, s]:
                row = P4[hp, s, policy[h, s]]
                for t in range(S):
                    if row[t] > 0.0:
                        reach[h + 1, t] = True
    for h in range(H - 1, -1, -1):
        hp = stage_index(P4, h)
        next_value = V[h + 1]
        if h == H - 1:
            n = S  # V_H = 0 everywhere
            stable_order(next_value, order)
        else:
            n = 0  # reachable states, then a stable sort
            for t in range(S):
                if reach[h + 1, t]:
                    order[n] = t
                    n += 1
            _insertion_sort(next_value, order, n)
        for s in range(S):
            if reach[h, s]:
                a = policy[h, s]
                V[h, s] = R3[h, s, a] + cvar_sorted_row(
                    P4[hp, s, a], 1.0, next_value, order[:n], alpha
                )
    total = 0.0
    for s in range(S):
        total += initial[s] * V[0, s]
    return total


INSERTION_SORT_MAX = 32
"""Up to this many atoms :func:`stable_order` sorts by insertion (no allocation)."""


@njit(cache=True)
def stable_order(values: np.ndarray, order: np.ndarray) -> None:
    """``order`` = the stable ascending argsort of ``values`` (``np.argsort(kind="mergesort")``).

    Short vectors are sorted by insertion into ``order`` itself, which is stable and allocates
    nothing (this runs once per stage of every exact evaluation inside the learners' loops);
    longer ones by ``np.argsort`` with the stable mergesort. Both give the same permutation.
    """
    n = values.shape[0]
    if n > INSERTION_SORT_MAX:
        order[:] = np.argsort(values, kind="mergesort")
        return
    for i in range(n):
        order[i] = i
    _insertion_sort(values, order, n)


@njit(cache=True)
def _insertion_sort(values: np.ndarray, order: np.ndarray, n: int) -> None:
    """Sort the indices ``order[:n]`` by ``values``, ascending and stable, in place."""
    for i in range(1, n):
        current = order[i]
        x = values[current]
        j = i - 1
        while j >= 0 and values[order[j]] > x:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = current
