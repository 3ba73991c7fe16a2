r"""VaR and CVaR of discrete distributions, exactly by sorting, and CVaR backups.

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
  LP via cvxpy, an independent cross-check).
* :func:`cvar_backup` (CVaR of one value vector under many distributions, one sort) and
  :func:`worst_path_backup` (its ``alpha -> 0`` limit), on the compiled walk of
  :mod:`mdptheory.risk._kernels`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mdptheory._validation import DEFAULT_TOL, ParameterTypeError, check_cvxpy_solver
from mdptheory._validation import check_alpha as _check_alpha
from mdptheory.lp_solver import lp_solver
from mdptheory.risk._kernels import cvar_rows_kernel

__all__ = [
    "CVAR_LP_PRIMAL_MIN_ALPHA",
    "check_alpha",
    "cvar",
    "cvar_backup",
    "cvar_lp",
    "cvar_weights",
    "var",
    "worst_path_backup",
]


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
        raise ParameterTypeError(f"{name} must be an array of real numbers, got dtype {raw.dtype}")
    try:
        return np.array(raw, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError) as error:
        raise ParameterTypeError(f"{name} must be an array of real numbers: {error}") from error


def _distribution(values, probabilities, tol: float = DEFAULT_TOL) -> tuple[np.ndarray, np.ndarray]:
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
        raise ValueError(
            f"probabilities[{i}] is {float(p[i])!r}; probabilities must be finite and >= 0"
        )
    with np.errstate(over="ignore"):
        total = float(p.sum())
        span = float(v.max()) - float(v.min())
    if not np.isfinite(span):
        raise ValueError(
            f"values span [{float(v.min())!r}, {float(v.max())!r}], a range that overflows float64"
        )
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
        problem = cp.Problem(cp.Minimize(q @ v), [cp.sum(q) == 1, q <= np.minimum(p / alpha, 1.0)])
    solver, options = lp_solver(solver)
    problem.solve(solver=solver, **options)
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise ValueError(
            f"the CVaR LP returned status {problem.status!r} with {solver} (alpha = {alpha!r})"
        )
    value = float(problem.value)
    low, high = float(v.min()), float(v.max())
    slack = 1e-8 * max(1.0, high - low, abs(low), abs(high))
    if not (low - slack <= value <= high + slack):
        raise ValueError(
            f"the CVaR LP with {solver} returned {value!r}, outside the atoms' "
            f"range [{low!r}, {high!r}] (alpha = {alpha!r}): the solve is inaccurate"
        )
    return value


CVAR_LP_PRIMAL_MIN_ALPHA = 1e-3
""":func:`cvar_lp` solves the primal for ``alpha`` at or above this, the dual below."""


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
        raise ValueError(
            f"P has shape {P.shape}; its last axis must match V's length {values.shape[0]}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"V[{i}] is {float(values[i])!r}, not a finite number")
    P2 = np.ascontiguousarray(P.reshape(-1, values.shape[0]))
    bad = ~np.isfinite(P2) | (P2 < 0)
    if bad.any():
        row, col = np.unravel_index(int(np.flatnonzero(bad)[0]), P2.shape)
        index = (*np.unravel_index(row, P.shape[:-1]), col) if P.ndim > 1 else (col,)
        raise ValueError(
            f"P[{', '.join(map(str, index))}] is {float(P2[row, col])!r}; "
            "probabilities must be finite and >= 0"
        )
    sums = P2.sum(axis=1)
    bad = np.abs(sums - 1.0) > DEFAULT_TOL
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        index = np.unravel_index(row, P.shape[:-1]) if P.ndim > 1 else ()
        inner = ", ".join([*map(str, index), ":"])
        raise ValueError(
            f"P[{inner}] sums to {float(sums[row])!r}, not 1 (tolerance {DEFAULT_TOL:g})"
        )
    return P2, values, P.shape[:-1]
