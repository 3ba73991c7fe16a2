r"""PEVI's pessimistic backup, steps (a)-(g) of Algorithm 2 (Jin, Yang, Wang, ICML 2021).

``_linear_estimates`` is step (a) and the squared widths ``phi^T Lambda_h^{-1} phi``;
``_backward`` runs steps (b)-(g) for ``h = H-1..0`` on aggregated counts (one fit, numpy);
``_greedy_stage`` is steps (d)-(g) for one stage inside the compiled prefix curves of
:mod:`algorithms.offline.pevi.curves`. Code stages are ``h = 0..H-1``, so the paper's clip
``H - h + 1`` is ``H - h`` here.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numba import njit

from algorithms.offline.datasets import TransitionCounts
from mdptheory._kernels import greedy_backup


def _linear_estimates(features: np.ndarray, stats: TransitionCounts, lam: float):
    """Step (a) and the squared widths: ``gram`` (H, d, d), its Cholesky factors, widths2."""
    d = features.shape[1]
    counts = stats.counts.reshape(stats.H, -1)
    # Phi^T diag(N_h) Phi for every stage: one batched BLAS product, O(H S A d^2).
    gram = np.matmul(features.T[None], counts[:, :, None] * features[None]) + lam * np.eye(d)
    gram = 0.5 * (gram + gram.transpose(0, 2, 1))
    chol = np.linalg.cholesky(gram)
    # ||phi||^2_{Lambda^{-1}} = ||L^{-1} phi||^2 with L the Cholesky factor: inverting the
    # triangular d x d factors once (batched) is far cheaper than S A right-hand sides.
    solved = np.matmul(np.linalg.inv(chol), features.T[None])
    widths2 = (solved**2).sum(axis=1)
    return gram, chol, widths2


def _backward(
    stats: TransitionCounts,
    beta: float,
    lam: float,
    features: np.ndarray | None,
    chol: np.ndarray | None,
    widths2: np.ndarray,
):
    """Steps (b)-(g) for h = H-1..0 (code stages); tabular when ``features`` is None."""
    S, A, H = stats.S, stats.A, stats.H
    d = 0 if features is None else features.shape[1]
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S * A))
    estimate = np.empty((H, S * A))
    weights = None if features is None else np.empty((H, d))
    widths = np.sqrt(widths2)
    counts = stats.counts.reshape(H, -1)
    rewards = stats.reward_sums.reshape(H, -1)
    for h in range(H - 1, -1, -1):
        # (b): sum_tau phi_tau (r_tau + V(x'_tau)) = Phi^T (R_h + C_h V_{h+1}); C_h is sparse.
        y = rewards[h] + stats.stage_block(h) @ V[h + 1]
        if features is None:
            estimate[h] = y / (counts[h] + lam)
        else:
            w = scipy.linalg.cho_solve((chol[h], True), features.T @ y)
            weights[h] = w
            estimate[h] = features @ w
        # (c)-(e): penalty, then the clip to [0, H - h + 1] (paper stage h + 1 -> H - h here).
        Q[h] = np.clip(estimate[h] - beta * widths[h], 0.0, float(H - h))
        # (f)-(g): first maximiser and its value.
        V[h] = Q[h].reshape(S, A).max(axis=1)
    return (V, Q.reshape(H, S, A), estimate.reshape(H, S, A), widths.reshape(H, S, A), weights)


@njit(cache=True)
def _greedy_stage(means, widths_h, beta, clip, S, A, Q_row, V_row, policy_row):
    for n in range(S * A):
        q = means[n] - beta * widths_h[n]
        if q > clip:
            q = clip
        if q < 0.0:
            q = 0.0
        Q_row[n] = q
    greedy_backup(Q_row.reshape(S, A), V_row, policy_row)
