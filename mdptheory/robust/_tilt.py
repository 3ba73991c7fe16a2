r"""Exponential tilts of a distribution and the KL ball's dual solved for many rows at once.

The KL ball's inner problem ``inf { q.V : KL(q || p) <= rho }`` has the dual (Hu and Hong 2013,
eq. (5); Nilim and El Ghaoui 2005, section 6)::

    sup_{beta > 0}  -beta log E_p exp(-V / beta) - beta rho,

whose maximiser solves ``KL(q_u || p) = rho`` in ``u = 1 / beta`` for the tilt ``q_u ~ p
exp(-u V)``. With ``W = (V - min V) / (max V - min V)`` in ``[0, 1]`` (the shift keeps every
exponential in ``(0, 1]``; the scale makes one window width fit every ``V``), all that a Newton
step needs are the tilted moments of ``W``::

    Z(u) = E_p e^{-u W},   m1 = E_q W,   var = Var_q W,   KL(q_u || p) = -u m1 - log Z.

**Shared anchors.** ``e^{-u W}`` depends on the row only through ``u``. Around an anchor ``a``
shared by a block of rows, ``e^{-u W} = e^{-a W} sum_m (-(u - a))^m W^m / m!``, so with the
(S, N + 1) matrix ``F[:, m] = W^m e^{-a W} / m!`` one product ``G = P F`` (one read of the
rows) gives every row's ``Z`` and ``Z m1`` at any ``u`` with ``|u - a| <= tau`` from ``N``
terms (Horner in ``-(u - a)``), and ``Z E_q W^2`` from ``N - 1`` (the variance only sets the
length of a Newton step, never a value or a gap, so one column less is enough for it). The
truncation error is below ``tau^N / N! e^{2 tau}`` relative, and :func:`series_terms` picks
``N`` so that this is below ``1e-17``: the Newton iterations then cost ``O(N)`` per row instead
of ``O(S)`` exponentials.
Rows whose search leaves the window (or whose optimum is at ``beta -> 0``) are flagged and
solved row by row by :func:`mdptheory.robust._kernels.kl_row`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from mdptheory.robust._kernels import KL_MAX_STEPS, kl_newton_step, kl_write_rows

TRUNCATION = 1e-17
"""Relative truncation error allowed in the anchored series."""

MAX_WINDOW = 1.0
"""Room for a cold start's Newton steps around the starting points, in the scaled variable
``u (max V - min V)`` (a warm start gets a tenth of it)."""

# Radii below this go row by row: the series' ``log Z`` carries an absolute error of an ulp,
# and the KL of a small ball, about ``rho``, cannot absorb it (at rho = 1e-12 the values were
# 1e-10 off; the row kernel sums ``log1p`` of ``expm1`` terms instead).
SMALL_BALL = 1e-6

SINGLE_BLOCK = 0.5
"""Rows whose starting points span at most twice this share one anchor and one BLAS product
with all rows; wider spreads are cut into blocks of span ``2 BLOCK``, each a compiled loop over
its rows."""

BLOCK = 0.25
"""Half the span of a block when the rows are cut into several (its series is then shorter:
14 terms instead of up to 23)."""

ANCHOR_ROUNDS = 3
"""Rounds of anchors per backup: rows whose search leaves a window get a new anchor where it
left (a cold start may be far from the optimum), after which they are solved row by row."""

MAX_BLOCKS = 64
"""Windows per round at most; rows beyond them are solved row by row."""

MIN_BLOCK = 32
"""Fewer rows than this around one anchor are solved row by row (a product is not worth it)."""

TILED_SHARE = 0.5
"""A block of at least this share of the rows gets its moments by the tiles of
:func:`dense_moments` (a second round after a cold start holds nearly every row: the tiles took
it from 160 to 31 to 38 ms at S = 1000, A = 20 on a busy machine); smaller blocks by
:func:`block_moments`."""

WRITE_CHUNK = 64
"""Rows per chunk when the minimisers are written with vectorised exponentials (the chunk's
``(rows, S)`` scratch stays in cache)."""


SLACK_TRUNCATION = 1e-3
"""With a search that may stop at a duality gap ``tol`` (scaled units), the series may be cut at
``SLACK_TRUNCATION tol min(1, u)`` instead of :data:`TRUNCATION` (the error it adds to the
values, a few times the truncation, is then added to the gaps)."""


def series_terms(tau: float, truncation: float = TRUNCATION) -> int:
    """Smallest ``N`` with ``tau^N / N! e^{2 tau} <= truncation`` (at least 4).

    Examples
    --------
    >>> series_terms(0.1), series_terms(1.0), series_terms(0.4, 1e-11)
    (11, 20, 11)
    """
    n = 4
    while n < 60 and tau**n / math.factorial(n) * math.exp(2.0 * tau) > truncation:
        n += 1
    return n


def anchor_columns(W: np.ndarray, anchor: float, n_terms: int) -> np.ndarray:
    """``F[:, m] = W^m e^{-anchor W} / m!`` for ``m = 0..n_terms``, shape (S, n_terms + 1)."""
    F = np.empty((W.shape[0], n_terms + 1))
    F[:, 0] = np.exp(-anchor * W)
    for m in range(1, n_terms + 1):
        F[:, m] = F[:, m - 1] * W / m
    return F


@njit(cache=True, parallel=True)
def block_moments(P2, rows, F):
    """``P2[rows] @ F`` by a compiled loop that skips zeros, without copying the rows (small
    threaded BLAS products lose most of their time to synchronisation on a busy machine); the
    rows are shared among the cores, each row's sums by one thread in a fixed order."""
    n_cols = F.shape[1]
    G = np.zeros((rows.shape[0], n_cols))
    for k in prange(rows.shape[0]):
        p = P2[rows[k]]
        for j in range(p.shape[0]):
            x = p[j]
            if x != 0.0:
                for m in range(n_cols):
                    G[k, m] += x * F[j, m]
    return G


@njit(cache=True, fastmath={"reassoc", "contract"})
def _pair_cols8(a0, a1, Ft, G, i, i1, m):
    """``G[i, m:m + 8] = a0 . Ft[m:m + 8]`` and ``G[i1, m:m + 8] = a1 . Ft[m:m + 8]``: sixteen
    sums in registers, each entry of the two rows loaded once for eight columns."""
    f0, f1, f2, f3 = Ft[m], Ft[m + 1], Ft[m + 2], Ft[m + 3]
    f4, f5, f6, f7 = Ft[m + 4], Ft[m + 5], Ft[m + 6], Ft[m + 7]
    s00 = s01 = s02 = s03 = s04 = s05 = s06 = s07 = 0.0
    s10 = s11 = s12 = s13 = s14 = s15 = s16 = s17 = 0.0
    for j in range(a0.shape[0]):
        x0 = a0[j]
        x1 = a1[j]
        y = f0[j]
        s00 += x0 * y
        s10 += x1 * y
        y = f1[j]
        s01 += x0 * y
        s11 += x1 * y
        y = f2[j]
        s02 += x0 * y
        s12 += x1 * y
        y = f3[j]
        s03 += x0 * y
        s13 += x1 * y
        y = f4[j]
        s04 += x0 * y
        s14 += x1 * y
        y = f5[j]
        s05 += x0 * y
        s15 += x1 * y
        y = f6[j]
        s06 += x0 * y
        s16 += x1 * y
        y = f7[j]
        s07 += x0 * y
        s17 += x1 * y
    G[i, m], G[i, m + 1], G[i, m + 2], G[i, m + 3] = s00, s01, s02, s03
    G[i, m + 4], G[i, m + 5], G[i, m + 6], G[i, m + 7] = s04, s05, s06, s07
    G[i1, m], G[i1, m + 1], G[i1, m + 2], G[i1, m + 3] = s10, s11, s12, s13
    G[i1, m + 4], G[i1, m + 5], G[i1, m + 6], G[i1, m + 7] = s14, s15, s16, s17


@njit(cache=True, fastmath={"reassoc", "contract"})
def _pair_cols4(a0, a1, Ft, G, i, i1, m):
    """:func:`_pair_cols8` for four columns."""
    f0, f1, f2, f3 = Ft[m], Ft[m + 1], Ft[m + 2], Ft[m + 3]
    s00 = s01 = s02 = s03 = 0.0
    s10 = s11 = s12 = s13 = 0.0
    for j in range(a0.shape[0]):
        x0 = a0[j]
        x1 = a1[j]
        y = f0[j]
        s00 += x0 * y
        s10 += x1 * y
        y = f1[j]
        s01 += x0 * y
        s11 += x1 * y
        y = f2[j]
        s02 += x0 * y
        s12 += x1 * y
        y = f3[j]
        s03 += x0 * y
        s13 += x1 * y
    G[i, m], G[i, m + 1], G[i, m + 2], G[i, m + 3] = s00, s01, s02, s03
    G[i1, m], G[i1, m + 1], G[i1, m + 2], G[i1, m + 3] = s10, s11, s12, s13


@njit(cache=True, fastmath={"reassoc", "contract"})
def _pair_cols1(a0, a1, Ft, G, i, i1, m):
    """:func:`_pair_cols8` for one column."""
    f0 = Ft[m]
    s00 = s10 = 0.0
    for j in range(a0.shape[0]):
        y = f0[j]
        s00 += a0[j] * y
        s10 += a1[j] * y
    G[i, m] = s00
    G[i1, m] = s10


@njit(cache=True)
def _pair_moments(a0, a1, Ft, G, i, i1):
    """Rows ``i`` and ``i1`` of ``G``, the products of ``a0`` and ``a1`` with the rows of
    ``Ft``, by tiles of eight columns, then four, then one."""
    k = Ft.shape[0]
    m = 0
    while m + 8 <= k:
        _pair_cols8(a0, a1, Ft, G, i, i1, m)
        m += 8
    while m + 4 <= k:
        _pair_cols4(a0, a1, Ft, G, i, i1, m)
        m += 4
    while m < k:
        _pair_cols1(a0, a1, Ft, G, i, i1, m)
        m += 1


@njit(cache=True, parallel=True)
def rows_moments(P2, rows, Ft):
    """``P2[rows] @ Ft.T`` (len(rows), k) by compiled tiles of two rows and eight (then four,
    then one) columns, the pairs of rows shared among the cores (``prange``), without copying
    the rows.

    Each entry is one reassociated sum over a row, computed by one thread in a fixed order,
    so the result is the same whatever the number of threads. A tile keeps its sixteen sums in
    registers and loads each entry of its rows once per eight columns; a BLAS product with so
    few columns spends most of its time copying and synchronising, and the former loop over
    groups of eight rows, one column at a time, was bound by its loads (about four times
    ``P2 @ V`` with 12 columns, against one and a half now on two cores).
    :func:`block_moments` skips zeros instead, for small blocks of rows.
    """
    n = rows.shape[0]
    G = np.empty((n, Ft.shape[0]))
    for g in prange((n + 1) // 2):
        i = 2 * g
        i1 = min(i + 1, n - 1)  # an odd last row is paired with itself
        _pair_moments(P2[rows[i]], P2[rows[i1]], Ft, G, i, i1)
    return G


def dense_moments(P2: np.ndarray, Ft: np.ndarray) -> np.ndarray:
    """``P2 @ Ft.T`` (n, k): :func:`rows_moments` over every row."""
    return rows_moments(P2, np.arange(P2.shape[0]), Ft)


@njit(cache=True)
def series_moments(g, delta):
    """``log Z``, ``m1`` (``n`` terms each) and ``var`` (``n - 1`` terms) at ``u = anchor +
    delta`` from one row ``g`` of ``P F`` (``n + 1`` columns)."""
    n = g.shape[0] - 1
    x = -delta
    z = g[n - 1]
    s1 = n * g[n]
    s2 = 0.0
    for m in range(n - 2, -1, -1):
        z = z * x + g[m]
        s1 = s1 * x + (m + 1) * g[m + 1]
        s2 = s2 * x + (m + 2) * (m + 1) * g[m + 2]
    m1 = s1 / z
    var = s2 / z - m1 * m1
    if var < 0.0:
        var = 0.0
    return np.log(z), m1, var


@njit(cache=True, parallel=True)
def kl_rows_anchored(
    G, rows, anchor, tau, rho, warm, tol, values, us, gaps, fallback, truncation=TRUNCATION
):
    """Safeguarded Newton on ``KL(q_u) = rho`` for each row ``rows[k]`` of the block whose
    moments are ``G[k]`` (scaled units: ``W`` in ``[0, 1]``).

    The same search as :func:`mdptheory.robust._kernels.kl_row` (a bracket, Newton aimed half
    the allowed gap inside the ball, halving or doubling when Newton leaves the bracket),
    stopped once the duality gap ``(rho - KL) / u`` is at most ``tol``. Writes ``values`` (the
    primal ``m1`` at the last feasible ``u``), ``us`` and ``gaps`` at ``rows[k]``, or sets
    ``fallback[rows[k]]`` when the search leaves ``[anchor - tau, anchor + tau]`` (then
    ``us[rows[k]]`` is where it left, a start for another anchor), never meets the ball, or the
    series' ``Z`` is not positive. With a series cut at relative error ``truncation``, ``log Z``
    is off by at most about ``truncation``, ``m1`` by about ``3 truncation``, so
    ``KL`` by ``(3 u + 1) truncation``: each gap is reported with ``(4 + 1 / u) truncation``
    added, which bounds the value's error on either side of the infimum.

    One thread: the searches cost a tenth of the moments, and a parallel loop this short
    waits on the slowest core (on a busy machine it took seven times as long).
    """
    for k in prange(rows.shape[0]):
        _anchored_row(
            G[k], rows[k], anchor, tau, rho, warm, tol, values, us, gaps, fallback, truncation
        )


@njit(cache=True)
def _anchored_row(g, r, anchor, tau, rho, warm, tol, values, us, gaps, fallback, truncation):
    """The search of :func:`kl_rows_anchored` for row ``r``, whose moments are ``g``."""
    low_edge = anchor - tau
    high_edge = anchor + tau
    if not g[0] > 1e-280:
        fallback[r] = True
        return
    u = warm[r]
    if not (u >= low_edge and u <= high_edge and u > 0.0):
        u = anchor
    lo = 0.0
    hi = np.inf
    best_u = 0.0
    best_m1 = 0.0
    best_gap = np.inf
    failed = False
    for _ in range(KL_MAX_STEPS):
        if u < low_edge or u > high_edge or not u > 0.0:
            failed = True
            break
        log_z, m1, var = series_moments(g, u - anchor)
        # u > 0 here, so the step's gap (rho - KL) / u is the one of the row kernel
        u, lo, hi, best_u, best_m1, best_gap, done = kl_newton_step(
            u, log_z, m1, var, rho, tol, lo, hi, best_u, best_m1, best_gap
        )
        if done:
            break
    if failed or best_u == 0.0:
        fallback[r] = True
        # where the search left the window: the next anchor's starting point
        us[r] = u if (u > 0.0 and np.isfinite(u)) else np.inf
        return
    values[r] = best_m1
    us[r] = best_u
    gaps[r] = best_gap + (4.0 + 1.0 / best_u) * truncation


def _starting_points(P2: np.ndarray, W: np.ndarray, rho: float, warm_scaled: np.ndarray):
    """Warm ``u`` where there is one, else ``sqrt(2 rho / Var_p W)`` (the small-ball
    expansion of ``KL(q_u) = u^2 Var / 2``), from one two-column product."""
    start = warm_scaled.copy()
    cold = ~(np.isfinite(start) & (start > 0.0))
    if cold.any():
        rows = np.flatnonzero(cold)
        sub = P2 if rows.size == P2.shape[0] else P2[rows]
        moments = sub @ np.stack([W, W * W], axis=1)
        var = np.maximum(moments[:, 1] - moments[:, 0] ** 2, 0.0)
        with np.errstate(divide="ignore"):
            start[rows] = np.where(var > 0.0, np.sqrt(2.0 * rho / var), 1.0)
    return start, cold


def kl_ball_backup(
    P2: np.ndarray, V: np.ndarray, rho: float, warm: np.ndarray, slack: float, row_solver
) -> tuple[np.ndarray, float]:
    """KL-ball values ``inf { q.V : KL(q || p) <= rho }`` of every row of ``P2`` (n, S).

    Rows are grouped around anchors of their warm dual variables (``warm``, in ``1 / beta``,
    updated in place); each group costs one product with the series columns. Rows the series
    cannot settle go to ``row_solver(rows, values, warm)``, the row-by-row kernel. Returns the
    values (each at most its gap above the infimum) and the largest gap, which is below
    ``max(slack, 4 ulp of the value range)`` as for the row kernel.
    """
    n_rows = P2.shape[0]
    v_min = float(V.min())
    spread = float(V.max()) - v_min
    values = np.empty(n_rows)
    gaps = np.zeros(n_rows)
    fallback = np.zeros(n_rows, dtype=np.bool_)
    if spread <= 0.0 or not rho > SMALL_BALL:
        fallback[:] = True
        return _finish(values, gaps, fallback, warm, row_solver)
    W = (V - v_min) / spread
    start, cold = _starting_points(P2, W, rho, warm * spread)
    # the row kernel's stopping rule, in the scaled units (gaps there are divided by spread)
    tol = max(4e-16 * (abs(v_min) + spread), slack) / spread
    us = np.zeros(n_rows)
    pending = np.isfinite(start)
    fallback[~pending] = True
    for attempt in range(ANCHOR_ROUNDS):
        if not pending.any():
            break
        # room for this backup's Newton steps around the starting points: wide on a cold
        # start or a second attempt, a tenth of the scaled unit once warm
        margin = MAX_WINDOW if (attempt > 0 or cold[pending].any()) else 0.1
        fallback[pending] = False
        _solve_blocks(P2, W, rho, start, pending, margin, tol, values, us, gaps, fallback)
        # rows that left their window start again from where they left it
        pending = fallback & np.isfinite(us) & (us > 0.0) & pending
        start = np.where(pending, us, start)
    done = ~fallback
    values[done] = v_min + spread * values[done]
    gaps[done] *= spread
    warm[done] = us[done] / spread
    return _finish(values, gaps, fallback, warm, row_solver)


def _solve_blocks(P2, W, rho, start, pending, margin, tol, values, us, gaps, fallback):
    """One round: the pending rows in blocks laid greedily over their sorted starting points
    (one block if they span at most ``2 SINGLE_BLOCK``, else blocks of span ``2 BLOCK``, at
    most ``MAX_BLOCKS``), one product per block."""
    rows_left = np.flatnonzero(pending)
    if rows_left.size == 0:
        return
    low, high = float(start[rows_left].min()), float(start[rows_left].max())
    if high - low <= 2.0 * SINGLE_BLOCK:
        # one block: the rows stay in index order, no sort needed (the same rows and anchor
        # as the sorted walk below would give)
        _solve_block(
            P2, W, rho, start, rows_left, low, high, margin, tol, values, us, gaps, fallback
        )
        return
    rows_left = rows_left[np.argsort(start[rows_left], kind="stable")]
    span = 2.0 * BLOCK
    for _ in range(MAX_BLOCKS):
        if rows_left.size == 0:
            break
        low = float(start[rows_left[0]])
        inside = int(np.searchsorted(start[rows_left], low + span, side="right"))
        rows, rows_left = np.sort(rows_left[:inside]), rows_left[inside:]
        high = float(start[rows].max())
        _solve_block(P2, W, rho, start, rows, low, high, margin, tol, values, us, gaps, fallback)
    fallback[rows_left] = True
    us[rows_left] = np.inf


def _solve_block(P2, W, rho, start, rows, low, high, margin, tol, values, us, gaps, fallback):
    """One block: the rows ``rows`` (in index order) whose starting points span ``[low,
    high]``, around the anchor at its middle, by one product with its series columns."""
    if rows.size < MIN_BLOCK:
        fallback[rows] = True
        us[rows] = np.inf  # not worth another round
        return
    anchor = 0.5 * (low + high)
    tau = 0.5 * (high - low) + margin
    # the series may be as coarse as the search's tolerance allows (never coarser than
    # what it needs near u = 0, where the gap is (rho - KL) / u)
    truncation = max(TRUNCATION, SLACK_TRUNCATION * tol * min(1.0, max(anchor - tau, 0.0)))
    F = anchor_columns(W, anchor, series_terms(tau, truncation))
    # all rows or most of them: the tiles (as dense as the whole kernel); a smaller block: a
    # loop over its rows that skips zeros
    if rows.size < TILED_SHARE * P2.shape[0]:
        G = block_moments(P2, rows, F)
    else:
        G = rows_moments(P2, rows, np.ascontiguousarray(F.T))
    kl_rows_anchored(
        G, rows, anchor, tau, float(rho), start, tol, values, us, gaps, fallback, truncation
    )


def _finish(values, gaps, fallback, warm, row_solver):
    if fallback.any():
        rows = np.flatnonzero(fallback)
        gap = row_solver(rows, values, warm)
        return values, max(float(gaps.max(initial=0.0)), gap)
    return values, float(gaps.max(initial=0.0))


def tilted_rows(P2: np.ndarray, V: np.ndarray, us: np.ndarray) -> np.ndarray:
    """The KL ball's minimisers ``q_r ~ P2[r] exp(-us[r] V)`` (n, S) at the rows' dual
    variables ``us`` (``1 / beta``; ``inf`` for the ``beta -> 0`` corner, 0 for the nominal row).

    The exponentials are taken chunk by chunk with numpy's vectorised ``exp`` (several times
    faster than a compiled scalar loop), shifted by the minimum of ``V``; rows whose
    normaliser is tiny (a large ``u`` times a support far above that minimum) and the corner
    rows are written by :func:`mdptheory.robust._kernels.kl_write_rows`, which shifts by each
    row's own minimum.
    """
    n_rows = P2.shape[0]
    Q2 = np.empty_like(P2)
    W = V - V.min()
    finite = np.isfinite(us)
    redo = ~finite
    for start in range(0, n_rows, WRITE_CHUNK):
        stop = min(start + WRITE_CHUNK, n_rows)
        u = np.where(finite[start:stop], us[start:stop], 0.0)
        block = Q2[start:stop]
        np.multiply.outer(-u, W, out=block)
        np.exp(block, out=block)
        block *= P2[start:stop]
        total = block.sum(axis=1)
        small = total < 1e-200
        total[small] = 1.0
        block /= total[:, None]
        redo[start:stop] |= small
    if redo.any():
        rows = np.flatnonzero(redo)
        sub = np.empty((rows.size, P2.shape[1]))
        kl_write_rows(np.ascontiguousarray(P2[rows]), V, us[rows], sub)
        Q2[rows] = sub
    return Q2
