r"""Ridge regressions of the dual targets on ``phi`` and the per-coordinate duals built on them.

For a stage ``h`` of an offline log with visit counts ``N_h`` (S A,), reward sums ``R_h`` and
next-state counts ``C_h`` (S A, S), ``Lambda_h = Phi^T diag(N_h) Phi + lam I`` and the ridge
estimate of ``E_{mu^0_{h, .}}[f]`` for any function ``f`` of the next state is::

    Lambda_h^{-1} sum_tau phi_tau f(s'_tau) = Lambda_h^{-1} Phi^T C_h f = M_h f,

with the (d, S) operator ``M_h = Lambda_h^{-1} Phi^T C_h`` formed once per stage (one sparse
product and one Cholesky solve), so each dual target costs one (d, S) matrix-vector product.
The reward weights are estimated the same way: ``theta_hat_h = Lambda_h^{-1} Phi^T R_h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms.offline.datasets import TransitionCounts


@dataclass(frozen=True)
class StageRegression:
    """The ridge operators of one stage: ``M`` (d, S), ``theta_hat`` (d,),
    ``diag(Lambda_h^{-1})`` (d,) and ``Lambda_h`` (d, d)."""

    M: np.ndarray
    theta_hat: np.ndarray
    inverse_diagonal: np.ndarray
    gram: np.ndarray


def stage_regressions(
    features: np.ndarray, stats: TransitionCounts, lam: float
) -> list[StageRegression]:
    """``Lambda_h``, ``M_h``, ``theta_hat_h`` and ``diag(Lambda_h^{-1})`` for every stage.

    The moments come from one compiled pass over the counts (:func:`_stage_moments`);
    ``Lambda_h^{-1}`` by inverting the (d, d) ridge matrices, which are well conditioned
    (eigenvalues >= lam).
    """
    H, d = stats.H, features.shape[1]
    C = stats.next_counts
    gram, targets, reward_targets = _stage_moments(
        C.indptr.astype(np.int64),
        C.indices.astype(np.int64),
        np.asarray(C.data, dtype=np.float64),
        np.ascontiguousarray(stats.counts.reshape(H, -1)),
        np.ascontiguousarray(stats.reward_sums.reshape(H, -1)),
        np.ascontiguousarray(features),
        stats.S,
    )
    gram += lam * np.eye(d)
    inverse = np.linalg.inv(gram)
    M = np.einsum("hij,hjs->his", inverse, targets)
    theta_hat = np.einsum("hij,hj->hi", inverse, reward_targets)
    return [
        StageRegression(
            np.ascontiguousarray(M[h]),
            theta_hat[h],
            np.maximum(np.diagonal(inverse[h]).copy(), 0.0),
            gram[h],
        )
        for h in range(H)
    ]


@njit(cache=True)
def _stage_moments(indptr, indices, data, counts, reward_sums, features, S):
    """``Phi^T diag(N_h) Phi`` (H, d, d), ``Phi^T C_h`` (H, d, S) and ``Phi^T R_h`` (H, d) in
    one pass over the visited rows and the non-zero next-state counts, O(H S A d^2 + nnz d).

    Compiled loops rather than BLAS: the products are small, and threaded BLAS loses most of
    their time to synchronisation on a busy machine."""
    H, n_rows = counts.shape
    d = features.shape[1]
    gram = np.zeros((H, d, d))
    targets = np.zeros((H, d, S))
    rewards = np.zeros((H, d))
    for h in range(H):
        for r in range(n_rows):
            n = counts[h, r]
            if n == 0.0:
                continue
            phi = features[r]
            for i in range(d):
                w = n * phi[i]
                if w != 0.0:
                    for j in range(d):
                        gram[h, i, j] += w * phi[j]
                rewards[h, i] += reward_sums[h, r] * phi[i]
            row = h * n_rows + r
            for k in range(indptr[row], indptr[row + 1]):
                s = indices[k]
                c = data[k]
                for i in range(d):
                    targets[h, i, s] += c * phi[i]
    return gram, targets, rewards


def tv_ball_dual(M: np.ndarray, V: np.ndarray, rho: float) -> np.ndarray:
    """DRPVI's TV coordinate duals ``max_alpha { (M [V]_alpha)_i - rho (alpha - min V) }``.

    ``(M [V]_alpha)_i`` is linear in ``alpha`` between two atoms of ``V``, so the maximum over
    ``alpha in [min V, max V]`` is at an atom: with the atoms sorted, ``M [V]_{v_k} =
    sum_{j <= k} M_j v_j + v_k sum_{j > k} M_j`` for every ``k`` by two cumulative sums,
    ``O(d S)`` after the sort.
    """
    order = np.argsort(V, kind="stable")
    v = V[order]
    Ms = M[:, order]
    lower = np.cumsum(Ms * v[None, :], axis=1)
    upper = Ms.sum(axis=1)[:, None] - np.cumsum(Ms, axis=1)
    candidates = lower + v[None, :] * upper - rho * (v - v[0])[None, :]
    return candidates.max(axis=1)


@njit(cache=True)
def chi2_penalty_dual(M, V, order, lam):
    r"""R2PVI's chi-square coordinate duals ``sup_alpha z_i(alpha) - (z2_i(alpha) -
    z_i(alpha)^2) / (4 lam)`` with ``z = M [V]_alpha`` and ``z2 = M [V]_alpha^2``.

    Between consecutive breakpoints (0 and the sorted atoms of ``V``) the lower states ``L``
    (``V_j < alpha``) are fixed, so ``z = a + b alpha`` and ``z2 = c + b alpha^2`` with ``a =
    sum_L M_j V_j``, ``c = sum_L M_j V_j^2`` and ``b = sum_{not L} M_j``: the objective is a
    quadratic in ``alpha`` and its maximum on the interval is at an end or at the stationary
    point. Exact, ``O(d S)`` after the sort; ``alpha`` ranges over ``[0, max V]`` (above
    ``max V`` nothing changes).
    """
    d, S = M.shape
    out = np.empty(d)
    for i in range(d):
        total = 0.0
        for j in range(S):
            total += M[i, j]
        a = 0.0
        c = 0.0
        b = total
        left = 0.0 if V[order[0]] > 0.0 else V[order[0]]
        best = -np.inf
        for k in range(S + 1):
            right = V[order[k]] if k < S else V[order[S - 1]]
            quad = -(b - b * b) / (4.0 * lam)
            lin = b + 2.0 * a * b / (4.0 * lam)
            const = a - (c - a * a) / (4.0 * lam)
            for t in range(3):
                if t == 0:
                    alpha = left
                elif t == 1:
                    alpha = right
                elif quad < 0.0:
                    alpha = -lin / (2.0 * quad)
                else:
                    continue
                if alpha < left or alpha > right:
                    continue
                g = const + lin * alpha + quad * alpha * alpha
                if g > best:
                    best = g
            if k < S:
                j = order[k]
                a += M[i, j] * V[j]
                c += M[i, j] * V[j] * V[j]
                b -= M[i, j]
                left = right
        out[i] = best
    return out
