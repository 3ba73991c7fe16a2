r"""Bisimulation metrics of a discounted MDP (Ferns, Panangaden, Precup 2004) and the
on-policy :math:`\pi`-bisimulation metric (Castro 2020).

Definition
----------
For weights :math:`c_R > 0` and :math:`0 \le c_T < 1`, the operator on pseudometrics

.. math::

    F(d)(s, t) = \max_a \big[\, c_R\, |r(s, a) - r(t, a)|
                 + c_T\, W_1^d\big(P(\cdot|s, a), P(\cdot|t, a)\big) \big]

(Ferns, Panangaden, Precup, UAI 2004, Thm 4.5; SIAM J. Comput. 2011) is a
:math:`c_T`-contraction in the sup norm (:math:`W_1^d` is 1-Lipschitz in ``d``), so it has a
unique fixed point :math:`d_{fix}`, the bisimulation metric. :math:`d_{fix}(s, t) = 0` exactly
when ``s`` and ``t`` are bisimilar, and when :math:`\gamma \le c_T`,
:math:`c_R |V^*(s) - V^*(t)| \le d_{fix}(s, t)` (Ferns et al. 2004, Thm 5.1). The
:math:`\pi`-bisimulation metric (Castro, AAAI 2020, Def. 3 and Thm 3) replaces the max over
actions by the policy's averages :math:`r_\pi, P_\pi`; with :math:`c_R = 1, c_T = \gamma` it
bounds :math:`|V^\pi(s) - V^\pi(t)|`. These statements, and the theorem numbers, are quoted
from memory of the papers (``references/theory-wave2.md`` section 6.1, tag [M]), not verified
in their text; the checks of ``proofs_check.theorems.diagnostics`` test them numerically.

Computation and its cost
------------------------
Iterating from :math:`d_0 = 0` gives pseudometrics; every iterate costs one exact transport
problem per unordered pair of states and action, between the supports of the two rows
(:func:`mdptheory.diagnostics.transport.transport_simplex`, warm-started from the optimal
basis of the previous application, which stays feasible since only the costs change). With
``k`` the largest support of a row of ``P``, one application of ``F`` costs
:math:`O(S^2 A\, k^2)` for pricing plus the pivots (few once warm), and
:math:`O(S^2 A k)` memory for the stored bases; diagonal pairs are never solved and each
unordered pair once.

To need few applications, the fixed point is computed by strategy iteration on the max-min
game that defines it (Hoffman and Karp 1966, for discounted stochastic games): with the
maximising actions fixed, policy iteration of the minimising player alternates an evaluation
(with the couplings fixed, ``F`` is affine, :math:`x \mapsto b + c_T M x`, and its fixed point
in the :math:`S(S-1)/2` pair distances is found by Gauss-Seidel sweeps over the sparse ``M``)
with an improvement of the couplings (the transport problems of the fixed actions only); then
every action that improves by more than a small threshold is switched, with one full
application of ``F``. Evaluations are inexact while far from the fixed point (accuracy
:math:`10^{-3}` of the current residual). Once no action switches at full accuracy, plain steps
:math:`d \leftarrow F(d)` finish the certificate. A Garnet with S = 200, A = 4 needs about ten
applications of ``F`` for ``tol = 1e-9`` at ``gamma = 0.9`` and at ``gamma = 0.99``, where plain
iteration from 0 needs 191 (measured, ``bench/diagnostics.py``) and, by its rate, about 2000.

Certificate: for any ``x``, :math:`\|F(x) - d_{fix}\|_\infty \le c_T \|F(x) - x\|_\infty /
(1 - c_T)` (contraction); each transport value is at most the simplex tolerance above its
optimum, which adds :math:`c_T\, tol_W / (1 - c_T)`. The returned ``bound`` is the sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.csgraph import connected_components

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_max_iter,
    check_memory,
    check_real,
    check_tol,
)
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.diagnostics.transport import SIMPLEX_OK, transport_simplex, work_arrays
from mdptheory.evaluation import check_policy
from mdptheory.tabular import FiniteMDP

SIMPLEX_TOL = 1e-13
"""Reduced-cost tolerance of the transport simplex, relative to the largest possible distance."""
ROUNDING = 1e3 * np.finfo(float).eps
"""Differences below this times the largest possible distance are treated as rounding."""
INNER_STEPS = 100
"""Most coupling improvements per strategy-iteration step."""
EVALUATION_SWEEPS = 100_000
"""Most sparse products of one evaluation step (the step is checked by its residual anyway)."""


@dataclass(frozen=True)
class BisimulationMetric:
    """The bisimulation metric of a model and how it was computed.

    Attributes
    ----------
    distance : ndarray, shape (S, S)
        Symmetric, zero diagonal: the last iterate ``F(d)``.
    c_R, c_T : float
        Reward and transition weights of the operator.
    bound : float
        Certified ``max_{s,t} |distance[s, t] - d_fix(s, t)| <= bound``.
    applications : int
        Applications of the operator ``F`` (each one transport problem per pair and action).
    evaluations : int
        Evaluation steps of the strategy iteration (each Gauss-Seidel sweeps over a sparse
        system in the pair distances).
    stop_reason : str
        ``"tolerance"``, ``"max_iter"``, or ``"rounding"`` when plain steps stopped making
        progress before ``tol`` (then ``bound`` is what rounding allows).
    residuals : ndarray
        ``||F(x) - x||_inf`` of each point the operator was applied to.
    policy : ndarray or None
        The policy of a pi-bisimulation metric, else None.
    """

    distance: np.ndarray
    c_R: float
    c_T: float
    bound: float
    applications: int
    evaluations: int
    stop_reason: str
    residuals: np.ndarray
    policy: np.ndarray | None = None

    def classes(self, atol: float | None = None) -> np.ndarray:
        """Labels ``0, 1, ...`` of the classes of states at distance ``<= atol`` (default: twice
        ``bound`` plus 1e-12 of the largest distance), closed under transitivity."""
        if atol is None:
            atol = 2 * self.bound + 1e-12 * max(1.0, float(self.distance.max()))
        atol = check_real(atol, "atol", 0.0)
        close = sp.csr_array(self.distance <= atol)
        _, labels = connected_components(close, directed=False)
        # number the classes by their first state
        _, first = np.unique(labels, return_index=True)
        relabel = np.empty_like(labels)
        relabel[labels[np.sort(first)]] = np.arange(first.size)
        return relabel[labels].astype(np.int64)


def _row_kernel(mdp: FiniteMDP) -> sp.csr_array:
    """The kernel as a CSR (S*A, S) matrix with sorted indices and no stored zeros."""
    return _normalised(sp.csr_array(mdp.P_matrix(), dtype=np.float64, copy=True))


def _normalised(matrix: sp.csr_array) -> sp.csr_array:
    """Sorted indices, no stored zeros, rows scaled to sum to 1 exactly (the model accepts
    row sums within its tolerance; the transport problems need equal masses)."""
    matrix.eliminate_zeros()
    matrix.sort_indices()
    sums = np.add.reduceat(matrix.data, matrix.indptr[:-1])
    matrix.data /= np.repeat(sums, np.diff(matrix.indptr))
    return matrix


def _pairs(S: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs ``i < j`` and the (S, S) index of pair (i, j) (-1 on the diagonal)."""
    pair_i, pair_j = np.triu_indices(S, k=1)
    index = np.full((S, S), -1, dtype=np.int64)
    index[pair_i, pair_j] = np.arange(pair_i.size)
    index[pair_j, pair_i] = np.arange(pair_i.size)
    return pair_i.astype(np.int64), pair_j.astype(np.int64), index


@njit(cache=True)
def _apply_kernel(
    d,
    data,
    layout,
    warm,
    tol,
    current,
    only_current,
    switch,
    out,
    best_action,
    C,
    work_int,
    work_float,
):
    """``out = F(d)`` on the pair vector ``d``, leaving optimal couplings at ``d`` in the
    bases; returns the number of problems that hit the pivot limit (0 when all are optimal).

    With ``only_current`` only the actions ``current[p]`` are solved (``out`` is then the
    value of those actions). Otherwise ``best_action[p]`` keeps ``current[p]`` (when it is
    ``>= 0``) unless another action beats it by more than ``switch``. ``layout`` is
    :attr:`_Operator.layout`.
    """
    pair_i, pair_j, pair_index, indptr, indices, R, n_actions, c_R, c_T, offsets, bi, bj, bf = (
        layout
    )
    failures = 0
    for p in range(pair_i.shape[0]):
        i = pair_i[p]
        j = pair_j[p]
        best = -1.0
        kept = -1.0
        first = current[p] if only_current else 0
        last = current[p] + 1 if only_current else n_actions
        for a in range(first, last):
            ri = i * n_actions + a
            rj = j * n_actions + a
            lo_i, hi_i = indptr[ri], indptr[ri + 1]
            lo_j, hi_j = indptr[rj], indptr[rj + 1]
            m = hi_i - lo_i
            n = hi_j - lo_j
            for x in range(m):
                sx = indices[lo_i + x]
                for y in range(n):
                    q = pair_index[sx, indices[lo_j + y]]
                    C[x, y] = 0.0 if q < 0 else d[q]
            problem = p * n_actions + a
            o = offsets[problem]
            nb = m + n - 1
            cost, status, _ = transport_simplex(
                data[lo_i:hi_i],
                data[lo_j:hi_j],
                C[:m, :n],
                bi[o : o + nb],
                bj[o : o + nb],
                bf[o : o + nb],
                warm[problem],
                tol,
                work_int,
                work_float,
            )
            warm[problem] = True
            if status != SIMPLEX_OK:
                failures += 1
            value = c_R * abs(R[i, a] - R[j, a]) + c_T * cost
            if a == current[p]:
                kept = value
            if value > best:
                best = value
                best_action[p] = a
        if current[p] >= 0 and kept >= best - switch:
            best_action[p] = current[p]
        out[p] = best
    return failures


@njit(cache=True)
def _affine_kernel(best_action, layout, rows, cols, vals, b):
    """COO entries of ``c_T M`` and the vector ``b`` of the affine map ``x -> b + c_T M x``
    fixed by the actions and optimal couplings of the last application; returns the count."""
    pair_i, pair_j, pair_index, indptr, indices, R, n_actions, c_R, c_T, offsets, bi, bj, bf = (
        layout
    )
    count = 0
    for p in range(pair_i.shape[0]):
        i = pair_i[p]
        j = pair_j[p]
        a = best_action[p]
        ri = i * n_actions + a
        rj = j * n_actions + a
        m = indptr[ri + 1] - indptr[ri]
        n = indptr[rj + 1] - indptr[rj]
        o = offsets[p * n_actions + a]
        b[p] = c_R * abs(R[i, a] - R[j, a])
        for k in range(m + n - 1):
            q = pair_index[indices[indptr[ri] + bi[o + k]], indices[indptr[rj] + bj[o + k]]]
            if q >= 0 and bf[o + k] > 0.0:
                rows[count] = p
                cols[count] = q
                vals[count] = c_T * bf[o + k]
                count += 1
    return count


@njit(cache=True)
def _gauss_seidel(indptr, indices, values, b, x, residual_tol, max_sweeps):
    """Sweeps ``x[p] <- b[p] + sum_q M[p, q] x[q]`` in place until
    ``max |b + M x - x| <= residual_tol``; returns the sweeps done."""
    n = b.shape[0]
    for sweep in range(1, max_sweeps + 1):
        for p in range(n):
            total = b[p]
            for k in range(indptr[p], indptr[p + 1]):
                total += values[k] * x[indices[k]]
            x[p] = total
        if sweep % 4 == 0:
            residual = 0.0
            for p in range(n):
                total = b[p]
                for k in range(indptr[p], indptr[p + 1]):
                    total += values[k] * x[indices[k]]
                residual = max(residual, abs(total - x[p]))
            if residual <= residual_tol:
                return sweep
    return max_sweeps


class _Operator:
    """The operator F of one (kernel, reward) pair, with its warm-started transport bases."""

    def __init__(
        self, kernel: sp.csr_array, R: np.ndarray, c_R: float, c_T: float, scale: float
    ) -> None:
        S, A = R.shape
        self.S, self.A, self.c_R, self.c_T = S, A, c_R, c_T
        self.indptr = kernel.indptr.astype(np.int64)
        self.indices = kernel.indices.astype(np.int64)
        self.data = kernel.data
        self.R = np.ascontiguousarray(R)
        self.pair_i, self.pair_j, self.pair_index = _pairs(S)
        support = np.diff(self.indptr).reshape(S, A)
        sizes = (support[self.pair_i] + support[self.pair_j] - 1).ravel()
        n_cells = int(sizes.sum())
        check_memory(
            20.0 * n_cells + 24.0 * self.pair_i.size * A,
            "bisimulation metric: the transport bases of every pair of states and "
            f"action ({n_cells} cells)",
            f"S={S}, A={A}",
        )
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.bi = np.zeros(n_cells, dtype=np.int64)
        self.bj = np.zeros(n_cells, dtype=np.int64)
        self.bf = np.zeros(n_cells, dtype=np.float64)
        self.warm = np.zeros(self.pair_i.size * A, dtype=np.bool_)
        k = int(support.max())
        self.C = np.empty((k, k))
        self.work_int, self.work_float = work_arrays(k, k)
        self.best_action = np.zeros(self.pair_i.size, dtype=np.int64)
        self.tol = SIMPLEX_TOL * scale
        self.n_cells = n_cells
        # the arguments both kernels take in this order: pairs, kernel rows, rewards, the
        # constants and the transport bases (arrays the kernels update in place)
        self.layout = (
            self.pair_i,
            self.pair_j,
            self.pair_index,
            self.indptr,
            self.indices,
            self.R,
            self.A,
            self.c_R,
            self.c_T,
            self.offsets,
            self.bi,
            self.bj,
            self.bf,
        )

    def __call__(
        self,
        d: np.ndarray,
        current: np.ndarray | None = None,
        only_current: bool = False,
        switch: float = 0.0,
    ) -> np.ndarray:
        """``F(d)``; see :func:`_apply_kernel` for ``current``, ``only_current``, ``switch``."""
        out = np.empty(self.pair_i.size)
        if current is None:
            current = np.full(self.pair_i.size, -1, dtype=np.int64)
        failures = _apply_kernel(
            d,
            self.data,
            self.layout,
            self.warm,
            self.tol,
            current,
            only_current,
            switch,
            out,
            self.best_action,
            self.C,
            self.work_int,
            self.work_float,
        )
        if failures:
            raise ValueError(
                f"bisimulation metric: {failures} transport problems reached the "
                "simplex pivot limit"
            )
        return out

    def evaluate(self, start: np.ndarray, tol: float) -> np.ndarray:
        """Fixed point of the affine map ``x -> b + c_T M x`` of the last application, by
        Gauss-Seidel sweeps from ``start`` (``M >= 0`` with row sums below 1, so they converge
        at least as fast as the iteration of the map, Stein-Rosenberg) until the residual
        certifies ``||x - x*|| <= tol``."""
        n = self.pair_i.size
        rows = np.empty(self.n_cells, dtype=np.int64)
        cols = np.empty(self.n_cells, dtype=np.int64)
        vals = np.empty(self.n_cells)
        b = np.empty(n)
        count = _affine_kernel(self.best_action, self.layout, rows, cols, vals, b)
        M = sp.csr_array((vals[:count], (rows[:count], cols[:count])), shape=(n, n))
        x = np.array(start, dtype=np.float64)
        _gauss_seidel(
            M.indptr.astype(np.int64),
            M.indices.astype(np.int64),
            M.data,
            b,
            x,
            tol * (1.0 - self.c_T),
            EVALUATION_SWEEPS,
        )
        return x

    def matrix(self, d: np.ndarray) -> np.ndarray:
        out = np.zeros((self.S, self.S))
        out[self.pair_i, self.pair_j] = d
        out[self.pair_j, self.pair_i] = d
        return out


def _check_weights(c_R, c_T) -> tuple[float, float]:
    c_R = check_real(c_R, "c_R", 0.0, low_open=True)
    c_T = check_real(c_T, "c_T", 0.0, 1.0, high_open=True)
    return c_R, c_T


def _fixed_point(
    kernel: sp.csr_array,
    R: np.ndarray,
    c_R: float,
    c_T: float,
    tol: float,
    max_iter: int,
    accelerate: bool,
    policy=None,
) -> BisimulationMetric:
    span = float(R.max() - R.min()) if R.size else 0.0
    scale = max(c_R * span / (1.0 - c_T), np.finfo(float).tiny)  # largest possible distance
    operator = _Operator(kernel, R, c_R, c_T, scale)
    slack = c_T * operator.tol / (1.0 - c_T)
    factor = c_T / (1.0 - c_T)
    # strategy-iteration thresholds: far below what the certificate needs, above rounding
    small = max(0.01 * tol * (1.0 - c_T), ROUNDING * scale)
    x = np.zeros(operator.pair_i.size)
    Fx = operator(x)
    residual = float(np.max(np.abs(Fx - x), initial=0.0))
    residuals = [residual]
    applications, evaluations = 1, 0
    stop_reason = "max_iter"
    strategy = accelerate
    while True:
        if factor * residual + slack <= tol:
            stop_reason = "tolerance"
            break
        if applications >= max_iter:
            break
        if strategy:
            # Hoffman-Karp: best couplings for the actions fixed (policy iteration of the
            # minimising player, monotone), then switch actions that improve by > small
            actions = operator.best_action.copy()
            # inexact evaluations while far from the fixed point (modified policy iteration)
            accuracy = max(small, 1e-3 * residual)
            y = x
            for _ in range(INNER_STEPS):
                y = operator.evaluate(y, accuracy)
                evaluations += 1
                Gy = operator(y, actions, only_current=True)
                if float(np.max(y - Gy, initial=0.0)) <= accuracy:
                    break
            x = y
            Fx = operator(x, actions, switch=accuracy)
            # stalled at full accuracy: only plain steps are left (each contracts by c_T)
            strategy = bool(np.any(operator.best_action != actions)) or accuracy > small
        else:
            x = Fx
            Fx = operator(x)
        applications += 1
        previous, residual = residual, float(np.max(np.abs(Fx - x), initial=0.0))
        residuals.append(residual)
        if not strategy and residual >= previous:
            # a plain step contracts by c_T; no progress means rounding sets the floor
            stop_reason = "tolerance" if factor * residual + slack <= tol else "rounding"
            break
    return BisimulationMetric(
        distance=operator.matrix(Fx),
        c_R=c_R,
        c_T=c_T,
        bound=factor * residual + slack,
        applications=applications,
        evaluations=evaluations,
        stop_reason=stop_reason,
        residuals=np.asarray(residuals),
        policy=policy,
    )


def _require_discounted(mdp, where: str) -> FiniteMDP:
    if not isinstance(mdp, FiniteMDP):
        raise ParameterTypeError(
            f"{where} needs a FiniteMDP (discounted model), got {type(mdp).__name__}"
        )
    return mdp


def bisimulation_metric(
    mdp: FiniteMDP,
    c_R: float | None = None,
    c_T: float | None = None,
    tol: float = 1e-9,
    max_iter: int = 10_000,
    accelerate: bool = True,
) -> BisimulationMetric:
    r"""The bisimulation metric :math:`d_{fix}` of a discounted MDP, with a certificate.

    Parameters
    ----------
    mdp : FiniteMDP
        Dense or sparse kernel.
    c_R, c_T : float, optional
        Weights of the operator; defaults ``c_T = gamma`` and ``c_R = 1 - gamma`` (then
        :math:`|V^*(s) - V^*(t)| \le d_{fix}(s, t) / (1 - \gamma)` and distances of rewards in
        [0, 1] lie in [0, 1]). Ferns et al. take :math:`c_R + c_T \le 1`; any
        :math:`c_R > 0, 0 \le c_T < 1` gives a contraction.
    tol : float
        Stop when the certified sup-norm error ``bound`` is at most ``tol``.
    max_iter : int
        Largest number of applications of the operator.
    accelerate : bool
        Take the policy-evaluation steps described in the module docstring (default); False
        runs plain fixed-point iteration :math:`d_{n+1} = F(d_n)` from :math:`d_0 = 0`.

    Returns
    -------
    BisimulationMetric

    Notes
    -----
    Cost: :math:`O(S^2 A\, k^2)` per application of ``F`` (``k`` the largest support of a row
    of ``P``) plus Gauss-Seidel sweeps over a sparse system in :math:`S(S-1)/2` unknowns per
    evaluation step; memory :math:`O(S^2 A k)`. A Garnet with S = 200, A = 4, 3 successors
    per pair takes a few seconds (``bench/diagnostics.py``); dense kernels (``k = S``) cost
    :math:`O(S^4 A)` per application and are for small S only.

    Examples
    --------
    Two states with the same rewards and kernels are bisimilar:

    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[0.0, 0.5, 0.5]], [[0.0, 0.5, 0.5]], [[0.0, 0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, [[1.0], [1.0], [0.0]], gamma=0.5)
    >>> result = bisimulation_metric(mdp)
    >>> float(result.distance[0, 1]), round(float(result.distance[0, 2]), 6)
    (0.0, 0.75)
    >>> result.classes().tolist()
    [0, 0, 1]
    """
    mdp = _require_discounted(mdp, "bisimulation_metric")
    c_R, c_T = _check_weights(
        1.0 - mdp.gamma if c_R is None else c_R, mdp.gamma if c_T is None else c_T
    )
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    return _fixed_point(
        _row_kernel(mdp), np.asarray(mdp.R), c_R, c_T, tol, max_iter, bool(accelerate)
    )


def pi_bisimulation_metric(
    mdp: FiniteMDP,
    policy,
    c_R: float = 1.0,
    c_T: float | None = None,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> BisimulationMetric:
    r"""The :math:`\pi`-bisimulation metric of Castro (2020): the bisimulation metric of the
    Markov reward process :math:`(r_\pi, P_\pi)` of ``policy``.

    :math:`d^\pi(s, t) = c_R |r_\pi(s) - r_\pi(t)| + c_T W_1^{d^\pi}(P_\pi(\cdot|s),
    P_\pi(\cdot|t))`; with the defaults ``c_R = 1, c_T = gamma``,
    :math:`|V^\pi(s) - V^\pi(t)| \le d^\pi(s, t)` (Castro 2020, Thm 3, from memory). Cost as
    :func:`bisimulation_metric` with one action and ``k`` the support of a row of
    :math:`P_\pi` (up to A times that of ``P``).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    >>> mdp = FiniteMDP(P, [[1.0, 0.0], [0.0, 0.0]], gamma=0.5)
    >>> round(float(pi_bisimulation_metric(mdp, np.array([0, 0])).distance[0, 1]), 9)
    2.0
    """
    mdp = _require_discounted(mdp, "pi_bisimulation_metric")
    pi = check_policy(mdp, policy)
    probabilities = np.eye(mdp.A)[pi] if np.issubdtype(pi.dtype, np.integer) else pi
    c_R, c_T = _check_weights(c_R, mdp.gamma if c_T is None else c_T)
    tol = check_tol(tol)
    max_iter = check_max_iter(max_iter)
    S, A = mdp.S, mdp.A
    weights = sp.csr_array(
        (probabilities.ravel(), (np.repeat(np.arange(S), A), np.arange(S * A))), shape=(S, S * A)
    )
    kernel = _normalised(sp.csr_array(weights @ _row_kernel(mdp)))
    r_pi = np.einsum("sa,sa->s", probabilities, mdp.R)[:, None]
    # one action: the max is gone and the evaluation step is policy iteration of the
    # minimising (coupling) player, so it converges in finitely many steps
    return _fixed_point(kernel, r_pi, c_R, c_T, tol, max_iter, True, policy=pi)


def bisimulation_operator(
    mdp: FiniteMDP, d, c_R: float | None = None, c_T: float | None = None, method: str = "simplex"
) -> np.ndarray:
    r"""One application :math:`F(d)` of the operator to a symmetric non-negative ``d`` (S, S)
    with zero diagonal.

    ``method="simplex"`` uses the compiled transport simplex of :func:`bisimulation_metric`;
    ``method="lp"`` solves all the transport problems as one block-diagonal LP with HiGHS,
    sharing no code with it (for small S and tests).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((2, 1, 1)) * [[[1.0]]], [[1.0], [0.0]], gamma=0.9)
    >>> bisimulation_operator(FiniteMDP(np.eye(2)[:, None, :], [[1.0], [0.0]], gamma=0.9),
    ...                       np.zeros((2, 2)))[0, 1].round(12)
    np.float64(0.1)
    """
    mdp = _require_discounted(mdp, "bisimulation_operator")
    c_R, c_T = _check_weights(
        1.0 - mdp.gamma if c_R is None else c_R, mdp.gamma if c_T is None else c_T
    )
    D = as_float_array(d, "d", ndim=2)
    S = mdp.S
    if D.shape != (S, S):
        raise ValueError(f"d has shape {D.shape}, expected ({S}, {S})")
    bad = ~np.isfinite(D) | (D < 0)
    if bad.any():
        i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), D.shape)
        raise ValueError(f"d[{i}, {j}] is {float(D[i, j])!r}; distances must be finite and >= 0")
    asymmetric = np.abs(D - D.T) > 0
    if asymmetric.any():
        i, j = np.unravel_index(int(np.flatnonzero(asymmetric)[0]), D.shape)
        raise ValueError(
            f"d[{i}, {j}] = {float(D[i, j])!r} differs from d[{j}, {i}] = {float(D[j, i])!r}"
        )
    if np.any(np.diag(D) != 0):
        i = int(np.flatnonzero(np.diag(D) != 0)[0])
        raise ValueError(f"d[{i}, {i}] is {float(D[i, i])!r}; the diagonal must be 0")
    kernel = _row_kernel(mdp)
    if method == "simplex":
        span = float(mdp.R.max() - mdp.R.min())
        scale = max(c_R * span / (1.0 - c_T), float(D.max()), np.finfo(float).tiny)
        operator = _Operator(kernel, np.asarray(mdp.R), c_R, c_T, scale)
        return operator.matrix(operator(D[operator.pair_i, operator.pair_j]))
    if method != "lp":
        raise ValueError(f"method must be 'simplex' or 'lp', got {method!r}")
    values = _block_lp_values(kernel, D, mdp.A)  # (pairs, A)
    pair_i, pair_j = np.triu_indices(S, k=1)
    rewards = np.abs(mdp.R[pair_i] - mdp.R[pair_j])  # (pairs, A)
    out = np.zeros((S, S))
    out[pair_i, pair_j] = (c_R * rewards + c_T * values).max(axis=1)
    out[pair_j, pair_i] = out[pair_i, pair_j]
    return out


def _block_lp_values(kernel: sp.csr_array, D: np.ndarray, A: int) -> np.ndarray:
    """``W_1^D(P(.|i, a), P(.|j, a))`` for every pair ``i < j`` and action, from one
    block-diagonal transport LP solved by HiGHS (the objective separates over the blocks, so
    an optimal solution is optimal in every block)."""
    from scipy.optimize import linprog

    S = D.shape[0]
    pair_i, pair_j = np.triu_indices(S, k=1)
    costs, rows, cols, vals, rhs, blocks = [], [], [], [], [], []
    n_vars = n_rows = 0
    for i, j in zip(pair_i, pair_j, strict=True):
        for a in range(A):
            p = kernel[[i * A + a]]
            q = kernel[[j * A + a]]
            m, n = p.indices.size, q.indices.size
            index = n_vars + np.arange(m * n).reshape(m, n)
            costs.append(D[np.ix_(p.indices, q.indices)].ravel())
            rows.append(np.repeat(n_rows + np.arange(m), n))  # row sums
            cols.append(index.ravel())
            rows.append(np.tile(n_rows + m + np.arange(n), m))  # column sums
            cols.append(index.ravel())
            vals.append(np.ones(2 * m * n))
            rhs.append(np.concatenate([p.data, q.data]))
            blocks.append(np.full(m * n, len(blocks)))
            n_vars += m * n
            n_rows += m + n
    c = np.concatenate(costs)
    A_eq = sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_vars)
    )
    result = linprog(c, A_eq=A_eq, b_eq=np.concatenate(rhs), bounds=(0, None), method="highs")
    if result.status != 0:
        raise ValueError(f"HiGHS returned status {result.status}: {result.message}")
    per_block = np.bincount(np.concatenate(blocks), weights=c * result.x, minlength=len(blocks))
    return per_block.reshape(pair_i.size, A)


_DEFINITION = (
    "d(s,t) = max_a [c_R |r(s,a) - r(t,a)| + c_T W_1^d(P(.|s,a), P(.|t,a))], the "
    "fixed point of a c_T-contraction; d = 0 on bisimilar states and "
    "c_R |V*(s) - V*(t)| <= d(s,t) when gamma <= c_T (Ferns, Panangaden, Precup "
    "2004). Here c_T = gamma, c_R = 1 - gamma."
)


@diagnostic("bisimulation metric")
def diagnose_bisimulation(model) -> Diagnosis | None:
    """The bisimulation metric of a discounted model (None for any other model)."""
    if not isinstance(model, FiniteMDP):
        return None
    result = bisimulation_metric(model)
    distance = result.distance
    off_diagonal = distance[np.triu_indices(model.S, k=1)]
    labels = result.classes()
    return Diagnosis(
        name="bisimulation metric",
        definition=_DEFINITION,
        values={
            "c_R": result.c_R,
            "c_T (contraction rate)": result.c_T,
            "max_{s,t} d(s,t)": float(off_diagonal.max(initial=0.0)),
            "mean_{s<t} d(s,t)": float(off_diagonal.mean()) if off_diagonal.size else 0.0,
            "bisimulation classes (d = 0)": f"{int(labels.max()) + 1} of {model.S} states",
            "certified error": result.bound,
            "operator applications": result.applications,
        },
        complexity="O(S^2 A k^2) per application of F (k = largest support of a row of P), "
        "about ten applications with strategy iteration; memory O(S^2 A k)",
    )


__all__ = [
    "BisimulationMetric",
    "bisimulation_metric",
    "bisimulation_operator",
    "pi_bisimulation_metric",
]
