r"""Minimum expected hitting times and the diameter (Jaksch, Ortner, Auer 2010, Definition 1).

``D(M) = max_{s != s'} min_pi E[T(s' | M, pi, s)]``, where ``T(s' | M, pi, s)`` is the first
time ``pi`` reaches ``s'`` from ``s``. For each target ``s'`` the inner minimum is a stochastic
shortest-path problem with cost 1 per step (Bertsekas and Tsitsiklis 1991)::

    tau(s') = 0,     tau(s) = 1 + min_a sum_{x != s'} P(x | s, a) tau(x)      (s != s')

solved exactly by policy iteration: start from a proper policy (one that reaches ``s'`` with
probability 1: from each state an action with a successor one step closer to ``s'``),
evaluate by one linear solve ``(I - P_pi,UU) tau = 1`` over the non-target states, improve
greedily (an action switched only when better by more than a few ulps), stop when stable.
Every policy generated is proper, and the iteration stops at the minimum after finitely many
steps (Bertsekas and Tsitsiklis 1996, Prop. 2.3). States from which no policy reaches ``s'``
with probability 1 get ``tau = inf`` (then ``D = inf``: the model is not communicating).
One solve per target: S of them for the diameter. ``mdp.gamma`` is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg
from scipy.sparse.csgraph import breadth_first_order

from mdptheory._validation import check_index, check_max_iter
from mdptheory.average_reward.classification import supports
from mdptheory.tabular import FiniteMDP

_ULPS = 64 * np.finfo(np.float64).eps
DENSE_MAX_STATES = 1500
"""Systems up to this many states are solved dense (LAPACK); larger ones by sparse LU."""


@dataclass(frozen=True)
class HittingTimes:
    """Minimum expected hitting times of one target state.

    Attributes
    ----------
    target : int
    times : ndarray, shape (S,)
        ``min_pi E[T(target | pi, s)]``; 0 at the target, ``inf`` where no policy reaches it
        with probability 1.
    policy : ndarray of int64, shape (S,)
        An optimal stationary policy (``-1`` at the target and where ``times`` is inf).
    residual : float
        ``max_s |tau(s) - 1 - min_a sum_x P(x|s, a) tau(x)|`` over the finite states: the
        Bellman residual of the returned times (rounding only).
    iterations : int
        Improvement steps.
    """

    target: int
    times: np.ndarray
    policy: np.ndarray
    residual: float
    iterations: int


@dataclass(frozen=True)
class Diameter:
    """The diameter and the hitting times behind it.

    Attributes
    ----------
    value : float
        ``D = max_{s != s'} min_pi E[T(s' | pi, s)]`` (``inf`` for a model that is not
        communicating).
    source, target : int
        A pair attaining the maximum.
    hitting_times : ndarray, shape (S, S)
        ``hitting_times[s, s']`` = ``min_pi E[T(s' | pi, s)]`` (0 on the diagonal).
    residual : float
        The largest Bellman residual over the S shortest-path solves.
    iterations : int
        Improvement steps over all targets.
    """

    value: float
    source: int
    target: int
    hitting_times: np.ndarray
    residual: float
    iterations: int


def _almost_sure_set(support: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """States from which some policy reaches ``target`` with probability 1, and the actions
    that keep the process inside that set (de Alfaro 1997; Baier and Katoen 2008, Alg. 45)."""
    S = support.shape[0]
    inside = np.ones(S, dtype=bool)
    while True:
        keeps = ~(support & ~inside[None, None, :]).any(axis=2)  # (S, A)
        edges = (support & keeps[:, :, None]).any(axis=1) & inside[:, None]
        # States that reach the target through kept actions: search the reversed graph.
        order = breadth_first_order(
            sp.csr_array(edges.T), target, directed=True, return_predecessors=False
        )
        reach = np.zeros(S, dtype=bool)
        reach[order] = True
        reach &= inside
        if np.array_equal(reach, inside):
            return inside, keeps
        inside = reach


def _proper_policy(
    support: np.ndarray, keeps: np.ndarray, inside: np.ndarray, target: int
) -> np.ndarray:
    """From each state of ``inside`` a kept action with a successor one layer closer to the
    target (breadth-first layers in the graph of kept actions)."""
    S = support.shape[0]
    layer = np.full(S, np.inf)
    layer[target] = 0.0
    policy = np.full(S, -1, dtype=np.int64)
    frontier = np.zeros(S, dtype=bool)
    frontier[target] = True
    depth = 0
    while frontier.any():
        depth += 1
        # (s, a) kept, s unassigned, with a successor on the frontier.
        hits = keeps & (support & frontier[None, None, :]).any(axis=2)
        hits &= (np.isinf(layer) & inside)[:, None]
        new = hits.any(axis=1)
        policy[new] = np.argmax(hits[new], axis=1)
        layer[new] = depth
        frontier = new
    return policy


def _solve(system, rhs: np.ndarray) -> np.ndarray:
    if sp.issparse(system):
        return np.asarray(scipy.sparse.linalg.spsolve(system.tocsc(), rhs), dtype=np.float64)
    return np.linalg.solve(system, rhs)


def min_hitting_times(mdp: FiniteMDP, target: int, max_iter: int = 10_000) -> HittingTimes:
    """Minimum expected hitting times of ``target`` from every state, by SSP policy iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.8, 0.2]], [[0.5, 0.5], [0.5, 0.5]]])
    >>> hit = min_hitting_times(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9), target=1)
    >>> hit.times.round(12).tolist(), hit.policy.tolist()
    ([5.0, 0.0], [1, -1])
    """
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"min_hitting_times needs a FiniteMDP, got {type(mdp).__name__}")
    target = check_index(target, "target", mdp.S)
    max_iter = check_max_iter(max_iter)
    return _hitting_times(np.asarray(mdp.dense_P()), supports(mdp), target, max_iter)


def _hitting_times(P: np.ndarray, support: np.ndarray, target: int, max_iter: int) -> HittingTimes:
    S, A = P.shape[:2]
    inside, keeps = _almost_sure_set(support, target)
    policy = _proper_policy(support, keeps, inside, target)
    times = np.full(S, np.inf)
    times[target] = 0.0
    U = np.flatnonzero(inside & (np.arange(S) != target))
    if U.size == 0:
        return HittingTimes(target, times, policy, 0.0, 0)
    P_U = P[np.ix_(U, np.arange(A), U)]  # (|U|, A, |U|)
    allowed = keeps[U]
    rows = np.arange(U.size)
    dense = U.size <= DENSE_MAX_STATES
    local = policy[U]
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        P_pi = P_U[rows, local]
        system = np.eye(U.size) - P_pi if dense else sp.identity(U.size) - sp.csr_array(P_pi)
        tau = _solve(system, np.ones(U.size))
        q = np.where(allowed, 1.0 + P_U @ tau, np.inf)
        best = np.argmin(q, axis=1)
        improves = q[rows, best] < q[rows, local] - _ULPS * (tau.max() + 1.0)
        if not improves.any():
            break
        local = np.where(improves, best, local)
    else:
        raise ValueError(
            f"min_hitting_times: policy iteration for target {target} did not "
            f"stop within {max_iter} improvement steps"
        )
    times[U] = tau
    policy[U] = local
    residual = float(np.abs(tau - q.min(axis=1)).max())
    return HittingTimes(target, times, policy, residual, iterations)


def diameter(mdp: FiniteMDP, max_iter: int = 10_000) -> Diameter:
    """The diameter ``D = max_{s != s'} min_pi E[T(s' | pi, s)]`` (Jaksch et al. 2010, Def. 1).

    One stochastic-shortest-path solve per target state (:func:`min_hitting_times`). A model
    that is not communicating has ``D = inf``, attained at a pair whose target cannot be reached
    with probability 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.8, 0.2]], [[0.5, 0.5], [0.5, 0.5]]])
    >>> d = diameter(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9))
    >>> round(d.value, 12), (d.source, d.target)     # 1 / 0.2 steps from 0 to 1
    (5.0, (0, 1))
    """
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"diameter needs a FiniteMDP, got {type(mdp).__name__}")
    max_iter = check_max_iter(max_iter)
    P = np.asarray(mdp.dense_P())
    support = supports(mdp)
    S = mdp.S
    times = np.zeros((S, S))
    residual = 0.0
    iterations = 0
    for target in range(S):
        hit = _hitting_times(P, support, target, max_iter)
        times[:, target] = hit.times
        residual = max(residual, hit.residual)
        iterations += hit.iterations
    if S == 1:
        return Diameter(0.0, 0, 0, times, residual, iterations)
    off = times.copy()
    np.fill_diagonal(off, -np.inf)
    source, target = np.unravel_index(int(np.argmax(off)), off.shape)
    return Diameter(
        float(off[source, target]), int(source), int(target), times, residual, iterations
    )


__all__ = ["DENSE_MAX_STATES", "Diameter", "HittingTimes", "diameter", "min_hitting_times"]
