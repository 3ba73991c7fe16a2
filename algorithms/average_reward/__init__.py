"""Average-reward learners with exact per-step regret (no reset, one long run).

* :class:`UCRL2` (Jaksch, Ortner, Auer 2010, Figure 1) and its Bernstein variant
  :class:`UCRL2B` (Fruit, Pirotta, Lazaric 2020): doubling epochs, confidence sets, extended
  value iteration with the exact inner maximisation (:mod:`~algorithms.average_reward.evi`).
* :class:`TSDE` (Ouyang, Gagrani, Nayyar, Jain 2017): posterior sampling with dynamic epochs
  and Dirichlet posteriors.
* :class:`CertaintyEquivalence` and :class:`FixedPolicy`: baselines with linear regret, the
  negative controls of the checks.

Each is a frozen dataclass of hyperparameters whose ``run(model, budget, seed)`` (``budget`` =
number of steps T) is one compiled call returning a :class:`~mdptheory.regret.RegretTrace`
with one entry per step: the exact gap regret and the realised regret (the identity between
them is in :mod:`algorithms.average_reward._common`). ``LEARNERS`` names them for
``mdptheory run ucrl2 river_swim --budget 1000000``.
"""

from algorithms.average_reward.baselines import CertaintyEquivalence, FixedPolicy
from algorithms.average_reward.burn_in import AverageRewardBurnIn, burn_in
from algorithms.average_reward.evi import (
    box_inner_max,
    descending_order,
    extended_value_iteration,
    l1_inner_max,
)
from algorithms.average_reward.tsde import TSDE, tsde_regret_bound
from algorithms.average_reward.ucrl2 import UCRL2, UCRL2B, ucrl2_regret_bound

LEARNERS = {
    "ucrl2": UCRL2,
    "ucrl2-b": UCRL2B,
    "tsde": TSDE,
    "ce-epsilon-greedy": CertaintyEquivalence,
}
"""Command-line names (``mdptheory run ucrl2 river_swim --budget 1000000``)."""

__all__ = [
    "LEARNERS",
    "TSDE",
    "UCRL2",
    "UCRL2B",
    "AverageRewardBurnIn",
    "CertaintyEquivalence",
    "FixedPolicy",
    "box_inner_max",
    "burn_in",
    "descending_order",
    "extended_value_iteration",
    "l1_inner_max",
    "tsde_regret_bound",
    "ucrl2_regret_bound",
]
