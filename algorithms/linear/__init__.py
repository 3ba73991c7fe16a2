"""Learners for linear MDPs with exact per-episode regret.

* :class:`LSVIUCB` (Jin, Yang, Wang, Jordan 2020, Algorithm 1), with the control :class:`LSVI`
  (no bonus) and the rare-switching variant :class:`RareSwitchLSVIUCB` (Wang, Zhou, Gu 2021).
* :class:`LSVIUCBPP` (LSVI-UCB++, He, Zhao, Zhou, Gu 2023, Algorithm 1) and its named scaled
  variant :class:`ScaledLSVIUCBPP`.
* :class:`HFLSVI` (a reconstruction of the horizon-free weighted estimator of Zhang, Lee, Chen,
  Du 2024: variance-level estimators pooled over the stages), its named scaled variant
  :class:`ScaledHFLSVI` and the per-stage control :class:`PerStageHFLSVI`; the variant with a
  range-scaled variance bound :class:`RangeHFLSVI` and its control :class:`PerStageRangeHFLSVI`.

Each is a frozen dataclass of hyperparameters whose ``run(model, budget, seed)`` is one compiled
call returning a :class:`~mdptheory.regret.RegretTrace`. ``LEARNERS`` maps the command-line names
used by ``mdptheory run`` to the classes. :func:`burn_in` gives the episodes before the bonus
stops saturating, from the bonus formula alone (compute it before a run).
"""

from algorithms.linear.burn_in import burn_in
from algorithms.linear.horizon_free_lsvi import (
    HFLSVI,
    PerStageHFLSVI,
    PerStageRangeHFLSVI,
    RangeHFLSVI,
    ScaledHFLSVI,
    hf_lsvi_beta,
    hf_lsvi_burn_in,
)
from algorithms.linear.lsvi_ucb import (
    LAMBDA,
    LSVI,
    LSVIUCB,
    PAPER_C,
    RareSwitchLSVIUCB,
    lsvi_ucb_beta,
    lsvi_ucb_iota,
    lsvi_ucb_regret_bound,
    max_rare_switches,
    nonvacuous_episodes,
    sherman_morrison_update,
)
from algorithms.linear.lsvi_ucb_pp import (
    LSVIUCBPP,
    ScaledLSVIUCBPP,
    lsvi_ucb_pp_burn_in,
    lsvi_ucb_pp_radii,
    max_pp_switches,
)

LEARNERS = {
    "lsvi-ucb": LSVIUCB,
    "lsvi": LSVI,
    "lsvi-ucb-rare": RareSwitchLSVIUCB,
    "lsvi-ucb++": LSVIUCBPP,
    "lsvi-ucb++-scaled": ScaledLSVIUCBPP,
    "hf-lsvi": HFLSVI,
    "hf-lsvi-scaled": ScaledHFLSVI,
    "hf-lsvi-per-stage": PerStageHFLSVI,
    "hf-lsvi-range": RangeHFLSVI,
    "hf-lsvi-range-per-stage": PerStageRangeHFLSVI,
}
"""Command-line name -> learner class."""

__all__ = [
    "HFLSVI",
    "LAMBDA",
    "LEARNERS",
    "LSVI",
    "LSVIUCB",
    "LSVIUCBPP",
    "PAPER_C",
    "PerStageHFLSVI",
    "PerStageRangeHFLSVI",
    "RangeHFLSVI",
    "RareSwitchLSVIUCB",
    "ScaledHFLSVI",
    "ScaledLSVIUCBPP",
    "burn_in",
    "hf_lsvi_beta",
    "hf_lsvi_burn_in",
    "lsvi_ucb_beta",
    "lsvi_ucb_iota",
    "lsvi_ucb_pp_burn_in",
    "lsvi_ucb_pp_radii",
    "lsvi_ucb_regret_bound",
    "max_pp_switches",
    "max_rare_switches",
    "nonvacuous_episodes",
    "sherman_morrison_update",
]
