"""Tabular episodic learners with exact per-episode regret.

* :class:`UCBVI` (Azar, Osband, Munos 2017): UCBVI-CH and UCBVI-BF.
* :class:`QLearningUCB` (Jin, Allen-Zhu, Bubeck, Jordan 2018): UCB-Hoeffding and UCB-Bernstein.
* :func:`burn_in` (and :func:`ucbvi_burn_in`, :func:`qlearning_burn_in`): the episodes until a
  learner's bonus is below H, from the bonus formula alone, to compute before a run.

Each is a frozen dataclass of hyperparameters whose ``run(model, budget, seed)`` is one compiled
call returning a :class:`~mdptheory.regret.RegretTrace`. ``LEARNERS`` names them for
:func:`algorithms.registry.make_learner` and the command line (``mdptheory run ucbvi ...``).
"""

from algorithms.tabular.burn_in import (
    BurnIn,
    burn_in,
    qlearning_bernstein_branch_visits,
    qlearning_burn_in,
    ucbvi_burn_in,
)
from algorithms.tabular.q_learning_ucb import (
    QLearningUCB,
    learning_rate,
    learning_rate_weights,
)
from algorithms.tabular.ucbvi import UCBVI, ucbvi_log_factor, ucbvi_regret_bound

LEARNERS = {"ucbvi": UCBVI, "q-learning-ucb": QLearningUCB}

__all__ = [
    "LEARNERS",
    "UCBVI",
    "BurnIn",
    "QLearningUCB",
    "burn_in",
    "learning_rate",
    "learning_rate_weights",
    "qlearning_bernstein_branch_visits",
    "qlearning_burn_in",
    "ucbvi_burn_in",
    "ucbvi_log_factor",
    "ucbvi_regret_bound",
]
