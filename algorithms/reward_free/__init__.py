"""Reward-free exploration: explore without rewards, then plan for a battery of rewards.

* :class:`RFExpress` (Ménard et al., ICML 2021): the tabular baseline with 1/n bonuses.
* :class:`HFUCRLRFE` (``hf-rfe``): horizon-free reward-free exploration on linear mixture MDPs
  with HOME-weighted value-targeted regression, reconstructed after Zhang, Zhang, Gu (ICML
  2023).
* :class:`HorizonFreeRFE` (``hf-rfe-indicator``): the unweighted variant that regresses on every
  indicator target at once.
* :mod:`~algorithms.reward_free.battery`: the planning phase, judged exactly.

Each ``run(model, budget, seed)`` returns a :class:`~mdptheory.regret.ConvergenceTrace` whose
``gap`` is the worst planning-phase sub-optimality over the battery at each checkpoint.
"""

from algorithms.reward_free.battery import (
    RewardBattery,
    evaluate_batch,
    plan_batch,
    planning_suboptimality,
    reward_battery,
)
from algorithms.reward_free.hf_rfe import HorizonFreeRFE, hf_rfe_radius
from algorithms.reward_free.hf_ucrl_rfe import HFUCRLRFE
from algorithms.reward_free.rf_express import RFExpress, rf_express_beta

LEARNERS = {"rf-express": RFExpress, "hf-rfe": HFUCRLRFE, "hf-rfe-indicator": HorizonFreeRFE}
"""Command-line name -> learner class."""

__all__ = [
    "HFUCRLRFE",
    "LEARNERS",
    "HorizonFreeRFE",
    "RFExpress",
    "RewardBattery",
    "evaluate_batch",
    "hf_rfe_radius",
    "plan_batch",
    "planning_suboptimality",
    "reward_battery",
    "rf_express_beta",
]
