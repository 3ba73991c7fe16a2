r"""Maximum-likelihood choice of a low-rank representation from a finite candidate class.

In a latent-variable low-rank MDP ``P(s'|s, a) = sum_i phi_i(s, a) mu_i(s')`` with simplex
features (``phi(s, a)`` a distribution over ``d`` latent states) and each ``mu_i`` a
distribution over next states, the representation-learning step of the low-rank CVaR paper
(Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee, ICLR 2024, arXiv:2311.11965; FLAMBE and Rep-UCB before
it) is a maximum-likelihood oracle over a class ``Phi x Upsilon``:

    (phi_hat, mu_hat) = argmax_{phi in Phi, mu} sum_{(s, a, s')} N(s, a, s') log phi(s, a) . mu(s').

For a fixed ``phi`` the log-likelihood is concave in ``mu`` (the log of a linear function) over
a product of simplices, and the EM iteration of a mixture with known weights,

    r_i(n, s') = phi_i(n) mu_i(s') / (phi(n) . mu(s')),
    mu_i(s') <- sum_n N(n, s') r_i(n, s') / sum_{n, t} N(n, t) r_i(n, t),

increases it monotonically to its maximum. Here ``Phi`` is finite (a list of candidate feature
maps of one dimension ``d``), ``mu`` is free, each candidate's ``mu`` is warm-started from the
previous call, and the candidate of largest log-likelihood is chosen (ties to the smallest index).
The paper's class and its oracle's accuracy were not read: this is the standard finite-class MLE
of the low-rank literature, **reconstructed**.

Cost of one call: ``O(C n_iter S A S d)`` for ``C`` candidates.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SIMPLEX_TOL = 1e-9
"""Tolerance on a feature row's sum and sign for it to count as a distribution."""


def check_simplex_features(features: np.ndarray, name: str) -> np.ndarray:
    """``features`` (n, d) with every row a probability vector, else ValueError naming the row.

    Examples
    --------
    >>> check_simplex_features(np.array([[0.5, 0.5], [1.0, 0.0]]), "phi").shape
    (2, 2)
    >>> check_simplex_features(np.array([[0.5, 0.6]]), "phi")
    Traceback (most recent call last):
    ...
    ValueError: phi[0] sums to 1.1, not 1 (MLE by EM needs simplex features)
    """
    features = np.ascontiguousarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must be 2-d (pairs, d), got shape {features.shape}")
    negative = np.argwhere(features < -SIMPLEX_TOL)
    if negative.size:
        n, i = (int(v) for v in negative[0])
        raise ValueError(
            f"{name}[{n}, {i}] is {float(features[n, i])!r} < 0 (MLE by EM needs simplex features)"
        )
    sums = features.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > SIMPLEX_TOL)
    if off.size:
        n = int(off[0])
        raise ValueError(
            f"{name}[{n}] sums to {float(sums[n]):.6g}, not 1 (MLE by EM needs simplex features)"
        )
    return features


WARM_FLOOR = 1e-6
"""Added to every entry of a warm-started ``mu`` (then renormalised) before the EM steps."""


@njit(cache=True)
def log_likelihood(counts: np.ndarray, features: np.ndarray, mu: np.ndarray) -> float:
    """``sum_{n, s'} N(n, s') log phi(n) . mu(:, s')`` (``-inf`` if an observed transition has
    probability 0). ``counts`` (S A, S), ``features`` (S A, d), ``mu`` (d, S)."""
    total = 0.0
    n_pairs, S = counts.shape
    for n in range(n_pairs):
        for t in range(S):
            c = counts[n, t]
            if c > 0.0:
                p = 0.0
                for i in range(features.shape[1]):
                    p += features[n, i] * mu[i, t]
                if p <= 0.0:
                    return -np.inf
                total += c * math.log(p)
    return total


@njit(cache=True)
def em_steps(
    counts: np.ndarray, features: np.ndarray, mu: np.ndarray, n_iter: int, work: np.ndarray
) -> float:
    """``n_iter`` EM updates of ``mu`` (in place, rows stay distributions); returns the final
    log-likelihood. ``work`` (d, S) is scratch. A latent state no observed pair loads on keeps
    its ``mu`` row (its weight in the likelihood is 0)."""
    n_pairs, S = counts.shape
    d = features.shape[1]
    # EM's multiplicative update keeps a zero at zero: lift every entry by WARM_FLOOR first, so a
    # transition first seen since the last call can gain mass.
    for i in range(d):
        for t in range(S):
            mu[i, t] = (mu[i, t] + WARM_FLOOR) / (1.0 + S * WARM_FLOOR)
    for _ in range(n_iter):
        work[:] = 0.0
        for n in range(n_pairs):
            for t in range(S):
                c = counts[n, t]
                if c > 0.0:
                    p = 0.0
                    for i in range(d):
                        p += features[n, i] * mu[i, t]
                    if p > 0.0:
                        scale = c / p
                        for i in range(d):
                            work[i, t] += scale * features[n, i] * mu[i, t]
        for i in range(d):
            row = 0.0
            for t in range(S):
                row += work[i, t]
            if row > 0.0:
                for t in range(S):
                    mu[i, t] = work[i, t] / row
    return log_likelihood(counts, features, mu)


@njit(cache=True)
def select_features(
    counts: np.ndarray,
    candidates: np.ndarray,
    mu: np.ndarray,
    n_iter: int,
    scores: np.ndarray,
    work: np.ndarray,
) -> int:
    """EM on every candidate (``candidates`` (C, S A, d), ``mu`` (C, d, S) warm-started and
    updated in place); ``scores[c]`` its log-likelihood; returns the index of the largest (ties
    to the smallest index)."""
    best = 0
    for c in range(candidates.shape[0]):
        scores[c] = em_steps(counts, candidates[c], mu[c], n_iter, work)
        if scores[c] > scores[best]:
            best = c
    return best


def uniform_mu(n_candidates: int, d: int, S: int) -> np.ndarray:
    """The EM start: every latent state's next-state distribution uniform, shape (C, d, S)."""
    return np.full((n_candidates, d, S), 1.0 / S)


__all__ = [
    "SIMPLEX_TOL",
    "WARM_FLOOR",
    "check_simplex_features",
    "em_steps",
    "log_likelihood",
    "select_features",
    "uniform_mu",
]
