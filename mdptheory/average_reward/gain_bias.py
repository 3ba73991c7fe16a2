r"""Optimal gain and bias by policy iteration, gain and bias of a policy, span, Bellman gaps.

Average-reward optimality equation (Puterman 1994, eq. 8.4.1 for unichain, 9.1.1-9.1.2 in
general), for an MDP whose optimal gain does not depend on the start state::

    rho* + h*(s) = max_a [ r(s, a) + sum_s' P(s' | s, a) h*(s') ]        for every s

Normalisation: ``h*`` is the bias of the gain-optimal policy that policy iteration returns,
shifted so that ``min_s h*(s) = 0``. A solution of the equation is unique up to an additive
constant when the optimal policy's chain has one recurrent class (every instance of the
catalogue); spans ``sp(h) = max h - min h`` and the gaps below do not depend on the constant.

Bellman gaps: ``gap(s, a) = rho* + h*(s) - r(s, a) - (P h*)(s, a) >= 0``, zero exactly on the
actions that attain the maximum. They turn regret into a sum over visited pairs
(``algorithms.average_reward``): ``T rho* - sum_t r(s_t, a_t) = sum_t gap(s_t, a_t) +
h*(s_{T+1}) - h*(s_1) + M_T`` with ``M_T`` a martingale with increments bounded by
``sp(h*)``.

Methods
-------
* :func:`optimal_gain_bias`: multichain policy iteration (Puterman 1994, section 9.2.1): exact
  evaluation of the gain vector ``g`` and the bias ``h`` (``P* h = 0``) of each policy from its
  recurrent classes, improvement first in ``P g``, then in ``r + P h`` among the actions that
  maximise ``P g``; an action is switched only if it improves by more than a few ulps, so ties
  never cycle. Exact after finitely many steps. Certificate: Odoni's bounds
  ``min_s (T h - h)(s) <= rho* <= max_s (T h - h)(s)`` with ``T h = max_a (r + P h)``.
* :func:`policy_gain_bias`: one linear solve of ``(I - P_pi) h + g 1 = r_pi``,
  ``h(s_ref) = 0``, for a policy whose chain has one recurrent class (Puterman 1994, 8.2.3).

A model whose optimal gain depends on the start state (some policy has two closed classes of
different optimal gain), or a policy with two recurrent classes, raises ``ValueError`` naming
two closed classes. ``mdp.gamma`` is ignored throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mdptheory._validation import as_float_array, check_max_iter, check_value_scale
from mdptheory.average_reward.classification import format_states
from mdptheory.evaluation import check_policy
from mdptheory.planning import AverageRewardSolution, is_communicating
from mdptheory.tabular import FiniteMDP

NORMALISATION = "min_s h(s) = 0"
"""How the bias vectors of this module are normalised."""

_ULPS = 64 * np.finfo(np.float64).eps


def _require(mdp, where: str) -> None:
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(
            f"{where} needs a FiniteMDP (its gamma is ignored), got {type(mdp).__name__}"
        )
    check_value_scale(mdp, where)


def span(values) -> float:
    """The span seminorm ``sp(v) = max_s v(s) - min_s v(s)``.

    Examples
    --------
    >>> span([0.5, 2.0, 1.0])
    1.5
    """
    v = as_float_array(values, "values", ndim=1)
    if v.size == 0:
        raise ValueError("span needs at least one value, got an empty array")
    return float(v.max() - v.min())


def recurrent_classes(P_pi: np.ndarray) -> list[list[int]]:
    """Recurrent classes of a Markov chain: its closed strongly connected components.

    Sorted by smallest state. ``P_pi`` is a dense (S, S) stochastic matrix.

    Examples
    --------
    >>> import numpy as np
    >>> recurrent_classes(np.array([[1.0, 0.0, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]]))
    [[0], [2]]
    """
    edges = P_pi > 0
    n, labels = connected_components(sp.csr_array(edges), directed=True, connection="strong")
    leaves = np.ones(n, dtype=bool)
    rows, cols = np.nonzero(edges)
    leaving = labels[rows] != labels[cols]
    leaves[labels[rows[leaving]]] = False
    classes = [np.flatnonzero(labels == c).tolist() for c in np.flatnonzero(leaves)]
    return sorted(classes, key=lambda c: c[0])


def _policy_arrays(P: np.ndarray, R: np.ndarray, pi: np.ndarray):
    states = np.arange(P.shape[0])
    if np.issubdtype(pi.dtype, np.integer):
        return P[states, pi], R[states, pi]
    return np.einsum("sa,sat->st", pi, P), np.einsum("sa,sa->s", pi, R)


def _solve(system: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError as error:
        # Probabilities below working precision can make a set closed in floating point that
        # the supports say is not.
        raise ValueError(
            "the evaluation system is singular to working precision: a "
            "transition probability too small for float64 relative to 1 leaves a "
            "set of states closed in floating point; round such probabilities "
            "to 0"
        ) from error


def _unichain_solve(P_pi: np.ndarray, r_pi: np.ndarray, reference: int) -> tuple[float, np.ndarray]:
    """``(I - P_pi) h + g 1 = r_pi`` with ``h(reference) = 0``: one (S, S) solve.

    Column ``reference`` of ``I - P_pi`` multiplies ``h(reference) = 0``; putting a column of
    ones there makes that unknown the gain.
    """
    S = P_pi.shape[0]
    system = np.eye(S) - P_pi
    system[:, reference] = 1.0
    x = _solve(system, r_pi)
    gain = float(x[reference])
    x[reference] = 0.0
    return gain, x


def chain_gain_bias(P_pi: np.ndarray, r_pi: np.ndarray):
    """Gain vector ``g`` and bias ``h`` (``P* h = 0``) of a Markov reward chain ``(P_pi,
    r_pi)``, and its recurrent classes, for any chain (multichain included).

    On each recurrent class C: stationary distribution ``d_C``, gain ``d_C r_C`` and the bias
    on C by :func:`_unichain_solve`, shifted so ``d_C h_C = 0``. On the transient states T:
    ``g_T = (I - P_TT)^{-1} P_TR g_R`` and ``h_T = (I - P_TT)^{-1} (r_T - g_T + P_TR h_R)``
    (Puterman 1994, 8.2 and 9.2).

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[1.0, 0.0, 0.0], [0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    >>> g, h, classes = chain_gain_bias(P, np.array([0.0, 0.5, 1.0]))
    >>> g.tolist(), classes
    ([0.0, 0.5, 1.0], [[0], [2]])
    """
    S = P_pi.shape[0]
    classes = recurrent_classes(P_pi)
    g = np.zeros(S)
    h = np.zeros(S)
    recurrent = np.zeros(S, dtype=bool)
    for members in classes:
        C = np.array(members)
        P_CC = P_pi[np.ix_(C, C)]
        n = C.size
        transposed = (np.eye(n) - P_CC).T
        transposed[0, :] = 1.0  # sum_s d(s) = 1 replaces one equation
        rhs = np.zeros(n)
        rhs[0] = 1.0
        d = _solve(transposed, rhs)
        gain, h_C = _unichain_solve(P_CC, r_pi[C], 0)
        g[C] = gain
        h[C] = h_C - d @ h_C
        recurrent[C] = True
    T = np.flatnonzero(~recurrent)
    if T.size:
        Rr = np.flatnonzero(recurrent)
        system = np.eye(T.size) - P_pi[np.ix_(T, T)]
        P_TR = P_pi[np.ix_(T, Rr)]
        g[T] = _solve(system, P_TR @ g[Rr])
        h[T] = _solve(system, r_pi[T] - g[T] + P_TR @ h[Rr])
    return g, h, classes


def _improve(
    scores: np.ndarray, policy: np.ndarray, allowed: np.ndarray | None, tol: float
) -> np.ndarray:
    """Greedy improvement keeping ``policy[s]`` unless another allowed action beats it by
    more than ``tol`` (Puterman's "set d_{n+1} = d_n if possible")."""
    states = np.arange(scores.shape[0])
    masked = scores if allowed is None else np.where(allowed, scores, -np.inf)
    best = np.argmax(masked, axis=1)
    improves = masked[states, best] > masked[states, policy] + tol
    return np.where(improves, best, policy)


@dataclass(frozen=True)
class MultichainOptimum:
    """Optimal gain vector and bias of a general finite MDP (multichain policy iteration).

    Attributes
    ----------
    gain : ndarray, shape (S,)
        ``g*(s)``, the optimal average reward from state s.
    bias : ndarray, shape (S,)
        Bias ``h`` of ``policy`` (``P*_pi h = 0``); with ``gain`` it solves Puterman's multichain
        optimality equations (9.1.1-9.1.2).
    policy : ndarray of int64, shape (S,)
        A gain-optimal deterministic stationary policy.
    classes : list of list of int
        Recurrent classes of ``policy``.
    iterations : int
        Improvement steps.
    """

    gain: np.ndarray
    bias: np.ndarray
    policy: np.ndarray
    classes: list[list[int]]
    iterations: int


def multichain_policy_iteration(
    mdp: FiniteMDP, max_iter: int = 10_000, policy0=None
) -> MultichainOptimum:
    """Multichain policy iteration (Puterman 1994, section 9.2.1) on any finite MDP.

    Raises
    ------
    ValueError
        When ``max_iter`` improvement steps do not reach a stable policy.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])        # two absorbing states
    >>> multichain_policy_iteration(FiniteMDP(P, [[0.2], [0.7]], gamma=0.9)).gain
    array([0.2, 0.7])
    """
    _require(mdp, "multichain_policy_iteration")
    max_iter = check_max_iter(max_iter)
    P = np.asarray(mdp.dense_P())
    R = np.asarray(mdp.R)
    policy = (
        np.argmax(R, axis=1).astype(np.int64) if policy0 is None else check_policy(mdp, policy0)
    )
    if not np.issubdtype(policy.dtype, np.integer):
        raise ValueError("policy0 must be a deterministic (integer) policy")
    for iteration in range(1, max_iter + 1):
        P_pi, r_pi = _policy_arrays(P, R, policy)
        g, h, classes = chain_gain_bias(P_pi, r_pi)
        Pg = P @ g
        tol_g = _ULPS * (np.abs(g).max() + 1.0)
        new = _improve(Pg, policy, None, tol_g)
        if np.array_equal(new, policy):
            # No gain improvement: improve the bias among the actions maximising P g.
            best_Pg = Pg.max(axis=1, keepdims=True)
            allowed = Pg >= best_Pg - tol_g
            q = R + P @ h
            tol_h = _ULPS * (np.abs(h).max() + np.abs(R).max() + 1.0)
            new = _improve(q, policy, allowed, tol_h)
            if np.array_equal(new, policy):
                return MultichainOptimum(g, h, policy, classes, iteration)
        policy = new
    raise ValueError(
        f"multichain policy iteration did not reach a stable policy in {max_iter} improvement steps"
    )


def _gain_spread_error(opt: MultichainOptimum, what: str) -> ValueError:
    """ValueError naming the two closed classes of the optimal policy with the most different
    optimal gains."""
    gains = [float(opt.gain[c[0]]) for c in opt.classes]
    hi = int(np.argmax(gains))
    lo = int(np.argmin(gains))
    return ValueError(
        f"{what}: the optimal gain depends on the start state: {gains[hi]:.6g} on the closed "
        f"class {format_states(opt.classes[hi])} and {gains[lo]:.6g} on the closed class "
        f"{format_states(opt.classes[lo])} (a multichain model that is not weakly "
        "communicating); a single rho* and h* do not exist"
    )


def optimal_gain_bias(mdp: FiniteMDP, max_iter: int = 10_000) -> AverageRewardSolution:
    """Optimal gain ``rho*`` and bias ``h*`` (``min_s h*(s) = 0``) by policy iteration.

    Runs :func:`multichain_policy_iteration`, so it is exact for any finite MDP whose optimal
    gain is the same from every state (unichain, weakly communicating, or multichain with equal
    optimal gains).

    Returns
    -------
    AverageRewardSolution
        ``gain`` = ``rho*`` (exact evaluation of the returned policy), ``bias`` = ``h*``,
        ``q = R + P h*``, ``policy`` (gain-optimal), ``bound`` = Odoni's certificate
        ``max_s |(T h* - h*)(s) - rho*|`` (``rho*`` lies within it of ``gain``),
        ``normalisation = "min_s h(s) = 0"``.

    Raises
    ------
    ValueError
        When the optimal gain depends on the start state; the message names two closed classes
        of the optimal policy and their gains.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
    >>> sol = optimal_gain_bias(FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9))
    >>> round(sol.gain, 12), sol.policy.tolist(), sol.bias.round(12).tolist()
    (0.6, [1, 0], [0.0, 4.0])
    """
    _require(mdp, "optimal_gain_bias")
    opt = multichain_policy_iteration(mdp, max_iter)
    scale = np.abs(opt.gain).max() + 1.0
    if opt.gain.max() - opt.gain.min() > 1e3 * _ULPS * scale:
        raise _gain_spread_error(opt, "optimal_gain_bias")
    rho = float(opt.gain[opt.classes[0][0]])
    h = opt.bias - opt.bias.min()
    q = np.asarray(mdp.R) + np.asarray(mdp.dense_P()) @ h
    residual = q.max(axis=1) - h - rho
    bound = float(np.abs(residual).max())
    return AverageRewardSolution(
        gain=rho,
        bias=h,
        q=q,
        policy=opt.policy,
        bound=bound,
        iterations=opt.iterations,
        stop_reason="policy stable",
        method="policy_iteration (multichain, Puterman 9.2.1)",
        communicating=is_communicating(mdp),
        normalisation=NORMALISATION,
    )


@dataclass(frozen=True)
class PolicyGainBias:
    """Gain and bias of a policy whose chain has one recurrent class.

    Attributes
    ----------
    gain : float
        ``rho^pi``, the same from every start state.
    bias : ndarray, shape (S,)
        Relative values ``h^pi`` solving ``rho^pi + h = r_pi + P_pi h``, with
        ``min_s h(s) = 0`` (the bias in the strict sense, ``P* h = 0``, differs by a constant).
    recurrent_class : tuple of int
        The policy's recurrent class.
    normalisation : str
    """

    gain: float
    bias: np.ndarray
    recurrent_class: tuple[int, ...]
    normalisation: str = NORMALISATION


def policy_gain_bias(mdp: FiniteMDP, policy) -> PolicyGainBias:
    """Gain and bias of ``policy`` by one linear solve (Puterman 1994, 8.2.3).

    Solves ``(I - P_pi) h + g 1 = r_pi`` with ``h(s_ref) = 0`` for ``s_ref`` the smallest state
    of the recurrent class, then shifts ``h`` so that ``min_s h(s) = 0``.

    Parameters
    ----------
    mdp : FiniteMDP
        ``gamma`` is ignored.
    policy : array_like
        Deterministic ``pi[s]`` (integers) or stochastic ``pi[s, a]`` (floats).

    Raises
    ------
    ValueError
        When the policy's chain has two or more recurrent classes (its gain depends on the start
        state); the message names two of them.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
    >>> mdp = FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)
    >>> round(policy_gain_bias(mdp, np.array([0, 0])).gain, 12)      # 0.1 / (0.1 + 0.1)
    0.5
    >>> stay = FiniteMDP(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), [[0.0], [1.0]], gamma=0.9)
    >>> policy_gain_bias(stay, np.array([0, 0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: policy_gain_bias: the policy has 2 recurrent (closed) classes, {0} and {1}; ...
    """
    _require(mdp, "policy_gain_bias")
    pi = check_policy(mdp, policy)
    P_pi, r_pi = _policy_arrays(np.asarray(mdp.dense_P()), np.asarray(mdp.R), pi)
    classes = recurrent_classes(P_pi)
    if len(classes) > 1:
        raise ValueError(
            f"policy_gain_bias: the policy has {len(classes)} recurrent (closed) "
            f"classes, {format_states(classes[0])} and {format_states(classes[1])}"
            "; its gain depends on the start state, so it has no single gain "
            "(a multichain policy)"
        )
    gain, h = _unichain_solve(P_pi, r_pi, classes[0][0])
    return PolicyGainBias(gain=gain, bias=h - h.min(), recurrent_class=tuple(classes[0]))


def bellman_gaps(mdp: FiniteMDP, solution: AverageRewardSolution | None = None) -> np.ndarray:
    """``gap(s, a) = rho* + h*(s) - r(s, a) - (P h*)(s, a)``, shape (S, A).

    Non-negative, and zero on the actions attaining the maximum of the optimality equation.
    Entries within rounding of zero (``64 eps`` times the scale of ``h*`` and ``r``, plus twice
    the solution's certificate) are set to exactly 0, so that an optimal action contributes
    exactly 0 to the gap regret.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
    >>> bellman_gaps(FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9)).round(12).tolist()
    [[0.2, 0.0], [0.0, 0.0]]
    """
    _require(mdp, "bellman_gaps")
    if solution is None:
        solution = optimal_gain_bias(mdp)
    h = np.asarray(solution.bias, dtype=np.float64)
    if h.shape != (mdp.S,):
        raise ValueError(f"solution.bias has shape {h.shape}, expected ({mdp.S},)")
    q = np.asarray(mdp.R) + np.asarray(mdp.dense_P()) @ h
    gaps = solution.gain + h[:, None] - q
    tol = _ULPS * (np.abs(h).max() + np.abs(mdp.R).max() + 1.0) + 2.0 * solution.bound
    gaps[np.abs(gaps) <= tol] = 0.0
    return gaps


__all__ = [
    "NORMALISATION",
    "MultichainOptimum",
    "PolicyGainBias",
    "bellman_gaps",
    "chain_gain_bias",
    "multichain_policy_iteration",
    "optimal_gain_bias",
    "policy_gain_bias",
    "recurrent_classes",
    "span",
]
