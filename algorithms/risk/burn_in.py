r"""Burn-in of ICVaR-RM computed from its bonus formula alone, before any run.

ICVaR-RM (Du, Wang, Huang, ICLR 2023, Algorithm 1) adds the bonus
``c (H / alpha) sqrt(L / n)`` to the empirical iterated-CVaR backup and clips the optimistic
value at ``H`` (``c = bonus_scale``, 1 for the paper's bonus, ``L = log(K H S A / delta')``,
``delta' = delta / 5``). While a pair's bonus is at least ``H`` its optimistic Q sits at the
clip whatever the data say, so the learner cannot yet exploit that pair's estimate: this is
the burn-in phase, whose regret grows linearly. A rate claim (regret ``O~(sqrt K)``) or an
optimism event judged inside it could not have failed for the right reason.

:func:`bonus_below_h_visits` is the number of visits ``n*`` after which the bonus is below
``H``; :func:`burn_in` converts it to episodes: every one of the ``S A`` pairs needs ``n*``
visits, credited one visit per pair per episode (an episode follows one optimistic policy,
which steers towards one under-explored pair; the rest of the episode mostly revisits known
pairs). Both depend on the instance only through ``S, A, H`` and on the run through ``K``,
``alpha``, ``delta`` and ``bonus_scale``: users compute them before a run, to choose a budget
or to decide which part of a regret curve a rate claim may be judged on.

``level`` (default ``H``, the clip) is the level the bonus must drop below. The slope check of
ICVaR-RM (:mod:`proofs_check.theorems.risk`) uses ``level = Delta / H`` with ``Delta`` the
instance's largest iterated-CVaR regret of one episode
(:func:`mdptheory.risk.icvar_max_episode_regret`), the rule of the tabular checks: until the
``H`` per-stage bonuses of an episode sum below ``Delta``, the bonus does not constrain an
episode's regret (at most ``Delta`` anyway), so the regret may stay linear.
"""

from __future__ import annotations

import math

import numpy as np

from algorithms._episodic import check_open_unit
from mdptheory.risk import check_alpha


def _check_size(value: int, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def bonus_below_h_visits(
    H: int,
    K: int,
    S: int,
    A: int,
    alpha: float,
    delta: float = 0.05,
    bonus_scale: float = 1.0,
    level: float | None = None,
) -> int:
    r"""Visits ``n*`` of a pair after which ICVaR-RM's bonus is below ``H`` (or ``level``).

    The bonus ``c (H / alpha) sqrt(L / n)`` is below ``H`` exactly when
    ``n > c^2 L / alpha^2``, so ``n* = floor(c^2 L / alpha^2) + 1``; below a ``level`` ``l``
    exactly when ``n > c^2 H^2 L / (alpha^2 l^2)``, so
    ``n* = floor(c^2 H^2 L / (alpha^2 l^2)) + 1``. With ``c = 0`` (greedy) ``n* = 1``: an
    unvisited pair has no estimate and sits at the clip ``H``.

    Parameters
    ----------
    H, K, S, A : int
        Horizon, episodes of the run (it fixes ``L``), states and actions.
    alpha : float
        Risk level in (0, 1].
    delta : float
        Confidence parameter in (0, 1) (``L`` uses ``delta' = delta / 5``).
    bonus_scale : float
        ``c >= 0``; 1 is the paper's bonus.
    level : float, optional
        The level the bonus must drop below, ``> 0``; default ``H`` (the clip). ``Delta / H``,
        with ``Delta`` the largest regret of one episode, asks for the ``H`` per-stage bonuses
        of an episode to sum below ``Delta``.

    Returns
    -------
    int

    Examples
    --------
    >>> bonus_below_h_visits(H=5, K=100_000, S=5, A=2, alpha=0.3)   # L = log(5e8) = 20.03
    223
    >>> bonus_below_h_visits(H=5, K=100_000, S=5, A=2, alpha=0.3, bonus_scale=0.1)
    3
    >>> bonus_below_h_visits(H=5, K=100_000, S=5, A=2, alpha=0.3, bonus_scale=0.0)
    1
    >>> bonus_below_h_visits(H=5, K=100_000, S=5, A=2, alpha=0.3, level=0.5)   # 100 x 222.6
    22256
    """
    H, K, S, A = (_check_size(v, name) for v, name in ((H, "H"), (K, "K"), (S, "S"), (A, "A")))
    alpha = check_alpha(alpha)
    delta = check_open_unit(delta, "delta")
    c = float(bonus_scale)
    if not (math.isfinite(c) and c >= 0.0):
        raise ValueError(f"bonus_scale must be a finite number >= 0, got {bonus_scale!r}")
    ratio = 1.0  # H / level
    if level is not None:
        if (
            isinstance(level, (bool, np.bool_))
            or not isinstance(level, (int, float, np.integer, np.floating))
            or not (math.isfinite(level) and level > 0.0)
        ):
            raise ValueError(f"level must be a finite number > 0, got {level!r}")
        ratio = H / float(level)
    L = math.log(K * H * S * A / (delta / 5.0))
    return math.floor(c * c * ratio * ratio * L / (alpha * alpha)) + 1


def burn_in(
    S: int,
    A: int,
    H: int,
    K: int,
    alpha: float,
    delta: float = 0.05,
    bonus_scale: float = 1.0,
    level: float | None = None,
) -> int:
    r"""Episodes of ICVaR-RM's burn-in, from the bonus formula alone.

    ``S A n*`` with ``n*`` = :func:`bonus_below_h_visits`: the visits each pair needs before
    its bonus drops below the clip ``H`` (or ``level``), times the ``S A`` pairs to cover, at
    one visit of a given pair per episode. It is a property of the bonus, not of the instance's
    dynamics: pairs that the dynamics rarely reach (small visitation probability ``w_min``) take
    longer, so regret may still grow faster than ``sqrt K`` for a while after it.

    Parameters
    ----------
    S, A, H : int
        States, actions and horizon.
    K : int
        Episodes of the run (``L = log(K H S A / delta')`` depends on it).
    alpha : float
        Risk level in (0, 1].
    delta : float
        Confidence parameter in (0, 1).
    bonus_scale : float
        ``c >= 0`` multiplying the paper's bonus ``(H / alpha) sqrt(L / n)``.
    level : float, optional
        The level the bonus must drop below; default ``H``. See :func:`bonus_below_h_visits`.

    Returns
    -------
    int
        Episodes.

    Examples
    --------
    The paper's bonus on a 5-state, 2-action garnet with H = 5, alpha = 0.3 and K = 1e5 needs
    223 visits per pair, 2230 episodes; the bonus scaled by 0.1 only 30:

    >>> burn_in(S=5, A=2, H=5, K=100_000, alpha=0.3)
    2230
    >>> burn_in(S=5, A=2, H=5, K=100_000, alpha=0.3, bonus_scale=0.1)
    30
    >>> [burn_in(5, 2, 5, 100_000, 0.3, bonus_scale=c) <= 10_000 for c in (3.0, 1.0)]
    [False, True]

    The rule of the slope check: the bonus per stage below ``Delta / H``, with ``Delta`` the
    garnet's largest iterated-CVaR regret of one episode (0.826 at alpha = 0.3):

    >>> from instances.tabular import garnet
    >>> from mdptheory.risk import icvar_max_episode_regret
    >>> mdp = garnet(S=5, A=2, branching=2, H=5, seed=0)
    >>> level = icvar_max_episode_regret(mdp, 0.3) / mdp.H
    >>> [burn_in(5, 2, 5, 100_000, 0.3, bonus_scale=c, level=level) for c in (0.03, 0.01)]
    [1840, 210]
    """
    n_star = bonus_below_h_visits(H, K, S, A, alpha, delta, bonus_scale, level)
    return int(S) * int(A) * n_star


__all__ = ["bonus_below_h_visits", "burn_in"]
