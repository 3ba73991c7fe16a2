r"""The s-rectangular TV set: one budget shared by the actions of a state.

At state ``s`` nature picks rows ``q_a`` for every action with a total TV budget
(Wiesemann, Kuhn, Rustem 2013, s-rectangularity; TV as ``1/2 ||q - p||_1``)::

    U_s = { (q_a)_a : q_a in simplex, sum_a 1/2 ||q_a - P(.|s,a)||_1 <= rho }

and the robust value is ``V(s) = max_pi min_{q in U_s} sum_a pi_a (R(s,a) + gamma q_a . V)``
over randomised ``pi`` (a deterministic policy need not be optimal here). The set is convex and
compact and the objective bilinear, so the max and min swap::

    V(s) = min_{b >= 0, sum_a b_a <= rho} max_a f_a(b_a),
    f_a(b) = R(s,a) + gamma inf_{TV(q, P(.|s,a)) <= b} q.V

Each ``f_a`` is convex, decreasing and piecewise linear (the TV walk of
:mod:`mdptheory.robust.sets`: mass moves from the top of ``V`` to its minimum), so the minimum is
a water level: the smallest ``t`` whose budgets ``b_a(t) = min{b : f_a(b) <= t}`` sum to at most
``rho``, found by bisection on ``t`` to a few ulps. For a fixed policy the inner minimum is a
fractional knapsack: pieces of mass ``P(j|s,a)`` and worth ``pi_a gamma (V_j - min V)`` filled
greedily by worth up to ``rho``.

Provided: the optimal robust values by value iteration (:func:`s_rectangular_tv_values`) and
the robust value of a fixed policy (:func:`s_rectangular_tv_evaluate`), each with the
contraction certificate. The optimal randomised policy is in
:mod:`mdptheory.robust.s_rectangular_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from mdptheory._validation import check_max_iter, check_real, check_tol, check_value_scale
from mdptheory.evaluation import as_stochastic, check_policy
from mdptheory.tabular import FiniteMDP


@dataclass(frozen=True)
class SRectangularValues:
    """Robust values ``values`` (S,) within ``bound`` of the fixed point, after ``iterations``
    sweeps, with the reason the iteration stopped."""

    values: np.ndarray
    bound: float
    iterations: int
    stop_reason: str


@njit(cache=True)
def _budget_needed(p, V, order, need):
    """Least TV budget whose walk lowers ``p.V`` by ``need`` (inf if it cannot)."""
    if need <= 0.0:
        return 0.0
    v_min = V[order[0]]
    budget = 0.0
    for k in range(order.shape[0] - 1, -1, -1):
        j = order[k]
        drop = V[j] - v_min
        if drop <= 0.0:
            break
        m = p[j]
        if m <= 0.0:
            continue
        if m * drop >= need:
            return budget + need / drop
        need -= m * drop
        budget += m
    return np.inf


@njit(cache=True)
def _state_values(P, R, V, gamma, rho):
    """Water level of every state: ``min_b max_a f_a(b_a)`` with ``sum_a b_a <= rho``."""
    S, A = R.shape
    order = np.argsort(V, kind="mergesort")
    v_min = V[order[0]]
    out = np.empty(S)
    top = np.empty(A)
    for s in range(S):
        low = -np.inf
        high = -np.inf
        for a in range(A):
            pv = 0.0
            for j in range(S):
                pv += P[s, a, j] * V[j]
            top[a] = R[s, a] + gamma * pv
            low = max(low, R[s, a] + gamma * v_min)  # no budget lowers f_a below this
            high = max(high, top[a])
        # bisection on the level t: the budget needed to push every action down to t
        for _ in range(200):
            t = 0.5 * (low + high)
            if not (low < t < high):
                break
            total = 0.0
            for a in range(A):
                if top[a] > t:
                    total += _budget_needed(P[s, a], V, order, (top[a] - t) / gamma)
            if total <= rho:
                high = t
            else:
                low = t
        out[s] = high
    return out


@njit(cache=True)
def _policy_values(P, R, V, gamma, rho, pi):
    """``min_{q in U_s} sum_a pi_a (R + gamma q_a.V)`` for every state: fractional knapsack."""
    S, A = R.shape
    order = np.argsort(V, kind="mergesort")
    v_min = V[order[0]]
    out = np.empty(S)
    for s in range(S):
        value = 0.0
        for a in range(A):
            pv = 0.0
            for j in range(S):
                pv += P[s, a, j] * V[j]
            value += pi[s, a] * (R[s, a] + gamma * pv)
        # every piece (a, j) removes mass P[s,a,j] at worth pi_a gamma (V_j - v_min) per unit;
        # take the most valuable first until the budget is spent
        worth = np.empty(A * S)
        mass = np.empty(A * S)
        for a in range(A):
            for j in range(S):
                worth[a * S + j] = pi[s, a] * gamma * (V[j] - v_min)
                mass[a * S + j] = P[s, a, j]
        budget = rho
        for i in np.argsort(-worth, kind="mergesort"):
            if budget <= 0.0 or worth[i] <= 0.0:
                break
            take = min(mass[i], budget)
            value -= take * worth[i]
            budget -= take
        out[s] = value
    return out


def _check(mdp, rho, tol, max_iter, name):
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"{name} needs a FiniteMDP, got {type(mdp).__name__}")
    check_value_scale(mdp, name)
    return check_real(rho, "radius", 0.0), check_tol(tol), check_max_iter(max_iter)


def _iterate(mdp: FiniteMDP, sweep, tol: float, max_iter: int) -> SRectangularValues:
    gamma = mdp.gamma
    factor = gamma / (1.0 - gamma)
    V = np.zeros(mdp.S)
    bound, stop_reason, iterations = np.inf, "max_iter", 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        V_next = sweep(V)
        bound = factor * float(np.max(np.abs(V_next - V)))
        V = V_next
        if bound <= tol:
            stop_reason = "tolerance"
            break
    return SRectangularValues(V, bound, iterations, stop_reason)


def s_rectangular_tv_values(
    mdp: FiniteMDP, radius: float, tol: float = 1e-8, max_iter: int = 100_000
) -> SRectangularValues:
    """Optimal robust values for the s-rectangular TV set of ``radius``, by value iteration.

    The operator is a ``gamma``-contraction, so ``bound = gamma/(1-gamma) ||V_k+1 - V_k||``
    certifies the returned values (plus the bisection's few ulps per state).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 2, 2), 0.5), [[0.0, 0.0], [1.0, 1.0]], gamma=0.5)
    >>> np.round(s_rectangular_tv_values(mdp, radius=0.0).values, 6)
    array([0.5, 1.5])
    """
    rho, tol, max_iter = _check(mdp, radius, tol, max_iter, "s_rectangular_tv_values")
    P = np.ascontiguousarray(mdp.dense_P())
    R = np.ascontiguousarray(mdp.R)
    return _iterate(mdp, lambda V: _state_values(P, R, V, mdp.gamma, rho), tol, max_iter)


def s_rectangular_tv_evaluate(
    mdp: FiniteMDP, policy, radius: float, tol: float = 1e-8, max_iter: int = 100_000
) -> SRectangularValues:
    """Robust value of a (deterministic or stochastic) policy for the s-rectangular TV set.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], gamma=0.5)
    >>> np.round(s_rectangular_tv_evaluate(mdp, np.array([0, 0]), radius=1.0).values, 6)
    array([0., 1.])
    """
    rho, tol, max_iter = _check(mdp, radius, tol, max_iter, "s_rectangular_tv_evaluate")
    check_policy(mdp, policy)
    pi = np.ascontiguousarray(as_stochastic(mdp, policy), dtype=np.float64)
    P = np.ascontiguousarray(mdp.dense_P())
    R = np.ascontiguousarray(mdp.R)
    return _iterate(mdp, lambda V: _policy_values(P, R, V, mdp.gamma, rho, pi), tol, max_iter)


__all__ = ["SRectangularValues", "s_rectangular_tv_evaluate", "s_rectangular_tv_values"]
