r"""The variance step of variance-weighted PEVI: the data split, the pilot value on the
variance half and the two ridge regressions of LinPEVI-ADV+ (Xiong et al., ICLR 2023,
arXiv:2205.15512, step 2 as restated in the HYRULE paper, Alg. 3, lines 21-28)::

    beta_1 = argmin sum_{D'} (<phi, b> - V'_{h+1}(s'))^2   + lam ||b||^2
    beta_2 = argmin sum_{D'} (<phi, b> - V'_{h+1}(s')^2)^2 + lam ||b||^2
    sigma2_h(s, a) = max{ floor, [phi^T beta_2]_{[0, (H-h)^2]} - [phi^T beta_1]_{[0, H-h]}^2
                          - offset }

On a finite state space both regressions enter through the counts of the variance half, as in
PEVI's fit (:mod:`algorithms.offline.pevi.backup`): ``Phi^T (C'_h V')`` and
``Phi^T (C'_h V'^2)``. Code stages are ``h = 0..H-1``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from algorithms.offline.datasets import OfflineDataset, TransitionCounts
from algorithms.offline.pevi.backup import _backward, _linear_estimates

SPLITS = ("alternate", "none")
"""``"alternate"``: odd episodes estimate the variance, even episodes the value (independent
halves, as the proofs need); ``"none"``: both from all the data (the pitfall, for comparison)."""


def _episode_counts(data: OfflineDataset, keep: np.ndarray) -> TransitionCounts | None:
    """The counts of the rows ``keep``; None when some stage has no row there."""
    S, A, H = data.S, data.A, data.H
    if np.bincount(data.stage[keep], minlength=H).min() == 0:
        return None
    rows = ((data.stage * S + data.state) * A + data.action)[keep]
    counts = np.bincount(rows, minlength=H * S * A).astype(np.float64)
    sums = np.bincount(rows, weights=data.reward[keep], minlength=H * S * A)
    nxt = sp.csr_array((np.ones(rows.size), (rows, data.next_state[keep])), shape=(H * S * A, S))
    episodes = float(np.bincount(data.stage[keep], minlength=H).max())
    return TransitionCounts(S, A, H, counts.reshape(H, S, A), sums.reshape(H, S, A), nxt, episodes)


def split_counts(
    data: OfflineDataset, split: str
) -> tuple[TransitionCounts, TransitionCounts | None]:
    """``(regression half D, variance half D')`` of a log; ``D'`` is None when it misses a
    stage (e.g. a one-episode log), and then the variance falls back to its floor.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from algorithms.offline.datasets import collect
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.3, 0.7]], H=2)
    >>> D, D_prime = split_counts(collect(mdp, "uniform", 5, seed=0), "alternate")
    >>> D.n_episodes, D_prime.n_episodes
    (3.0, 2.0)
    """
    if split == "none":
        stats = data.aggregate()
        return stats, stats
    if data.episode is None:
        raise ValueError(
            "split='alternate' needs the log's episode indices; this log has none "
            "(pass variance_data=..., or split='none')"
        )
    odd = (data.episode % 2) == 1
    regression = _episode_counts(data, ~odd)
    if regression is None:
        raise ValueError(
            "the even episodes of the log miss a stage, so the regression half is empty there"
        )
    return regression, _episode_counts(data, odd)


def weighted_counts(stats: TransitionCounts, sigma2: np.ndarray) -> TransitionCounts:
    """Counts with every row divided by ``sigma2[h, s, a]``: PEVI's aggregated fit on these is
    the weighted ridge regression ``Sigma_h = sum phi phi^T / sigma2 + lam I``."""
    w = 1.0 / sigma2.ravel()
    nxt = sp.csr_array(sp.diags_array(w) @ stats.next_counts)
    return TransitionCounts(
        stats.S,
        stats.A,
        stats.H,
        stats.counts * w.reshape(sigma2.shape),
        stats.reward_sums * w.reshape(sigma2.shape),
        nxt,
        stats.n_episodes,
    )


def pilot_values(
    features: np.ndarray, stats: TransitionCounts, beta: float, lam: float
) -> np.ndarray:
    """``V'_h``, shape (H + 1, S): PEVI's pessimistic backup on the variance half."""
    _, chol, widths2 = _linear_estimates(features, stats, lam)
    return _backward(stats, beta, lam, features, chol, widths2)[0]


def estimate_variance(
    features: np.ndarray,
    stats: TransitionCounts,
    V: np.ndarray,
    lam: float,
    floor: float,
    offset: np.ndarray,
) -> np.ndarray:
    """``sigma2_h(s, a)``, shape (H, S, A), from the variance half's counts and ``V'``;
    ``offset`` has one entry per stage."""
    S, A, H = stats.S, stats.A, stats.H
    d = features.shape[1]
    counts = stats.counts.reshape(H, -1)
    sigma2 = np.empty((H, S * A))
    for h in range(H):
        gram = features.T @ (counts[h, :, None] * features) + lam * np.eye(d)
        block = stats.stage_block(h)
        targets = np.stack([block @ V[h + 1], block @ V[h + 1] ** 2], axis=1)
        coef = scipy.linalg.solve(gram, features.T @ targets, assume_a="pos")
        fitted = features @ coef
        top = float(H - h)
        first = np.clip(fitted[:, 0], 0.0, top)
        second = np.clip(fitted[:, 1], 0.0, top * top)
        sigma2[h] = np.maximum(floor, second - first**2 - offset[h])
    return sigma2.reshape(H, S, A)


def true_variance(mdp, V: np.ndarray) -> np.ndarray:
    """``[Var_h V_{h+1}](s, a) = P_h V^2 - (P_h V)^2``, shape (H, S, A), exact on the twin.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.array([[[0.5, 0.5]], [[0.0, 1.0]]]), np.zeros((2, 1)), H=1)
    >>> true_variance(mdp, np.array([[0.0, 0.0], [0.0, 2.0]]))[0].tolist()
    [[1.0], [0.0]]
    """
    H = mdp.H
    out = np.empty((H, mdp.S, mdp.A))
    for h in range(H):
        mean = mdp.expect(V[h + 1], h)
        out[h] = np.maximum(mdp.expect(V[h + 1] ** 2, h) - mean**2, 0.0)
    return out
