r"""Exact Wasserstein-1 (Kantorovich) distances between finite distributions.

The distance between ``p`` on points ``x_1..x_m`` and ``q`` on points ``y_1..y_n`` with ground
cost ``C[i, j] = d(x_i, y_j)`` is the optimal value of the transport LP

.. math::

    W_1^d(p, q) = \min_{\gamma \ge 0} \sum_{i,j} \gamma_{ij} C_{ij}
    \quad \text{s.t.} \quad \sum_j \gamma_{ij} = p_i, \; \sum_i \gamma_{ij} = q_j

(Villani 2009, *Optimal Transport*, Def. 6.1; on a pseudometric it is the Kantorovich
distance of Ferns, Panangaden, Precup 2004, eq. (2)). Two exact solvers, sharing no code:

* ``"simplex"``: the transportation (network) simplex method (Dantzig 1951; the u-v or MODI
  form of Charnes and Cooper), compiled with numba. Start from the north-west-corner basis
  (or a basis given back from an earlier call, which stays feasible when only the costs
  change), price every cell with the tree potentials ``u_i + v_j = C_ij`` and pivot on the
  most negative reduced cost (Dantzig's rule; after ``m + n`` degenerate pivots in a row,
  Bland's smallest-index rule, which cannot cycle). It stops when every reduced cost is at
  least ``-tol``; the potentials are then dual feasible for the costs ``C + tol``, so the
  value returned exceeds the optimum by at most ``tol`` (total mass 1). One pivot costs
  ``O(m n)``.
* ``"lp"``: the same LP given to HiGHS through ``scipy.optimize.linprog(method="highs")``.

:func:`wasserstein_line` is the closed form on the real line with ``d(x, y) = |x - y|``,
``W_1 = integral |F_p - F_q|`` (Vallender 1973), a third independent value for tests.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

from mdptheory._validation import as_float_array, check_real

SIMPLEX_OK = 0
SIMPLEX_PIVOT_LIMIT = 1


@njit(cache=True)
def northwest_corner(a, b, bi, bj, bf) -> int:
    """Fill ``bi, bj, bf`` with the north-west-corner basis of ``m + n - 1`` cells (a
    staircase from (0, 0) to (m-1, n-1), hence a spanning tree); returns its size."""
    m, n = a.shape[0], b.shape[0]
    ra = a.copy()
    rb = b.copy()
    i = 0
    j = 0
    k = 0
    while True:
        x = min(ra[i], rb[j])
        bi[k] = i
        bj[k] = j
        bf[k] = x
        k += 1
        ra[i] -= x
        rb[j] -= x
        if i == m - 1 and j == n - 1:
            break
        if i == m - 1:
            j += 1
        elif j == n - 1:
            i += 1
        elif ra[i] <= rb[j]:
            i += 1
        else:
            j += 1
    return k


@njit(cache=True)
def _cycle_side(
    start, other, m, n, depth, parent_cell, bi, bj, bf, theta, leave, leave_index, apply
):
    """The cells on the tree path from node ``start`` up to its common ancestor with
    ``other``, signed -, +, - ... from ``start``. With ``apply``, add their sign times
    ``theta`` to the flows; otherwise lower ``theta`` to the smallest flow of a - cell and
    return it with that cell and its index (ties to the smallest index, as Bland's rule
    needs)."""
    position = 0
    node = start
    ancestor = other
    while node != ancestor:
        if depth[node] >= depth[ancestor]:
            k = parent_cell[node]
            if apply:
                bf[k] += -theta if position % 2 == 0 else theta
            elif position % 2 == 0:
                index = bi[k] * n + bj[k]
                if bf[k] < theta or (bf[k] == theta and index < leave_index):
                    theta = bf[k]
                    leave = k
                    leave_index = index
            position += 1
            node = m + bj[k] if node < m else bi[k]
        else:
            k = parent_cell[ancestor]
            ancestor = m + bj[k] if ancestor < m else bi[k]
    return theta, leave, leave_index


@njit(cache=True)
def transport_simplex(a, b, C, bi, bj, bf, warm, tol, work_int, work_float):
    """Solve the transport LP of ``a`` (m,), ``b`` (n,), costs ``C`` (m, n) in place.

    ``bi, bj, bf`` (length ``m + n - 1``) hold the basis cells and their flows: read as a
    feasible basis when ``warm`` is true, else filled by :func:`northwest_corner`; on return
    they hold an optimal basis. ``work_int`` needs ``6 (m + n) + 2 (m + n - 1)`` entries and
    ``work_float`` ``m + n``. Returns ``(cost, status, pivots)``, status 0 when optimal and 1
    when the pivot limit ``20 (m n + 1) (m + n)`` was reached.
    """
    m, n = a.shape[0], b.shape[0]
    nodes = m + n
    nb = nodes - 1
    if not warm:
        northwest_corner(a, b, bi, bj, bf)
    if m == 1 or n == 1:
        # every cell is basic: the only feasible coupling
        cost = 0.0
        for k in range(nb):
            cost += bf[k] * C[bi[k], bj[k]]
        return cost, SIMPLEX_OK, 0
    degree = work_int[0:nodes]
    start = work_int[nodes : 2 * nodes + 1]
    adjacency = work_int[2 * nodes + 1 : 2 * nodes + 1 + 2 * nb]
    parent_cell = work_int[2 * nodes + 1 + 2 * nb : 3 * nodes + 1 + 2 * nb]
    depth = work_int[3 * nodes + 1 + 2 * nb : 4 * nodes + 1 + 2 * nb]
    stack = work_int[4 * nodes + 1 + 2 * nb : 5 * nodes + 1 + 2 * nb]
    potential = work_float[0:nodes]  # u_i at node i, v_j at node m + j
    pivots = 0
    degenerate_run = 0
    limit = 20 * (m * n + 1) * nodes
    while True:
        # tree of the basis: adjacency by node, then potentials and parents from row 0
        degree[:] = 0
        for k in range(nb):
            degree[bi[k]] += 1
            degree[m + bj[k]] += 1
        start[0] = 0
        for x in range(nodes):
            start[x + 1] = start[x] + degree[x]
        degree[:] = 0
        for k in range(nb):
            r = bi[k]
            c = m + bj[k]
            adjacency[start[r] + degree[r]] = k
            degree[r] += 1
            adjacency[start[c] + degree[c]] = k
            degree[c] += 1
        depth[:] = -1
        depth[0] = 0
        parent_cell[0] = -1
        potential[0] = 0.0
        top = 0
        stack[0] = 0
        while top >= 0:
            x = stack[top]
            top -= 1
            for t in range(start[x], start[x + 1]):
                k = adjacency[t]
                y = m + bj[k] if x < m else bi[k]
                if depth[y] < 0:
                    depth[y] = depth[x] + 1
                    parent_cell[y] = k
                    potential[y] = C[bi[k], bj[k]] - potential[x]
                    top += 1
                    stack[top] = y
        # pricing: Dantzig's rule, or Bland's after a run of degenerate pivots
        bland = degenerate_run > nodes
        best = -tol
        enter_i = -1
        enter_j = -1
        for i in range(m):
            for j in range(n):
                reduced = C[i, j] - potential[i] - potential[m + j]
                if reduced < best:
                    enter_i = i
                    enter_j = j
                    if bland:
                        break
                    best = reduced
            if bland and enter_i >= 0:
                break
        if enter_i < 0:
            break
        if pivots >= limit:
            cost = 0.0
            for k in range(nb):
                cost += bf[k] * C[bi[k], bj[k]]
            return cost, SIMPLEX_PIVOT_LIMIT, pivots
        # the cycle: tree paths from row enter_i and column enter_j up to their common
        # ancestor; on each path the cells alternate -, +, - ... from the endpoint
        row, column = enter_i, m + enter_j
        theta, leave, leave_index = _cycle_side(
            row, column, m, n, depth, parent_cell, bi, bj, bf, np.inf, -1, 0, False
        )
        theta, leave, leave_index = _cycle_side(
            column, row, m, n, depth, parent_cell, bi, bj, bf, theta, leave, leave_index, False
        )
        _cycle_side(
            row, column, m, n, depth, parent_cell, bi, bj, bf, theta, leave, leave_index, True
        )
        _cycle_side(
            column, row, m, n, depth, parent_cell, bi, bj, bf, theta, leave, leave_index, True
        )
        bi[leave] = enter_i
        bj[leave] = enter_j
        bf[leave] = theta
        pivots += 1
        degenerate_run = degenerate_run + 1 if theta == 0.0 else 0
    cost = 0.0
    for k in range(nb):
        cost += bf[k] * C[bi[k], bj[k]]
    return cost, SIMPLEX_OK, pivots


def work_arrays(max_m: int, max_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scratch arrays for :func:`transport_simplex` on problems up to ``max_m x max_n``."""
    nodes = max_m + max_n
    return (
        np.empty(6 * nodes + 2 * (nodes - 1), dtype=np.int64),
        np.empty(nodes, dtype=np.float64),
    )


def _check_distribution(p, name: str) -> np.ndarray:
    array = as_float_array(p, name, ndim=1)
    if array.size == 0:
        raise ValueError(f"{name} is empty: a distribution needs at least one point")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {float(array[i])!r}; masses must be finite and >= 0")
    total = float(array.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{name} sums to {total!r}, not 1 (tolerance 1e-9)")
    return array


def wasserstein(
    p, q, cost, method: Literal["simplex", "lp"] = "simplex", tol: float = 1e-12
) -> float:
    r"""Exact :math:`W_1` between ``p`` (m,) and ``q`` (n,) with ground cost ``cost`` (m, n).

    Parameters
    ----------
    p, q : array_like
        Distributions (non-negative, summing to 1 within 1e-9).
    cost : array_like, shape (m, n)
        Ground costs ``d(x_i, y_j)``, finite and non-negative.
    method : {"simplex", "lp"}
        The compiled transportation simplex (default) or HiGHS through
        ``scipy.optimize.linprog``.
    tol : float
        Simplex optimality tolerance on reduced costs: the value is at most ``tol`` above the
        optimum.

    Returns
    -------
    float

    Examples
    --------
    Moving half the mass from 0 to 1 on the line costs 0.5:

    >>> import numpy as np
    >>> cost = np.abs(np.subtract.outer([0.0, 1.0], [0.0, 1.0]))
    >>> wasserstein([1.0, 0.0], [0.5, 0.5], cost)
    0.5
    >>> round(wasserstein([1.0, 0.0], [0.5, 0.5], cost, method="lp"), 12)
    0.5
    """
    a = _check_distribution(p, "p")
    b = _check_distribution(q, "q")
    C = as_float_array(cost, "cost", ndim=2)
    if C.shape != (a.size, b.size):
        raise ValueError(f"cost has shape {C.shape}, expected ({a.size}, {b.size})")
    bad = ~np.isfinite(C) | (C < 0)
    if bad.any():
        i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), C.shape)
        raise ValueError(f"cost[{i}, {j}] is {float(C[i, j])!r}; costs must be finite and >= 0")
    tol = check_real(tol, "tol", 0.0)
    if method == "lp":
        return _wasserstein_lp(a, b, C)
    if method != "simplex":
        raise ValueError(f"method must be 'simplex' or 'lp', got {method!r}")
    nb = a.size + b.size - 1
    bi = np.empty(nb, dtype=np.int64)
    bj = np.empty(nb, dtype=np.int64)
    bf = np.empty(nb, dtype=np.float64)
    work_int, work_float = work_arrays(a.size, b.size)
    value, status, _ = transport_simplex(
        a, b, np.ascontiguousarray(C), bi, bj, bf, False, tol, work_int, work_float
    )
    if status != SIMPLEX_OK:
        raise ValueError(
            f"the transport simplex reached its pivot limit on a {a.size} x {b.size} problem"
        )
    return float(value)


def _wasserstein_lp(a: np.ndarray, b: np.ndarray, C: np.ndarray) -> float:
    from scipy.optimize import linprog

    m, n = C.shape
    rows = np.zeros((m, m * n))
    for i in range(m):
        rows[i, i * n : (i + 1) * n] = 1.0
    cols = np.zeros((n, m * n))
    for j in range(n):
        cols[j, j::n] = 1.0
    # one equality is implied by the others; HiGHS handles the redundancy
    result = linprog(
        C.ravel(),
        A_eq=np.vstack([rows, cols]),
        b_eq=np.concatenate([a, b]),
        bounds=(0, None),
        method="highs",
    )
    if result.status != 0:
        raise ValueError(f"HiGHS returned status {result.status}: {result.message}")
    return float(result.fun)


def wasserstein_line(p, q, x, y=None) -> float:
    r"""Closed-form :math:`W_1` on the real line with ``d(s, t) = |s - t|``.

    ``p`` sits on the points ``x`` and ``q`` on ``y`` (``x`` when not given);
    :math:`W_1 = \int |F_p(t) - F_q(t)|\, dt` (Vallender 1973).

    Examples
    --------
    >>> wasserstein_line([0.5, 0.5], [0.0, 1.0], [0.0, 2.0])
    1.0
    """
    a = _check_distribution(p, "p")
    b = _check_distribution(q, "q")
    xs = as_float_array(x, "x", ndim=1)
    ys = xs if y is None else as_float_array(y, "y", ndim=1)
    if xs.shape != a.shape or ys.shape != b.shape:
        raise ValueError(
            f"points have shapes {xs.shape} and {ys.shape}, masses {a.shape} and {b.shape}"
        )
    points = np.concatenate([xs, ys])
    masses = np.concatenate([a, -b])
    order = np.argsort(points, kind="stable")
    points, masses = points[order], masses[order]
    cdf_gap = np.cumsum(masses)[:-1]
    return float(np.sum(np.abs(cdf_gap) * np.diff(points)))


__all__ = ["wasserstein", "wasserstein_line"]
