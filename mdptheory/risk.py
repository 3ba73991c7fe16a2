r"""Risk functionals of discrete distributions, return distributions and risk-sensitive planning.

Convention: lower-tail CVaR of a reward
---------------------------------------
A return ``X`` is a reward (higher is better) and ``alpha`` in (0, 1] is the risk level: the
fraction of the worst outcomes that counts. Following Rockafellar and Uryasev (2000) and Du,
Wang, Huang (ICLR 2023, section 3)::

    VaR^alpha(X)  = min{ x : F(x) >= alpha }                               (alpha-quantile)
    CVaR^alpha(X) = sup_x { x - E[(x - X)^+] / alpha }                    (Rockafellar-Uryasev)

``alpha = 1`` gives ``E[X]`` and ``alpha -> 0`` gives the smallest atom with positive
probability. For a loss ``L = -X`` and the loss convention ``CVaR_beta(L) = min_z z + E[(L -
z)^+]/(1 - beta)``, ``CVaR^alpha(X) = -CVaR_{1-alpha}(-X)``.

Exact computation for atoms ``v_i`` with probabilities ``p_i`` (the supremum above is attained
at an atom; the check ``rockafellar2000-cvar-sort-equals-lp`` compares it with the LP): sort the
atoms ascending, let ``F_i`` be the cumulative probabilities and ``m`` the first sorted index
with ``F_m >= alpha``; the supremum is attained at ``x* = v_(m) = VaR^alpha`` and::

    CVaR^alpha = v_(m) - (1/alpha) sum_{i < m} p_(i) (v_(m) - v_(i))
               = sum_i q_i v_(i),   q_(i) = p_(i)/alpha (i < m),  q_(m) = 1 - F_{m-1}/alpha

``q`` is the greedy fill of the risk envelope ``{0 <= q <= p/alpha, sum q = 1}`` and is the
distorted conditional distribution ``beta^{alpha,V}`` of Du et al., eq. (3). The first form is
the one evaluated (exactly ``v_(m)`` when the first atom already holds mass ``alpha``, so the
worst-path limit is reproduced bit for bit). Ties are harmless.

Contents
--------
* :func:`var`, :func:`cvar`, :func:`cvar_weights`, :func:`cvar_lp` (the Rockafellar-Uryasev
  LP via cvxpy, an independent cross-check), :func:`cvar_backup` (CVaR of one value vector
  under many distributions, one sort).
* :class:`ReturnDistribution`, :func:`return_distribution`, :func:`distributional_bellman`:
  the exact law of the total return of a policy in a finite-horizon MDP (categorical on the
  exact support; a documented grid projection otherwise).
* :class:`ICVaRSolution`, :func:`icvar_backward_induction`, :func:`icvar_evaluate`,
  :func:`worst_path_backward_induction`, :func:`worst_path_evaluate`: iterated CVaR dynamic
  programming, Du, Wang, Huang (2023), eqs. (i), (ii) and (2);
  :func:`icvar_max_episode_regret`: the largest iterated-CVaR regret of one episode.
* :class:`StaticCVaRSolution`, :func:`static_cvar_optimum`: the optimal static CVaR of the total
  return by state augmentation with the accumulated reward (Bauerle and Ott 2011; distributional
  DP with stock augmentation, Avila Pires, Rowland, Borsa, Guo, Khetarpal, Barreto, Abel,
  Munos, Dabney, "Optimizing Return Distributions with Distributional Dynamic Programming",
  JMLR 2025, arXiv:2501.13028).

Stages are ``h = 0..H-1`` here and ``1..H`` in the papers (``V[h]`` is the paper's
``V_{h+1}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from mdptheory._validation import (
    DEFAULT_TOL,
    ParameterTypeError,
    check_cvxpy_solver,
    check_index,
    check_value_scale,
)
from mdptheory._validation import check_alpha as _check_alpha
from mdptheory.evaluation import check_policy
from mdptheory.planning import Solution
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "ICVaRSolution",
    "ReturnDistribution",
    "StaticCVaRSolution",
    "check_alpha",
    "cvar",
    "cvar_backup",
    "cvar_lp",
    "cvar_weights",
    "distributional_bellman",
    "icvar_backward_induction",
    "icvar_evaluate",
    "icvar_max_episode_regret",
    "return_distribution",
    "static_cvar_optimum",
    "var",
    "worst_path_backup",
    "worst_path_backward_induction",
    "worst_path_evaluate",
]

ATOM_DECIMALS = 12
"""Merge tolerance of exact supports: sorted returns closer than ``10^-12 max(1, |return|)``
are one atom (sums of the same rewards taken in different orders differ by a few ulps). The
static-CVaR augmentation keys accumulated rewards by rounding to this many decimals."""

MAX_ATOMS = 1_000_000
"""Largest exact support :func:`return_distribution` builds before asking for a grid."""


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------

def check_alpha(alpha: Any) -> float:
    """``alpha`` as a float in (0, 1]; ``ValueError`` naming the value otherwise (a
    ``TypeError`` that is also a ``ValueError`` for a string, a bool or ``None``).

    Examples
    --------
    >>> check_alpha(0.25)
    0.25
    """
    return _check_alpha(alpha)


def _atoms(array, name: str) -> np.ndarray:
    """A float64 copy with at least one dimension; wrong types raise naming ``name``.

    Non-finite entries are left for the caller, which names them with their index."""
    if array is None or isinstance(array, (str, bytes)):
        raise ParameterTypeError(f"{name} must be an array of real numbers, got {array!r:.60}")
    raw = np.asarray(array)
    if raw.dtype.kind not in "iuf" and raw.dtype != object:
        raise ParameterTypeError(f"{name} must be an array of real numbers, got dtype "
                                 f"{raw.dtype}")
    try:
        return np.array(raw, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError) as error:
        raise ParameterTypeError(f"{name} must be an array of real numbers: {error}") from error


def _distribution(values, probabilities, tol: float = DEFAULT_TOL) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Validated float64 copies of a discrete distribution (1-d, finite, sums to 1)."""
    v = _atoms(values, "values")
    p = _atoms(probabilities, "probabilities")
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if p.shape != v.shape:
        raise ValueError(f"probabilities have shape {p.shape}, values have shape {v.shape}")
    if v.size == 0:
        raise ValueError("a distribution needs at least one atom, got none")
    bad = ~np.isfinite(v)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"values[{i}] is {float(v[i])!r}, not a finite number")
    bad = ~np.isfinite(p) | (p < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"probabilities[{i}] is {float(p[i])!r}; probabilities must be "
                         "finite and >= 0")
    with np.errstate(over="ignore"):
        total = float(p.sum())
        span = float(v.max()) - float(v.min())
    if not np.isfinite(span):
        raise ValueError(f"values span [{float(v.min())!r}, {float(v.max())!r}], a range that "
                         "overflows float64")
    if abs(total - 1.0) > tol:
        raise ValueError(f"probabilities sum to {total!r}, not 1 (tolerance {tol:g})")
    return v, p


def _var_index(sorted_p: np.ndarray, alpha: float) -> tuple[int, np.ndarray]:
    """Sorted index ``m`` of the VaR atom and the cumulative probabilities."""
    F = np.cumsum(sorted_p)
    m = int(np.searchsorted(F, alpha, side="left"))
    if m >= F.shape[0]:
        # Rounding left the total a hair below alpha (only possible for alpha near 1):
        # the VaR atom is the largest atom with positive probability.
        m = int(np.flatnonzero(sorted_p > 0)[-1])
    return m, F


# --------------------------------------------------------------------------------------------
# VaR and CVaR of one discrete distribution
# --------------------------------------------------------------------------------------------

def var(values, probabilities, alpha: float) -> float:
    """Value-at-risk ``VaR^alpha(X) = min{x : F(x) >= alpha}`` of a discrete distribution.

    Parameters
    ----------
    values : array_like, shape (n,)
        Atoms (rewards; higher is better), any order, ties allowed.
    probabilities : array_like, shape (n,)
        Non-negative, summing to 1 within 1e-9.
    alpha : float
        Risk level in (0, 1].

    Raises
    ------
    ValueError
        For ``alpha`` outside (0, 1], a negative or non-finite entry, mismatched shapes, or
        probabilities that do not sum to 1 (the message gives the sum).

    Examples
    --------
    >>> var([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.25)
    1.0
    """
    alpha = check_alpha(alpha)
    v, p = _distribution(values, probabilities)
    order = np.argsort(v, kind="stable")
    m, _ = _var_index(p[order], alpha)
    return float(v[order[m]])


def cvar(values, probabilities, alpha: float) -> float:
    r"""Lower-tail CVaR at level ``alpha`` of a discrete distribution, by sorting.

    ``CVaR^alpha(X) = sup_x {x - E[(x - X)^+] / alpha}`` (Rockafellar-Uryasev; Du, Wang, Huang
    2023, section 3): the mean of the worst ``alpha`` fraction of outcomes. Evaluated as
    ``v_(m) - (1/alpha) sum_{i<m} p_(i) (v_(m) - v_(i))`` with ``v_(m) = VaR^alpha`` (module
    docstring). Cost O(n log n).

    Parameters
    ----------
    values : array_like, shape (n,)
        Atoms (rewards; higher is better).
    probabilities : array_like, shape (n,)
        Non-negative, summing to 1 within 1e-9.
    alpha : float
        Risk level in (0, 1]; ``alpha = 1`` gives the mean.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        As for :func:`var`.

    Examples
    --------
    >>> cvar([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.5)      # (0.2 * 0 + 0.3 * 1) / 0.5
    0.6
    >>> cvar([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 1.0)      # the mean
    1.3
    """
    alpha = check_alpha(alpha)
    v, p = _distribution(values, probabilities)
    order = np.argsort(v, kind="stable")
    sv, sp = v[order], p[order]
    m, _ = _var_index(sp, alpha)
    x = sv[m]
    # Terms are non-negative (atoms below the VaR atom), so the result never leaves
    # [min v, VaR] by rounding.
    return float(x - np.dot(sp[:m], x - sv[:m]) / alpha)


def cvar_weights(values, probabilities, alpha: float) -> np.ndarray:
    """The distorted distribution ``beta^{alpha,V}`` with ``CVaR^alpha = beta @ values``.

    ``beta`` is the minimiser of ``q @ values`` over the risk envelope ``0 <= q <= p/alpha``,
    ``sum q = 1`` (the dual of the Rockafellar-Uryasev LP): mass ``p_i/alpha`` on the atoms
    below the VaR atom and the remainder on the VaR atom (Du, Wang, Huang 2023, eq. (3)). It
    gives the key inequality ``CVaR(Vbar) - CVaR(V) <= beta^{alpha,V} @ (Vbar - V)`` for
    ``Vbar >= V``.

    Returns
    -------
    ndarray, shape (n,)
        Non-negative weights in the order of ``values``, summing to 1.

    Examples
    --------
    >>> cvar_weights([2.0, 0.0, 1.0], [0.5, 0.2, 0.3], 0.5).tolist()
    [0.0, 0.4, 0.6]
    """
    alpha = check_alpha(alpha)
    v, p = _distribution(values, probabilities)
    order = np.argsort(v, kind="stable")
    sp = p[order]
    m, F = _var_index(sp, alpha)
    q = np.zeros_like(v)
    q[order[:m]] = sp[:m] / alpha
    q[order[m]] = 1.0 - (F[m - 1] / alpha if m > 0 else 0.0)
    return q


def cvar_lp(values, probabilities, alpha: float, solver: str | None = None) -> float:
    r"""CVaR by the Rockafellar-Uryasev linear program, solved with cvxpy (a cross-check).

    ``max_{x, z} x - (1/alpha) sum_i p_i z_i``  s.t. ``z_i >= x - v_i``, ``z_i >= 0``.
    Shares no code with :func:`cvar`; Clarabel with tolerances 1e-12 by default, so the two
    agree to about 1e-10 on well-scaled data.

    Examples
    --------
    >>> round(cvar_lp([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.5), 8)
    0.6
    """
    import cvxpy as cp

    alpha = check_alpha(alpha)
    v, p = _distribution(values, probabilities)
    check_cvxpy_solver(solver)
    if alpha >= CVAR_LP_PRIMAL_MIN_ALPHA:
        x = cp.Variable()
        z = cp.Variable(v.shape[0], nonneg=True)
        problem = cp.Problem(cp.Maximize(x - (p @ z) / alpha), [z >= x - v])
    else:
        # The primal's 1/alpha coefficient makes it ill-conditioned for small alpha; the dual
        # over the risk envelope, min q @ v s.t. sum q = 1, 0 <= q <= p / alpha, is the same LP
        # with its bound tightened to min(p / alpha, 1) (implied by sum q = 1), so it stays
        # well scaled.
        q = cp.Variable(v.shape[0], nonneg=True)
        problem = cp.Problem(cp.Minimize(q @ v), [cp.sum(q) == 1,
                                                  q <= np.minimum(p / alpha, 1.0)])
    options: dict[str, Any] = {}
    if solver is None:
        solver = "CLARABEL"
        options = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12,
                   "tol_ktratio": 1e-10, "max_iter": 500}
    problem.solve(solver=solver, **options)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise ValueError(f"the CVaR LP returned status {problem.status!r} with {solver} "
                         f"(alpha = {alpha!r})")
    value = float(problem.value)
    low, high = float(v.min()), float(v.max())
    slack = 1e-8 * max(1.0, high - low, abs(low), abs(high))
    if not (low - slack <= value <= high + slack):
        raise ValueError(f"the CVaR LP with {solver} returned {value!r}, outside the atoms' "
                         f"range [{low!r}, {high!r}] (alpha = {alpha!r}): the solve is inaccurate")
    return value


CVAR_LP_PRIMAL_MIN_ALPHA = 1e-3
""":func:`cvar_lp` solves the primal for ``alpha`` at or above this, the dual below."""


# --------------------------------------------------------------------------------------------
# Compiled CVaR backups: many distributions, one value vector, one sort
# --------------------------------------------------------------------------------------------

@njit(cache=True)
def cvar_sorted_row(weights: np.ndarray, total: float, values: np.ndarray, order: np.ndarray,
                    alpha: float) -> float:
    """CVaR^alpha of ``values`` under ``weights / total``, ``order`` sorting ``values`` ascending.

    ``weights`` may be probabilities (``total = 1``) or visit counts (``total`` = their sum),
    so empirical CVaRs are computed without forming ``p̂``. ``alpha = 0`` is the worst-path
    limit: the smallest value with positive weight. Walks the sorted atoms until the mass
    ``alpha * total`` is covered: O(n) with an early stop, no allocation.
    """
    threshold = alpha * total
    below_mass = 0.0       # sum of weights of atoms below the current one
    below_moment = 0.0     # sum of weight * value of those atoms
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
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    policy = np.zeros((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        hp = h if P4.shape[0] > 1 else 0
        next_value = V[h + 1]
        order = np.argsort(next_value, kind="mergesort")
        for s in range(S):
            best = -np.inf
            best_a = 0
            for a in range(A):
                q = R3[h, s, a] + cvar_sorted_row(P4[hp, s, a], 1.0, next_value, order, alpha)
                Q[h, s, a] = q
                if q > best:
                    best = q
                    best_a = a
            V[h, s] = best
            policy[h, s] = best_a
    return Q, V, policy


@njit(cache=True)
def icvar_evaluate_kernel(P4: np.ndarray, R3: np.ndarray, alpha: float,
                          policy: np.ndarray) -> np.ndarray:
    """Iterated-CVaR values ``V[h, s]`` (H + 1, S) of a deterministic policy (eq. (i))."""
    H, S, _ = R3.shape
    V = np.zeros((H + 1, S))
    order = np.empty(S, dtype=np.int64)
    for h in range(H - 1, -1, -1):
        hp = h if P4.shape[0] > 1 else 0
        next_value = V[h + 1]
        stable_order(next_value, order)
        for s in range(S):
            a = policy[h, s]
            V[h, s] = R3[h, s, a] + cvar_sorted_row(P4[hp, s, a], 1.0, next_value, order, alpha)
    return V



@njit(cache=True)
def icvar_evaluate_reachable(P4: np.ndarray, R3: np.ndarray, alpha: float, policy: np.ndarray,
                             initial: np.ndarray, V: np.ndarray, reach: np.ndarray,
                             order: np.ndarray) -> float:
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
        hp = h if P4.shape[0] > 1 else 0
        for t in range(S):
            reach[h + 1, t] = False
        for s in range(S):
            if reach[h, s]:
                row = P4[hp, s, policy[h, s]]
                for t in range(S):
                    if row[t] > 0.0:
                        reach[h + 1, t] = True
    for h in range(H - 1, -1, -1):
        hp = h if P4.shape[0] > 1 else 0
        next_value = V[h + 1]
        if h == H - 1:
            n = S                                   # V_H = 0 everywhere
            stable_order(next_value, order)
        else:
            n = 0                                   # reachable states, then a stable sort
            for t in range(S):
                if reach[h + 1, t]:
                    order[n] = t
                    n += 1
            for i in range(1, n):
                current = order[i]
                x = next_value[current]
                j = i - 1
                while j >= 0 and next_value[order[j]] > x:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = current
        for s in range(S):
            if reach[h, s]:
                a = policy[h, s]
                V[h, s] = R3[h, s, a] + cvar_sorted_row(P4[hp, s, a], 1.0, next_value,
                                                        order[:n], alpha)
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
    for i in range(1, n):
        current = order[i]
        x = values[current]
        j = i - 1
        while j >= 0 and values[order[j]] > x:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = current


def cvar_backup(P, V, alpha: float) -> np.ndarray:
    """CVaR^alpha of one value vector under many distributions, with a single sort of ``V``.

    The iterated-CVaR backup ``(s, a) -> CVaR^alpha_{s' ~ P(.|s, a)}(V(s'))`` (Du, Wang, Huang
    2023, eq. (ii)): ``V`` is sorted once and each distribution is walked in that order until
    mass ``alpha`` is covered (compiled; O(S log S + rows * S) instead of a sort per row).

    Parameters
    ----------
    P : array_like, shape (..., S)
        Distributions over the S atoms (each row sums to 1 within 1e-9).
    V : array_like, shape (S,)
        Values of the atoms.
    alpha : float
        Risk level in (0, 1].

    Returns
    -------
    ndarray, shape P.shape[:-1]

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.5, 0.5, 0.0], [0.1, 0.0, 0.9]])
    >>> cvar_backup(P, np.array([0.0, 1.0, 2.0]), 0.5).tolist()
    [0.0, 1.6]
    """
    alpha = check_alpha(alpha)
    P2, values, shape = _backup_inputs(P, V)
    out = np.empty(P2.shape[0])
    cvar_rows_kernel(P2, values, alpha, out)
    return out.reshape(shape)


def worst_path_backup(P, V) -> np.ndarray:
    """``min_{s' in supp P(.|s, a)} V(s')`` for every row: the ``alpha -> 0`` limit of CVaR.

    Du, Wang, Huang (2023), eq. (2) (Worst Path RL). Atoms with probability exactly 0 are
    outside the support.

    Examples
    --------
    >>> import numpy as np
    >>> worst_path_backup(np.array([[0.0, 0.3, 0.7]]), np.array([-5.0, 1.0, 2.0])).tolist()
    [1.0]
    """
    P2, values, shape = _backup_inputs(P, V)
    out = np.empty(P2.shape[0])
    cvar_rows_kernel(P2, values, 0.0, out)
    return out.reshape(shape)


def _backup_inputs(P, V) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    P = np.asarray(P, dtype=np.float64)
    values = np.ascontiguousarray(V, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"V must be one-dimensional, got shape {values.shape}")
    if P.ndim < 1 or P.shape[-1] != values.shape[0]:
        raise ValueError(f"P has shape {P.shape}; its last axis must match V's length "
                         f"{values.shape[0]}")
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"V[{i}] is {float(values[i])!r}, not a finite number")
    P2 = np.ascontiguousarray(P.reshape(-1, values.shape[0]))
    bad = ~np.isfinite(P2) | (P2 < 0)
    if bad.any():
        row, col = np.unravel_index(int(np.flatnonzero(bad)[0]), P2.shape)
        index = (*np.unravel_index(row, P.shape[:-1]), col) if P.ndim > 1 else (col,)
        raise ValueError(f"P[{', '.join(map(str, index))}] is {float(P2[row, col])!r}; "
                         "probabilities must be finite and >= 0")
    sums = P2.sum(axis=1)
    bad = np.abs(sums - 1.0) > DEFAULT_TOL
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        index = np.unravel_index(row, P.shape[:-1]) if P.ndim > 1 else ()
        inner = ", ".join([*map(str, index), ":"])
        raise ValueError(f"P[{inner}] sums to {float(sums[row])!r}, not 1 "
                         f"(tolerance {DEFAULT_TOL:g})")
    return P2, values, P.shape[:-1]


# --------------------------------------------------------------------------------------------
# Iterated CVaR dynamic programming
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ICVaRSolution(Solution):
    """Result of :func:`icvar_backward_induction` (a :class:`~mdptheory.planning.Solution`).

    ``values`` (H, S) are the optimal iterated-CVaR values ``V*_h`` of Du, Wang, Huang (2023),
    eq. (ii) (eq. (2) for the worst path), ``q`` (H, S, A) the ``Q*_h``, ``policy`` (H, S) a
    greedy deterministic Markov policy (ties to the smallest action), ``policy_values`` its
    exact iterated-CVaR value computed by a separate evaluation pass (eq. (i)); ``bound`` is 0.

    Attributes
    ----------
    alpha : float
        Risk level; 0.0 marks the worst-path limit.
    """

    alpha: float = 1.0

    @property
    def objective(self) -> str:
        return "worst-path" if self.alpha == 0.0 else f"iterated CVaR (alpha={self.alpha:g})"


def _episodic_arrays(mdp: EpisodicMDP, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(f"{name} needs an EpisodicMDP as mdp, got "
                                 f"{type(mdp).__name__}")
    check_value_scale(mdp, name)
    P4 = np.ascontiguousarray(mdp.dense_P(), dtype=np.float64)
    R3 = np.ascontiguousarray(mdp.R, dtype=np.float64)
    return P4, R3


def _deterministic_policy(mdp: EpisodicMDP, policy) -> np.ndarray:
    pi = np.asarray(policy)
    if not np.issubdtype(pi.dtype, np.integer):
        raise ValueError(f"the iterated-CVaR value is defined here for deterministic policies: "
                         f"pass an integer array of shape ({mdp.H}, {mdp.S}), got dtype "
                         f"{pi.dtype}")
    if pi.shape != (mdp.H, mdp.S):
        raise ValueError(f"policy has shape {pi.shape}, expected ({mdp.H}, {mdp.S})")
    bad = (pi < 0) | (pi >= mdp.A)
    if bad.any():
        h, s = np.unravel_index(int(np.flatnonzero(bad)[0]), pi.shape)
        raise ValueError(f"policy[{h}, {s}] is {int(pi[h, s])}, outside 0..{mdp.A - 1}")
    return np.ascontiguousarray(pi, dtype=np.int64)


def icvar_backward_induction(mdp: EpisodicMDP, alpha: float) -> ICVaRSolution:
    r"""Optimal iterated-CVaR values and policy (Du, Wang, Huang, ICLR 2023, eq. (ii)).

    ::

        Q*_h(s, a) = r_h(s, a) + CVaR^alpha_{s' ~ P_h(.|s, a)}( V*_{h+1}(s') ),
        V*_h(s) = max_a Q*_h(s, a),   V*_H = 0      (h = 0..H-1; the paper's h + 1)

    A deterministic Markov policy is optimal (Chu and Zhang 2014). ``V*_{h+1}`` is sorted once
    per stage and every (s, a) walks it in that order, so a stage costs O(S log S + S A S) with
    an early stop at mass ``alpha``. Mean rewards ``R`` are used (the paper's rewards are
    deterministic); a non-stationary kernel is supported.

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]. ``alpha = 1`` is risk-neutral backward induction.

    Returns
    -------
    ICVaRSolution

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((4, 2, 4))
    >>> P[0, 0, 1] = 1.0                        # fork -> safe road
    >>> P[0, 1, 2], P[0, 1, 3] = 0.9, 0.1       # fork -> win or crash
    >>> P[1:, :, 1:] = np.eye(3)[:, None, :]    # absorbing
    >>> R = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.0, 0.0]])
    >>> mdp = EpisodicMDP(P, R, H=2, initial=[1, 0, 0, 0])
    >>> [int(icvar_backward_induction(mdp, a).policy[0, 0]) for a in (0.05, 1.0)]
    [0, 1]
    """
    alpha = check_alpha(alpha)
    return _icvar_solve(mdp, alpha, "icvar_backward_induction")


def worst_path_backward_induction(mdp: EpisodicMDP) -> ICVaRSolution:
    """Optimal worst-path values: ``CVaR`` replaced by ``min`` over the support (eq. (2)).

    The ``alpha -> 0`` limit of :func:`icvar_backward_induction`: ``V*_h(s)`` is the largest
    cumulative reward that a policy guarantees from ``s`` on every path of positive probability.
    It equals the iterated-CVaR optimum for every ``alpha`` at most the smallest positive
    transition probability. Returned with ``alpha = 0.0``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=3, initial=[1, 0])
    >>> worst_path_backward_induction(mdp).values[0].tolist()
    [0.0, 3.0]
    """
    return _icvar_solve(mdp, 0.0, "worst_path_backward_induction")


def _icvar_solve(mdp: EpisodicMDP, alpha: float, method: str) -> ICVaRSolution:
    P4, R3 = _episodic_arrays(mdp, method)
    Q, V, policy = icvar_dp_kernel(P4, R3, alpha)
    V_pi = icvar_evaluate_kernel(P4, R3, alpha, policy)
    return ICVaRSolution(values=V[:-1], q=Q, policy=policy, policy_values=V_pi[:-1], bound=0.0,
                         iterations=mdp.H, stop_reason="exact", method=method, alpha=alpha)


def icvar_evaluate(mdp: EpisodicMDP, policy, alpha: float) -> np.ndarray:
    """Iterated-CVaR values ``V^pi_h(s)`` (H, S) of a deterministic policy (eq. (i)).

    ``V^pi_h(s) = r_h(s, a) + CVaR^alpha_{s' ~ P_h(.|s, a)}(V^pi_{h+1}(s'))``, ``a = pi[h, s]``,
    ``V^pi_H = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> icvar_evaluate(mdp, np.zeros((2, 2), dtype=int), 0.5)[0].tolist()
    [0.0, 2.0]
    """
    alpha = check_alpha(alpha)
    P4, R3 = _episodic_arrays(mdp, "icvar_evaluate")
    return icvar_evaluate_kernel(P4, R3, alpha, _deterministic_policy(mdp, policy))[:-1]


def worst_path_evaluate(mdp: EpisodicMDP, policy) -> np.ndarray:
    """Worst-path values (H, S) of a deterministic policy: eq. (2) with ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> worst_path_evaluate(mdp, np.zeros((2, 2), dtype=int))[0].tolist()
    [0.0, 2.0]
    """
    P4, R3 = _episodic_arrays(mdp, "worst_path_evaluate")
    return icvar_evaluate_kernel(P4, R3, 0.0, _deterministic_policy(mdp, policy))[:-1]


def icvar_max_episode_regret(mdp: EpisodicMDP, alpha: float) -> float:
    r"""The largest iterated-CVaR regret one episode can have:
    ``V*_1(rho) - min_pi V^pi_1(rho)`` with iterated-CVaR values (Du, Wang, Huang 2023, eq. (i)).

    Exact: ``V*`` by :func:`icvar_backward_induction` and the minimum by the same backward
    induction with ``min`` over actions, ``W_h(s) = min_a r_h(s, a) + CVaR^alpha_{s' ~
    P_h(.|s, a)}(W_{h+1}(s'))``. CVaR is monotone in the values, so by induction ``W_h <= V^pi_h``
    in every state for every deterministic Markov policy ``pi``, with equality for the policy
    that attains the minima: ``W`` is the worst policy's iterated-CVaR value. Every episode's
    iterated-CVaR pseudo-regret ``rho @ (V*_1 - V^pi_1)`` (ICVaR-RM's, whose policies are
    deterministic Markov) lies in ``[0, icvar_max_episode_regret(mdp, alpha)]``.

    This range is not bounded by the risk-neutral one,
    :func:`mdptheory.evaluation.max_episode_regret`: a rare bad outcome counts ``1 / alpha``
    times more under CVaR than in the mean, so the iterated-CVaR range can exceed the mean range
    by up to that factor (example below); it is at most ``H`` times the reward range.

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]; ``alpha = 1`` gives the risk-neutral range.

    Returns
    -------
    float

    Examples
    --------
    A fork with a sure road (reward 1 afterwards) and a road that crashes (reward 0) with
    probability 0.1: the mean loses 0.1, the CVaR at alpha = 0.5 loses 0.2.

    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from mdptheory.evaluation import max_episode_regret
    >>> P = np.zeros((3, 2, 3))
    >>> P[0, 0, 1], P[0, 1, 1], P[0, 1, 2] = 1.0, 0.9, 0.1     # fork: sure road or risky one
    >>> P[1:, :, 1:] = np.eye(2)[:, None, :]                   # absorbing
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> mdp = EpisodicMDP(P, R, H=2, initial=[1, 0, 0])
    >>> round(icvar_max_episode_regret(mdp, 0.5), 12), round(max_episode_regret(mdp), 12)
    (0.2, 0.1)
    """
    alpha = check_alpha(alpha)
    P4, R3 = _episodic_arrays(mdp, "icvar_max_episode_regret")
    _, V, _ = icvar_dp_kernel(P4, R3, alpha)
    H, S, A = R3.shape
    low = np.zeros(S)
    backup = np.empty(S * A)
    for h in range(H - 1, -1, -1):
        rows = np.ascontiguousarray(P4[h if P4.shape[0] > 1 else 0].reshape(S * A, S))
        cvar_rows_kernel(rows, low, alpha, backup)
        low = (R3[h] + backup.reshape(S, A)).min(axis=1)
    return float(np.asarray(mdp.initial, dtype=np.float64) @ (V[0] - low))


# --------------------------------------------------------------------------------------------
# Return distributions
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnDistribution:
    """A categorical distribution of a return: sorted atoms and their probabilities.

    Attributes
    ----------
    atoms : ndarray, shape (n,)
        Strictly increasing. For an exact distribution, the achievable returns (returns closer
        than the tolerance of :data:`ATOM_DECIMALS` merged); for a grid, the grid points.
    probabilities : ndarray, shape (n,)
        Non-negative, summing to 1 (zero entries only on a grid).
    exact : bool
        True when ``atoms`` is the exact support; False for a grid projection.

    Examples
    --------
    >>> d = ReturnDistribution.from_atoms([1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    >>> d.atoms.tolist(), d.probabilities.tolist(), d.mean(), d.cvar(0.5)
    ([0.0, 1.0], [0.5, 0.5], 0.5, 0.0)
    """

    atoms: np.ndarray
    probabilities: np.ndarray
    exact: bool = True

    def __post_init__(self) -> None:
        v, p = _distribution(self.atoms, self.probabilities)
        if v.shape[0] > 1 and not np.all(np.diff(v) > 0):
            raise ValueError("atoms must be strictly increasing (use from_atoms to merge)")
        v.flags.writeable = False
        p.flags.writeable = False
        object.__setattr__(self, "atoms", v)
        object.__setattr__(self, "probabilities", p)

    @classmethod
    def from_atoms(cls, values, probabilities, exact: bool = True) -> ReturnDistribution:
        """Sort, merge equal atoms (after rounding) and drop zero-probability atoms."""
        v = np.asarray(values, dtype=np.float64).ravel()
        p = np.asarray(probabilities, dtype=np.float64).ravel()
        atoms, probs = _merge(v, p)
        return cls(atoms, probs, exact)

    @classmethod
    def point(cls, value: float = 0.0) -> ReturnDistribution:
        """The point mass at ``value``."""
        return cls(np.array([float(value)]), np.array([1.0]))

    def mean(self) -> float:
        return float(self.atoms @ self.probabilities)

    def cvar(self, alpha: float) -> float:
        """Lower-tail ``CVaR^alpha`` (see :func:`cvar`)."""
        return cvar(self.atoms, self.probabilities, alpha)

    def var(self, alpha: float) -> float:
        """``VaR^alpha`` (see :func:`var`)."""
        return var(self.atoms, self.probabilities, alpha)

    def cdf(self, x: float) -> float:
        """``Pr(return <= x)``."""
        return float(self.probabilities[self.atoms <= x].sum())

    @property
    def size(self) -> int:
        return int(self.atoms.shape[0])


def _merge(values: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort atoms and merge runs of atoms closer than the merge tolerance; drop zero mass.

    Consecutive sorted atoms whose gap is at most ``10^-ATOM_DECIMALS * max(1, max |v|)`` form
    one atom, placed at the group's probability-weighted mean (clipped to the group's range
    against rounding). Gaps rather than a rounding grid decide, so two sums that differ by a few
    ulps are never split by a rounding boundary, and keeping the group mean preserves the mean
    of the distribution through every stage of a backward pass.
    """
    keep = probabilities > 0
    v, p = values[keep], probabilities[keep]
    order = np.argsort(v, kind="stable")
    v, p = v[order], p[order]
    tol = 10.0 ** -ATOM_DECIMALS * max(1.0, float(np.abs(v).max(initial=0.0)))
    starts = np.concatenate([[True], np.diff(v) > tol])
    if starts.all():
        return v + 0.0, p                                    # + 0.0 turns -0.0 into 0.0
    ids = np.cumsum(starts) - 1
    n = int(ids[-1]) + 1
    probs = np.bincount(ids, weights=p, minlength=n)
    means = np.bincount(ids, weights=p * v, minlength=n) / probs
    first = v[starts]
    last = v[np.concatenate([starts[1:], [True]])]
    return np.clip(means, first, last) + 0.0, probs


GAUSS_HERMITE_NODES = 5
"""Gaussian reward noise is represented by this many Gauss-Hermite atoms on a grid (mean and
variance exact; moments up to order 9 exact)."""


def _reward_atoms(mdp: EpisodicMDP, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and probabilities of one reward sample around ``mean`` under the noise model."""
    kind = mdp.noise.kind
    if kind == "deterministic":
        return np.array([mean]), np.array([1.0])
    if kind == "bernoulli":
        atoms = np.array([0.0, 1.0])
        probs = np.array([1.0 - mean, mean])
        keep = probs > 0
        return atoms[keep], probs[keep]
    nodes, weights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_NODES)
    return mean + mdp.noise.sigma * nodes, weights / weights.sum()


def _stochastic_policy(mdp: EpisodicMDP, policy) -> np.ndarray:
    """An (H, S, A) array of action probabilities for a deterministic or stochastic policy."""
    pi = np.asarray(policy)
    if np.issubdtype(pi.dtype, np.integer):
        pi = _deterministic_policy(mdp, pi)
        out = np.zeros((mdp.H, mdp.S, mdp.A))
        h, s = np.indices(pi.shape)
        out[h, s, pi] = 1.0
        return out
    # Shape, finiteness and rows summing to 1 (within the model's tolerance) as in evaluation.
    return check_policy(mdp, pi.astype(np.float64, copy=False))


def _check_grid(grid) -> np.ndarray:
    z = _atoms(grid, "grid")
    if z.ndim != 1 or z.shape[0] < 2:
        raise ValueError(f"grid must be one-dimensional with at least 2 points, got shape "
                         f"{z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("grid holds a non-finite point")
    steps = np.diff(z)
    if (steps <= 0).any():
        j = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(f"grid must be strictly increasing, but grid[{j + 1}] = "
                         f"{float(z[j + 1])!r} <= grid[{j}] = {float(z[j])!r}")
    return z


def project_onto_grid(values, probabilities, grid) -> np.ndarray:
    """Categorical projection of atoms onto a grid (Bellemare, Dabney, Munos 2017, eq. (7)).

    An atom ``y`` between grid points ``z_j <= y <= z_{j+1}`` sends its mass to both in
    proportion to proximity; atoms outside ``[z_0, z_{n-1}]`` go to the nearest end. The mean is
    preserved exactly for atoms inside the grid's range.

    Examples
    --------
    >>> project_onto_grid([0.25], [1.0], [0.0, 1.0]).tolist()
    [0.75, 0.25]
    """
    z = _check_grid(grid)
    y, p = _distribution(values, probabilities)
    return _project(y, p, z)


def _project(values: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """:func:`project_onto_grid` on validated inputs; ``p`` may be a sub-probability mass."""
    y = np.clip(values.ravel(), z[0], z[-1])
    p = p.ravel()
    upper = np.clip(np.searchsorted(z, y, side="right"), 1, z.shape[0] - 1)
    lower = upper - 1
    frac = (y - z[lower]) / (z[upper] - z[lower])
    n = z.shape[0]
    return (np.bincount(lower, weights=p * (1.0 - frac), minlength=n)
            + np.bincount(upper, weights=p * frac, minlength=n))


def distributional_bellman(mdp: EpisodicMDP, policy, h: int, next_distributions,
                           grid=None):
    r"""The distributional Bellman evaluation operator at stage ``h``.

    ``(T^pi Z)_h(s) = Law( R_h(s, A) + Z_{h+1}(S') )``, ``A ~ pi_h(.|s)``,
    ``S' ~ P_h(.|s, A)``, ``R_h`` the reward sample (Bellemare, Dabney, Munos 2017, eq. (4),
    undiscounted finite horizon): a mixture over actions, reward atoms and next states of
    shifted copies of the next-stage distributions.

    Parameters
    ----------
    mdp : EpisodicMDP
    policy : ndarray
        Deterministic ``int`` (H, S) or stochastic ``float`` (H, S, A).
    h : int
        Stage in ``0..H-1``.
    next_distributions : list of ReturnDistribution (exact) or ndarray (S, n) (grid)
        ``Z_{h+1}(s')`` for every state.
    grid : array_like, shape (n,), optional
        With a grid, distributions are arrays of probabilities on it and the result is
        projected with :func:`project_onto_grid`. Without, the result is exact.

    Returns
    -------
    list of ReturnDistribution, or ndarray of shape (S, n)

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=1)
    >>> Z = distributional_bellman(mdp, np.zeros((1, 2), dtype=int), 0,
    ...                            [ReturnDistribution.point(0.0)] * 2)
    >>> [d.atoms.tolist() for d in Z]
    [[0.0], [1.0]]
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(f"distributional_bellman needs an EpisodicMDP as mdp, got "
                                 f"{type(mdp).__name__}")
    h = check_index(h, "stage h", mdp.H)
    pi = _stochastic_policy(mdp, policy)
    P = mdp.transition(h)
    if grid is None:
        if len(next_distributions) != mdp.S:
            raise ValueError(f"next_distributions has {len(next_distributions)} entries, "
                             f"expected S = {mdp.S}")
        return [_exact_backup(mdp, pi, P, h, s, next_distributions) for s in range(mdp.S)]
    z = _check_grid(grid)
    Z = np.asarray(next_distributions, dtype=np.float64)
    if Z.shape != (mdp.S, z.shape[0]):
        raise ValueError(f"next_distributions has shape {Z.shape}, expected "
                         f"({mdp.S}, {z.shape[0]}) on the grid")
    out = np.zeros((mdp.S, z.shape[0]))
    for s in range(mdp.S):
        for a in np.flatnonzero(pi[h, s] > 0):
            mixture = pi[h, s, a] * (P[s, a] @ Z)
            r_atoms, r_probs = _reward_atoms(mdp, float(mdp.R[h, s, a]))
            for r, w in zip(r_atoms, r_probs, strict=True):
                out[s] += _project(z + r, w * mixture, z)
    return out


def _exact_backup(mdp: EpisodicMDP, pi: np.ndarray, P: np.ndarray, h: int, s: int,
                  Z: list[ReturnDistribution]) -> ReturnDistribution:
    values, weights = [], []
    for a in np.flatnonzero(pi[h, s] > 0):
        r_atoms, r_probs = _reward_atoms(mdp, float(mdp.R[h, s, a]))
        for s_next in np.flatnonzero(P[s, a] > 0):
            d = Z[s_next]
            for r, w in zip(r_atoms, r_probs, strict=True):
                values.append(d.atoms + r)
                weights.append(d.probabilities * (pi[h, s, a] * P[s, a, s_next] * w))
    atoms, probs = _merge(np.concatenate(values), np.concatenate(weights))
    if atoms.shape[0] > MAX_ATOMS:
        raise ValueError(f"the exact return distribution at stage {h}, state {s} has "
                         f"{atoms.shape[0]} atoms (> {MAX_ATOMS}); pass a grid")
    return ReturnDistribution(atoms, probs / probs.sum(), exact=True)


def return_distribution(mdp: EpisodicMDP, policy, grid: int | np.ndarray | None = None,
                        initial=None, stage_distributions: bool = False):
    """The law of the total return ``sum_h R_h`` of a policy from the start distribution.

    Backward recursion with :func:`distributional_bellman` from ``Z_H = delta_0``, then the
    mixture over the start distribution.

    * ``grid=None`` (exact): categorical on the exact support of achievable returns. Needs
      finitely many reward values: deterministic or Bernoulli noise. Atoms that differ only by
      rounding are merged (:data:`ATOM_DECIMALS`), at their mean.
    * ``grid`` an array: probabilities on those points, every stage projected with
      :func:`project_onto_grid` (Bellemare et al. 2017, eq. (7)). The mean is preserved exactly
      when every shifted atom stays inside the grid: the range must hold every return-to-go
      (0 included) plus ``H + 1`` spacings on each side, since each projection can move mass by
      one spacing; mass beyond the ends is clipped to them. ``grid`` an int ``n > 2H + 3``: ``n``
      equally spaced points over exactly such a range, so the mean is exact. Gaussian reward
      samples are represented by :data:`GAUSS_HERMITE_NODES` Gauss-Hermite atoms (mean and
      variance exact).

    Parameters
    ----------
    mdp : EpisodicMDP
    policy : ndarray
        Deterministic ``int`` (H, S) or stochastic ``float`` (H, S, A).
    grid : None, int or array_like
    initial : array_like, shape (S,), optional
        Start distribution; ``mdp.initial`` by default.
    stage_distributions : bool
        Also return the per-stage, per-state distributions (a list over h of lists over s, or
        an (H, S, n) array on a grid).

    Returns
    -------
    ReturnDistribution, or (ReturnDistribution, per-stage distributions)

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> d = return_distribution(mdp, np.zeros((2, 2), dtype=int))
    >>> d.atoms.tolist(), d.probabilities.tolist()
    ([0.0, 1.0], [0.5, 0.5])
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ValueError(f"return_distribution needs an EpisodicMDP, got {type(mdp).__name__}")
    pi = _stochastic_policy(mdp, policy)
    rho = np.asarray(mdp.initial if initial is None else initial, dtype=np.float64)
    if rho.shape != (mdp.S,):
        raise ValueError(f"initial has shape {rho.shape}, expected ({mdp.S},)")
    _distribution(np.arange(mdp.S, dtype=np.float64), rho)
    if grid is None:
        if mdp.noise.kind == "gaussian":
            raise ValueError("Gaussian reward noise has no finite exact support; pass grid=n "
                             "(or an array of grid points)")
        Z: list[ReturnDistribution] = [ReturnDistribution.point(0.0)] * mdp.S
        stages = []
        for h in range(mdp.H - 1, -1, -1):
            Z = distributional_bellman(mdp, pi, h, Z)
            stages.append(Z)
        values = np.concatenate([Z[s].atoms for s in range(mdp.S) if rho[s] > 0])
        weights = np.concatenate([Z[s].probabilities * rho[s] for s in range(mdp.S)
                                  if rho[s] > 0])
        atoms, probs = _merge(values, weights)
        result = ReturnDistribution(atoms, probs / probs.sum(), exact=True)
        return (result, stages[::-1]) if stage_distributions else result
    z = _default_grid(mdp, grid) if isinstance(grid, (int, np.integer)) else _check_grid(grid)
    Zg = np.zeros((mdp.S, z.shape[0]))
    Zg[:] = _project(np.zeros(1), np.ones(1), z)
    stages_g = np.zeros((mdp.H, mdp.S, z.shape[0]))
    for h in range(mdp.H - 1, -1, -1):
        Zg = distributional_bellman(mdp, pi, h, Zg, grid=z)
        stages_g[h] = Zg
    probs = rho @ Zg
    result = ReturnDistribution(z, probs / probs.sum(), exact=False)
    return (result, stages_g) if stage_distributions else result


def _default_grid(mdp: EpisodicMDP, n: int) -> np.ndarray:
    """``n`` equally spaced points holding every projected return-to-go.

    The returns-to-go lie in ``[lo, hi]`` (suffix sums of the smallest and largest reward
    atoms, and 0). Each projection moves mass by at most one spacing ``d``, and there are
    ``H + 1`` of them (the start ``delta_0`` included), so a margin of ``(H + 1) d`` on both
    sides keeps every shifted atom inside the grid and the mean exact:
    ``d = (hi - lo) / (n - 1 - 2 (H + 1))``.
    """
    H = mdp.H
    if isinstance(n, bool) or n <= 2 * H + 3:
        raise ValueError(f"grid={n!r}: an automatic grid needs more than 2 H + 3 = {2 * H + 3} "
                         "points (a margin of H + 1 spacings on each side); pass more points "
                         "or an explicit array")
    lows, highs = np.zeros(H), np.zeros(H)
    for h in range(H):
        if mdp.noise.kind == "bernoulli":
            lows[h], highs[h] = 0.0, 1.0
        else:
            lows[h], highs[h] = mdp.R[h].min(), mdp.R[h].max()
    # Gaussian rewards: each sample is a Gauss-Hermite atom within 3 sigma of its mean.
    nodes = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_NODES)[0]
    lows -= mdp.noise.sigma * float(np.abs(nodes).max())
    highs += mdp.noise.sigma * float(np.abs(nodes).max())
    lo = min(0.0, float(np.cumsum(lows[::-1]).min()))
    hi = max(0.0, float(np.cumsum(highs[::-1]).max()))
    d = (hi - lo) / (n - 1 - 2 * (H + 1))
    if not d > 64 * np.finfo(float).eps * max(abs(lo), abs(hi), np.finfo(float).tiny):
        # A (numerically) zero range, e.g. all rewards 0 or subnormal: any spacing keeps the
        # projection's mean exact, and points must stay distinct.
        hi = lo + 1.0
        d = (hi - lo) / (n - 1 - 2 * (H + 1))
    return np.linspace(lo - (H + 1) * d, hi + (H + 1) * d, int(n))


# --------------------------------------------------------------------------------------------
# Static CVaR of the total return by state augmentation
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaticCVaRSolution:
    """Result of :func:`static_cvar_optimum`.

    Attributes
    ----------
    value : float
        ``max_pi CVaR^alpha(G^pi)`` over all history-dependent policies, ``G`` the total return
        from the start distribution.
    threshold : float
        The maximising ``x*`` of ``x - E[(x - G)^+]/alpha`` (the optimal policy's VaR).
    alpha : float
    policy : dict
        ``policy[(h, s, c)] = a``: the optimal action at stage ``h`` in state ``s`` after
        accumulating reward ``c`` (rounded to :data:`ATOM_DECIMALS` decimals), for every
        augmented state reachable under some policy.
    distribution : ReturnDistribution
        Exact return distribution of that augmented policy.
    policy_value : float
        ``CVaR^alpha`` of ``distribution`` by sorting: a certificate equal to ``value`` up to
        rounding.
    n_augmented_states : int
        Reachable (stage, state, accumulated reward) triples.
    thresholds : ndarray
        Candidate ``x`` (every achievable total return) and ``objective`` the optimised
        ``x - min_pi E[(x - G)^+]/alpha`` at each.
    """

    value: float
    threshold: float
    alpha: float
    policy: dict[tuple[int, int, float], int]
    distribution: ReturnDistribution
    policy_value: float
    n_augmented_states: int
    thresholds: np.ndarray = field(repr=False)
    objective: np.ndarray = field(repr=False)

    def act(self, h: int, s: int, accumulated: float) -> int:
        """The optimal action at stage ``h`` in state ``s`` after accumulating ``accumulated``."""
        return self.policy[(int(h), int(s), _key(accumulated))]


def _key(x: float) -> float:
    return float(np.round(x, ATOM_DECIMALS)) + 0.0


def static_cvar_optimum(mdp: EpisodicMDP, alpha: float) -> StaticCVaRSolution:
    r"""The optimal static CVaR of the total return, exactly, by state augmentation.

    ``max_pi CVaR^alpha(G^pi) = max_x { x - (1/alpha) min_pi E[(x - G^pi)^+] }``
    (Rockafellar-Uryasev; Bauerle and Ott 2011, Thm 3.3). For fixed ``x`` the inner problem is
    an MDP on the augmented state ``(s, c)``, ``c`` the reward accumulated so far (the "stock"
    of distributional DP, Avila Pires et al., JMLR 2025, arXiv:2501.13028)::

        W_H(s, c) = (x - c)^+,
        W_h(s, c) = min_a sum_{r, s'} Pr(r | h, s, a) P_h(s' | s, a) W_{h+1}(s', c + r),

    so history enters only through ``c``. The optimal ``x`` is an atom of the optimal return
    distribution, hence an achievable total return; the DP runs for every such ``x`` at once
    (one vector per augmented state) and the best is kept. Exact; the cost grows with the
    number of reachable accumulated rewards, so this is for small instances (deterministic or
    Bernoulli rewards).

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]; ``alpha = 1`` gives the risk-neutral optimum.

    Returns
    -------
    StaticCVaRSolution

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((3, 2, 3))
    >>> P[0, 0, 1] = 1.0                        # a sure 0.4 now, then nothing
    >>> P[0, 1] = [0.0, 0.5, 0.5]               # a coin flip for 1 later
    >>> P[1:, :, 1:] = np.eye(2)[:, None, :]
    >>> mdp = EpisodicMDP(P, [[0.4, 0.0], [0.0, 0.0], [1.0, 1.0]], H=2, initial=[1, 0, 0])
    >>> sol = static_cvar_optimum(mdp, 0.5)
    >>> round(sol.value, 12), sol.act(0, 0, 0.0)
    (0.4, 0)
    """
    alpha = check_alpha(alpha)
    if not isinstance(mdp, EpisodicMDP):
        raise ValueError(f"static_cvar_optimum needs an EpisodicMDP, got {type(mdp).__name__}")
    if mdp.noise.kind == "gaussian":
        raise ValueError("static_cvar_optimum needs finitely many reward values "
                         "(deterministic or Bernoulli noise), got Gaussian noise")
    H, S, A = mdp.H, mdp.S, mdp.A
    rho = np.asarray(mdp.initial)
    reward_atoms = [[[_reward_atoms(mdp, float(mdp.R[h, s, a])) for a in range(A)]
                     for s in range(S)] for h in range(H)]
    # Forward: reachable augmented states (s, c) per stage, under any policy. States are keyed
    # by c rounded (sums of the same rewards in another order differ by ulps); each keeps the
    # exact c of its first path, and every computation uses that exact value.
    layers: list[dict[tuple[int, float], int]] = []
    exact: list[list[float]] = []
    layer: dict[tuple[int, float], int] = {}
    for s in np.flatnonzero(rho > 0):
        layer[(int(s), 0.0)] = len(layer)
    layers.append(layer)
    exact.append([0.0] * len(layer))
    for h in range(H):
        P = mdp.transition(h)
        nxt: dict[tuple[int, float], int] = {}
        nxt_exact: list[float] = []
        for (s, _), i in layers[h].items():
            c = exact[h][i]
            for a in range(A):
                r_atoms, _ = reward_atoms[h][s][a]
                for s_next in np.flatnonzero(P[s, a] > 0):
                    for r in r_atoms:
                        key = (int(s_next), _key(c + r))
                        if key not in nxt:
                            nxt[key] = len(nxt)
                            nxt_exact.append(c + r)
        layers.append(nxt)
        exact.append(nxt_exact)
    terminal = np.array(exact[H])
    X = np.unique(terminal)
    # Backward: W[i, j] = min_pi E[(X_j - G)^+ | augmented state i at stage h].
    W = np.maximum(X[None, :] - terminal[:, None], 0.0)
    choices: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * H
    for h in range(H - 1, -1, -1):
        P = mdp.transition(h)
        nxt = layers[h + 1]
        W_h = np.empty((len(layers[h]), X.shape[0]))
        best_a = np.zeros((len(layers[h]), X.shape[0]), dtype=np.int64)
        for (s, _), i in layers[h].items():
            c = exact[h][i]
            best = np.full(X.shape[0], np.inf)
            for a in range(A):
                r_atoms, r_probs = reward_atoms[h][s][a]
                expected = np.zeros(X.shape[0])
                for s_next in np.flatnonzero(P[s, a] > 0):
                    for r, w in zip(r_atoms, r_probs, strict=True):
                        expected += (P[s, a, s_next] * w) * W[nxt[(int(s_next), _key(c + r))]]
                # Strict improvement only: ties keep the smallest action, as elsewhere.
                better = expected < best
                best = np.where(better, expected, best)
                best_a[i] = np.where(better, a, best_a[i])
            W_h[i] = best
        W = W_h
        choices[h] = best_a
    start = np.zeros(X.shape[0])
    for (s, _), i in layers[0].items():
        start += rho[s] * W[i]
    objective = X - start / alpha
    j = int(np.argmax(objective))
    policy = {(h, s, c): int(choices[h][i, j]) for h in range(H)
              for (s, c), i in layers[h].items()}
    distribution = _augmented_return_distribution(mdp, policy, reward_atoms)
    return StaticCVaRSolution(value=float(objective[j]), threshold=float(X[j]), alpha=alpha,
                              policy=policy, distribution=distribution,
                              policy_value=distribution.cvar(alpha),
                              n_augmented_states=sum(len(layer) for layer in layers),
                              thresholds=X, objective=objective)


def _augmented_return_distribution(mdp: EpisodicMDP, policy: dict, reward_atoms) -> \
        ReturnDistribution:
    """Forward propagation of the law of (s, c) under a policy of the augmented state."""
    # key -> (probability, exact accumulated reward of the first path reaching the key)
    mass: dict[tuple[int, float], tuple[float, float]] = {
        (int(s), 0.0): (float(mdp.initial[s]), 0.0) for s in np.flatnonzero(mdp.initial > 0)}
    for h in range(mdp.H):
        P = mdp.transition(h)
        nxt: dict[tuple[int, float], tuple[float, float]] = {}
        for (s, c_key), (m, c) in mass.items():
            a = policy[(h, s, c_key)]
            r_atoms, r_probs = reward_atoms[h][s][a]
            for s_next in np.flatnonzero(P[s, a] > 0):
                for r, w in zip(r_atoms, r_probs, strict=True):
                    key = (int(s_next), _key(c + r))
                    previous, c_first = nxt.get(key, (0.0, c + r))
                    nxt[key] = (previous + m * P[s, a, s_next] * w, c_first)
        mass = nxt
    values = np.array([c for (_, c) in mass.values()])
    probs = np.array([m for (m, _) in mass.values()])
    return ReturnDistribution.from_atoms(values, probs / probs.sum())
