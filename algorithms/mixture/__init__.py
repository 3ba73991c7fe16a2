"""Learners for linear mixture MDPs with exact per-episode regret.

* :class:`UCRLVTR` (Ayoub, Jia, Szepesvári, Wang, Yang, ICML 2020, Algorithm 1), with the
  control :class:`GreedyVTR` (no optimism).
* :func:`burn_in`: the episodes before UCRL-VTR's per-step bonus drops below 1/2, from the
  radius formula alone.

``LEARNERS`` maps the command-line names used by ``mdptheory run`` to the classes.
"""

from algorithms.mixture.burn_in import burn_in
from algorithms.mixture.ucrl_vtr import (
    LAMBDA,
    PAPER_C,
    UCRLVTR,
    GreedyVTR,
    ucrl_vtr_radius,
    ucrl_vtr_regret_bound,
)

LEARNERS = {"ucrl-vtr": UCRLVTR, "greedy-vtr": GreedyVTR}
"""Command-line name -> learner class."""

__all__ = [
    "LAMBDA",
    "LEARNERS",
    "PAPER_C",
    "UCRLVTR",
    "GreedyVTR",
    "burn_in",
    "ucrl_vtr_radius",
    "ucrl_vtr_regret_bound",
]
