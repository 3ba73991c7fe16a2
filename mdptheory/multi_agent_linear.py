r"""The multi-agent linear setting: M agents on copies of one linear MDP, asynchronous episodes.

Setting (Min, He, Wang, Gu, ICML 2023, arXiv:2305.06446, Section 3)
-------------------------------------------------------------------
M agents face copies of the same episodic linear MDP (:class:`~mdptheory.linear.LinearMDP`)
and talk only to a central server (a star network). Participation is asynchronous: the k-th
episode of the whole system, ``k = 0..K-1``, is played by one agent ``m_k``, chosen by the
environment and not by the learner; K counts the episodes of all agents together, and agent
m plays ``K_m = #{k : m_k = m}`` of them. The sequence ``(m_0, ..., m_{K-1})`` is the
**schedule**.

Schedules
---------
:func:`async_schedule` draws each ``m_k`` independently with ``P(m_k = m) proportional to
(m + 1)^(-skew)``: ``skew = 0`` gives every agent the same rate, a larger skew makes agent 0
play most episodes and the last agent few (the participation of independent Poisson clocks
of these rates, read at their arrival times). :func:`round_robin_schedule` is the
synchronous schedule ``0, 1, ..., M - 1, 0, 1, ...``. :func:`check_schedule` validates any
other sequence.

Examples
--------
>>> s = async_schedule(3, 8, skew=1.0, seed=0)
>>> s.shape, bool(((0 <= s) & (s < 3)).all())
((8,), True)
>>> episodes_per_agent(round_robin_schedule(3, 7), 3).tolist()
[3, 2, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_int, check_real, check_seed
from mdptheory.linear import LinearMDP
from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "MultiAgentLinearMDP",
    "agent_rates",
    "async_schedule",
    "check_schedule",
    "episodes_per_agent",
    "round_robin_schedule",
]


def agent_rates(n_agents: int, skew: float = 0.0) -> np.ndarray:
    """Participation probabilities ``(m + 1)^(-skew) / sum_j (j + 1)^(-skew)``, m = 0..M-1.

    Examples
    --------
    >>> agent_rates(2, 0.0).tolist()
    [0.5, 0.5]
    >>> [round(float(r), 6) for r in agent_rates(2, 1.0)]
    [0.666667, 0.333333]
    """
    M = check_int(n_agents, "n_agents", 1)
    skew = check_real(skew, "skew", 0.0)
    weights = np.arange(1, M + 1, dtype=np.float64) ** (-skew)
    return weights / weights.sum()


def async_schedule(
    n_agents: int, n_episodes: int, skew: float = 0.0, seed: SeedLike = 0
) -> np.ndarray:
    """A random asynchronous schedule: ``m_k`` i.i.d. from :func:`agent_rates`.

    Parameters
    ----------
    n_agents : int
        M >= 1.
    n_episodes : int
        K >= 1, the episodes of all agents together.
    skew : float
        >= 0; 0 gives every agent the same rate.
    seed : int, SeedSequence or Generator
        Same seed, same schedule, bit for bit.

    Returns
    -------
    ndarray of int64, shape (K,)
        The agent of each episode.

    Examples
    --------
    >>> bool((async_schedule(4, 50, 0.5, seed=3) == async_schedule(4, 50, 0.5, seed=3)).all())
    True
    """
    M = check_int(n_agents, "n_agents", 1)
    K = check_int(n_episodes, "n_episodes", 1)
    rates = agent_rates(M, skew)
    rng = as_generator(check_seed(seed))
    if M == 1:
        return np.zeros(K, dtype=np.int64)
    return rng.choice(M, size=K, p=rates).astype(np.int64)


def round_robin_schedule(n_agents: int, n_episodes: int) -> np.ndarray:
    """The synchronous schedule ``m_k = k mod M``.

    Examples
    --------
    >>> round_robin_schedule(2, 5).tolist()
    [0, 1, 0, 1, 0]
    """
    M = check_int(n_agents, "n_agents", 1)
    K = check_int(n_episodes, "n_episodes", 1)
    return np.arange(K, dtype=np.int64) % M


def check_schedule(schedule: object, n_agents: int) -> np.ndarray:
    """``schedule`` as a contiguous int64 array of agent indices in ``0..M-1``.

    Raises
    ------
    ValueError
        For an empty or non one-dimensional sequence, a non-integral entry or an entry outside
        ``0..M-1``; the message names the first offending index and its value.

    Examples
    --------
    >>> check_schedule([0, 2, 1], 3).tolist()
    [0, 2, 1]
    >>> check_schedule([0, 3], 3)
    Traceback (most recent call last):
    ...
    ValueError: schedule[1] is 3; agents are numbered 0..2 (n_agents = 3)
    """
    M = check_int(n_agents, "n_agents", 1)
    array = np.asarray(schedule)
    if array.ndim != 1 or array.shape[0] == 0:
        raise ValueError(
            f"schedule must be a non-empty one-dimensional sequence of agent indices, "
            f"got shape {array.shape}"
        )
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ParameterTypeError(
            f"schedule must hold integer agent indices, got dtype {array.dtype}"
        )
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"schedule[{k}] is {array[k].item()!r}, not an integral agent index")
    out_of_range = (array < 0) | (array >= M)
    if out_of_range.any():
        k = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(
            f"schedule[{k}] is {array[k].item()!r}; agents are numbered 0..{M - 1} (n_agents = {M})"
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def episodes_per_agent(schedule: np.ndarray, n_agents: int) -> np.ndarray:
    """``K_m``, the number of episodes of each agent, shape (M,).

    Examples
    --------
    >>> episodes_per_agent(np.array([0, 0, 2]), 3).tolist()
    [2, 0, 1]
    """
    s = check_schedule(schedule, n_agents)
    return np.bincount(s, minlength=int(n_agents)).astype(np.int64)


@dataclass(frozen=True)
class MultiAgentLinearMDP:
    """M agents on copies of one linear MDP, with the schedule of who plays each episode.

    Parameters
    ----------
    linear : LinearMDP
        The model every agent faces.
    n_agents : int
        M >= 1.
    schedule : array_like of int, shape (K,)
        ``schedule[k]`` is the agent of the k-th episode of the system (see
        :func:`async_schedule`); validated by :func:`check_schedule`.

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.eye(2).reshape(2, 1, 2)
    >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))
    >>> game = MultiAgentLinearMDP(LinearMDP(phi, mu, np.tile([0.0, 1.0], (3, 1))), 2,
    ...                            async_schedule(2, 10, seed=1))
    >>> game.n_episodes, int(game.episodes_per_agent.sum())
    (10, 10)
    """

    linear: LinearMDP
    n_agents: int
    schedule: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.linear, LinearMDP):
            raise ValueError(
                f"linear must be a LinearMDP, got {type(self.linear).__name__}: {self.linear!r}"
            )
        M = check_int(self.n_agents, "n_agents", 1)
        schedule = check_schedule(self.schedule, M).copy()
        schedule.setflags(write=False)
        object.__setattr__(self, "n_agents", M)
        object.__setattr__(self, "schedule", schedule)

    @property
    def n_episodes(self) -> int:
        """K, the episodes of all agents together."""
        return int(self.schedule.shape[0])

    @property
    def episodes_per_agent(self) -> np.ndarray:
        """``K_m`` for each agent, shape (M,)."""
        return episodes_per_agent(self.schedule, self.n_agents)

    @property
    def imbalance(self) -> float:
        """``max_m K_m / (K / M)``: 1 for a balanced schedule, up to M when one agent plays all.

        Examples
        --------
        >>> import numpy as np
        >>> phi = np.eye(2).reshape(2, 1, 2)
        >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))
        >>> lin = LinearMDP(phi, mu, np.tile([0.0, 1.0], (3, 1)))
        >>> MultiAgentLinearMDP(lin, 2, [0, 1, 0, 1]).imbalance
        1.0
        """
        counts = self.episodes_per_agent
        return float(counts.max() * self.n_agents / self.n_episodes)

    def __repr__(self) -> str:
        name = getattr(self.linear, "name", None) or "LinearMDP"
        return (
            f"MultiAgentLinearMDP({name}, n_agents={self.n_agents}, "
            f"K={self.n_episodes}, imbalance={self.imbalance:.3g})"
        )
