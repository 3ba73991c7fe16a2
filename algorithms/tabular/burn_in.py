r"""Burn-in of the tabular learners, computed from the bonus formulas alone (before any run).

While a pair's bonus is at least H, the optimistic value of that pair sits at its clip H
whatever the data: the learner explores blindly and its regret grows linearly. A rate claim
("regret grows as sqrt K") can only be seen once the bonus has dropped below H for the pairs
the learner visits, so a check judges the regret curve from the end of the burn-in on, and a
user can compute it before spending a run.

The burn-in here is an upper bound on the bonus over every possible data set (variances at
their maximum H^2/4, count-dependent terms at their caps), so it depends only on S, A, H, K,
the confidence parameter and the constants:

* ``visits``: the smallest number of visits n of one pair (UCBVI, counts pooled over stages) or
  of one stage-pair (Q-learning, counts per stage) after which the bonus term is below H for
  every data set;
* ``episodes``: ``ceil(units * visits / H)``, the episodes needed to give every one of the
  ``units`` pairs (``S A`` for UCBVI, ``H S A`` for Q-learning) that many visits when each
  episode gives H visits; the first episode count at which a learner that spread its visits
  evenly would be unsaturated everywhere.

Formulas (paper constants times the learner's scale):

* UCBVI-CH (Azar et al. 2017, Alg. 3): ``b = s 7 H L / sqrt(n)``, below H once ``n > (7 s L)^2``.
* UCBVI-BF (Alg. 4): ``b <= s H (sqrt(2 L / n) + 14 L / (3 n) + sqrt(8 / n))`` (variance at most
  H^2 / 4, the third term's minimum at most H^2).
* Q-learning UCB-H (Jin et al. 2018, Alg. 1): the bonus that Q carries after t visits is
  ``sum_i alpha_t^i b_i <= 2 c sqrt(H^3 iota / t)`` (Lemma 4.1(a)), below H once
  ``t > 4 c^2 H iota``.
* Q-learning UCB-B (Alg. 2): that bonus is exactly ``beta_t / 2`` with ``beta_t <= min{c1
  (sqrt(H (H^2/4 + H) iota / t) + sqrt(H^7 S A) iota / t), c2 sqrt(H^3 iota / t)}``.

:func:`qlearning_bernstein_branch_visits` gives the visits after which UCB-Bernstein's ``min``
takes its Bernstein branch (for a given empirical variance), which with the derived constants
takes tens of thousands of visits of one stage-pair unless H, S and A are small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from algorithms._episodic import check_budget, check_open_unit, check_positive
from algorithms.tabular.q_learning_ucb import DEFAULT_C, DEFAULT_C1, DEFAULT_C2, QLearningUCB
from algorithms.tabular.ucbvi import UCBVI, ucbvi_log_factor


@dataclass(frozen=True)
class BurnIn:
    """The burn-in of a learner: visits per pair and episodes until its bonus is below H.

    Attributes
    ----------
    visits : int
        Visits of one pair (or stage-pair) after which the bonus term is below H for every
        data set.
    units : int
        Pairs whose counts must reach ``visits``: ``S A`` (UCBVI, pooled over stages) or
        ``H S A`` (Q-learning, counts per stage).
    horizon : int
        Visits per episode (H).
    episodes : int
        ``ceil(units * visits / horizon)``.
    formula : str
        The bonus bound used, in words.
    """

    visits: int
    units: int
    horizon: int
    episodes: int
    formula: str

    def within(self, K: int, fraction: float = 0.1) -> bool:
        """True when the burn-in ends by ``fraction * K`` episodes.

        Examples
        --------
        >>> BurnIn(10, 4, 2, 20, "b").within(1000), BurnIn(10, 4, 2, 20, "b").within(100)
        (True, False)
        """
        return self.episodes <= fraction * K


def _first_below(bound, start: float) -> int:
    """The smallest integer n >= 1 with ``bound(n) < 1``, given a real ``start`` near it and
    ``bound`` decreasing."""
    n = max(1, math.floor(start))
    while n > 1 and bound(n - 1) < 1.0:
        n -= 1
    while bound(n) >= 1.0:
        n += 1
    return n


def _quadratic_visits(a: float, b: float) -> float:
    """The real n with ``a x^2 + b x = 1`` at ``x = 1 / sqrt(n)`` (a, b >= 0, not both 0)."""
    if a == 0.0:
        x = 1.0 / b
    else:
        x = (-b + math.sqrt(b * b + 4.0 * a)) / (2.0 * a)
    return 1.0 / (x * x)


def _burn_in(visits: int, units: int, H: int, formula: str) -> BurnIn:
    return BurnIn(int(visits), int(units), int(H), math.ceil(units * visits / H), formula)


def ucbvi_burn_in(
    S: int,
    A: int,
    H: int,
    K: int,
    delta: float = 0.05,
    bonus: str = "hoeffding",
    bonus_scale: float = 1.0,
    level: float | None = None,
) -> BurnIn:
    """Burn-in of UCBVI-CH or UCBVI-BF (Azar et al. 2017) from the bonus formula alone.

    Parameters
    ----------
    S, A, H : int
        States, actions, horizon.
    K : int
        Episodes of the run (fixes ``L = ln(5 S A K H / delta)``).
    delta : float
        The learner's confidence parameter.
    bonus : {"hoeffding", "bernstein"}
    bonus_scale : float
        The learner's multiplier of the bonus (1 is the paper's).
    level : float, optional
        The level the bonus must drop below; default H (the clip). A smaller level, e.g.
        ``Delta / H`` for an instance whose largest per-episode regret is ``Delta``, asks for
        the sum of the H per-stage bonuses of an episode to drop below ``Delta``.

    Returns
    -------
    BurnIn
        ``visits``: the smallest pooled count n of a pair with ``bonus_scale * b(n) < level`` for
        every data set (CH: ``b = 7 H L / sqrt n``; BF: its upper bound
        ``H (sqrt(2 L / n) + 14 L / (3 n) + sqrt(8 / n))``); ``episodes = ceil(S A visits / H)``.

    Examples
    --------
    >>> b = ucbvi_burn_in(5, 2, 5, 20_000, bonus="hoeffding")        # the paper's CH bonus
    >>> b.visits > 16_000, b.within(20_000)
    (True, False)
    >>> ucbvi_burn_in(5, 2, 5, 20_000, bonus="hoeffding", bonus_scale=0.1).episodes
    334
    >>> ucbvi_burn_in(5, 2, 5, 20_000, bonus="bernstein").within(20_000)   # BF: short
    True
    """
    if bonus not in ("hoeffding", "bernstein"):
        raise ValueError(f"bonus must be 'hoeffding' or 'bernstein', got {bonus!r}")
    K = check_budget(K)
    s = check_positive("bonus_scale", bonus_scale)
    delta = check_open_unit(delta, "delta")
    L = ucbvi_log_factor(S, A, H, K, delta)
    level = float(H) if level is None else check_positive("level", level)
    r = H / level  # the bonus over the level is r * (bonus / H)
    name = "H" if level == H else f"{level:.4g}"
    if bonus == "hoeffding":

        def bound(n: int) -> float:  # bonus / level
            return r * s * 7.0 * L / math.sqrt(n)

        start = (7.0 * r * s * L) ** 2
        formula = f"UCBVI-CH: {s:g} * 7 H L / sqrt(n) < {name}, L = {L:.4g}"
    else:

        def bound(n: int) -> float:
            return r * s * (math.sqrt(2.0 * L / n) + 14.0 * L / (3.0 * n) + math.sqrt(8.0 / n))

        start = _quadratic_visits(
            r * s * 14.0 * L / 3.0, r * s * (math.sqrt(2.0 * L) + math.sqrt(8.0))
        )
        formula = (
            f"UCBVI-BF: {s:g} * H (sqrt(2 L / n) + 14 L / (3 n) + sqrt(8 / n)) < {name} "
            f"(variance <= H^2/4, third term's min <= H^2), L = {L:.4g}"
        )
    return _burn_in(_first_below(bound, start), S * A, H, formula)


def qlearning_iota(S: int, A: int, H: int, K: int, p: float) -> float:
    """``iota = log(S A T / p)``, ``T = K H`` (Jin et al. 2018).

    Examples
    --------
    >>> round(qlearning_iota(2, 2, 2, 1000, 0.05), 4)
    11.9829
    """
    return math.log(S * A * K * H / p)


def qlearning_bernstein_branch_visits(
    S: int,
    A: int,
    H: int,
    K: int,
    p: float = 0.05,
    c1: float = DEFAULT_C1,
    c2: float = DEFAULT_C2,
    variance: float = 0.0,
) -> float:
    """Visits t of a stage-pair after which UCB-Bernstein's ``beta_t`` takes its Bernstein
    branch, for an empirical variance ``W = variance`` of the next values.

    The branch is the first argument of ``beta_t = min{c1 (sqrt(H (W + H) iota / t)
    + sqrt(H^7 S A) iota / t), c2 sqrt(H^3 iota / t)}``. It is the smaller one exactly when
    ``t > iota (c1 sqrt(H^7 S A) / (c2 H^1.5 - c1 sqrt(H (W + H))))^2``; the function returns
    the smallest integer t with that, or ``inf`` when ``c2 H^1.5 <= c1 sqrt(H (W + H))`` (the
    Bernstein branch never wins). ``W`` lies in ``[0, H^2 / 4]``: ``variance=0`` gives the
    earliest visit, ``variance=H**2/4`` the latest.

    Examples
    --------
    >>> qlearning_bernstein_branch_visits(5, 2, 5, 20_000) > 50_000      # derived constants
    True
    >>> qlearning_bernstein_branch_visits(2, 2, 2, 20_000, variance=1.0) < 5_000
    True
    """
    K = check_budget(K)
    p = check_open_unit(p, "p")
    c1 = check_positive("c1", c1)
    c2 = check_positive("c2", c2)
    if not (0.0 <= variance <= H * H / 4.0 + 1e-12):
        raise ValueError(
            f"variance must lie in [0, H^2/4] = [0, {H * H / 4.0:g}], got {variance!r}"
        )
    iota = qlearning_iota(S, A, H, K, p)
    margin = c2 * H**1.5 - c1 * math.sqrt(H * (variance + H))
    if margin <= 0.0:
        return math.inf
    threshold = iota * (c1 * math.sqrt(H**7 * S * A) / margin) ** 2
    return float(math.floor(threshold) + 1)


def qlearning_burn_in(
    S: int,
    A: int,
    H: int,
    K: int,
    p: float = 0.05,
    bonus: str = "hoeffding",
    c: float = DEFAULT_C,
    c1: float = DEFAULT_C1,
    c2: float = DEFAULT_C2,
    level: float | None = None,
) -> BurnIn:
    """Burn-in of Q-learning with UCB-Hoeffding or UCB-Bernstein (Jin et al. 2018).

    Q after t visits of a stage-pair is a weighted sum of targets plus the bonus term
    ``sum_i alpha_t^i b_i``; the burn-in is the smallest t at which that term is below H for
    every data set, times the ``H S A`` stage-pairs, over the H visits of an episode.

    * UCB-H: ``sum_i alpha_t^i b_i <= 2 c sqrt(H^3 iota / t)`` (Lemma 4.1(a)), so
      ``visits = floor(4 c^2 H iota) + 1``.
    * UCB-B: the term is ``beta_t / 2``, bounded with ``W <= H^2 / 4``.

    ``level`` (default H) is the level the term must drop below, as in :func:`ucbvi_burn_in`.

    Examples
    --------
    >>> qlearning_burn_in(5, 2, 5, 20_000).within(20_000)          # derived c = 2 sqrt(2)
    False
    >>> qlearning_burn_in(5, 2, 5, 20_000, c=0.1).episodes
    40
    >>> qlearning_burn_in(2, 2, 2, 20_000, bonus="bernstein").within(20_000)
    True
    """
    if bonus not in ("hoeffding", "bernstein"):
        raise ValueError(f"bonus must be 'hoeffding' or 'bernstein', got {bonus!r}")
    K = check_budget(K)
    p = check_open_unit(p, "p")
    iota = qlearning_iota(S, A, H, K, p)
    level = float(H) if level is None else check_positive("level", level)
    name = "H" if level == H else f"{level:.4g}"
    if bonus == "hoeffding":
        c = check_positive("c", c)

        def bound(t: int) -> float:  # (bonus term) / level
            return 2.0 * c * math.sqrt(H**3 * iota / t) / level

        start = 4.0 * c * c * H**3 * iota / level**2
        formula = (
            f"UCB-H: sum_i alpha_t^i b_i <= 2 * {c:g} sqrt(H^3 iota / t) < {name}, "
            f"iota = {iota:.4g}"
        )
    else:
        c1 = check_positive("c1", c1)
        c2 = check_positive("c2", c2)
        W = H * H / 4.0

        def bound(t: int) -> float:
            bern = c1 * (math.sqrt(H * (W + H) * iota / t) + math.sqrt(H**7 * S * A) * iota / t)
            hoef = c2 * math.sqrt(H**3 * iota / t)
            return min(bern, hoef) / (2.0 * level)

        start = min(
            c2 * c2 * H**3 * iota / (4.0 * level**2),
            _quadratic_visits(
                c1 * math.sqrt(H**7 * S * A) * iota / (2.0 * level),
                c1 * math.sqrt(H * (W + H) * iota) / (2.0 * level),
            ),
        )
        formula = (
            f"UCB-B: beta_t / 2 < {name} with W <= H^2/4, c1 = {c1:g}, c2 = {c2:g}, "
            f"iota = {iota:.4g}"
        )
    return _burn_in(_first_below(bound, start), H * S * A, H, formula)


def burn_in(learner: UCBVI | QLearningUCB, model, K: int, level: float | None = None) -> BurnIn:
    """The burn-in of ``learner`` on ``model`` (its S, A, H) for a run of K episodes.

    Dispatches to :func:`ucbvi_burn_in` or :func:`qlearning_burn_in` with the learner's own
    bonus, constants and confidence parameter; ``level`` (default H) as there.

    Examples
    --------
    >>> from instances.tabular import garnet
    >>> mdp = garnet(S=5, A=2, branching=2, H=5, seed=0)
    >>> burn_in(UCBVI(bonus="hoeffding", bonus_scale=0.1), mdp, 20_000).episodes
    334
    >>> burn_in(QLearningUCB(c=0.1), mdp, 20_000).episodes
    40
    """
    S, A, H = int(model.S), int(model.A), int(model.H)
    if isinstance(learner, UCBVI):
        return ucbvi_burn_in(S, A, H, K, learner.delta, learner.bonus, learner.bonus_scale, level)
    if isinstance(learner, QLearningUCB):
        return qlearning_burn_in(
            S, A, H, K, learner.p, learner.bonus, learner.c, learner.c1, learner.c2, level
        )
    raise ValueError(f"burn_in knows UCBVI and QLearningUCB, got {type(learner).__name__}")


__all__ = [
    "BurnIn",
    "burn_in",
    "qlearning_bernstein_branch_visits",
    "qlearning_burn_in",
    "qlearning_iota",
    "ucbvi_burn_in",
]
