"""Finite datasets of preference pairs ``(y_w, y_l)`` over K actions, and how to draw them.

A dataset is a list of ``n`` comparisons, each "``y_w`` was preferred to ``y_l``". Every loss
of the preference learners (IPO, DPO, Bradley–Terry maximum likelihood) depends on a dataset
only through its **win counts** ``W[i, j]`` = the number of pairs in which ``i`` beat ``j``
(:meth:`PreferenceDataset.counts`), so datasets of different sizes stack as (N, K, K) arrays.

A dataset is *deterministic* on a pair of actions when the pair was compared and one of them
won every time (``W[i, j] > 0 = W[j, i]``): the empirical preference ``p_hat(i > j)`` is 1.
A single comparison of a pair is always deterministic (Azar et al. 2024, Sec. 4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import as_float_array, check_int, check_probability_vector
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["PreferenceDataset", "sample_dataset"]


def _actions(values, name: str, n_actions: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and (array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(
            f"{name} must hold integer actions in 0..{n_actions - 1}, got dtype {array.dtype}"
        )
    bad = np.flatnonzero((array < 0) | (array >= n_actions))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] is {int(array[i])}, outside 0..{n_actions - 1}")
    out = array.astype(np.int64)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class PreferenceDataset:
    """``n`` comparisons: in pair ``k``, action ``winners[k]`` was preferred to ``losers[k]``.

    Parameters
    ----------
    winners, losers : array_like of int, shape (n,)
        Preferred and dispreferred action of each pair, in ``0..n_actions-1``, never equal.
    n_actions : int
        K >= 2.

    Examples
    --------
    >>> data = PreferenceDataset([0, 1, 0], [1, 2, 2], 3)     # Azar et al.'s D_1
    >>> data.counts().astype(int).tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    >>> data.is_deterministic
    True
    """

    winners: np.ndarray
    losers: np.ndarray
    n_actions: int

    def __post_init__(self) -> None:
        K = check_int(self.n_actions, "n_actions", 2)
        w = _actions(self.winners, "winners", K)
        loser = _actions(self.losers, "losers", K)
        if w.shape != loser.shape:
            raise ValueError(f"winners has {w.shape[0]} pairs, losers has {loser.shape[0]}")
        if w.shape[0] == 0:
            raise ValueError("a preference dataset needs at least one pair, got none")
        same = np.flatnonzero(w == loser)
        if same.size:
            i = int(same[0])
            raise ValueError(f"pair {i} compares action {int(w[i])} with itself")
        object.__setattr__(self, "n_actions", K)
        object.__setattr__(self, "winners", w)
        object.__setattr__(self, "losers", loser)

    @classmethod
    def from_counts(cls, counts) -> PreferenceDataset:
        """The dataset with ``counts[i, j]`` pairs "``i`` beat ``j``" (in row-major order)."""
        W = as_float_array(counts, "counts", ndim=2)
        K = W.shape[0]
        if W.shape != (K, K):
            raise ValueError(f"counts must be square (K, K), got shape {W.shape}")
        bad = np.argwhere((W < 0) | (W != np.round(W)))
        if bad.size:
            i, j = (int(v) for v in bad[0])
            raise ValueError(
                f"counts[{i}, {j}] is {float(W[i, j])!r}; counts are non-negative integers"
            )
        diagonal = np.flatnonzero(np.diag(W))
        if diagonal.size:
            i = int(diagonal[0])
            raise ValueError(
                f"counts[{i}, {i}] is {float(W[i, i])!r}; an action is never compared with itself"
            )
        i, j = np.nonzero(W)
        reps = W[i, j].astype(np.int64)
        return cls(np.repeat(i, reps), np.repeat(j, reps), K)

    @property
    def n(self) -> int:
        """Number of pairs."""
        return int(self.winners.shape[0])

    def counts(self) -> np.ndarray:
        """``W[i, j]``: number of pairs in which ``i`` was preferred to ``j`` (float64 (K, K))."""
        W = np.zeros((self.n_actions, self.n_actions))
        np.add.at(W, (self.winners, self.losers), 1.0)
        return W

    def compared(self) -> np.ndarray:
        """``C[i, j] = W[i, j] + W[j, i]``: how often the pair {i, j} was compared."""
        W = self.counts()
        return W + W.T

    def empirical_preferences(self) -> np.ndarray:
        """``p_hat[i, j] = W[i, j] / C[i, j]`` on compared pairs, 1/2 elsewhere (the diagonal
        and pairs never compared)."""
        W = self.counts()
        C = W + W.T
        return np.divide(W, C, out=np.full_like(W, 0.5), where=C > 0)

    @property
    def is_deterministic(self) -> bool:
        """True when every compared pair has a single winner (``p_hat`` in {0, 1} on it)."""
        W = self.counts()
        return bool(np.all((W == 0) | (W.T == 0)))


def sample_dataset(preferences, behaviour, n: int, seed: SeedLike = 0) -> PreferenceDataset:
    """Draw ``n`` comparisons: ``y, y'`` independent from ``behaviour`` (mu) conditioned on
    ``y != y'``, then ``y`` wins with probability ``preferences[y, y']``.

    Parameters
    ----------
    preferences : array_like, shape (K, K)
        ``p(y > y')`` (see :class:`~mdptheory.preferences.PreferenceBandit`).
    behaviour : array_like, shape (K,)
        The distribution ``mu`` the pairs are drawn from (at least two actions in its support).
    n : int
        Number of pairs.
    seed : int, SeedSequence or Generator
        Same seed, same dataset, bit for bit.

    Examples
    --------
    >>> P = [[0.5, 1.0], [0.0, 0.5]]
    >>> data = sample_dataset(P, [0.5, 0.5], 4, seed=0)
    >>> data.winners.tolist()
    [0, 0, 0, 0]
    """
    P = as_float_array(preferences, "preferences", ndim=2)
    K = P.shape[0]
    mu = check_probability_vector(behaviour, "behaviour", K)
    n = check_int(n, "n", 1)
    pair_probability = np.outer(mu, mu)
    np.fill_diagonal(pair_probability, 0.0)
    total = pair_probability.sum()
    if total <= 0:
        raise ValueError(
            f"behaviour {mu.tolist()} puts its mass on one action: no pair of "
            "distinct actions can be drawn"
        )
    rng = as_generator(seed)
    cells = rng.choice(K * K, size=n, p=(pair_probability / total).ravel())
    first, second = np.divmod(cells, K)
    first_wins = rng.random(n) < P[first, second]
    winners = np.where(first_wins, first, second)
    losers = np.where(first_wins, second, first)
    return PreferenceDataset(winners, losers, K)
