"""Instances built for the structural diagnostics of :mod:`mdptheory.diagnostics`.

* :func:`effective_horizon_lure`: episodic MDPs with the same horizon and a chosen
  ``k*`` (the smallest ``k`` for which greedy action on ``Q^k = T^{k-1} Q^{pi_rand}`` is
  optimal; Laidlaw, Russell, Dragan 2023), with zero-variance values beyond the lookahead, so
  that SQIRL with ``k = k*`` needs about ``A^{k*}`` random rollouts per stage, not ``A^H``.
* :func:`interval_walk`: a continuous-state MDP on [0, 1] (a noisy walk with a smooth reward)
  discretised into ``N`` cells; refining ``N`` approximates one continuous MDP, on which the
  bisimulation metric converges (Ferns, Panangaden, Precup 2005).

Both follow the catalogue's conventions (``instances/tabular.py``): a ``name`` with the
parameters, ``ValueError`` naming a bad parameter, seeded draws bit for bit.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_int, _check_size, _label, _one_hot
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, FiniteMDP

__all__ = ["effective_horizon_lure", "effective_horizon_lure_layout", "interval_walk"]


def effective_horizon_lure_layout(k_star: int) -> dict[str, object]:
    """State indices of :func:`effective_horizon_lure`: ``start``, ``lock`` (the ``k* - 1``
    lock states in order), ``plateau``, ``meadow`` and ``fail``.

    Examples
    --------
    >>> effective_horizon_lure_layout(3)
    {'start': 0, 'lock': [1, 2], 'plateau': 3, 'meadow': 4, 'fail': 5}
    """
    k_star = _check_int("effective_horizon_lure", "k_star", k_star, 1)
    depth = k_star - 1
    return {
        "start": 0,
        "lock": list(range(1, depth + 1)),
        "plateau": depth + 1,
        "meadow": depth + 2,
        "fail": depth + 3,
    }


def effective_horizon_lure(
    H: int = 12, k_star: int = 3, A: int = 2, seed: SeedLike = 0
) -> EpisodicMDP:
    r"""A deterministic episodic MDP whose ``k*`` is ``k_star``, for every horizon ``H > k*``.

    From the start state (stage 0) one action, ``good``, enters a lock of ``d = k* - 1``
    states: in lock state ``j`` one action (its code) moves on and every other falls into an
    absorbing ``fail`` state paying 0; after the lock comes the ``plateau``, paying 1 per step
    whatever the action, from stage ``k*`` to the end (``n = H - k*`` steps). Every other
    action at the start enters the ``meadow``, paying ``beta`` per step whatever the action for
    the remaining ``H - 1`` steps. ``beta`` puts the meadow's value half-way between
    ``n / A`` and ``n``: ``beta (H - 1) = n (1 + 1/A) / 2``. The ``good`` action and the codes
    are drawn from ``seed``; rewards lie in [0, 1].

    Why ``k* = k_star``: :math:`Q^k` maximises over the first ``k - 1`` steps and then follows
    the random policy, which passes each remaining lock state with probability ``1/A``, so
    :math:`Q^k(start, good) = n A^{-\max(0, d - k + 1)}`. It exceeds the meadow's value
    exactly when ``k >= d + 1``; in the lock and on the plateau greedy action is optimal for
    every ``k``. Beyond the lookahead every value is deterministic, so the random rollouts
    SQIRL needs at stage 0 are those that pass the start and the ``d`` lock states, about
    ``A^{k*}`` of them.

    Parameters
    ----------
    H : int
        Horizon, ``H > k_star``.
    k_star : int
        The designed ``k*``, ``>= 1``.
    A : int
        Number of actions, ``>= 2``.
    seed : int, SeedSequence or Generator
        Draws the ``good`` action and the lock codes.

    Returns
    -------
    EpisodicMDP
        Stationary, ``S = k_star + 3`` states (see :func:`effective_horizon_lure_layout`),
        starting in state 0.

    Examples
    --------
    >>> mdp = effective_horizon_lure(H=6, k_star=2, A=3, seed=1)
    >>> mdp.name, mdp.S, mdp.A
    ('effective_horizon_lure(H=6,k_star=2,A=3,seed=1)', 5, 3)
    """
    family = "effective_horizon_lure"
    k_star = _check_int(family, "k_star", k_star, 1)
    H = _check_int(family, "H", H, k_star + 1)
    A = _check_int(family, "A", A, 2)
    layout = effective_horizon_lure_layout(k_star)
    S = k_star + 3
    _check_size(family, S, A, H, f"k_star={k_star} (A={A})")
    rng = as_generator(seed)
    good = int(rng.integers(A))
    code = rng.integers(A, size=k_star - 1)
    start, lock = layout["start"], layout["lock"]
    plateau, meadow, fail = layout["plateau"], layout["meadow"], layout["fail"]
    n = H - k_star
    beta = n * (1.0 + 1.0 / A) / (2.0 * (H - 1))
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    first = lock[0] if lock else plateau
    P[start, :, meadow] = 1.0
    P[start, good, meadow] = 0.0
    P[start, good, first] = 1.0
    for j, state in enumerate(lock):
        following = lock[j + 1] if j + 1 < len(lock) else plateau
        P[state, :, fail] = 1.0
        P[state, code[j], fail] = 0.0
        P[state, code[j], following] = 1.0
    P[plateau, :, plateau] = 1.0
    R[plateau, :] = 1.0
    P[meadow, :, meadow] = 1.0
    R[meadow, :] = beta
    P[fail, :, fail] = 1.0
    name = _label(family, H=H, k_star=k_star, A=A, seed=seed)
    return EpisodicMDP(P, R, H=H, initial=_one_hot(S, start), name=name)


def interval_walk(
    N: int = 32,
    width: float = 0.05,
    drift: float = 0.1,
    gamma: float = 0.9,
    frequency: float = 1.0,
    seed: SeedLike = 0,
) -> FiniteMDP:
    r"""A noisy walk on [0, 1] with a smooth reward, discretised into ``N`` cells.

    The continuous MDP: state :math:`x \in [0, 1]`; action 0 moves left and 1 right,
    :math:`x' = \mathrm{clip}(x \pm \text{drift} + \xi, 0, 1)` with
    :math:`\xi \sim U[-\text{width}, \text{width}]`; reward
    :math:`r(x, a) = 0.5 + 0.45 \sin(2\pi\, \text{frequency}\; x + \phi_a)` with phases
    :math:`\phi_a` drawn from ``seed``. The discretisation: cell ``i`` is
    :math:`[i/N, (i+1)/N)` with centre :math:`c_i`; ``P(j | i, a)`` is the exact probability
    that :math:`x'` from :math:`c_i` lands in cell ``j`` (the mass clipped at 0 or 1 goes to the
    end cells) and ``R[i, a] = r(c_i, a)``. For fixed parameters and growing ``N`` these are
    refinements of one continuous MDP; a ``frequency`` that grows with ``N`` is not.

    Parameters
    ----------
    N : int
        Number of cells, ``>= 2``.
    width, drift : float
        Half-width of the uniform noise (``> 0``) and the step of each action (``>= 0``).
    gamma : float
        Discount factor in [0, 1).
    frequency : float
        Frequency of the reward in cycles per unit length, ``> 0``.
    seed : int, SeedSequence or Generator
        Draws the two phases.

    Examples
    --------
    >>> mdp = interval_walk(N=8)
    >>> mdp.name, mdp.S, mdp.A, float(mdp.P.sum(axis=2).max().round(12))
    ('interval_walk(N=8,width=0.05,drift=0.1,gamma=0.9,frequency=1,seed=0)', 8, 2, 1.0)
    """
    family = "interval_walk"
    N = _check_int(family, "N", N, 2)
    width = _check_float(family, "width", width, 0.0, low_open=True)
    drift = _check_float(family, "drift", drift, 0.0)
    gamma = _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    frequency = _check_float(family, "frequency", frequency, 0.0, low_open=True)
    _check_size(family, N, 2, None, f"N={N}")
    phases = as_generator(seed).uniform(0.0, 2 * np.pi, size=2)
    edges = np.arange(N + 1) / N
    centres = (edges[:-1] + edges[1:]) / 2
    P = np.zeros((N, 2, N))
    for a, shift in enumerate((-drift, drift)):
        low = centres + shift - width
        high = centres + shift + width
        # length of [low, high] inside each cell, per unit of noise density
        inside = np.clip(high[:, None], edges[None, :-1], edges[None, 1:]) - np.clip(
            low[:, None], edges[None, :-1], edges[None, 1:]
        )
        P[:, a, :] = inside / (2 * width)
        P[:, a, 0] += np.clip(np.minimum(high, 0.0) - low, 0.0, None) / (2 * width)
        P[:, a, -1] += np.clip(high - np.maximum(low, 1.0), 0.0, None) / (2 * width)
    R = 0.5 + 0.45 * np.sin(2 * np.pi * frequency * centres[:, None] + phases[None, :])
    name = _label(
        family, N=N, width=width, drift=drift, gamma=gamma, frequency=frequency, seed=seed
    )
    return FiniteMDP(P, R, gamma=gamma, name=name)
