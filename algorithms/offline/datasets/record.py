r"""The offline log and its finite-state sufficient statistics.

:class:`OfflineDataset` is the exact log ``D = {(x_h^tau, a_h^tau, r_h^tau, x_{h+1}^tau)}`` of
Jin, Yang, Wang (ICML 2021, arXiv:2012.15085, Section 2): frozen, validated, read-only arrays.
:class:`TransitionCounts` holds what a least-squares fit on a finite state space reads of it:
visit counts ``N_h(s, a)``, reward sums and the sparse next-state counts ``N_h(s, a, s')``, so
a fit costs ``O(n)`` to aggregate and then does not depend on ``n`` any more.
:func:`population_counts` is the infinite-data version (exact expectations times a weight).
Stages are ``h = 0..H-1`` in code and ``h + 1`` in the papers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from algorithms.offline.datasets._validation import (
    _check_range,
    _int_column,
    _read_only,
    tabular_twin,
)
from algorithms.offline.datasets.behaviour import Behaviour, as_behaviour
from mdptheory._validation import check_int
from mdptheory.evaluation import occupancy

__all__ = ["OfflineDataset", "TransitionCounts", "population_counts"]


COUNT_TOL = 1e-9
"""Relative tolerance between a pair's visit count and the sum of its next-state counts."""


@dataclass(frozen=True)
class OfflineDataset:
    """An exact log of transitions ``(h, s, a, r, s')``, validated and read-only.

    Row ``i`` is one transition: at stage ``stage[i]`` (0-based; paper stage ``stage[i] + 1``)
    the behaviour was in ``state[i]``, took ``action[i]``, received ``reward[i]`` and moved to
    ``next_state[i]``. ``episode[i]`` names the trajectory it belongs to (collected data: rows
    ``k H .. k H + H - 1`` are episode ``k``).

    Parameters
    ----------
    S, A, H : int
        Sizes of the model the data is meant for.
    stage, state, action, next_state : array_like of int, shape (n,)
    reward : array_like of float, shape (n,)
    episode : array_like of int, shape (n,), optional
        Trajectory index of each row (needed only by :meth:`first_episodes`).
    behaviour : str
        Name of the behaviour that produced the data.

    Raises
    ------
    ValueError
        On an empty log, arrays of different lengths or non-integer indices, a stage, state,
        action or next state out of range, a non-finite reward (each naming the row and the
        value), or a stage without any transition (naming the stage: that stage's regression
        would be the ridge prior alone).

    Examples
    --------
    >>> data = OfflineDataset(S=2, A=2, H=1, stage=[0, 0], state=[0, 1], action=[1, 0],
    ...                       reward=[1.0, 0.0], next_state=[1, 1])
    >>> data.aggregate().counts[0].tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """

    S: int
    A: int
    H: int
    stage: np.ndarray
    state: np.ndarray
    action: np.ndarray
    reward: np.ndarray
    next_state: np.ndarray
    episode: np.ndarray | None = None
    behaviour: str = "unknown"

    def __post_init__(self) -> None:
        S = check_int(self.S, "S", 1)
        A = check_int(self.A, "A", 1)
        H = check_int(self.H, "H", 1)
        columns = {
            name: _int_column(getattr(self, name), name)
            for name in ("stage", "state", "action", "next_state")
        }
        reward = np.array(self.reward, dtype=np.float64)
        if reward.ndim != 1:
            raise ValueError(f"reward must be one-dimensional, got shape {reward.shape}")
        n = reward.shape[0]
        if n == 0:
            raise ValueError("the dataset is empty: every stage needs at least one transition")
        for name, column in columns.items():
            if column.shape[0] != n:
                raise ValueError(f"{name} has {column.shape[0]} rows, reward has {n}")
        for name, size in (("stage", H), ("state", S), ("action", A), ("next_state", S)):
            _check_range(columns[name], name, size)
        bad = ~np.isfinite(reward)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"reward[{i}] is {float(reward[i])}, not a finite number")
        per_stage = np.bincount(columns["stage"], minlength=H)
        if (per_stage == 0).any():
            h = int(np.flatnonzero(per_stage == 0)[0])
            raise ValueError(
                f"stage h = {h} has no transitions (the log has {n} rows, stages "
                f"0..{H - 1} each need at least one)"
            )
        episode = None
        if self.episode is not None:
            episode = _int_column(self.episode, "episode")
            if episode.shape[0] != n:
                raise ValueError(f"episode has {episode.shape[0]} rows, reward has {n}")
            if (episode < 0).any():
                i = int(np.flatnonzero(episode < 0)[0])
                raise ValueError(f"episode[{i}] is {int(episode[i])}, a negative index")
            episode = _read_only(episode)
        for name in ("S", "A", "H"):
            object.__setattr__(self, name, {"S": S, "A": A, "H": H}[name])
        for name, column in columns.items():
            object.__setattr__(self, name, _read_only(column))
        object.__setattr__(self, "reward", _read_only(reward))
        object.__setattr__(self, "episode", episode)

    def __len__(self) -> int:
        return int(self.reward.shape[0])

    @property
    def n_transitions(self) -> int:
        """Number of logged transitions ``n``."""
        return len(self)

    @property
    def samples_per_stage(self) -> np.ndarray:
        """Number of transitions at each stage, shape (H,)."""
        return np.bincount(self.stage, minlength=self.H)

    @property
    def n_episodes(self) -> int:
        """``K`` of the paper: the largest number of transitions at one stage (the number of
        trajectories for collected data)."""
        return int(self.samples_per_stage.max())

    def aggregate(self) -> TransitionCounts:
        """The finite-state sufficient statistics of the log (one pass, ``O(n)``).

        ``counts[h, s, a] = N_h(s, a)``, ``reward_sums[h, s, a] = sum of r over those rows``
        and ``next_counts`` the sparse ``(H S A, S)`` matrix of ``N_h(s, a, s')``, row
        ``(h S + s) A + a``. For any function V of the next state,
        ``sum_tau phi_tau (r_tau + V(s'_tau)) = Phi^T (reward_sums_h + N_h V)``: this is what
        lets PEVI fit without a loop over samples.
        """
        S, A, H = self.S, self.A, self.H
        rows = (self.stage * S + self.state) * A + self.action
        counts = np.bincount(rows, minlength=H * S * A).astype(np.float64)
        sums = np.bincount(rows, weights=self.reward, minlength=H * S * A)
        # COO -> CSR sums duplicate (row, s') entries: the (h, s, a, s') counts.
        next_counts = sp.csr_array(
            (np.ones(len(self)), (rows, self.next_state)), shape=(H * S * A, S)
        )
        next_counts.sum_duplicates()
        return TransitionCounts(
            S,
            A,
            H,
            counts.reshape(H, S, A),
            sums.reshape(H, S, A),
            next_counts,
            float(self.n_episodes),
        )

    def first_episodes(self, m: int) -> OfflineDataset:
        """The sub-log of the transitions of episodes ``0..m-1`` (needs ``episode``)."""
        if self.episode is None:
            raise ValueError("first_episodes needs episode indices; this log has none")
        m = check_int(m, "m", 1)
        keep = self.episode < m
        return OfflineDataset(
            self.S,
            self.A,
            self.H,
            self.stage[keep],
            self.state[keep],
            self.action[keep],
            self.reward[keep],
            self.next_state[keep],
            self.episode[keep],
            self.behaviour,
        )


@dataclass(frozen=True)
class TransitionCounts:
    """Finite-state sufficient statistics of an offline log (possibly weighted).

    Attributes
    ----------
    S, A, H : int
    counts : ndarray, shape (H, S, A)
        ``N_h(s, a)`` (float: a population version holds expected counts).
    reward_sums : ndarray, shape (H, S, A)
        Sum of the logged rewards of each ``(h, s, a)``.
    next_counts : scipy.sparse.csr_array, shape (H S A, S)
        ``N_h(s, a, s')`` in row ``(h S + s) A + a``; each row sums to ``counts[h, s, a]``.
    n_episodes : float
        ``K`` in PEVI's ``zeta = log(2 d H K / xi)``.

    Raises
    ------
    ValueError
        On a shape mismatch, a negative or non-finite count, a row of ``next_counts`` that does
        not sum to its visit count, or a stage with no data (each naming the index and value).
    """

    S: int
    A: int
    H: int
    counts: np.ndarray
    reward_sums: np.ndarray
    next_counts: sp.csr_array
    n_episodes: float

    def __post_init__(self) -> None:
        S, A, H = (check_int(getattr(self, k), k, 1) for k in ("S", "A", "H"))
        counts = np.array(self.counts, dtype=np.float64)
        sums = np.array(self.reward_sums, dtype=np.float64)
        for name, array in (("counts", counts), ("reward_sums", sums)):
            if array.shape != (H, S, A):
                raise ValueError(f"{name} has shape {array.shape}, expected {(H, S, A)}")
            bad = ~np.isfinite(array)
            if bad.any():
                index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
                raise ValueError(
                    f"{name}{list(map(int, index))} is {float(array[index])}, not a finite number"
                )
        negative = counts < 0
        if negative.any():
            index = np.unravel_index(int(np.flatnonzero(negative)[0]), counts.shape)
            raise ValueError(f"counts{list(map(int, index))} is {float(counts[index])!r} < 0")
        nxt = sp.csr_array(self.next_counts, dtype=np.float64)
        if nxt.shape != (H * S * A, S):
            raise ValueError(
                f"next_counts has shape {nxt.shape}, expected (H*S*A, S) = {(H * S * A, S)}"
            )
        nxt.sum_duplicates()
        if nxt.data.size and (~np.isfinite(nxt.data) | (nxt.data < 0)).any():
            raise ValueError("next_counts holds a negative or non-finite entry")
        row_sums = np.asarray(nxt.sum(axis=1)).ravel()
        flat = counts.ravel()
        off = np.abs(row_sums - flat) > COUNT_TOL * np.maximum(1.0, flat)
        if off.any():
            h, s, a = np.unravel_index(int(np.flatnonzero(off)[0]), counts.shape)
            raise ValueError(
                f"next_counts for (h, s, a) = ({h}, {s}, {a}) sum to "
                f"{float(row_sums[np.flatnonzero(off)[0]])!r}, but counts is "
                f"{float(counts[h, s, a])!r}"
            )
        per_stage = counts.sum(axis=(1, 2))
        if (per_stage <= 0).any():
            h = int(np.flatnonzero(per_stage <= 0)[0])
            raise ValueError(f"stage h = {h} has no data (total count {float(per_stage[h])!r})")
        n_episodes = float(self.n_episodes)
        if not (np.isfinite(n_episodes) and n_episodes > 0):
            raise ValueError(f"n_episodes must be a finite number > 0, got {self.n_episodes!r}")
        nxt.data.flags.writeable = False
        for name, value in (
            ("S", S),
            ("A", A),
            ("H", H),
            ("counts", _read_only(counts)),
            ("reward_sums", _read_only(sums)),
            ("next_counts", nxt),
            ("n_episodes", n_episodes),
        ):
            object.__setattr__(self, name, value)

    def stage_block(self, h: int) -> sp.csr_array:
        """``N_h(s, a, s')`` as an ``(S A, S)`` CSR matrix (rows ``s A + a``)."""
        SA = self.S * self.A
        return self.next_counts[h * SA : (h + 1) * SA]


def population_counts(
    model: Any, behaviour: Behaviour | np.ndarray | str, weight: float
) -> TransitionCounts:
    """Infinite-data statistics: exact expectations under the behaviour, times ``weight``.

    ``counts = weight d^mu_h(s, a)``, ``reward_sums = counts r_h(s, a)`` and
    ``N_h(s, a, s') = counts P_h(s'|s, a)``: what ``weight`` episodes would give if every
    empirical frequency equalled its probability. ``n_episodes = weight``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=1)
    >>> population_counts(mdp, "uniform", 10.0).reward_sums.tolist()
    [[[0.0, 5.0]]]
    """
    mdp = tabular_twin(model)
    weight = float(weight)
    if not (np.isfinite(weight) and weight > 0):
        raise ValueError(f"weight must be a finite number > 0, got {weight!r}")
    mu = as_behaviour(mdp, behaviour)
    counts = weight * occupancy(mdp, mu.policy)
    rewards = counts * mdp.R
    P = np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S))
    dense = (counts[..., None] * P).reshape(mdp.H * mdp.S * mdp.A, mdp.S)
    return TransitionCounts(mdp.S, mdp.A, mdp.H, counts, rewards, sp.csr_array(dense), weight)
