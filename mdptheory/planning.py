"""Exact planning with certificates.

Every solver returns a :class:`Solution` holding the optimal values it computed, the greedy
policy, the *exact* value of that policy (by linear solve or backward recursion, never the
iterate), a certified sup-norm bound on ``|values - V*|`` and how it stopped.

Certificates (discounted, Bellman optimality operator ``T``, a ``gamma``-contraction):

* ``||V - V*|| <= ||T V - V|| / (1 - gamma)`` for any ``V`` (Puterman 1994, Prop. 6.6.1 style
  residual bound); used by every discounted method.
* value iteration also has ``||V_{k+1} - V*|| <= gamma/(1-gamma) ||V_{k+1} - V_k||``
  (Puterman 1994, Thm 6.3.1); the smaller of the two is reported.

The bounds are for exact arithmetic; floating-point rounding adds a few ulps of
``||V|| / (1 - gamma)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_cvxpy_solver,
    check_index,
    check_max_iter,
    check_real,
    check_tol,
    check_value_scale,
)
from mdptheory.evaluation import evaluate
from mdptheory.lp_solver import lp_solver
from mdptheory.tabular import EpisodicMDP, FiniteMDP


@dataclass(frozen=True)
class Solution:
    """Result of an exact planner (in the style of ``scipy.optimize.OptimizeResult``).

    Attributes
    ----------
    values : ndarray
        Optimal values computed by the method: (S,) discounted, (H, S) episodic.
    q : ndarray
        Optimal Q-values ``R + gamma P values``: (S, A) or (H, S, A).
    policy : ndarray of int64
        Greedy deterministic policy, (S,) or (H, S); ties go to the smallest action.
    policy_values : ndarray
        Exact value of ``policy`` (linear solve / backward recursion), same shape as ``values``.
    bound : float
        Certified bound ``max |values - V*| <= bound``.
    iterations : int
        Sweeps (value iteration), improvement steps (policy iteration), stages (backward
        induction) or solver iterations (LP).
    stop_reason : str
        ``"exact"``, ``"tolerance"``, ``"policy stable"``, ``"max_iter"`` or the LP status.
    method : str
        Which method produced the result.
    occupancy : ndarray or None
        LP only: the optimal dual variables ``x(s, a)`` (discounted occupancy of the optimal
        policy from ``weights``), summing to ``1 / (1 - gamma)``.
    """

    values: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    policy_values: np.ndarray
    bound: float
    iterations: int
    stop_reason: str
    method: str
    occupancy: np.ndarray | None = field(default=None)

    @property
    def policy_gap(self) -> float:
        """Certified sub-optimality of ``policy``: ``max_s V*(s) - V^pi(s) <= policy_gap``."""
        return float(np.max(self.values - self.policy_values) + self.bound)


def _greedy(q: np.ndarray) -> np.ndarray:
    return np.argmax(q, axis=-1).astype(np.int64)


def bellman_optimality(mdp: FiniteMDP, V: np.ndarray) -> np.ndarray:
    """``Q = R + gamma P V`` (S, A) for a discounted model; ``T V = Q.max(axis=1)``."""
    return mdp.R + mdp.gamma * mdp.expect(V)


def _residual_bound(mdp: FiniteMDP, V: np.ndarray, q: np.ndarray) -> float:
    return float(np.max(np.abs(q.max(axis=1) - V)) / (1.0 - mdp.gamma))


def _require(mdp, kind, name):
    if not isinstance(mdp, kind):
        raise ParameterTypeError(f"{name} needs a {kind.__name__} as mdp, got {type(mdp).__name__}")
    check_value_scale(mdp, name)


def backward_induction(mdp: EpisodicMDP) -> Solution:
    """Optimal values of a finite-horizon MDP by backward induction (Puterman 1994, 4.5).

    ``Q_h = R_h + P_h V_{h+1}``, ``V_h = max_a Q_h``, ``V_H = 0`` (stage ``h`` is ``h + 1`` in
    papers). Exact: ``bound`` is 0 and ``policy_values`` equals ``values`` since the greedy policy
    attains the maximum in every backup. Each stage is one matrix-vector product on BLAS (or a
    sparse product).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> sol = backward_induction(EpisodicMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], H=3))
    >>> sol.values[0], sol.policy[0]
    (array([3.]), array([1]))
    """
    _require(mdp, EpisodicMDP, "backward_induction")
    H, S, A = mdp.H, mdp.S, mdp.A
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    for h in range(H - 1, -1, -1):
        Q[h] = mdp.R[h] + mdp.expect(V[h + 1], h)
        V[h] = Q[h].max(axis=1)
    policy = _greedy(Q)
    return Solution(
        values=V[:H],
        q=Q,
        policy=policy,
        policy_values=V[:H].copy(),
        bound=0.0,
        iterations=H,
        stop_reason="exact",
        method="backward_induction",
    )


def value_iteration(
    mdp: FiniteMDP, tol: float = 1e-8, max_iter: int = 1_000_000, V0: np.ndarray | None = None
) -> Solution:
    """Value iteration ``V_{k+1} = T V_k`` stopped by a certified bound.

    Stops when ``gamma / (1 - gamma) ||V_{k+1} - V_k||_inf <= tol`` (Puterman 1994,
    Thm 6.3.1), so ``bound <= tol`` on return unless ``max_iter`` is reached. The returned
    policy is greedy with respect to the last iterate and ``policy_values`` is its exact value
    (pitfall: the iterate itself is not the policy's value).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> sol = value_iteration(FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.5))
    >>> bool(abs(sol.values[0] - 2.0) <= sol.bound + 1e-12), sol.policy
    (True, array([1]))
    """
    _require(mdp, FiniteMDP, "value_iteration")
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    gamma = mdp.gamma
    V = np.zeros(mdp.S) if V0 is None else as_float_array(V0, "V0", ndim=1)
    if V.shape != (mdp.S,):
        raise ValueError(f"V0 has shape {V.shape}, expected ({mdp.S},)")
    factor = gamma / (1.0 - gamma)
    stop_reason = "max_iter"
    iterations = 0
    contraction_bound = np.inf
    for iterations in range(1, max_iter + 1):  # noqa: B007 (kept for the count)
        V_next = bellman_optimality(mdp, V).max(axis=1)
        contraction_bound = factor * float(np.max(np.abs(V_next - V)))
        V = V_next
        if contraction_bound <= tol:
            stop_reason = "tolerance"
            break
    q = bellman_optimality(mdp, V)
    policy = _greedy(q)
    bound = min(contraction_bound, _residual_bound(mdp, V, q))
    return Solution(
        values=V,
        q=q,
        policy=policy,
        policy_values=evaluate(mdp, policy),
        bound=bound,
        iterations=iterations,
        stop_reason=stop_reason,
        method="value_iteration",
    )


def policy_iteration(
    mdp: FiniteMDP, max_iter: int = 10_000, policy0: np.ndarray | None = None
) -> Solution:
    """Howard's policy iteration with exact evaluation by linear solve.

    Evaluate ``V^{pi_k}`` exactly, improve greedily, stop when the policy is stable. An action
    is switched only if it improves ``Q`` by more than a few ulps, so ties never cycle.
    Terminates in at most ``O(SA/(1-gamma) log(1/(1-gamma)))`` improvements (Ye 2011;
    Scherrer 2013). ``bound`` is the residual certificate ``||T V - V|| / (1 - gamma)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> policy_iteration(FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.5)).values
    array([2.])
    """
    _require(mdp, FiniteMDP, "policy_iteration")
    max_iter = check_max_iter(max_iter)
    states = np.arange(mdp.S)
    if policy0 is None:
        policy = _greedy(mdp.R)
    else:
        policy = np.asarray(policy0)
        if not np.issubdtype(policy.dtype, np.integer):
            raise ParameterTypeError(
                f"policy0 must be an integer array of shape ({mdp.S},), got dtype {policy.dtype}"
            )
        if policy.shape != (mdp.S,):
            raise ValueError(
                f"policy0 must be an integer array of shape ({mdp.S},), got shape {policy.shape}"
            )
        policy = policy.astype(np.int64)
    stop_reason = "max_iter"
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        V = evaluate(mdp, policy)
        q = bellman_optimality(mdp, V)
        best = _greedy(q)
        scale = np.abs(V).max() + np.abs(mdp.R).max() + 1.0
        improves = q[states, best] > q[states, policy] + 64 * np.finfo(float).eps * scale
        if not improves.any():
            stop_reason = "policy stable"
            break
        policy = np.where(improves, best, policy)
    else:
        # max_iter reached: the last improvement has not been evaluated yet. A stable policy
        # was evaluated in its own iteration, so its V and q are reused as they are.
        V = evaluate(mdp, policy)
        q = bellman_optimality(mdp, V)
    return Solution(
        values=V,
        q=q,
        policy=policy,
        policy_values=V.copy(),
        bound=_residual_bound(mdp, V, q),
        iterations=iterations,
        stop_reason=stop_reason,
        method="policy_iteration",
    )


def linear_program(
    mdp: FiniteMDP, weights: np.ndarray | None = None, solver: str | None = None, **solver_options
) -> Solution:
    """Optimal values by the LP of Puterman (1994), section 6.9, solved with cvxpy.

    Primal: ``min_V sum_s w(s) V(s)`` s.t. ``V(s) >= R(s, a) + gamma sum_s' P(s'|s, a) V(s')``.
    Dual: ``max_x sum x(s, a) R(s, a)`` s.t. ``sum_a x(s', a) - gamma sum_{s,a} P(s'|s,a) x(s,a)
    = w(s')``, ``x >= 0``; at the optimum ``x`` is the discounted occupancy of an optimal policy
    and sums to ``1 / (1 - gamma)`` (returned as ``occupancy``).

    Parameters
    ----------
    weights : array_like, optional
        Positive start weights ``w``; ``mdp.initial`` when it has full support, else uniform
        (a zero weight would leave ``V`` undetermined at that state).
    solver : str, optional
        A cvxpy solver name; Clarabel by default, run to tight tolerances.

    Notes
    -----
    ``policy`` is greedy with respect to the LP's ``V``; ``policy_values`` is its exact value and
    ``bound`` the residual certificate of the LP's ``V``. A sparse kernel stays sparse.
    """
    import cvxpy as cp

    _require(mdp, FiniteMDP, "linear_program")
    check_cvxpy_solver(solver)
    if weights is None:
        w = np.asarray(mdp.initial) if np.all(mdp.initial > 0) else np.full(mdp.S, 1 / mdp.S)
    else:
        w = as_float_array(weights, "weights", ndim=1)
        if w.shape != (mdp.S,):
            raise ValueError(f"weights has shape {w.shape}, expected ({mdp.S},)")
        bad = ~(w > 0) | ~np.isfinite(w)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"weights[{i}] is {float(w[i])!r}; LP weights must be positive")
    S, A, gamma = mdp.S, mdp.A, mdp.gamma
    # Interior-point tolerances are absolute: rewards far from unit scale are solved as R / c and
    # the values scaled back (the LP is linear in R; the dual, the occupancy, does not change).
    reward_scale = float(np.max(np.abs(mdp.R)))
    rescale = reward_scale > LP_REWARD_SCALE or 0.0 < reward_scale < 1.0 / LP_REWARD_SCALE
    R_lp = mdp.R / reward_scale if rescale else mdp.R
    V = cp.Variable(S)
    P_matrix = mdp.P_matrix()
    constraints = []
    for a in range(A):
        P_a = P_matrix[a::A] if not sp.issparse(P_matrix) else P_matrix[np.arange(S) * A + a]
        constraints.append(V >= R_lp[:, a] + gamma * (P_a @ V))
    problem = cp.Problem(cp.Minimize(w @ V), constraints)
    solver, solver_options = lp_solver(solver, solver_options)
    problem.solve(solver=solver, **solver_options)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise ValueError(f"the LP solver {solver} returned status {problem.status!r}")
    values = np.asarray(V.value, dtype=np.float64)
    if rescale:
        values = values * reward_scale
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"the LP solver {solver} returned non-finite values with status "
            f"{problem.status!r} (reward scale max|R| = {reward_scale:.3g})"
        )
    occupancy = np.column_stack([np.asarray(c.dual_value, dtype=np.float64) for c in constraints])
    q = bellman_optimality(mdp, values)
    policy = _greedy(q)
    iterations = int(problem.solver_stats.num_iters or 0)
    return Solution(
        values=values,
        q=q,
        policy=policy,
        policy_values=evaluate(mdp, policy),
        bound=_residual_bound(mdp, values, q),
        iterations=iterations,
        stop_reason=problem.status,
        method=f"linear_program[{solver.lower()}]",
        occupancy=occupancy,
    )


LP_REWARD_SCALE = 1e3
""":func:`linear_program` solves a rescaled LP when ``max|R|`` is above this or below its
inverse."""


@dataclass(frozen=True)
class AverageRewardSolution:
    """Result of :func:`relative_value_iteration` (and of
    :func:`mdptheory.average_reward.optimal_gain_bias`).

    Attributes
    ----------
    gain : float
        Optimal average reward ``g*`` (midpoint of the certified interval).
    bias : ndarray, shape (S,)
        A solution ``h`` of ``g* + h(s) = max_a [R(s, a) + sum_s' P(s'|s, a) h(s')]``,
        normalised as ``normalisation`` says.
    q : ndarray, shape (S, A)
        ``R + P h``.
    policy : ndarray of int64, shape (S,)
        Greedy (gain-optimal) policy.
    bound : float
        ``|gain - g*| <= bound`` (half the span of ``T h - h``).
    iterations, stop_reason, method
        As for :class:`Solution`.
    communicating : bool
        Whether the MDP is communicating (its union transition graph is strongly connected).
    normalisation : str
        How ``bias`` is pinned: ``"h(reference_state) = 0"`` (relative value iteration) or
        ``"min_s h(s) = 0"`` (policy iteration).
    """

    gain: float
    bias: np.ndarray
    q: np.ndarray
    policy: np.ndarray
    bound: float
    iterations: int
    stop_reason: str
    method: str
    communicating: bool
    normalisation: str = "h(reference_state) = 0"


def is_communicating(mdp: FiniteMDP) -> bool:
    """True when every state reaches every other under some policy (Puterman 1994, 8.3.1)."""
    P_matrix = mdp.P_matrix()
    if sp.issparse(P_matrix):
        rows = np.repeat(np.arange(mdp.S), mdp.A)
        coo = P_matrix.tocoo()
        graph = sp.csr_array((coo.data > 0, (rows[coo.row], coo.col)), shape=(mdp.S, mdp.S))
    else:
        graph = sp.csr_array(mdp.P.max(axis=1) > 0)
    n_components, _ = connected_components(graph, directed=True, connection="strong")
    return n_components == 1


def relative_value_iteration(
    mdp: FiniteMDP,
    tol: float = 1e-10,
    max_iter: int = 1_000_000,
    tau: float = 0.5,
    reference_state: int = 0,
) -> AverageRewardSolution:
    """Average-reward optimal gain and bias by relative value iteration.

    Runs on the aperiodic transform ``P~ = tau I + (1 - tau) P``, which keeps the gain and the
    optimal policies and scales the bias by ``1 / (1 - tau)`` (Puterman 1994, 8.5.4):
    ``h_{k+1} = T~ h_k - (T~ h_k)(s_ref)``. The gain is certified in
    ``[min(T~h - h), max(T~h - h)]`` (Odoni's bounds); the run stops when that interval is
    narrower than ``2 tol``. ``mdp.gamma`` is ignored.

    Raises
    ------
    ValueError
        When the iteration does not converge within ``max_iter`` sweeps, which happens when the
        optimal gain depends on the start state (a multichain, non-communicating MDP); the
        message says whether the MDP is communicating.
    """
    _require(mdp, FiniteMDP, "relative_value_iteration")
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    tau = check_real(tau, "tau", 0.0, 1.0, low_open=True, high_open=True)
    reference_state = check_index(reference_state, "reference_state", mdp.S)
    h = np.zeros(mdp.S)
    lower = -np.inf
    upper = np.inf
    for iterations in range(1, max_iter + 1):  # noqa: B007
        q = mdp.R + tau * h[:, None] + (1.0 - tau) * mdp.expect(h)
        W = q.max(axis=1)
        diff = W - h
        lower, upper = float(diff.min()), float(diff.max())
        h = W - W[reference_state]
        if upper - lower <= 2 * tol:
            break
    else:
        communicating = is_communicating(mdp)
        kind = "communicating" if communicating else "not communicating"
        raise ValueError(
            f"relative value iteration did not converge in {max_iter} sweeps "
            f"(span of T h - h is {upper - lower:.3g}); the MDP is {kind}, so its "
            "optimal gain may depend on the start state (multichain)"
        )
    bias = (1.0 - tau) * h
    q_bias = mdp.R + mdp.expect(bias)
    return AverageRewardSolution(
        gain=0.5 * (lower + upper),
        bias=bias,
        q=q_bias,
        policy=_greedy(q_bias),
        bound=0.5 * (upper - lower),
        iterations=iterations,
        stop_reason="tolerance",
        method="relative_value_iteration",
        communicating=is_communicating(mdp),
    )


Method = Literal[
    "auto", "backward_induction", "value_iteration", "policy_iteration", "linear_program"
]


def solve(mdp: FiniteMDP | EpisodicMDP, method: Method = "auto", **options) -> Solution:
    """Solve ``mdp`` exactly with the fastest suitable method.

    ``auto`` picks backward induction for an :class:`EpisodicMDP` and policy iteration for a
    :class:`FiniteMDP` (exact after finitely many improvements; on gamma = 0.99 it reaches the
    optimum far faster than value iteration to 1e-8, see ``bench/planning.py``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> solve(FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.9)).policy
    array([1])
    """
    methods = {
        "backward_induction": backward_induction,
        "value_iteration": value_iteration,
        "policy_iteration": policy_iteration,
        "linear_program": linear_program,
    }
    if not isinstance(method, str):
        raise ParameterTypeError(f"method must be a str, got {method!r}")
    if method == "auto":
        method = "backward_induction" if isinstance(mdp, EpisodicMDP) else "policy_iteration"
    if method not in methods:
        raise ValueError(f"unknown method {method!r}; choose one of {['auto', *sorted(methods)]}")
    return methods[method](mdp, **options)


__all__ = [
    "AverageRewardSolution",
    "Solution",
    "backward_induction",
    "bellman_optimality",
    "is_communicating",
    "linear_program",
    "policy_iteration",
    "relative_value_iteration",
    "solve",
    "value_iteration",
]
