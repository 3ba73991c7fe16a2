r"""Burn-in of UCRL2 and UCRL2-B, from the radius formulas alone (before any run).

Extended value iteration can move the probability mass of a pair's row by half its L1 radius
``d`` towards the best state, and ``u`` has span at most the diameter ``D`` (Jaksch et al.
2010, on the range of the EVI values; cited from memory), so a pair's optimism is at most
``rad_r + (D / 2) d``. While that exceeds the smallest positive Bellman gap of the model,
the plausible set can make some suboptimal action look optimal and the learner may keep
playing it: its regret can grow linearly. The burn-in counts

* ``visits``: the smallest ``n`` with ``rad_r(n) + (D / 2) d(n) <= level`` for every data set
  (``level`` = the smallest positive Bellman gap ``min {gap(s, a) > 0}`` by default; the radii
  use the log factor at ``t_k = T``, their largest value in the run), and
* ``steps = S A visits``: the steps a learner spreading its visits evenly would need to bring
  every pair there.

Radii (times the learner's ``radius_scale``), ``N+ = max(1, n)``:

* UCRL2: ``rad_r = sqrt(7 log(2 S A T / delta) / (2 N+))``, ``d = sqrt(14 S log(2 A T / delta)
  / N+)``;
* UCRL2-B: the box of widths ``b(s') = sqrt(2 p(1 - p) L / N+) + 7 L / (3 N+)`` has L1 radius
  ``2 sum_s' b(s') <= 2 sqrt(2 S L / N+) + 14 S L / (3 N+)`` (Cauchy-Schwarz, ``sum p (1 - p)
  <= 1``), and ``rad_r <= sqrt(L / (2 N+)) + 7 L / (3 N+)`` (variance at most 1/4), with
  ``L = log(6 S A N+ / delta)``.

``level = 2 / D`` in place of the gap gives the clip: the visits until the L1 ball is no longer
the whole simplex (``d < 2``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from algorithms.average_reward.ucrl2 import UCRL2


@dataclass(frozen=True)
class AverageRewardBurnIn:
    """The burn-in of UCRL2 or UCRL2-B on one model for a budget of T steps.

    Attributes
    ----------
    visits : int
        Visits of one pair after which its optimism is below ``level`` for every data set.
    pairs : int
        ``S A``.
    steps : int
        ``pairs * visits``.
    level : float
    diameter : float
    formula : str
    """

    visits: int
    pairs: int
    steps: int
    level: float
    diameter: float
    formula: str

    def within(self, T: int, fraction: float = 0.1) -> bool:
        """True when the burn-in ends by ``fraction * T`` steps."""
        return self.steps <= fraction * T


def optimism(learner: UCRL2, S: int, A: int, T: int, D: float, n: float) -> float:
    """Upper bound over data sets of a pair's optimism ``rad_r + (D / 2) d`` after ``n`` visits."""
    n_plus = max(1.0, n)
    c = learner.radius_scale
    if learner.confidence == "hoeffding":
        rad_r = math.sqrt(7.0 * math.log(2.0 * S * A * T / learner.delta) / (2.0 * n_plus))
        d = math.sqrt(14.0 * S * math.log(2.0 * A * T / learner.delta) / n_plus)
    else:
        L = math.log(6.0 * S * A * n_plus / learner.delta)
        rad_r = math.sqrt(L / (2.0 * n_plus)) + 7.0 * L / (3.0 * n_plus)
        d = 2.0 * math.sqrt(2.0 * S * L / n_plus) + 14.0 * S * L / (3.0 * n_plus)
    return c * rad_r + 0.5 * D * min(2.0, c * d)


def burn_in(
    learner: UCRL2, model, T: int, level: float | None = None, D: float | None = None
) -> AverageRewardBurnIn:
    """The burn-in of ``learner`` (UCRL2 or UCRL2-B) on ``model`` for ``T`` steps.

    ``D`` and the Bellman gaps are computed exactly (:mod:`mdptheory.average_reward`) unless
    given (``D``: the model's diameter, ``level``: the level in place of the smallest gap).

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> b = burn_in(UCRL2(), river_swim(S=6), 10**7)
    >>> b.steps, b.within(10**7)
    (6605616, False)
    """
    from mdptheory.average_reward import bellman_gaps, diameter

    if not isinstance(learner, UCRL2):
        raise ValueError(f"burn_in needs a UCRL2 or UCRL2-B learner, got {learner!r}")
    S, A = model.S, model.A
    D = diameter(model).value if D is None else float(D)
    if not math.isfinite(D):
        raise ValueError(f"burn_in: the model {model!r} is not communicating (D = inf)")
    if level is None:
        gaps = bellman_gaps(model)
        positive = gaps[gaps > 0.0]
        if positive.size == 0:
            raise ValueError(f"burn_in: every action of {model!r} is optimal (no positive gap)")
        level = float(positive.min())
    if not level > 0.0:
        raise ValueError(f"burn_in: level must be positive, got {level!r} (every action optimal?)")
    # The optimism bound decreases in n: double, then bisect.
    high = 1
    while optimism(learner, S, A, T, D, high) > level:
        high *= 2
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        if optimism(learner, S, A, T, D, mid) > level:
            low = mid
        else:
            high = mid
    visits = high if optimism(learner, S, A, T, D, low) > level else low
    formula = (
        "rad_r + (D/2) d <= level, UCRL2 radii at t_k = T"
        if learner.confidence == "hoeffding"
        else "rad_r + (D/2) d <= level, UCRL2-B box widths bounded over data sets"
    )
    return AverageRewardBurnIn(visits, S * A, S * A * visits, float(level), float(D), formula)


__all__ = ["AverageRewardBurnIn", "burn_in", "optimism"]
