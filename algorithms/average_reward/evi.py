r"""Extended value iteration (Jaksch, Ortner, Auer 2010, section 3.1.2 and Figure 2).

EVI finds an optimistic policy and model in a set of plausible MDPs: rewards within
``rad_r(s, a)`` of ``r_hat``, kernels in a set ``P(s, a)`` around ``p_hat``. It iterates::

    u_0 = 0,    u_{i+1}(s) = max_a { r_tilde(s, a) + max_{p in P(s, a)} sum_s' p(s') u_i(s') }

with ``r_tilde = min(1, r_hat + rad_r)`` (rewards in [0, 1]) and stops at the first ``i`` with
``max_s (u_{i+1} - u_i)(s) - min_s (u_{i+1} - u_i)(s) < epsilon``; the policy greedy in that
last sweep is ``epsilon``-optimal in the extended MDP (the paper's Theorem 7), and the
optimistic gain lies in ``[min(u_{i+1} - u_i), max(u_{i+1} - u_i)]``.

Inner maximisation, exact, by sorting (no LP):

* **L1 ball** (UCRL2, Figure 2): ``P(s, a) = {p in simplex : ||p - p_hat||_1 <= d}``. Sort the
  states by ``u`` in decreasing order ``s'_1, ..., s'_S``; set ``p(s'_1) = min{1, p_hat(s'_1) +
  d / 2}`` and ``p(s'_j) = p_hat(s'_j)`` for ``j > 1``; then, for ``l = S, S - 1, ...`` while
  ``sum_j p(s'_j) > 1``, set ``p(s'_l) = max{0, 1 - sum_{j != l} p(s'_j)}``.
* **Box** (UCRL2-B, per-coordinate Bernstein): ``p(s') in [max(0, p_hat - b), min(1, p_hat +
  b)]``: start every ``p(s')`` at its lower end and pour the remaining mass onto the states in
  decreasing order of ``u``, each up to its upper end.

An unvisited pair (``N(s, a) = 0``, ``p_hat = 0``) has the whole simplex as its set (the
paper's L1 radius is above 2 there for every ``delta < 1``): ``p`` puts all mass on ``s'_1``.

``u`` is shifted by its minimum after every sweep (the differences, the stopping rule and the
greedy policy do not change; the shift keeps ``u`` bounded on long runs). ``tau > 0`` runs the
aperiodicity transform ``u <- tau u + (1 - tau) L u`` (same gains and optimal policies,
Puterman 1994, 8.5.4), for planners without the L1 ball's self-loop; UCRL2 uses ``tau = 0``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

L1 = 0
BOX = 1


@njit(cache=True)
def descending_order(u: np.ndarray) -> np.ndarray:
    """States sorted by ``u`` in decreasing order (ties: smaller state first)."""
    return np.argsort(-u, kind="mergesort")


@njit(cache=True)
def l1_inner_max(p_hat: np.ndarray, d: float, u: np.ndarray, order: np.ndarray) -> float:
    """``max {p . u : p in simplex, ||p - p_hat||_1 <= d}`` by Figure 2 (``order`` sorts ``u``
    in decreasing order); ``p_hat`` all zero means an unvisited pair (whole simplex)."""
    S = p_hat.shape[0]
    top = order[0]
    mass = 0.0
    for j in range(S):
        mass += p_hat[j]
    if mass == 0.0:
        return u[top]
    p = p_hat.copy()
    p[top] = min(1.0, p_hat[top] + 0.5 * d)
    total = mass - p_hat[top] + p[top]
    ell = S - 1
    while total > 1.0 and ell > 0:
        j = order[ell]
        old = p[j]
        new = max(0.0, 1.0 - (total - old))
        p[j] = new
        total += new - old
        ell -= 1
    value = 0.0
    for j in range(S):
        value += p[j] * u[j]
    return value


@njit(cache=True)
def box_inner_max(p_hat: np.ndarray, width: np.ndarray, u: np.ndarray, order: np.ndarray) -> float:
    """``max {p . u : p in simplex, |p(s') - p_hat(s')| <= width(s')}``: lower ends, then the
    remaining mass poured in decreasing order of ``u``."""
    S = p_hat.shape[0]
    mass = 0.0
    for j in range(S):
        mass += p_hat[j]
    if mass == 0.0:
        return u[order[0]]
    value = 0.0
    remaining = 1.0
    for j in range(S):
        low = max(0.0, p_hat[j] - width[j])
        remaining -= low
        value += low * u[j]
    for k in range(S):
        if remaining <= 0.0:
            break
        j = order[k]
        low = max(0.0, p_hat[j] - width[j])
        room = min(1.0, p_hat[j] + width[j]) - low
        add = min(room, remaining)
        value += add * u[j]
        remaining -= add
    return value


@njit(cache=True)
def extended_value_iteration(
    p_hat: np.ndarray,
    r_tilde: np.ndarray,
    radius: np.ndarray,
    kind: int,
    epsilon: float,
    max_iter: int,
    tau: float,
    u: np.ndarray,
    policy: np.ndarray,
):
    """EVI until the span of ``u_{i+1} - u_i`` is below ``epsilon``.

    Parameters
    ----------
    p_hat : (S, A, S)
        Empirical kernel (rows all zero for unvisited pairs).
    r_tilde : (S, A)
        Optimistic rewards, already clipped to [0, 1].
    radius : (S, A, 1) for ``kind = L1`` (the L1 radius d), (S, A, S) for ``kind = BOX``
        (the half-width of each coordinate's interval).
    u, policy : (S,) outputs
        The last iterate ``u_{i+1}`` (shifted, minimum 0) and the greedy policy of that sweep.

    Returns
    -------
    iterations : int
    low, high : float
        ``min`` and ``max`` of ``u_{i+1} - u_i`` at the stop: the optimistic gain lies between.
    converged : bool
        False when ``max_iter`` sweeps did not reach the stopping rule.
    """
    S, A = r_tilde.shape
    for s in range(S):
        u[s] = 0.0
    new = np.empty(S)
    low = 0.0
    high = 0.0
    for i in range(1, max_iter + 1):
        order = descending_order(u)
        for s in range(S):
            best = -np.inf
            best_a = 0
            for a in range(A):
                if kind == L1:
                    inner = l1_inner_max(p_hat[s, a], radius[s, a, 0], u, order)
                else:
                    inner = box_inner_max(p_hat[s, a], radius[s, a], u, order)
                q = r_tilde[s, a] + (1.0 - tau) * inner + tau * u[s]
                if q > best:
                    best = q
                    best_a = a
            new[s] = best
            policy[s] = best_a
        low = np.inf
        high = -np.inf
        for s in range(S):
            diff = new[s] - u[s]
            low = min(low, diff)
            high = max(high, diff)
        shift = new.min()
        for s in range(S):
            u[s] = new[s] - shift
        if high - low < epsilon:
            return i, low, high, True
    return max_iter, low, high, False


__all__ = [
    "BOX",
    "L1",
    "box_inner_max",
    "descending_order",
    "extended_value_iteration",
    "l1_inner_max",
]
