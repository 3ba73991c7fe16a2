r"""DRPVI's coordinate duals for the KL and chi-square balls, on ridge-estimated factors.

For the d-rectangular ball ``D(mu_i || mu^0_{h, i}) <= rho`` the inner value of factor ``i`` is
a one-dimensional dual in the factor's moments (``mdptheory.robust``'s conventions: ``KL(mu ||
mu^0)``, Pearson's chi-square). The learner does not know ``mu^0_{h, i}``; each expectation
``E_{mu^0_{h, i}}[f]`` is replaced by its ridge estimate ``(M_h f)_i`` (``M_h`` of
:mod:`algorithms.offline.robust._regression`), as DRPVI does for TV (Liu and Xu 2024) and as Ma
et al. (2022) do for KL. Reconstructed: the papers' texts were not read; the floor and the
ranges below are this library's choices, stated here.

* **KL** (Hu and Hong 2013; Ma et al. 2022): ``nu_i = sup_{u > 0} min V - (log z_i(u) + rho) /
  u`` with ``z_i(u) = (M e^{-u (V - min V)})_i`` (``u = 1 / beta``; the shift by ``min V`` is
  exact because ``M`` is linear, and keeps every exponential in ``(0, 1]``). Its derivative in
  ``u`` is ``(rho - KL_i(u)) / u^2`` with ``KL_i(u) = -u m1 - log z`` the tilted divergence of
  the estimated moments, so the maximum solves ``KL_i(u) = rho``. Points where ``z_i(u)`` is
  below ``e^{-u (max V - min V)}``, the least value a distribution can give, are not candidates
  (an estimate that is not a distribution there); the limit ``u -> inf`` is the least ``V`` over
  the states with a positive weight in row ``i``. Negative ridge weights are dropped (each row a
  measure; the estimate's ``z`` otherwise crosses 0 at large ``u`` on weights of the order of
  the ridge leakage, and the dual blows up there). Search: a geometric grid of ``u (max V - min
  V)`` in ``[rho / 4, 4096]``, each row shifted to its least weighted atom (no underflow however
  large ``u``), then safeguarded Newton on ``KL_i(u) = rho`` inside the best grid point's
  neighbours (bisection when Newton leaves them), moments of the shifted tilt computed in one
  pass.
* **chi-square**: ``nu_i = sup_alpha z_i(alpha) - sqrt(rho max(z2_i(alpha) - z_i(alpha)^2,
  0))`` with ``z = M [V]_alpha``, ``z2 = M [V]_alpha^2`` (the ball's dual of
  :func:`mdptheory.robust._kernels.chi2_row` with estimated moments). Between consecutive atoms
  ``z = a + b alpha`` and ``z2 = c + b alpha^2``, so the stationary points solve a quadratic;
  the maximum is the best of them and of the atoms, exact.

On exact moments (``M`` the true factors as rows) both equal the exact d-rectangular inner
values of :func:`mdptheory.robust.d_rectangular.factor_backup` (tested to 1e-10).
"""

from __future__ import annotations

import numpy as np
from numba import njit

GRID_POINTS = 64
"""Points of the KL dual's grid in ``x = u (max V - min V)``."""
GRID_LOW = 0.25
"""The grid starts at ``x = GRID_LOW rho``: the exact maximiser has ``x >= rho`` (beyond
``beta = (E V - min V) / rho`` the dual is below ``min V``)."""
GRID_HIGH = 4096.0
"""The grid ends at ``x = GRID_HIGH``; beyond, the limit ``u -> inf`` is a candidate."""
NEWTON_STEPS = 100
EXCESS_TOL = 1e-9
"""A row whose mass is within this of 1 counts as a distribution (rounding, or the ridge
shrinkage of a practically infinite sample)."""


def kl_grid(rho: float) -> np.ndarray:
    """The grid of ``x = u (max V - min V)`` searched by :func:`kl_ball_dual`."""
    # floored at 1e-300 so that a subnormal radius still has a grid (the maximiser is near
    # sqrt(2 rho / Var), far above it)
    low = max(GRID_LOW * rho, 1e-300)
    return np.exp(np.linspace(np.log(low), np.log(GRID_HIGH), GRID_POINTS))


@njit(cache=True)
def _kl_moments(m, w, u, excess):
    """``z - 1`` (as ``excess + sum_j m_j expm1(-u w_j)``, accurate when ``u`` is small),
    ``m1`` and ``var`` of the (signed) tilt, one pass; ``excess = sum_j m_j - 1``."""
    zm1 = excess
    z = 0.0
    s1 = 0.0
    s2 = 0.0
    for j in range(w.shape[0]):
        if m[j] != 0.0:
            t = np.expm1(-u * w[j])
            zm1 += m[j] * t
            e = m[j] * (1.0 + t)
            z += e
            s1 += e * w[j]
            s2 += e * w[j] * w[j]
    if not z > 0.0:
        return zm1, np.nan, np.nan
    m1 = s1 / z
    return zm1, m1, s2 / z - m1 * m1


@njit(cache=True)
def _kl_objective(zm1, u, rho, room):
    """``-(log z + rho) / u`` of a row shifted to its least weighted atom (``log z = log1p(z -
    1)``: for a small ``u`` the division would magnify the rounding of ``log z``), or ``-inf``
    where ``z`` is below ``e^{-u room}``, the least value a distribution can give (``room``:
    the largest shifted ``V``)."""
    if not (u > 0.0 and 1.0 + zm1 > 0.0):
        return -np.inf
    log_z = np.log1p(zm1)
    if not log_z > -u * room - 1e-12:
        return -np.inf
    return -(log_z + rho) / u


@njit(cache=True)
def _kl_refine(m, w, rho, room, excess, lo, hi, best_u, best_f):
    """Safeguarded Newton on ``KL(u) = rho`` in ``[lo, hi]``; the best objective seen."""
    u = best_u
    for _ in range(NEWTON_STEPS):
        if not u > 0.0:
            break
        zm1, m1, var = _kl_moments(m, w, u, excess)
        if not 1.0 + zm1 > 0.0:
            break
        f = _kl_objective(zm1, u, rho, room)
        if f > best_f:
            best_f = f
            best_u = u
        kl = -u * m1 - np.log1p(zm1)
        if kl < rho:
            lo = u
        else:
            hi = u
        if hi - lo <= 1e-14 * hi:
            break
        slope = u * var
        step = u - (kl - rho) / slope if slope > 0.0 else np.nan
        if step > lo and step < hi and np.isfinite(step):
            u = step
        else:
            u = 0.5 * (lo + hi)
    return best_f


@njit(cache=True)
def _excess(m):
    """``sum_j m_j - 1``, 0 for a row summing to 1 up to rounding (a distribution): divided by
    a small ``u`` that rounding would become a large spurious value."""
    excess = -1.0
    for j in range(m.shape[0]):
        excess += m[j]
    return 0.0 if abs(excess) <= EXCESS_TOL else excess


@njit(cache=True)
def _kl_duals(M, w, spread, rho, xs):
    """Shifted duals ``nu_i - min V`` (``w = V - min V``, ``xs`` the grid of ``u spread``)."""
    d, S = M.shape
    out = np.empty(d)
    n_grid = xs.shape[0]
    ws = np.empty(S)
    for i in range(d):
        m = M[i]
        excess = _excess(m)
        # each row shifted to its least weighted atom, so its tilt never underflows; the
        # limit u -> inf is that atom's value
        limit = np.inf
        for j in range(S):
            if m[j] > 0.0 and w[j] < limit:
                limit = w[j]
        if limit == np.inf:
            out[i] = 0.0  # no weight at all (a row of zeros): the least value
            continue
        for j in range(S):
            ws[j] = w[j] - limit
        room = spread - limit
        best_f = -np.inf
        best_k = -1
        for k in range(n_grid):
            u = xs[k] / spread
            f = _kl_objective(_kl_moments(m, ws, u, excess)[0], u, rho, room)
            if f > best_f:
                best_f = f
                best_k = k
        if best_k >= 0:
            lo = xs[best_k - 1] / spread if best_k > 0 else 0.0
            hi = xs[best_k + 1] / spread if best_k + 1 < n_grid else 4.0 * xs[best_k] / spread
            best_f = _kl_refine(m, ws, rho, room, excess, lo, hi, xs[best_k] / spread, best_f)
        out[i] = limit + (best_f if best_f > 0.0 else 0.0)
    return out


def kl_ball_dual(M: np.ndarray, V: np.ndarray, rho: float) -> np.ndarray:
    """DRPVI-KL coordinate duals ``sup_{u > 0} min V - (log (M e^{-u (V - min V)})_i + rho) / u``.

    Parameters
    ----------
    M : ndarray, shape (d, S)
        Ridge operator (rows: the estimated factors).
    V : ndarray, shape (S,)
    rho : float
        Radius of each factor's KL ball, ``rho >= 0`` (0 gives ``M V``).

    Examples
    --------
    >>> import numpy as np
    >>> nu = kl_ball_dual(np.array([[0.5, 0.5]]), np.array([0.0, 1.0]), 0.1)
    >>> bool(0.0 < nu[0] < 0.5)
    True
    """
    M = np.ascontiguousarray(M, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    v_min = float(V.min())
    spread = float(V.max()) - v_min
    if rho <= 0.0 or spread <= 0.0:
        return M @ V
    # negative ridge weights dropped: each row is then a measure, whose tilted mass never
    # crosses 0 (where the dual's logarithm would blow up on a rounding-sized weight)
    M = np.maximum(M, 0.0)
    w = V - v_min
    return v_min + _kl_duals(M, w, spread, float(rho), kl_grid(rho))


@njit(cache=True)
def chi2_ball_dual(M, V, order, rho):
    r"""DRPVI-chi-square coordinate duals ``sup_alpha z_i - sqrt(rho max(z2_i - z_i^2, 0))``.

    ``z = M [V]_alpha``, ``z2 = M [V]_alpha^2``. In the shifted variables ``V' = V - min V``,
    ``alpha' = alpha - min V`` (smaller numbers, so the variance is not the difference of two
    large ones; ``min V`` is over the states with a weight in row ``i``), with ``T = sum_j
    M_ij``, ``z = T min V + z'`` and ``z2 - z^2 = z2' - z'^2 + 2 min V (1 - T) z' + min V^2 (T
    - T^2)``. On ``[v_(k), v_(k+1)]`` (sorted atoms of ``V``,
    ``order`` its ascending order) ``z' = a + b alpha'`` and ``z2' = c + b alpha'^2``, so the
    variance is a quadratic ``Q(alpha')`` and the stationary points of ``z - sqrt(rho Q)``
    solve ``4 b^2 Q = rho Q'^2``; the maximum is the best of them, the vertex of ``Q`` and the
    atoms (every candidate is evaluated, so a spurious root costs nothing). Exact, ``O(d S)``
    after the sort.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([0.0, 1.0])
    >>> chi2_ball_dual(np.array([[0.5, 0.5]]), V, np.argsort(V), 0.0)
    array([0.5])
    """
    d, S = M.shape
    out = np.empty(d)
    candidates = np.empty(5)
    for i in range(d):
        total = 0.0
        for j in range(S):
            total += M[i, j]
        # shift by the least atom with a weight: the variance there is 0, computed as 0
        shift = V[order[0]]
        for k in range(S):
            if M[i, order[k]] != 0.0:
                shift = V[order[k]]
                break
        # a row summing to 1 up to rounding is a distribution: its variance is then exactly
        # shift-invariant (the rounding of T would otherwise enter multiplied by shift^2)
        excess = 0.0 if abs(1.0 - total) <= 1e-12 else 1.0 - total
        a = 0.0
        c = 0.0
        b = total
        best = -np.inf
        for k in range(S):
            j = order[k]
            v = V[j] - shift
            # alpha in [V_(k), V_(k+1)]: the states up to k are below alpha
            a += M[i, j] * v
            c += M[i, j] * v * v
            b -= M[i, j]
            left = v
            right = V[order[k + 1]] - shift if k + 1 < S else left
            q2 = b - b * b
            q1 = -2.0 * a * b + 2.0 * shift * excess * b
            q0 = c - a * a + 2.0 * shift * excess * a + shift * shift * excess * (1.0 - excess)
            candidates[0] = left
            candidates[1] = right
            n = 2
            if q2 != 0.0:
                candidates[n] = -q1 / (2.0 * q2)
                n += 1
            # 4 b^2 (q2 x^2 + q1 x + q0) = rho (2 q2 x + q1)^2
            e2 = 4.0 * b * b * q2 - 4.0 * rho * q2 * q2
            e1 = 4.0 * b * b * q1 - 4.0 * rho * q1 * q2
            e0 = 4.0 * b * b * q0 - rho * q1 * q1
            if e2 != 0.0:
                disc = e1 * e1 - 4.0 * e2 * e0
                if disc >= 0.0:
                    sq = np.sqrt(disc)
                    candidates[n] = (-e1 - sq) / (2.0 * e2)
                    candidates[n + 1] = (-e1 + sq) / (2.0 * e2)
                    n += 2
            elif e1 != 0.0:
                candidates[n] = -e0 / e1
                n += 1
            for t in range(n):
                x = candidates[t]
                if not (x >= left and x <= right):
                    continue
                var = q2 * x * x + q1 * x + q0
                if var < 0.0:
                    var = 0.0
                g = total * shift + a + b * x - np.sqrt(rho * var)
                if g > best:
                    best = g
        out[i] = best
    return out
