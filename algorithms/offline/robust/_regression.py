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


DENSE_LIMIT = 4_000_000
"""Largest ``H S A S`` for which the next-state counts are densified (one batched product)."""


def stage_regressions(
    features: np.ndarray, stats: TransitionCounts, lam: float
) -> list[StageRegression]:
    """``Lambda_h``, ``M_h``, ``theta_hat_h`` and ``diag(Lambda_h^{-1})`` for every stage.

    Batched over stages: ``Phi^T C_h`` for all ``h`` in one product (dense counts when small,
    one sparse-dense product per stage otherwise) and ``Lambda_h^{-1}`` by one batched inverse
    of the (d, d) ridge matrices, which are well conditioned (eigenvalues >= lam).
    """
    H, d = stats.H, features.shape[1]
    counts = stats.counts.reshape(H, -1)
    rewards = stats.reward_sums.reshape(H, -1)
    n_rows = counts.shape[1]
    gram = np.matmul(features.T[None], counts[:, :, None] * features[None]) + lam * np.eye(d)
    gram = 0.5 * (gram + gram.transpose(0, 2, 1))
    inverse = np.linalg.inv(gram)
    inverse = 0.5 * (inverse + inverse.transpose(0, 2, 1))
    if n_rows * stats.S * H <= DENSE_LIMIT:
        dense = stats.next_counts.toarray().reshape(H, n_rows, stats.S)
        targets = np.matmul(features.T[None], dense)
    else:
        # Phi^T C_h = (C_h^T Phi)^T: one sparse-dense product per stage, O(nnz(C_h) d)
        targets = np.stack([(stats.stage_block(h).T @ features).T for h in range(H)])
    M = np.matmul(inverse, targets)
    theta_hat = np.einsum("hij,hj->hi", inverse, rewards @ features)
    out = []
    for h in range(H):
        out.append(
            StageRegression(
                np.ascontiguousarray(M[h]),
                theta_hat[h],
                np.maximum(np.diag(inverse[h]), 0.0),
                gram[h],
            )
        )
    return out


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
