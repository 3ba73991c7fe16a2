"""Risk instances: MDPs whose risk-averse optimum differs from the mean optimum.

:func:`safe_vs_risky_route` is a four-state episodic MDP in which the policy that maximises the
expected return takes a risky route, while the policy that maximises the CVaR at level
``alpha`` of the return, both the static CVaR of the total return and the iterated CVaR
(Du, Wang and Huang, ICLR 2023, eq. (i)-(ii)), takes the safe one whenever
``alpha <= crash_prob``.

CVaR here is the lower-tail CVaR of a reward, ``CVaR^alpha(X) = sup_x {x - E[(x - X)^+]/alpha}``
(Rockafellar and Uryasev, 2000): ``alpha = 1`` gives the mean, ``alpha -> 0`` the minimum.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_int, _label, _one_hot
from mdptheory.tabular import EpisodicMDP

__all__ = ["ROUTE_ACTIONS", "ROUTE_STATES", "safe_vs_risky_route"]

ROUTE_STATES = ("fork", "safe", "risky", "crashed")
"""State names of :func:`safe_vs_risky_route`, in index order."""

ROUTE_ACTIONS = ("safe", "risky")
"""Action names: 0 takes (or bails out to) the safe road, 1 takes (or stays on) the risky road."""


def safe_vs_risky_route(H: int = 3, safe_reward: float = 0.5, risky_reward: float = 1.0,
                        crash_prob: float = 0.1) -> EpisodicMDP:
    """A fork between a safe road with a sure reward and a risky road that may end in a crash.

    States (:data:`ROUTE_STATES`): 0 ``fork`` (the start), 1 ``safe``, 2 ``risky``,
    3 ``crashed``. Actions (:data:`ROUTE_ACTIONS`): 0 ``safe``, 1 ``risky``.

    ::

                   a=0, r=0                 any a, r=safe_reward
        fork ---------------------> safe <----------------------+ (stays)
          |                          ^
          | a=1, r=0                 | a=0 (bail out), r=safe_reward
          v                          |
        (1-p) --> risky --------------+
          |         |  a=1, r=risky_reward: stay w.p. 1-p, crash w.p. p
          p         v
          +-----> crashed  (absorbing, r=0)

    With ``p = crash_prob``, entering the risky road and every risky step crash with
    probability ``p``; a crash forfeits every later reward. The last decision is made at stage
    ``H - 1`` (stages ``h = 0..H-1``; papers count ``1..H``).

    What the criteria choose at the fork (returns are totals over the ``H`` stages):

    * safe road: the sure return ``(H-1) * safe_reward``;
    * mean: the risky road whenever its expected return beats that, e.g. with the defaults
      (``H=3``) the risky road returns 2, 1, 0 with probabilities 0.81, 0.09, 0.1, mean 1.71,
      against 1.0 on the safe road;
    * static CVaR_alpha of the return and iterated CVaR_alpha, for ``alpha <= crash_prob``: the
      safe road, since every policy that enters the risky road has return 0 with probability
      at least ``p >= alpha`` (static), and the fork's iterated CVaR of ``(V(risky), 0)`` with
      weights ``(1-p, p)`` is 0 (iterated).

    Rewards lie in [0, 1], as the iterated-CVaR theory assumes.

    Parameters
    ----------
    H : int
        Horizon, >= 2.
    safe_reward : float
        Reward per stage on the safe road, ``0 < safe_reward < risky_reward``.
    risky_reward : float
        Reward per stage on the risky road, ``<= 1``.
    crash_prob : float
        Crash probability per risky transition, in (0, 1).

    Returns
    -------
    EpisodicMDP
        Stationary, deterministic rewards, starting at ``fork``.

    Examples
    --------
    >>> mdp = safe_vs_risky_route()
    >>> mdp.name, mdp.S, mdp.A, mdp.H
    ('safe_vs_risky_route(H=3,safe_reward=0.5,risky_reward=1,crash_prob=0.1)', 4, 2, 3)
    """
    family = "safe_vs_risky_route"
    H = _check_int(family, "H", H, 2)
    risky_reward = _check_float(family, "risky_reward", risky_reward, 0.0, 1.0, low_open=True)
    safe_reward = _check_float(family, "safe_reward", safe_reward, 0.0, risky_reward,
                               low_open=True, high_open=True)
    crash_prob = _check_float(family, "crash_prob", crash_prob, 0.0, 1.0, low_open=True,
                              high_open=True)
    fork, safe, risky, crashed = range(4)
    P = np.zeros((4, 2, 4))
    R = np.zeros((4, 2))
    P[fork, 0, safe] = 1.0
    P[fork, 1, risky] = 1.0 - crash_prob
    P[fork, 1, crashed] = crash_prob
    P[safe, :, safe] = 1.0
    R[safe, :] = safe_reward
    P[risky, 0, safe] = 1.0
    R[risky, 0] = safe_reward
    P[risky, 1, risky] = 1.0 - crash_prob
    P[risky, 1, crashed] = crash_prob
    R[risky, 1] = risky_reward
    P[crashed, :, crashed] = 1.0
    name = _label(family, H=H, safe_reward=safe_reward, risky_reward=risky_reward,
                  crash_prob=crash_prob)
    return EpisodicMDP(P, R, H=H, initial=_one_hot(4, fork), name=name)
