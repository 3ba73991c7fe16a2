"""The burn-in of any registered learner with a bonus, and the scaled variant that learns in time.

With the papers' constants an optimistic learner's bonus keeps its estimates at their clip for
many episodes: until then it explores blindly, its policy barely changes and its regret grows
linearly. Each learner family computes that burn-in from its bonus formula alone
(:mod:`algorithms.tabular.burn_in`, :mod:`algorithms.linear.burn_in`,
:mod:`algorithms.risk.burn_in`, :mod:`algorithms.average_reward.burn_in`);
:func:`learner_burn_in` dispatches to them with the learner's own constants, counting the
episodes until the bonus drops below the clip H everywhere (before that no estimate can leave
its clip, so the policy cannot learn; for UCRL2 and UCRL2-B the steps until the optimism of
every pair is below the smallest positive Bellman gap), and names the largest bonus scale of
the fixed grid :data:`SCALE_GRID` whose burn-in ends within a tenth of the budget. The
slope checks judge rates from a later, stricter point (see each family's ``burn_in``).
``mdptheory run`` prints it, so a run that ends inside its burn-in says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

SCALE_GRID: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01)
"""The bonus scales tried, largest first (the grid of the slope checks)."""

WITHIN: float = 0.1
"""A burn-in counts as "within the budget" when it ends by this fraction of it."""


@dataclass(frozen=True)
class LearnerBurnIn:
    """A learner's burn-in for one budget and the scaled variant that would learn within it.

    Attributes
    ----------
    episodes : int
        Episodes until the bonus is below the clip everywhere (see the module).
    rule : str
        The rule in words.
    scale_name : str
        The hyperparameter that scales the bonus (``bonus_scale`` or ``c``).
    scale : float
        Its value in the learner.
    suggested_scale : float or None
        The largest value of :data:`SCALE_GRID` whose burn-in ends by ``WITHIN * budget``;
        None when none does.
    suggested_episodes : int or None
        That variant's burn-in.
    unit : str
        What ``episodes`` counts: ``"episodes"``, or ``"steps"`` for the average-reward
        learners (one long run).
    inside : str
        What a run that ends inside the burn-in does, in words.
    """

    episodes: int
    rule: str
    scale_name: str
    scale: float
    suggested_scale: float | None
    suggested_episodes: int | None
    unit: str = "episodes"
    inside: str = "the bonus keeps the estimates at their clip, so the policy barely learns"

    def within(self, budget: int) -> bool:
        """True when the burn-in ends by ``WITHIN * budget`` episodes."""
        return self.episodes <= WITHIN * budget


def feature_burn_in(
    d: int,
    H: int,
    c: float,
    until: str,
    untils: tuple[str, str],
    beta: Callable[[float], float],
    lam: float,
) -> int:
    """Episodes until a bonus (or penalty) ``beta / sqrt(n + lambda)`` in feature directions
    seen n times stops saturating, one observation per episode in each of the ``d`` directions.

    ``until`` is ``untils[0]`` (the per-stage term ``2 beta / sqrt(n + lambda)`` of the bound
    below one stage's reward range 1: level 1/2) or ``untils[1]`` (the bonus below the clip H:
    level H); ``beta(c)`` is the learner's multiplier for its constant ``c >= 0``. Returns
    ``d * max(0, ceil((beta / level)^2 - lambda))``: visits per direction times the ``d``
    directions. Shared by LSVI-UCB (:func:`algorithms.linear.burn_in`) and PEVI.

    Examples
    --------
    >>> feature_burn_in(4, 5, 1.0, "clip", ("regret", "clip"), lambda c: 10.0 * c, 1.0)
    12
    """
    if until not in untils:
        raise ValueError(f"until must be one of {untils}, got {until!r}")
    if not (isinstance(c, (int, float)) and math.isfinite(c) and c >= 0):
        raise ValueError(f"c must be a finite number >= 0, got {c!r}")
    level = 0.5 if until == untils[0] else float(H)
    return int(d) * max(0, math.ceil((beta(float(c)) / level) ** 2 - lam))


def _tabular(learner: Any, model: Any, budget: int) -> tuple[str, Any]:
    from algorithms.tabular.burn_in import burn_in

    def episodes(variant: Any) -> int:
        return burn_in(variant, model, budget).episodes

    name = "bonus_scale" if hasattr(learner, "bonus_scale") else "c"
    return name, episodes


def _linear(learner: Any, model: Any, budget: int) -> tuple[str, Any]:
    from algorithms.linear.burn_in import burn_in

    def episodes(variant: Any) -> int:
        return burn_in(model.d, model.H, budget, p=variant.p, c=variant.c, until="clip")

    return "c", episodes


def _risk(learner: Any, model: Any, budget: int) -> tuple[str, Any]:
    from algorithms.risk.burn_in import burn_in

    def episodes(variant: Any) -> int:
        return burn_in(
            model.S, model.A, model.H, budget, variant.alpha, variant.delta, variant.bonus_scale
        )

    return "bonus_scale", episodes


def _average_reward(learner: Any, model: Any, budget: int) -> tuple[str, Any]:
    from algorithms.average_reward.burn_in import burn_in

    first = burn_in(learner, model, budget)  # D and the smallest gap, computed once

    def episodes(variant: Any) -> int:
        if variant == learner:
            return first.steps
        return burn_in(variant, model, budget, level=first.level, D=first.diameter).steps

    return "radius_scale", episodes


_RULES = {
    "tabular": "episodes until every state-action pair's bonus is below the clip H",
    "linear": "episodes until the bonus beta ||phi|| is below the clip H in every direction",
    "risk": "episodes until every state-action pair's bonus is below the clip H",
    "average-reward": "steps until every pair's optimism rad_r + (D/2) d is below the smallest "
    "positive Bellman gap, S A pairs visited evenly",
}

_UNITS = {"average-reward": "steps"}

_INSIDE = {
    "average-reward": "the plausible set can still make a suboptimal action look optimal, so "
    "the regret may grow linearly",
}


def _family(learner: Any) -> str | None:
    from algorithms.average_reward import UCRL2
    from algorithms.linear import LSVIUCB
    from algorithms.risk import ICVaRRM
    from algorithms.tabular import UCBVI, QLearningUCB

    if isinstance(learner, UCRL2):  # UCRL2 and UCRL2-B; TSDE has no radius to read it from
        return "average-reward"

    if isinstance(learner, UCBVI | QLearningUCB):
        if isinstance(learner, QLearningUCB) and learner.bonus != "hoeffding":
            return None  # UCB-Bernstein has two constants; no single scale to suggest
        return "tabular"
    if isinstance(learner, LSVIUCB):
        return "linear" if learner.c > 0 else None
    if isinstance(learner, ICVaRRM):
        return "risk"
    return None


def learner_burn_in(learner: Any, model: Any, budget: int) -> LearnerBurnIn | None:
    """The burn-in of ``learner`` on ``model`` for ``budget`` episodes, or None for a learner
    without a bonus formula to read it from (bandits, policy gradient, offline learners, TSDE).

    UCRL2 and UCRL2-B (``budget`` = T steps) are read from their radius formulas by
    :func:`algorithms.average_reward.burn_in`: the steps until every pair's optimism ``rad_r +
    (D / 2) d`` is below the model's smallest positive Bellman gap, ``S A`` pairs visited
    evenly; the scale is ``radius_scale`` and the result counts steps (``unit``).

    Examples
    --------
    >>> from algorithms.tabular import UCBVI
    >>> from instances import make
    >>> mdp = make("river_swim", S=6, H=10)
    >>> b = learner_burn_in(UCBVI(), mdp, 5000)
    >>> b.within(5000), b.scale_name, b.suggested_scale
    (False, 'bonus_scale', 0.1)
    """
    family = _family(learner)
    if family is None:
        return None
    name, episodes = {
        "tabular": _tabular,
        "linear": _linear,
        "risk": _risk,
        "average-reward": _average_reward,
    }[family](learner, model, budget)
    own = int(episodes(learner))
    suggested = suggested_episodes = None
    for scale in SCALE_GRID:
        candidate = int(episodes(replace(learner, **{name: scale})))
        if candidate <= WITHIN * budget:
            suggested, suggested_episodes = scale, candidate
            break
    return LearnerBurnIn(
        own,
        _RULES[family],
        name,
        float(getattr(learner, name)),
        suggested,
        suggested_episodes,
        _UNITS.get(family, "episodes"),
        _INSIDE.get(family, LearnerBurnIn.inside),
    )


__all__ = ["SCALE_GRID", "WITHIN", "LearnerBurnIn", "feature_burn_in", "learner_burn_in"]
