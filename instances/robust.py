"""Robust-MDP instances: models whose robust optimum differs from the nominal one.

:func:`safe_vs_fast_route` is a discounted MDP with a short road that may end in a crash and a
longer deterministic road. The nominal optimum takes the short road; against a KL, chi-square
or TV ball (TV restricted to the nominal support) around the nominal kernel, nature can raise
the crash probability of the short road but cannot touch the deterministic long road, and the
robust optimum takes the long road. The robust policy then beats the nominal one on a
worst-case kernel of the set and loses to it on the nominal kernel.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_int, _label, _one_hot
from mdptheory.tabular import FiniteMDP

__all__ = ["FAST_ROUTE_ACTIONS", "safe_vs_fast_route"]

FAST_ROUTE_ACTIONS = ("fast", "safe")
"""Action names at the start: 0 takes the short road, 1 the long one (elsewhere both act alike)."""


def safe_vs_fast_route(
    safe_length: int = 2, crash_prob: float = 0.05, gamma: float = 0.9
) -> FiniteMDP:
    """A short road that may crash against a longer safe road, then an absorbing goal.

    States: 0 ``start``, 1 ``fast`` (the short road), ``2 .. safe_length + 1`` the safe road,
    then ``goal`` (reward 1 per step, absorbing) and ``crashed`` (reward 0, absorbing).
    Action 0 at the start takes the short road, action 1 the safe one; elsewhere both actions
    do the same thing. From ``fast`` the goal is reached with probability ``1 - p`` and the
    crash with ``p = crash_prob``; the safe road moves deterministically, one state per step.

    Values at the start (``gamma`` the discount)::

        fast road:  (1 - p) gamma^2 / (1 - gamma)
        safe road:  gamma^(L + 1) / (1 - gamma),   L = safe_length

    so the nominal optimum takes the short road iff ``1 - p > gamma^(L - 1)``. A ball around
    the kernel that keeps the support (KL, chi-square, or TV with ``support="nominal"``) leaves
    the safe road as it is and raises the crash probability to the largest ``p'`` in the ball
    around ``Bernoulli(p)``; the robust optimum takes the safe road iff
    ``1 - p' < gamma^(L - 1)``. With the defaults (``L = 2``, ``p = 0.05``, ``gamma = 0.9``)
    the threshold is ``p' = 0.1``: ``KL(Bern(0.1) || Bern(0.05)) = 0.0207``, Pearson chi-square
    0.0526 and TV 0.05, so every radius above these (e.g. 0.1) makes the robust policy take the
    safe road.

    Parameters
    ----------
    safe_length : int
        Number of states on the safe road, >= 1.
    crash_prob : float
        Crash probability of the short road, in (0, 1).
    gamma : float
        Discount factor, in (0, 1).

    Returns
    -------
    FiniteMDP
        Deterministic rewards, starting at ``start``.

    Examples
    --------
    >>> mdp = safe_vs_fast_route()
    >>> mdp.name, mdp.S, mdp.A
    ('safe_vs_fast_route(safe_length=2,crash_prob=0.05,gamma=0.9)', 6, 2)
    """
    family = "safe_vs_fast_route"
    safe_length = _check_int(family, "safe_length", safe_length, 1)
    crash_prob = _check_float(
        family, "crash_prob", crash_prob, 0.0, 1.0, low_open=True, high_open=True
    )
    gamma = _check_float(family, "gamma", gamma, 0.0, 1.0, low_open=True, high_open=True)
    S = safe_length + 4
    start, fast, goal, crashed = 0, 1, S - 2, S - 1
    safe = list(range(2, 2 + safe_length))
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    P[start, 0, fast] = 1.0
    P[start, 1, safe[0]] = 1.0
    P[fast, :, goal] = 1.0 - crash_prob
    P[fast, :, crashed] = crash_prob
    for here, there in zip(safe, [*safe[1:], goal], strict=True):
        P[here, :, there] = 1.0
    P[goal, :, goal] = 1.0
    R[goal, :] = 1.0
    P[crashed, :, crashed] = 1.0
    name = _label(family, safe_length=safe_length, crash_prob=crash_prob, gamma=gamma)
    return FiniteMDP(P, R, gamma=gamma, initial=_one_hot(S, start), name=name)
