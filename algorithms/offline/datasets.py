r"""Offline datasets: behaviour policies, seeded collection, an exact log, coverage diagnostics.

Setting
-------
Offline RL (Jin, Yang, Wang, ICML 2021, arXiv:2012.15085, Section 2) learns from a fixed log
``D = {(x_h^tau, a_h^tau, r_h^tau, x_{h+1}^tau)}``. Here the log is collected by running a
behaviour policy ``mu[h, s, a]`` for ``n`` episodes on the exact tabular twin of a model (an
:class:`~mdptheory.tabular.EpisodicMDP`, or a :class:`~mdptheory.linear.LinearMDP` through
``.tabular()``). Such data is *compliant* with the MDP in the paper's sense (next states and
rewards are drawn from the true model given the past). Stages are ``h = 0..H-1`` in code and
``h + 1`` in the papers.

What this module holds
----------------------
* Behaviours: :func:`uniform_behaviour`, :func:`epsilon_optimal_behaviour` (``(1 - eps) pi* +
  eps uniform``) and :func:`partial_coverage_behaviour` (a base behaviour that never takes
  chosen ``(h, s, a)`` triples).
* :func:`collect`: ``n`` episodes in one compiled call (``_collect_kernel``, which calls the shared
  :func:`mdptheory._kernels.rollout_episode_stochastic`), seeded through
  :func:`mdptheory.seeding.as_generator`, so the same seed gives the same log bit for bit.
* :class:`OfflineDataset`: the exact log (frozen, validated, read-only arrays) and
  :class:`TransitionCounts`, its finite-state sufficient statistics: visit counts
  ``N_h(s, a)``, reward sums and the sparse next-state counts ``N_h(s, a, s')``. A least-squares
  fit on a finite state space depends on the data only through these, so fitting costs
  ``O(n)`` to aggregate and then does not depend on ``n`` any more.
  :func:`population_counts` is the infinite-data version (exact expectations times a weight).
* Coverage, exactly from occupancy measures (:func:`mdptheory.evaluation.occupancy`):
  :func:`coverage` gives the single-policy concentrability
  ``C* = max_{h,s,a} d^{pi*}_h(s, a) / d^mu_h(s, a)`` (``inf`` when pi* reaches a pair the
  behaviour never takes; the single-policy concentrability of Rashidinejad, Zhu, Ma, Jiao,
  Russell, NeurIPS 2021);
  :func:`feature_uncertainty` gives ``E_{pi*}[||phi(s_h, a_h)||_{Lambda_h^{-1}}]`` per stage,
  the feature coverage of pi* under ``Lambda_h`` that enters PEVI's bound (Jin et al. 2021,
  Theorem 4.2 with Algorithm 2's penalty); :func:`expected_gram` is ``E[Lambda_h]`` under the
  behaviour and :func:`relative_condition_number` the feature analogue of ``C*``.

Examples
--------
>>> import numpy as np
>>> from mdptheory import EpisodicMDP
>>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), [[0.0, 1.0], [0.5, 0.0]], H=3)
>>> data = collect(mdp, uniform_behaviour(mdp), n_episodes=4, seed=0)
>>> len(data), data.n_episodes, coverage(mdp, uniform_behaviour(mdp)).concentrability
(12, 4, 2.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit

from mdptheory._kernels import backward_induction_kernel, rollout_episode_stochastic
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "Behaviour",
    "Coverage",
    "OfflineDataset",
    "TransitionCounts",
    "as_behaviour",
    "collect",
    "coverage",
    "epsilon_optimal_behaviour",
    "expected_gram",
    "feature_uncertainty",
    "optimal_policy",
    "partial_coverage_behaviour",
    "population_counts",
    "relative_condition_number",
    "tabular_twin",
    "uniform_behaviour",
]

COUNT_TOL = 1e-9
"""Relative tolerance between a pair's visit count and the sum of its next-state counts."""


# ---------------------------------------------------------------------------------------------
# Models and policies
# ---------------------------------------------------------------------------------------------


def tabular_twin(model: Any) -> EpisodicMDP:
    """The exact :class:`EpisodicMDP` behind ``model`` (itself, or ``model.tabular()``).

    Raises
    ------
    ValueError
        For anything that is neither an ``EpisodicMDP`` nor has an episodic ``.tabular()`` twin.
    """
    if isinstance(model, EpisodicMDP):
        return model
    twin = getattr(model, "tabular", None)
    if callable(twin):
        mdp = twin()
        if isinstance(mdp, EpisodicMDP):
            return mdp
    raise ValueError(f"offline data needs an EpisodicMDP or a model with an episodic .tabular() "
                     f"twin (e.g. LinearMDP), got {type(model).__name__}: {model!r}")


def optimal_policy(model: Any) -> np.ndarray:
    """The optimal deterministic policy ``pi*[h, s]`` of the twin by backward induction.

    Ties go to the smallest action (the rule of
    :func:`mdptheory._kernels.backward_induction_kernel`); every coverage quantity of this
    module that speaks of "pi*" means this policy unless another ``target`` is given.
    """
    mdp = tabular_twin(model)
    _, _, policy = backward_induction_kernel(np.ascontiguousarray(mdp.dense_P()),
                                             np.ascontiguousarray(mdp.R))
    return policy


def _check_target(mdp: EpisodicMDP, target) -> np.ndarray:
    """A target policy as probabilities (H, S, A); pi* when ``target`` is None."""
    if target is None:
        target = optimal_policy(mdp)
    array = np.asarray(target)
    if np.issubdtype(array.dtype, np.integer):
        if array.shape != (mdp.H, mdp.S):
            raise ValueError(f"a deterministic target policy has shape {(mdp.H, mdp.S)}, "
                             f"got {array.shape}")
        bad = (array < 0) | (array >= mdp.A)
        if bad.any():
            h, s = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
            raise ValueError(f"target[{h}, {s}] is action {int(array[h, s])}, outside "
                             f"0..{mdp.A - 1}")
        return np.eye(mdp.A)[array]
    return _check_stochastic(mdp, array, "target")


def _check_stochastic(mdp: EpisodicMDP, array: np.ndarray, name: str) -> np.ndarray:
    policy = np.array(array, dtype=np.float64)
    if policy.shape != (mdp.H, mdp.S, mdp.A):
        raise ValueError(f"a stochastic {name} policy has shape {(mdp.H, mdp.S, mdp.A)}, got "
                         f"{policy.shape}")
    bad = ~np.isfinite(policy) | (policy < 0)
    if bad.any():
        h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), policy.shape)
        raise ValueError(f"{name}[{h}, {s}, {a}] is {float(policy[h, s, a])!r}; probabilities "
                         "must be finite and >= 0")
    sums = policy.sum(axis=2)
    off = np.abs(sums - 1.0) > mdp.tol
    if off.any():
        h, s = np.unravel_index(int(np.flatnonzero(off)[0]), sums.shape)
        raise ValueError(f"{name}[{h}, {s}, :] sums to {float(sums[h, s])!r}, not 1 "
                         f"(tolerance {mdp.tol:g})")
    return policy


@dataclass(frozen=True)
class Behaviour:
    """A stochastic behaviour policy ``mu[h, s, a]`` and its name.

    Attributes
    ----------
    policy : ndarray, shape (H, S, A)
        Read-only probabilities; each ``policy[h, s]`` sums to 1.
    name : str
        Recorded in the datasets it collects, e.g. ``"uniform"``.
    """

    policy: np.ndarray
    name: str

    def __post_init__(self) -> None:
        array = np.array(self.policy, dtype=np.float64)
        if array.ndim != 3 or min(array.shape) == 0:
            raise ValueError(f"a behaviour policy has shape (H, S, A), got {array.shape}")
        bad = ~np.isfinite(array) | (array < 0)
        if bad.any():
            h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
            raise ValueError(f"behaviour[{h}, {s}, {a}] is {float(array[h, s, a])!r}; "
                             "probabilities must be finite and >= 0")
        sums = array.sum(axis=2)
        off = np.abs(sums - 1.0) > 1e-9
        if off.any():
            h, s = np.unravel_index(int(np.flatnonzero(off)[0]), sums.shape)
            raise ValueError(f"behaviour[{h}, {s}, :] sums to {float(sums[h, s])!r}, not 1")
        array.flags.writeable = False
        object.__setattr__(self, "policy", array)


def uniform_behaviour(model: Any) -> Behaviour:
    """Every action with probability ``1 / A`` at every stage and state (full coverage).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> uniform_behaviour(EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=2)).policy[0, 0]
    array([0.5, 0.5])
    """
    mdp = tabular_twin(model)
    return Behaviour(np.full((mdp.H, mdp.S, mdp.A), 1.0 / mdp.A), "uniform")


def epsilon_optimal_behaviour(model: Any, epsilon: float) -> Behaviour:
    """The mixture ``(1 - epsilon) pi* + epsilon uniform`` (pi* of :func:`optimal_policy`).

    ``epsilon = 1`` is uniform; ``epsilon = 0`` is pi* itself (an expert: ``C* = 1`` but only
    pi*'s own pairs are covered). Every action has probability at least ``epsilon / A``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=1)
    >>> epsilon_optimal_behaviour(mdp, 0.2).policy[0, 0].tolist()
    [0.1, 0.9]
    """
    epsilon = float(epsilon)
    if not (0.0 <= epsilon <= 1.0):
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon!r}")
    mdp = tabular_twin(model)
    expert = np.eye(mdp.A)[optimal_policy(mdp)]
    return Behaviour((1.0 - epsilon) * expert + epsilon / mdp.A, f"epsilon_optimal({epsilon:g})")


def _excluded_mask(mdp: EpisodicMDP, excluded) -> np.ndarray:
    shape = (mdp.H, mdp.S, mdp.A)
    array = np.asarray(excluded) if not isinstance(excluded, (list, tuple)) else None
    if array is not None and array.dtype == np.bool_:
        if array.shape != shape:
            raise ValueError(f"an excluded mask has shape {shape}, got {array.shape}")
        return array.copy()
    mask = np.zeros(shape, dtype=bool)
    for index, item in enumerate(excluded):
        triple = tuple(item)
        if len(triple) != 3:
            raise ValueError(f"excluded[{index}] is {item!r}; expected an (h, s, a) triple")
        for name, value, size in zip(("h", "s", "a"), triple, shape, strict=True):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"excluded[{index}] = {item!r}: {name} must be an int")
            if not (0 <= value < size):
                raise ValueError(f"excluded[{index}] = {item!r}: {name} = {int(value)} is outside "
                                 f"0..{size - 1}")
        mask[triple] = True
    return mask


def partial_coverage_behaviour(model: Any, excluded: Iterable | np.ndarray,
                               base: Behaviour | np.ndarray | None = None) -> Behaviour:
    """A behaviour that never takes the ``excluded`` ``(h, s, a)`` triples.

    The base behaviour (uniform by default) has the excluded probabilities set to 0 and each
    row renormalised, so the remaining actions keep their relative weights.

    Parameters
    ----------
    model : EpisodicMDP or LinearMDP
    excluded : iterable of (h, s, a) or bool array of shape (H, S, A)
        Triples the data must never contain.
    base : Behaviour or ndarray (H, S, A), optional

    Raises
    ------
    ValueError
        For a triple out of range (naming it) or a row ``(h, s)`` left without any action.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 3, 1), 1.0), [[0.0, 1.0, 0.5]], H=2)
    >>> partial_coverage_behaviour(mdp, [(0, 0, 1)]).policy[:, 0].tolist()
    [[0.5, 0.0, 0.5], [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]]
    """
    mdp = tabular_twin(model)
    mask = _excluded_mask(mdp, excluded)
    if base is None:
        start = uniform_behaviour(mdp)
    else:
        start = as_behaviour(mdp, base)
    policy = np.where(mask, 0.0, start.policy)
    sums = policy.sum(axis=2)
    empty = sums <= 0.0
    if empty.any():
        h, s = np.unravel_index(int(np.flatnonzero(empty)[0]), sums.shape)
        raise ValueError(f"excluding these triples leaves no action at h={h}, s={s} "
                         f"(base behaviour {start.name!r})")
    n_excluded = int(mask.sum())
    return Behaviour(policy / sums[:, :, None],
                     f"partial({start.name}, {n_excluded} excluded triples)")


def as_behaviour(model: Any, behaviour: Behaviour | np.ndarray | str) -> Behaviour:
    """Read a behaviour: a :class:`Behaviour`, ``"uniform"``, a stochastic (H, S, A) float
    array or a deterministic (H, S) int policy; checks its shape against the model."""
    mdp = tabular_twin(model)
    if isinstance(behaviour, str):
        if behaviour != "uniform":
            raise ValueError(f"the only behaviour known by name is 'uniform', got {behaviour!r}")
        return uniform_behaviour(mdp)
    if isinstance(behaviour, Behaviour):
        if behaviour.policy.shape != (mdp.H, mdp.S, mdp.A):
            raise ValueError(f"behaviour {behaviour.name!r} has shape {behaviour.policy.shape}, "
                             f"the model needs {(mdp.H, mdp.S, mdp.A)}")
        return behaviour
    array = np.asarray(behaviour)
    if np.issubdtype(array.dtype, np.integer):
        return Behaviour(_check_target(mdp, array), "deterministic")
    return Behaviour(_check_stochastic(mdp, array, "behaviour"), "custom")


# ---------------------------------------------------------------------------------------------
# The log and its sufficient statistics
# ---------------------------------------------------------------------------------------------


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _int_column(values: Any, name: str) -> np.ndarray:
    array = np.array(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64)


def _check_range(array: np.ndarray, name: str, size: int) -> None:
    bad = (array < 0) | (array >= size)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {int(array[i])}, outside 0..{size - 1}")


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
        S = _positive_int(self.S, "S")
        A = _positive_int(self.A, "A")
        H = _positive_int(self.H, "H")
        columns = {name: _int_column(getattr(self, name), name)
                   for name in ("stage", "state", "action", "next_state")}
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
            raise ValueError(f"stage h = {h} has no transitions (the log has {n} rows, stages "
                             f"0..{H - 1} each need at least one)")
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
        next_counts = sp.csr_array((np.ones(len(self)), (rows, self.next_state)),
                                   shape=(H * S * A, S))
        next_counts.sum_duplicates()
        return TransitionCounts(S, A, H, counts.reshape(H, S, A), sums.reshape(H, S, A),
                                next_counts, float(self.n_episodes))

    def first_episodes(self, m: int) -> OfflineDataset:
        """The sub-log of the transitions of episodes ``0..m-1`` (needs ``episode``)."""
        if self.episode is None:
            raise ValueError("first_episodes needs episode indices; this log has none")
        m = _positive_int(m, "m")
        keep = self.episode < m
        return OfflineDataset(self.S, self.A, self.H, self.stage[keep], self.state[keep],
                              self.action[keep], self.reward[keep], self.next_state[keep],
                              self.episode[keep], self.behaviour)


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
        S, A, H = (_positive_int(getattr(self, k), k) for k in ("S", "A", "H"))
        counts = np.array(self.counts, dtype=np.float64)
        sums = np.array(self.reward_sums, dtype=np.float64)
        for name, array in (("counts", counts), ("reward_sums", sums)):
            if array.shape != (H, S, A):
                raise ValueError(f"{name} has shape {array.shape}, expected {(H, S, A)}")
            bad = ~np.isfinite(array)
            if bad.any():
                index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
                raise ValueError(f"{name}{list(map(int, index))} is {float(array[index])}, not "
                                 "a finite number")
        negative = counts < 0
        if negative.any():
            index = np.unravel_index(int(np.flatnonzero(negative)[0]), counts.shape)
            raise ValueError(f"counts{list(map(int, index))} is {float(counts[index])!r} < 0")
        nxt = sp.csr_array(self.next_counts, dtype=np.float64)
        if nxt.shape != (H * S * A, S):
            raise ValueError(f"next_counts has shape {nxt.shape}, expected (H*S*A, S) = "
                             f"{(H * S * A, S)}")
        nxt.sum_duplicates()
        if nxt.data.size and (~np.isfinite(nxt.data) | (nxt.data < 0)).any():
            raise ValueError("next_counts holds a negative or non-finite entry")
        row_sums = np.asarray(nxt.sum(axis=1)).ravel()
        flat = counts.ravel()
        off = np.abs(row_sums - flat) > COUNT_TOL * np.maximum(1.0, flat)
        if off.any():
            h, s, a = np.unravel_index(int(np.flatnonzero(off)[0]), counts.shape)
            raise ValueError(f"next_counts for (h, s, a) = ({h}, {s}, {a}) sum to "
                             f"{float(row_sums[np.flatnonzero(off)[0]])!r}, but counts is "
                             f"{float(counts[h, s, a])!r}")
        per_stage = counts.sum(axis=(1, 2))
        if (per_stage <= 0).any():
            h = int(np.flatnonzero(per_stage <= 0)[0])
            raise ValueError(f"stage h = {h} has no data (total count {float(per_stage[h])!r})")
        n_episodes = float(self.n_episodes)
        if not (np.isfinite(n_episodes) and n_episodes > 0):
            raise ValueError(f"n_episodes must be a finite number > 0, got {self.n_episodes!r}")
        nxt.data.flags.writeable = False
        for name, value in (("S", S), ("A", A), ("H", H), ("counts", _read_only(counts)),
                            ("reward_sums", _read_only(sums)), ("next_counts", nxt),
                            ("n_episodes", n_episodes)):
            object.__setattr__(self, name, value)

    def stage_block(self, h: int) -> sp.csr_array:
        """``N_h(s, a, s')`` as an ``(S A, S)`` CSR matrix (rows ``s A + a``)."""
        SA = self.S * self.A
        return self.next_counts[h * SA:(h + 1) * SA]


def population_counts(model: Any, behaviour: Behaviour | np.ndarray | str,
                      weight: float) -> TransitionCounts:
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


# ---------------------------------------------------------------------------------------------
# Collection
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _collect_kernel(P4: np.ndarray, R3: np.ndarray, noise_code: int, sigma: float,
                    initial: np.ndarray, policy: np.ndarray, n_episodes: int, rng):
    """``n_episodes`` rollouts of the stochastic ``policy`` laid out as a flat log."""
    H = R3.shape[0]
    n = n_episodes * H
    stage = np.empty(n, dtype=np.int64)
    state = np.empty(n, dtype=np.int64)
    action = np.empty(n, dtype=np.int64)
    reward = np.empty(n, dtype=np.float64)
    next_state = np.empty(n, dtype=np.int64)
    episode = np.empty(n, dtype=np.int64)
    for k in range(n_episodes):
        states, actions, rewards = rollout_episode_stochastic(P4, R3, noise_code, sigma,
                                                              initial, policy, rng)
        base = k * H
        for h in range(H):
            i = base + h
            stage[i] = h
            state[i] = states[h]
            action[i] = actions[h]
            reward[i] = rewards[h]
            next_state[i] = states[h + 1]
            episode[i] = k
    return stage, state, action, reward, next_state, episode


def collect(model: Any, behaviour: Behaviour | np.ndarray | str, n_episodes: int,
            seed: SeedLike) -> OfflineDataset:
    """Run a behaviour policy for ``n_episodes`` episodes and log every transition.

    Parameters
    ----------
    model : EpisodicMDP or LinearMDP
        The environment (a linear model runs on its exact tabular twin, rewards drawn with the
        model's reward noise).
    behaviour : Behaviour, "uniform", ndarray (H, S, A) or int ndarray (H, S)
    n_episodes : int
        Number of trajectories ``K``; the log has ``K H`` rows.
    seed : int, SeedSequence or Generator
        One stream for the whole log; the same seed gives the same log bit for bit.

    Returns
    -------
    OfflineDataset

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), np.eye(2), H=2)
    >>> a, b = collect(mdp, "uniform", 5, seed=1), collect(mdp, "uniform", 5, seed=1)
    >>> bool(np.array_equal(a.state, b.state)), a.episode[-1]
    (True, np.int64(4))
    """
    mdp = tabular_twin(model)
    n_episodes = _positive_int(n_episodes, "n_episodes")
    mu = as_behaviour(mdp, behaviour)
    rng = as_generator(seed)
    columns = _collect_kernel(np.ascontiguousarray(mdp.dense_P()), np.ascontiguousarray(mdp.R),
                              mdp.noise.code, float(mdp.noise.sigma),
                              np.ascontiguousarray(mdp.initial),
                              np.ascontiguousarray(mu.policy), n_episodes, rng)
    stage, state, action, reward, next_state, episode = columns
    return OfflineDataset(mdp.S, mdp.A, mdp.H, stage, state, action, reward, next_state,
                          episode, mu.name)


# ---------------------------------------------------------------------------------------------
# Coverage diagnostics (exact)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Exact single-policy coverage of a target policy by a behaviour.

    Attributes
    ----------
    concentrability : float
        ``C* = max_{h,s,a} d^{pi}_h(s, a) / d^mu_h(s, a)`` over the pairs the target visits;
        ``inf`` when the target reaches a pair the behaviour never takes.
    worst : tuple of int
        The ``(h, s, a)`` attaining the maximum.
    ratio : ndarray, shape (H, S, A)
        The ratio per triple: 0 where the target never goes, ``inf`` where only the target goes.
    target_occupancy, behaviour_occupancy : ndarray, shape (H, S, A)
        ``d^pi_h(s, a)`` and ``d^mu_h(s, a)`` (each stage sums to 1).
    uncovered : tuple of (h, s, a)
        Triples the target visits and the behaviour never takes.
    """

    concentrability: float
    worst: tuple[int, int, int]
    ratio: np.ndarray
    target_occupancy: np.ndarray
    behaviour_occupancy: np.ndarray
    uncovered: tuple[tuple[int, int, int], ...]

    @property
    def covers_target(self) -> bool:
        """True when every pair the target visits has positive behaviour probability."""
        return not self.uncovered


def coverage(model: Any, behaviour: Behaviour | np.ndarray | str, target=None) -> Coverage:
    """Single-policy concentrability ``C*`` of ``target`` (pi* by default) under ``behaviour``.

    Both occupancy measures are computed exactly by forward propagation on the twin, from the
    model's initial distribution. A zero is an exact zero (products of zero probabilities), so
    ``C* = inf`` exactly when the target reaches a pair the behaviour never takes.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=1)
    >>> coverage(mdp, "uniform").concentrability
    2.0
    >>> cov = coverage(mdp, partial_coverage_behaviour(mdp, [(0, 0, 1)]))
    >>> cov.concentrability, cov.uncovered
    (inf, ((0, 0, 1),))
    """
    mdp = tabular_twin(model)
    mu = as_behaviour(mdp, behaviour)
    pi = _check_target(mdp, target)
    d_pi = occupancy(mdp, pi)
    d_mu = occupancy(mdp, mu.policy)
    ratio = np.zeros_like(d_pi)
    visited = d_pi > 0
    taken = d_mu > 0
    both = visited & taken
    ratio[both] = d_pi[both] / d_mu[both]
    ratio[visited & ~taken] = np.inf
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), ratio.shape))
    uncovered = tuple(tuple(int(i) for i in idx) for idx in np.argwhere(visited & ~taken))
    for array in (ratio, d_pi, d_mu):
        array.flags.writeable = False
    return Coverage(float(ratio[worst]), worst, ratio, d_pi, d_mu, uncovered)


def _check_linear(model: Any, name: str) -> LinearMDP:
    if not isinstance(model, LinearMDP):
        raise ValueError(f"{name} needs a LinearMDP (features phi), got {type(model).__name__}")
    return model


def expected_gram(model: LinearMDP, behaviour: Behaviour | np.ndarray | str, n_episodes: float,
                  lam: float = 1.0) -> np.ndarray:
    """``E[Lambda_h] = n sum_{s,a} d^mu_h(s, a) phi(s, a) phi(s, a)^T + lam I``, shape (H, d, d).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> expected_gram(model, "uniform", 10).tolist()
    [[[6.0, 0.0], [0.0, 6.0]]]
    """
    model = _check_linear(model, "expected_gram")
    n_episodes = float(n_episodes)
    lam = float(lam)
    if not (np.isfinite(n_episodes) and n_episodes >= 0 and np.isfinite(lam) and lam >= 0):
        raise ValueError(f"need n_episodes >= 0 and lam >= 0, got {n_episodes!r}, {lam!r}")
    d_mu = occupancy(model.tabular(), as_behaviour(model, behaviour).policy)
    phi = model.phi.reshape(model.S * model.A, model.d)
    weights = d_mu.reshape(model.H, -1)
    gram = np.einsum("hn,ni,nj->hij", weights, phi, phi) * n_episodes
    return gram + lam * np.eye(model.d)


def feature_uncertainty(model: LinearMDP, gram: np.ndarray, target=None) -> np.ndarray:
    """``E_{pi}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]`` for each stage h, shape (H,).

    The expectation is over the target's (pi* by default) exact occupancy from the model's
    initial distribution; ``2 beta`` times the sum over stages is the right-hand side of
    PEVI's bound (Jin et al. 2021, Theorem 4.2 with Algorithm 2's penalty).

    Parameters
    ----------
    model : LinearMDP
    gram : ndarray, shape (H, d, d)
        ``Lambda_h`` (positive definite), e.g. a fitted result's ``gram`` or
        :func:`expected_gram`.
    target : policy, optional

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> feature_uncertainty(model, 4.0 * np.eye(2)[None]).tolist()   # pi* takes action 1
    [0.5]
    """
    model = _check_linear(model, "feature_uncertainty")
    gram = np.asarray(gram, dtype=np.float64)
    if gram.shape != (model.H, model.d, model.d):
        raise ValueError(f"gram has shape {gram.shape}, expected {(model.H, model.d, model.d)}")
    mdp = model.tabular()
    d_pi = occupancy(mdp, _check_target(mdp, target)).reshape(model.H, -1)
    phi = model.phi.reshape(model.S * model.A, model.d)
    # Cholesky: ||phi||^2_{Lambda^{-1}} = ||L^{-1} phi||^2, exact for a positive definite Lambda.
    chol = np.linalg.cholesky(gram)
    solved = np.linalg.solve(chol, np.broadcast_to(phi.T, (model.H, *phi.T.shape)))
    widths = np.sqrt((solved ** 2).sum(axis=1))
    return (d_pi * widths).sum(axis=1)


def relative_condition_number(model: LinearMDP, behaviour: Behaviour | np.ndarray | str,
                              target=None, tol: float = 1e-12) -> float:
    """``max_h sup_x (x^T Sigma^pi_h x) / (x^T Sigma^mu_h x)``: the feature analogue of ``C*``.

    ``Sigma^pi_h = E_{pi}[phi phi^T]`` at stage h (target pi* by default), ``Sigma^mu_h`` the
    same under the behaviour. It is ``inf`` when the target's features reach a direction the
    behaviour's never do (relative to ``tol`` times the largest eigenvalue). It bounds
    ``E_pi ||phi||^2_{(n Sigma^mu)^{-1}} <= d kappa / n``, so ``kappa < inf`` is the coverage
    PEVI's bound needs. It is at most the tabular ``C*`` (``d^pi <= C* d^mu`` gives
    ``Sigma^pi <= C* Sigma^mu``), with equality for one-hot features.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> model = LinearMDP(np.eye(2).reshape(1, 2, 2), np.full((1, 1, 2), 1.0), [[0.0, 1.0]])
    >>> round(relative_condition_number(model, "uniform"), 12)
    2.0
    """
    model = _check_linear(model, "relative_condition_number")
    mdp = model.tabular()
    d_pi = occupancy(mdp, _check_target(mdp, target)).reshape(model.H, -1)
    d_mu = occupancy(mdp, as_behaviour(mdp, behaviour).policy).reshape(model.H, -1)
    phi = model.phi.reshape(model.S * model.A, model.d)
    worst = 0.0
    for h in range(model.H):
        sigma_pi = phi.T @ (d_pi[h, :, None] * phi)
        sigma_mu = phi.T @ (d_mu[h, :, None] * phi)
        eigval, eigvec = np.linalg.eigh(sigma_mu)
        scale = max(float(eigval.max()), float(np.abs(sigma_pi).max()), 1e-300)
        keep = eigval > tol * scale
        null = eigvec[:, ~keep]
        if null.size and float(np.abs(null.T @ sigma_pi @ null).max()) > tol * scale:
            return float("inf")
        basis = eigvec[:, keep] / np.sqrt(eigval[keep])
        whitened = basis.T @ sigma_pi @ basis
        worst = max(worst, float(np.linalg.eigvalsh(whitened).max()) if whitened.size else 0.0)
    return worst
