"""Helpers shared by the episodic learners (tabular, linear, risk): input checks, the episode
clock, trace assembly.

One module all three settings may import, so that none imports another's private module.

The learners' compiled runs take plain float64 arrays; this module turns an
:class:`~mdptheory.tabular.EpisodicMDP` into them, after checking what the papers' bounds
assume (finite mean rewards in [0, 1], an episodic model, a positive number of episodes).
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, objmode

from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_positive as check_positive
from algorithms._validation import check_unit_rewards
from mdptheory.tabular import EpisodicMDP

N_TIME_CHUNKS = 200
"""Episode times are measured over at most this many chunks of consecutive episodes."""


def check_episodic_model(model: object, learner: str) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray, int, float]:
    """Arrays a compiled run needs, after checking the model suits a tabular episodic learner.

    Returns ``P4`` (1 or H, S, A, S), ``R3`` (H, S, A), ``initial`` (S,), the reward-noise code
    and sigma. Raises ``ValueError`` for a model that is not an :class:`EpisodicMDP`, or for a
    mean reward outside [0, 1] (the regret bounds of both papers assume rewards in [0, 1]); the
    message names the offending index and value.
    """
    if not isinstance(model, EpisodicMDP):
        raise ValueError(f"{learner} needs an EpisodicMDP (finite horizon), got "
                         f"{type(model).__name__}: {model!r}")
    R3 = np.ascontiguousarray(model.R, dtype=np.float64)
    check_unit_rewards(R3, learner, "bonuses and regret bound")
    # A sparse kernel is densified: the learners keep dense (S, A, S) counts anyway, so the
    # model costs no more memory than the learner's own statistics.
    P4 = np.ascontiguousarray(model.dense_P(), dtype=np.float64)
    initial = np.ascontiguousarray(model.initial, dtype=np.float64)
    return P4, R3, initial, model.noise.code, float(model.noise.sigma)


def check_budget(budget: object) -> int:
    """The number of episodes K as an int >= 1 (``ValueError`` naming the value otherwise)."""
    return _check_budget(budget, "number of episodes K")


def check_open_unit(value: float, name: str) -> float:
    """``value`` as a float in the open interval (0, 1)."""
    value = float(value)
    if not (0.0 < value < 1.0):
        raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    return value


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def chunk_length(n_episodes: int) -> int:
    """Episodes per timing chunk: at most :data:`N_TIME_CHUNKS` clock reads per run."""
    return max(1, -(-n_episodes // N_TIME_CHUNKS))


@njit(cache=True)
def clock() -> float:
    """Wall-clock seconds, readable inside a compiled loop (one object-mode call)."""
    with objmode(now="float64"):
        now = time.perf_counter()
    return now


@njit(cache=True)
def spread_chunk_time(episode_time: np.ndarray, start: int, stop: int, elapsed: float) -> None:
    """Spread a chunk's measured time evenly over its episodes ``start..stop-1``."""
    share = elapsed / (stop - start)
    for k in range(start, stop):
        episode_time[k] = share


@njit(cache=True)
def optimism_gap(Q: np.ndarray, Q_star: np.ndarray) -> float:
    """``min_{h, s, a} (Q[h, s, a] - Q*[h, s, a])``: non-negative exactly when Q is optimistic."""
    H, S, A = Q.shape
    gap = np.inf
    for h in range(H):
        for s in range(S):
            for a in range(A):
                d = Q[h, s, a] - Q_star[h, s, a]
                if d < gap:
                    gap = d
    return gap
