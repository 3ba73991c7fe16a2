"""Learners for linear MDPs with exact per-episode regret.

* :class:`LSVIUCB` (Jin, Yang, Wang, Jordan 2020, Algorithm 1), with the control :class:`LSVI`
  (no bonus) and the rare-switching variant :class:`RareSwitchLSVIUCB` (Wang, Zhou, Gu 2021).
* :class:`LSVIUCBPP` (LSVI-UCB++, He, Zhao, Zhou, Gu 2023, Algorithm 1) and its named scaled
  variant :class:`ScaledLSVIUCBPP`.

Each is a frozen dataclass of hyperparameters whose ``run(model, budget, seed)`` is one compiled
call returning a :class:`~mdptheory.regret.RegretTrace`. ``LEARNERS`` maps the command-line names
used by ``mdptheory run`` to the classes. :func:`burn_in` gives the episodes before the bonus
stops saturating, from the bonus formula alone (compute it before a run).
"""

from algorithms.linear.burn_in import burn_in
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
}
"""Command-line name -> learner class."""

__all__ = [
    "LAMBDA",
    "LEARNERS",
    "LSVI",
    "LSVIUCB",
    "LSVIUCBPP",
    "PAPER_C",
    "RareSwitchLSVIUCB",
    "ScaledLSVIUCBPP",
    "burn_in",
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
