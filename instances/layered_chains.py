"""Layered Markov reward processes: where trajectories pool, stay apart, or cross.

Every family is an :class:`~mdptheory.tabular.EpisodicMDP` with one action (a Markov reward
process on the layered states ``(h, s)``) and Gaussian reward noise, the setting of Cheikhi &
Russo (ICML 2023) for batch TD against Monte Carlo (``mdptheory.diagnostics.td_vs_mc``):

* :func:`layered_chain` mixes a lane-keeping kernel with a random one: with ``mixing = 1``
  trajectories from different start states meet at later layers (TD pools them), with
  ``mixing = 0`` every state keeps its own lane (disjoint chains, no pooling: batch TD equals
  Monte Carlo);
* :func:`merging_chains` has two lanes that merge after ``k`` stages: the trajectory crossing
  time of the two start states is ``k`` whatever the horizon.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import check_int, check_real
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

__all__ = ["layered_chain", "merging_chains"]


def layered_chain(
    W: int = 4, H: int = 5, mixing: float = 1.0, sigma: float = 1.0, seed: SeedLike = 0
) -> EpisodicMDP:
    """A layered chain of width W: each layer's state moves to the next layer.

    ``P(s'|s) = (1 - mixing) 1[s' = s] + mixing D(s'|s)`` with rows ``D(.|s) ~ Dirichlet(1_W)``
    (stationary, one action), mean rewards ``U[0, 1]`` per state, Gaussian reward noise of
    standard deviation ``sigma``, uniform start. Draws D, then the rewards.

    Parameters
    ----------
    W, H : int
        Width (states per layer) and number of layers, each >= 1.
    mixing : float
        In [0, 1]: 0 gives disjoint lanes, 1 the random kernel.
    sigma : float
        Reward noise (> 0).
    seed : int, SeedSequence or Generator

    Examples
    --------
    >>> mdp = layered_chain(W=3, H=4, mixing=0.0)
    >>> mdp.P[0, :, 0].tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    W = check_int(W, "W", 1)
    H = check_int(H, "H", 1)
    mixing = check_real(mixing, "mixing", 0.0, 1.0)
    sigma = check_real(sigma, "sigma", 0.0, None, low_open=True)
    rng = as_generator(seed)
    D = rng.dirichlet(np.ones(W), size=W)
    rewards = rng.random((W, 1))
    P = ((1.0 - mixing) * np.eye(W) + mixing * D)[:, None, :]
    return EpisodicMDP(
        P,
        rewards,
        H,
        noise=("gaussian", sigma),
        name=f"layered_chain(W={W}, H={H}, mixing={mixing:g}, sigma={sigma:g})",
    )


def merging_chains(k: int = 2, H: int = 10, sigma: float = 1.0) -> EpisodicMDP:
    """Two lanes that merge after ``k`` stages: crossing time k, horizon H.

    States 0 and 1, one action, start uniform. For stages ``h < k - 1`` each state stays in its
    lane; at stage ``k - 1`` and after, both move to state 0. Two trajectories from 0 and 1 meet
    at stage ``k`` (never, within the horizon, when ``k = H``). Mean rewards are 0 except in
    lane 1, which pays 1 per stage before the merge (so ``V(0) != V(1)``); Gaussian noise
    ``sigma`` at every stage.

    Parameters
    ----------
    k : int
        Stages before the merge, 1 <= k <= H.
    H : int
        Horizon (>= 1).
    sigma : float
        Reward noise (> 0).

    Examples
    --------
    >>> mdp = merging_chains(k=2, H=4)
    >>> mdp.P[:, 1, 0].tolist()
    [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    """
    H = check_int(H, "H", 1)
    k = check_int(k, "k", 1, H)
    sigma = check_real(sigma, "sigma", 0.0, None, low_open=True)
    P = np.zeros((H, 2, 1, 2))
    P[:, :, 0, 0] = 1.0
    P[: k - 1, 1, 0] = [0.0, 1.0]
    R = np.zeros((H, 2, 1))
    R[:k, 1, 0] = 1.0
    return EpisodicMDP(
        P, R, H, noise=("gaussian", sigma), name=f"merging_chains(k={k}, H={H}, sigma={sigma:g})"
    )
