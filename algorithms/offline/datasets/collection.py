"""Collection of an offline log by running a behaviour policy on the model's exact twin.

:func:`collect` runs ``n`` episodes in one compiled call (``_collect_kernel``, which calls the
shared :func:`mdptheory._kernels.rollout_episode_stochastic`), seeded through
:func:`mdptheory.seeding.as_generator`, so the same seed gives the same log bit for bit. Such
data is *compliant* with the MDP in the sense of Jin, Yang, Wang (ICML 2021): next states and
rewards are drawn from the true model given the past.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from algorithms.offline.datasets._validation import tabular_twin
from algorithms.offline.datasets.behaviour import Behaviour, as_behaviour
from algorithms.offline.datasets.record import OfflineDataset
from mdptheory._kernels import rollout_episode_stochastic
from mdptheory._validation import check_int
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["collect"]


@njit(cache=True)
def _collect_kernel(
    P4: np.ndarray,
    R3: np.ndarray,
    noise_code: int,
    sigma: float,
    initial: np.ndarray,
    policy: np.ndarray,
    n_episodes: int,
    rng,
):
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
        states, actions, rewards = rollout_episode_stochastic(
            P4, R3, noise_code, sigma, initial, policy, rng
        )
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


def collect(
    model: Any, behaviour: Behaviour | np.ndarray | str, n_episodes: int, seed: SeedLike
) -> OfflineDataset:
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
    n_episodes = check_int(n_episodes, "n_episodes", 1)
    mu = as_behaviour(mdp, behaviour)
    rng = as_generator(seed)
    columns = _collect_kernel(
        np.ascontiguousarray(mdp.dense_P()),
        np.ascontiguousarray(mdp.R),
        mdp.noise.code,
        float(mdp.noise.sigma),
        np.ascontiguousarray(mdp.initial),
        np.ascontiguousarray(mu.policy),
        n_episodes,
        rng,
    )
    stage, state, action, reward, next_state, episode = columns
    return OfflineDataset(
        mdp.S, mdp.A, mdp.H, stage, state, action, reward, next_state, episode, mu.name
    )
