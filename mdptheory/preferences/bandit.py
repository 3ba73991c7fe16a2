"""Preference bandits: K actions, a preference matrix, a reference policy and a dataset.

The object of Azar et al. (AISTATS 2024, arXiv:2310.12036, Sec. 2-4) without contexts: actions
``y = 0..K-1``, a preference probability ``p(y > y')`` for every pair, a reference policy
``pi_ref`` with full support, a behaviour distribution ``mu`` the pairs are drawn from, and a
finite dataset of compared pairs (:class:`~mdptheory.preferences.PreferenceDataset`).

The matrix may come from a reward vector through the Bradley–Terry model
``p(y > y') = sigma(r(y) - r(y'))`` (:meth:`PreferenceBandit.bradley_terry`), or be any matrix
with ``p(y > y') + p(y' > y) = 1``: non-transitive ones (rock-paper-scissors) and deterministic
ones (entries 0 and 1, which no finite reward reproduces) included.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from mdptheory._validation import DEFAULT_TOL, as_float_array, check_distributions
from mdptheory.preferences.dataset import PreferenceDataset

__all__ = ["PreferenceBandit", "bradley_terry_matrix"]


def bradley_terry_matrix(rewards) -> np.ndarray:
    """``P[i, j] = sigma(r_i - r_j)``: the Bradley–Terry preference matrix of a reward vector.

    Examples
    --------
    >>> bradley_terry_matrix([0.0, 0.0]).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    r = as_float_array(rewards, "rewards", ndim=1)
    return expit(r[:, None] - r[None, :])


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class PreferenceBandit:
    """A K-armed preference bandit (the exact ground truth of preference learning).

    Parameters
    ----------
    preferences : array_like, shape (K, K)
        ``preferences[i, j] = p(i > j)`` in [0, 1], with ``p(i > j) + p(j > i) = 1`` within
        ``tol`` (so the diagonal is 1/2).
    reference : array_like, shape (K,), optional
        ``pi_ref``, a probability vector with every entry > 0 (the KL term and the log-ratios
        ``log pi / pi_ref`` need full support). Default uniform.
    behaviour : array_like, shape (K,), optional
        ``mu``, the distribution of the compared actions in the population losses. Default
        uniform.
    dataset : PreferenceDataset, optional
        The finite dataset the sampled losses (IPO eq. 17, DPO) are built on.
    rewards : array_like, shape (K,), optional
        The reward vector when the matrix is Bradley–Terry (kept for the RLHF optimum).
    name : str, optional
    tol : float
        Tolerance on ``p + p^T = 1`` and on the sums of the distributions.

    Examples
    --------
    >>> bandit = PreferenceBandit.bradley_terry([1.0, 0.0], name="two")
    >>> round(float(bandit.preferences[0, 1]), 4), bandit.K
    (0.7311, 2)
    >>> PreferenceBandit([[0.5, 0.9], [0.2, 0.5]])
    Traceback (most recent call last):
    ...
    ValueError: preferences[0, 1] + preferences[1, 0] is 1.1, not 1 (tolerance 1e-09)
    """

    def __init__(
        self,
        preferences,
        reference=None,
        behaviour=None,
        dataset: PreferenceDataset | None = None,
        rewards=None,
        name: str | None = None,
        tol: float = DEFAULT_TOL,
    ) -> None:
        P = as_float_array(preferences, "preferences", ndim=2)
        K = P.shape[0]
        if P.shape != (K, K) or K < 2:
            raise ValueError(f"preferences must be square (K, K) with K >= 2, got shape {P.shape}")
        outside = np.argwhere((P < 0) | (P > 1))
        if outside.size:
            i, j = (int(v) for v in outside[0])
            raise ValueError(f"preferences[{i}, {j}] is {float(P[i, j])!r}, not a probability")
        asymmetric = np.argwhere(np.abs(P + P.T - 1.0) > tol)
        if asymmetric.size:
            i, j = (int(v) for v in asymmetric[0])
            raise ValueError(
                f"preferences[{i}, {j}] + preferences[{j}, {i}] is "
                f"{float(P[i, j] + P[j, i])!r}, not 1 (tolerance {tol:g})"
            )
        self.preferences = _read_only(P)
        self.reference = _read_only(self._distribution(reference, "reference", K, tol))
        zero = np.flatnonzero(self.reference <= 0)
        if zero.size:
            i = int(zero[0])
            raise ValueError(
                f"reference[{i}] is {float(self.reference[i])!r}; pi_ref needs full "
                "support (log pi / pi_ref is undefined where it is 0)"
            )
        self.behaviour = _read_only(self._distribution(behaviour, "behaviour", K, tol))
        if dataset is not None:
            if not isinstance(dataset, PreferenceDataset):
                raise ValueError(
                    f"dataset must be a PreferenceDataset, got {type(dataset).__name__}"
                )
            if dataset.n_actions != K:
                raise ValueError(f"dataset has {dataset.n_actions} actions, the bandit has {K}")
        self.dataset = dataset
        if rewards is not None:
            r = as_float_array(rewards, "rewards", ndim=1)
            if r.shape != (K,):
                raise ValueError(f"rewards has shape {r.shape}, expected ({K},)")
            rewards = _read_only(r)
        self.rewards = rewards
        self.name = name or f"preference_bandit(K={K})"

    @staticmethod
    def _distribution(value, name: str, K: int, tol: float) -> np.ndarray:
        if value is None:
            return np.full(K, 1.0 / K)
        array = as_float_array(value, name, ndim=1)
        if array.shape != (K,):
            raise ValueError(f"{name} has shape {array.shape}, expected ({K},)")
        check_distributions(array, name, tol)
        return array

    @classmethod
    def bradley_terry(
        cls,
        rewards,
        reference=None,
        behaviour=None,
        dataset: PreferenceDataset | None = None,
        name: str | None = None,
    ) -> PreferenceBandit:
        """The bandit with ``p(y > y') = sigma(r(y) - r(y'))`` (Bradley and Terry 1952)."""
        r = as_float_array(rewards, "rewards", ndim=1)
        return cls(bradley_terry_matrix(r), reference, behaviour, dataset, r, name)

    @property
    def K(self) -> int:
        """Number of actions."""
        return int(self.preferences.shape[0])

    def with_dataset(self, dataset: PreferenceDataset, name: str | None = None) -> PreferenceBandit:
        """The same bandit with another dataset."""
        return PreferenceBandit(
            self.preferences,
            self.reference,
            self.behaviour,
            dataset,
            self.rewards,
            name or self.name,
        )

    @property
    def is_deterministic(self) -> bool:
        """True when some off-diagonal preference is 0 or 1 (no finite Bradley–Terry reward)."""
        off = ~np.eye(self.K, dtype=bool)
        return bool(np.any((self.preferences[off] == 0) | (self.preferences[off] == 1)))

    def preference_against(self, distribution=None) -> np.ndarray:
        """``p(y > mu) = sum_y' mu(y') p(y > y')`` for every ``y`` (``mu``: the behaviour by
        default)."""
        mu = (
            self.behaviour
            if distribution is None
            else self._distribution(distribution, "distribution", self.K, DEFAULT_TOL)
        )
        return self.preferences @ mu

    def __repr__(self) -> str:
        data = "no dataset" if self.dataset is None else f"{self.dataset.n} pairs"
        return f"PreferenceBandit({self.name!r}, K={self.K}, {data})"
