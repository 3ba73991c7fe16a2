r"""G-optimal (equivalently D-optimal) experimental design on a finite feature set.

For a finite set :math:`\mathcal X = \{x_1, \dots, x_n\} \subset \mathbb R^d` spanning
:math:`\mathbb R^d` and a design :math:`\rho \in \Delta(\mathcal X)`, let

.. math::

    V(\rho) = \sum_i \rho_i x_i x_i^\top, \qquad
    g(\rho) = \max_i \|x_i\|^2_{V(\rho)^{-1}} .

Since :math:`\sum_i \rho_i \|x_i\|^2_{V(\rho)^{-1}} = \operatorname{tr}(V^{-1} V) = d`, every
design has :math:`g(\rho) \ge d`, and the Kiefer–Wolfowitz theorem (Lattimore and Szepesvári,
*Bandit Algorithms*, 2020, Theorem 21.1) says the minimum is exactly :math:`d`, attained by the
designs that maximise :math:`\log\det V(\rho)`, with a minimiser supported on at most
:math:`d(d+1)/2` points. Least squares on :math:`\lceil \rho_i m \rceil` samples at each
:math:`x_i` then predicts every :math:`x^\top\theta` with variance at most :math:`g/m`: the
design the generative-model algorithms (VWLS-MDVI and its relatives) sample from.

Three ways to a design, each returning a :class:`Design` whose ``g`` is recomputed exactly from
its weights:

* :func:`frank_wolfe_design`: Fedorov–Wynn / Frank–Wolfe on :math:`\log\det V` with the exact
  line search :math:`\gamma = (g/d - 1)/(g - 1)` (Lattimore and Szepesvári, Note 21.2), each
  step :math:`O(nd + d^2)` through Sherman–Morrison updates of :math:`V^{-1}` and of every
  :math:`\|x_i\|^2_{V^{-1}}`, refreshed exactly every :data:`REFRESH_EVERY` steps and before
  stopping, until :math:`g \le (1 + \varepsilon) d`.
* :func:`log_det_design`: the convex program :math:`\max_\rho \log\det V(\rho)` in cvxpy, the
  cross-check of the first.
* :func:`reduce_support`: Carathéodory's reduction of any design to at most
  :math:`d(d+1)/2 + 1` points with the same :math:`V(\rho)` (hence the same ``g``): the core set.

Every design's certificate is ``g - d``: it bounds the gap
:math:`\log\det V(\rho^\star) - \log\det V(\rho)` to the optimum (concavity of
:math:`\log\det`: the directional derivative towards :math:`e_i` is
:math:`\|x_i\|^2_{V^{-1}} - d`), and ``g / d`` is the factor by which the design's worst
prediction variance exceeds the optimum's.

Examples
--------
>>> import numpy as np
>>> from mdptheory.optimal_design import frank_wolfe_design
>>> X = np.random.default_rng(0).normal(size=(200, 5))
>>> design = frank_wolfe_design(X, tol=1e-3)
>>> design.converged, design.g <= 5 * (1 + 1e-3), round(float(design.weights.sum()), 12)
(True, True, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numba import njit

from mdptheory._validation import (
    as_float_array,
    check_cvxpy_solver,
    check_max_iter,
    check_probability_vector,
    check_tol,
)

__all__ = [
    "REFRESH_EVERY",
    "Design",
    "design_from_weights",
    "design_matrix",
    "frank_wolfe_design",
    "g_value",
    "log_det_design",
    "prediction_norms",
    "reduce_support",
    "spanning_start",
]

REFRESH_EVERY = 100
"""Frank–Wolfe steps between exact recomputations of :math:`V^{-1}` and of the norms, so the
rounding of the rank-one updates cannot build up."""


@dataclass(frozen=True)
class Design:
    """A design on the rows of ``points`` and what it guarantees.

    Attributes
    ----------
    points : ndarray, shape (n, d)
        The feature set, one point per row.
    weights : ndarray, shape (n,)
        The design rho, non-negative, summing to 1.
    g : float
        ``max_i ||x_i||^2_{V(rho)^{-1}}``, computed exactly from ``weights`` (Cholesky).
    log_det : float
        ``log det V(rho)``.
    iterations : int
        Frank–Wolfe steps (0 for the other methods).
    converged : bool
        Whether the stopping rule ``g <= (1 + tol) d`` was met (always true for the
        reductions of a converged design and for the convex program up to its solver's
        accuracy, which ``g`` reports).
    method : str
        ``"frank-wolfe"``, ``"cvxpy"``, ``"caratheodory"`` or ``"given"``.
    """

    points: np.ndarray
    weights: np.ndarray
    g: float
    log_det: float
    iterations: int
    converged: bool
    method: str

    @property
    def d(self) -> int:
        """The dimension of the features."""
        return self.points.shape[1]

    @property
    def support(self) -> np.ndarray:
        """Indices of the points with positive weight (the core set)."""
        return np.flatnonzero(self.weights > 0)

    @property
    def bound(self) -> float:
        """``g - d >= log det V(rho*) - log det V(rho) >= 0``: the certified gap to the
        D-optimal design, and ``g / d - 1`` is the excess of the worst prediction variance."""
        return self.g - self.d

    def sample_counts(self, m: int) -> np.ndarray:
        """``ceil(rho_i m)`` samples at each point (at most ``m + |support|`` in all): least
        squares on them predicts every ``x^T theta`` with variance at most ``g / m`` (unit
        noise)."""
        if not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(f"m must be a positive integer, got {m!r}")
        return np.ceil(self.weights * m).astype(np.int64)


def _check_points(X) -> tuple[np.ndarray, np.ndarray]:
    """The points as float64 and the order of pivoted QR (each point the farthest from the span
    of those before it), after checking that they span R^d."""
    points = as_float_array(X, "X", ndim=2)
    n, d = points.shape
    if d < 1 or n < 1:
        raise ValueError(f"X must hold at least one point of dimension >= 1, got shape {(n, d)}")
    _, R, pivots = scipy.linalg.qr(points.T, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(R))
    rank = int(np.count_nonzero(diagonal > diagonal[0] * max(n, d) * np.finfo(float).eps))
    if rank < d:
        raise ValueError(
            f"the rows of X span a space of dimension {rank} < d = {d}: no design makes V(rho) "
            "invertible (drop the redundant coordinates first)"
        )
    return points, pivots


def _uniform_on(chosen: np.ndarray, n: int) -> np.ndarray:
    rho = np.zeros(n)
    rho[chosen] = 1.0 / chosen.size
    return rho


def spanning_start(X) -> np.ndarray:
    """The default start of :func:`frank_wolfe_design`: uniform on the d points that pivoted QR
    picks, each the farthest from the span of those before it. A small spanning support, so
    the away steps need not drop n - d points one by one.

    Examples
    --------
    >>> spanning_start([[1.0, 0.0], [0.1, 0.1], [0.0, 2.0]])
    array([0.5, 0. , 0.5])
    """
    points, pivots = _check_points(X)
    return _uniform_on(pivots[: points.shape[1]], points.shape[0])


def design_matrix(X, weights) -> np.ndarray:
    """``V(rho) = sum_i rho_i x_i x_i^T``, shape (d, d).

    Examples
    --------
    >>> design_matrix(np.eye(2), [0.25, 0.75])
    array([[0.25, 0.  ],
           [0.  , 0.75]])
    """
    points = as_float_array(X, "X", ndim=2)
    rho = check_probability_vector(weights, "weights", points.shape[0])
    support = np.flatnonzero(rho > 0)
    chosen = points[support]
    return (chosen * rho[support, None]).T @ chosen


def prediction_norms(X, weights) -> np.ndarray:
    """``||x_i||^2_{V(rho)^{-1}}`` for every row, by one Cholesky factorisation; their
    ``rho``-weighted sum is ``d`` (the trace identity behind ``g >= d``).

    Raises
    ------
    ValueError
        If ``V(rho)`` is singular: the support of ``rho`` does not span ``R^d``.
    """
    points = as_float_array(X, "X", ndim=2)
    V = design_matrix(points, weights)
    try:
        factor = scipy.linalg.cho_factor(V, lower=True)
    except np.linalg.LinAlgError as error:
        support = int(np.count_nonzero(np.asarray(weights) > 0))
        raise ValueError(
            f"V(rho) is singular: the {support} points with positive weight do not span "
            f"R^{points.shape[1]}"
        ) from error
    solved = scipy.linalg.cho_solve(factor, points.T)
    return np.einsum("ij,ji->i", points, solved)


def g_value(X, weights) -> float:
    """``g(rho) = max_i ||x_i||^2_{V(rho)^{-1}}``, at least ``d`` for every design.

    Examples
    --------
    >>> g_value(np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]]), np.full(4, 0.25))
    2.0
    """
    return float(prediction_norms(X, weights).max())


def _finish(
    points: np.ndarray, weights: np.ndarray, iterations: int, converged: bool, method: str
) -> Design:
    weights = np.where(weights > 0, weights, 0.0)
    weights = weights / weights.sum()
    norms = prediction_norms(points, weights)
    sign, log_det = np.linalg.slogdet(design_matrix(points, weights))
    return Design(
        points,
        weights,
        float(norms.max()),
        float(log_det) if sign > 0 else -np.inf,
        iterations,
        converged,
        method,
    )


@njit(cache=True)
def _exact_state(points, rho):
    """``V(rho)^{-1}`` and every ``||x_i||^2_{V^{-1}}`` from scratch, summing over the support
    only (the away steps keep it small)."""
    n, d = points.shape
    V = np.zeros((d, d))
    for i in range(n):
        if rho[i] > 0.0:
            for a in range(d):
                for b in range(d):
                    V[a, b] += rho[i] * points[i, a] * points[i, b]
    V_inv = np.linalg.inv(V)
    norms = np.empty(n)
    for i in range(n):
        total = 0.0
        for a in range(d):
            row = 0.0
            for b in range(d):
                row += V_inv[a, b] * points[i, b]
            total += points[i, a] * row
        norms[i] = total
    return V_inv, norms


@njit(cache=True)
def _wolfe_atwood_steps(points, rho, V_inv, norms, limit, max_steps):
    """Up to ``max_steps`` steps in place; returns the number taken (fewer once
    ``g <= limit``). ``V_inv`` and ``norms`` follow each step by Sherman–Morrison."""
    n, d = points.shape
    w = np.empty(d)
    for step_index in range(max_steps):
        plus = 0
        minus = -1
        for i in range(n):
            if norms[i] > norms[plus]:
                plus = i
            if rho[i] > 0.0 and (minus < 0 or norms[i] < norms[minus]):
                minus = i
        if norms[plus] <= limit:
            return step_index
        # towards the worst-predicted point, or away from the best-predicted support point
        # (Wolfe–Atwood), whichever is further from the optimality condition g_i = d
        if norms[plus] / d - 1.0 >= 1.0 - norms[minus] / d:
            k = plus
        else:
            k = minus
        kappa = norms[k]
        lowest = -rho[k] / (1.0 - rho[k]) if rho[k] < 1.0 else -np.inf
        if kappa > 1.0:
            step = (kappa / d - 1.0) / (kappa - 1.0)
            if step < lowest:
                step = lowest
        else:
            step = lowest  # log det increases all the way to the drop of point k
        # V' = (1 - step) (V + t x_k x_k^T), t = step / (1 - step)
        t = step / (1.0 - step)
        for a in range(d):
            total = 0.0
            for b in range(d):
                total += V_inv[a, b] * points[k, b]
            w[a] = total
        scale = t / (1.0 + t * kappa)
        shrink = 1.0 - step
        for a in range(d):
            for b in range(d):
                V_inv[a, b] = (V_inv[a, b] - scale * w[a] * w[b]) / shrink
        for i in range(n):
            u = 0.0
            for a in range(d):
                u += points[i, a] * w[a]
            norms[i] = (norms[i] - scale * u * u) / shrink
        for i in range(n):
            rho[i] *= shrink
        rho[k] += step
        if step == lowest:
            rho[k] = 0.0  # a drop step: exactly out of the support
    return max_steps


def design_from_weights(X, weights) -> Design:
    """The :class:`Design` of given weights on ``X``, with its exact ``g`` and certificate
    (``converged`` says whether ``g`` is within ``1e-9`` relative of ``d``).

    Examples
    --------
    >>> round(design_from_weights(np.eye(2), [0.5, 0.5]).g, 12)
    2.0
    """
    points, _ = _check_points(X)
    rho = check_probability_vector(weights, "weights", points.shape[0])
    g = float(prediction_norms(points, rho).max())
    return _finish(points, rho, 0, g <= points.shape[1] * (1 + 1e-9), "given")


def frank_wolfe_design(X, tol: float = 1e-2, max_iter: int = 1_000_000, initial=None) -> Design:
    r"""G-optimal design by Frank–Wolfe with away steps (Wolfe–Atwood) and exact line search.

    A step moves weight towards the point :math:`k_+` of largest :math:`\|x\|^2_{V^{-1}}`, or
    away from the support point :math:`k_-` of smallest, whichever violates the optimality
    condition :math:`\|x_i\|^2_{V^{-1}} = d` on the support more:
    :math:`\rho \leftarrow (1 - \gamma)\rho + \gamma e_k` with
    :math:`\gamma = (\kappa/d - 1)/(\kappa - 1)`, :math:`\kappa = \|x_k\|^2_{V^{-1}}`, the
    exact maximiser of :math:`\log\det V` along the line (Lattimore and Szepesvári 2020, Note
    21.2, for the forward step; the same stationarity condition for the away step, clipped at
    the drop of :math:`k_-` from the support). The forward steps alone (Fedorov–Wynn) keep every
    point of the uniform start in the support and slow down near the optimum; the away steps
    drop the useless points. Stops once :math:`g \le (1 + \text{tol}) d`. A step costs
    :math:`O(nd + d^2)` in a compiled loop: :math:`V^{-1}` and the norms follow the rank-one
    update (Sherman–Morrison) and are recomputed exactly every :data:`REFRESH_EVERY` steps and
    before the stopping rule is trusted.

    Parameters
    ----------
    X : array_like, shape (n, d)
        The feature set; its rows must span :math:`\mathbb R^d`.
    tol : float
        Stop when ``g <= (1 + tol) d``.
    max_iter : int
        Step limit; when reached the design is returned with ``converged=False`` and its
        exact ``g``.
    initial : array_like, shape (n,), optional
        Starting design; its support must span :math:`\mathbb R^d`. Default: uniform on the
        :math:`d` points chosen by pivoted QR, each the farthest from the span of those before
        it.

    Returns
    -------
    Design

    Examples
    --------
    >>> cube = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], float)
    >>> uniform = np.full(8, 1 / 8)
    >>> design = frank_wolfe_design(cube, initial=uniform)   # optimal already: no step
    >>> design.iterations, design.g
    (0, 3.0)
    """
    points, pivots = _check_points(X)
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    n, d = points.shape
    if initial is None:
        rho = _uniform_on(pivots[:d], n)
    else:
        rho = check_probability_vector(initial, "initial", n).copy()
    if d == 1:
        # g = max_i x_i^2 / sum_j rho_j x_j^2 reaches d = 1 with all weight on the largest |x_i|
        rho = np.zeros(n)
        rho[int(np.argmax(np.abs(points[:, 0])))] = 1.0
        return _finish(points, rho, 0, True, "frank-wolfe")
    limit = (1.0 + tol) * d
    iterations = 0
    prediction_norms(points, rho)  # a start whose support does not span R^d raises here
    while True:
        V_inv, norms = _exact_state(points, rho)
        if norms.max() <= limit:
            return _finish(points, rho, iterations, True, "frank-wolfe")
        if iterations >= max_iter:
            return _finish(points, rho, iterations, False, "frank-wolfe")
        steps = min(REFRESH_EVERY, max_iter - iterations)
        iterations += _wolfe_atwood_steps(points, rho, V_inv, norms, limit, steps)
        rho[rho < 0.0] = 0.0
        rho /= rho.sum()


def log_det_design(X, solver: str | None = None) -> Design:
    r"""The D-optimal design :math:`\arg\max_\rho \log\det V(\rho)` by cvxpy (exponential and
    semidefinite cones), the cross-check of :func:`frank_wolfe_design`; by Kiefer–Wolfowitz
    it is G-optimal. Weights below ``1e-9`` of the largest are rounded to 0 (solver noise).

    Examples
    --------
    >>> design = log_det_design(np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    >>> abs(design.g - 2.0) < 1e-5
    True
    """
    import cvxpy as cp

    points, _ = _check_points(X)
    check_cvxpy_solver(solver)
    n = points.shape[0]
    rho = cp.Variable(n, nonneg=True)
    V = points.T @ cp.multiply(cp.reshape(rho, (n, 1), order="C"), points)
    problem = cp.Problem(cp.Maximize(cp.log_det((V + V.T) / 2)), [cp.sum(rho) == 1])
    problem.solve(solver=solver)
    if rho.value is None:
        raise ValueError(f"cvxpy returned no design (status {problem.status})")
    weights = np.asarray(rho.value, dtype=np.float64)
    weights[weights < 1e-9 * weights.max()] = 0.0
    return _finish(points, weights, 0, True, "cvxpy")


def reduce_support(design: Design, tol: float = 1e-12) -> Design:
    r"""Carathéodory's reduction: a design with the same :math:`V(\rho)` on at most
    :math:`d(d+1)/2 + 1` of the points of ``design``'s support.

    :math:`V(\rho)` is a convex combination of the :math:`x_i x_i^\top`, points of a space of
    dimension :math:`d(d+1)/2`; while the support is larger than :math:`d(d+1)/2 + 1` the
    vectors :math:`(\mathrm{vech}(x_i x_i^\top), 1)` are dependent, and moving the weights
    along a null vector until one reaches 0 keeps both :math:`V` and the total weight.

    Examples
    --------
    >>> X = np.random.default_rng(1).normal(size=(300, 3))
    >>> small = reduce_support(frank_wolfe_design(X, tol=1e-3))
    >>> small.support.size <= 3 * 4 // 2 + 1
    True
    """
    if not isinstance(design, Design):
        raise ValueError(f"design must be a Design, got {type(design).__name__}")
    check_tol(tol)
    points, d = design.points, design.d
    rho = design.weights.copy()
    rows, cols = np.triu_indices(d)
    limit = d * (d + 1) // 2 + 1
    support = list(np.flatnonzero(rho > 0))
    while len(support) > limit:
        chosen = np.array(support[: limit + 1])
        x = points[chosen]
        moments = np.vstack([(x[:, rows] * x[:, cols]).T, np.ones(chosen.size)])
        null = scipy.linalg.null_space(moments)[:, 0]
        if not (null > tol).any():
            null = -null
        positive = null > tol
        ratios = rho[chosen[positive]] / null[positive]
        j = int(np.argmin(ratios))
        rho[chosen] -= ratios[j] * null
        rho[chosen[positive][j]] = 0.0
        rho[rho < 0] = 0.0
        support = list(np.flatnonzero(rho > 0))
    return _finish(points, rho, design.iterations, design.converged, "caratheodory")
