"""Bandit learners with exact regret: UCB1, KL-UCB, Thompson sampling and OFUL.

Each learner is a frozen dataclass of hyperparameters (the papers' constants by default) with
``.run(model, budget, seed) -> RegretTrace``; a whole run is one compiled call. ``LEARNERS``
names them for :func:`algorithms.registry.make_learner` and ``mdptheory run``. Finite-armed
learners take a :class:`mdptheory.bandits.Bandit`, :class:`OFUL` a
:class:`mdptheory.bandits.LinearBandit`.
"""

from algorithms.bandits.burn_in import kl_burn_in, oful_burn_in, ucb1_burn_in
from algorithms.bandits.kl_ucb import KLUCB, bernoulli_kl, kl_ucb_index
from algorithms.bandits.oful import OFUL, oful_regret_bound, sherman_morrison_update
from algorithms.bandits.thompson import ThompsonBernoulli, ThompsonGaussian
from algorithms.bandits.ucb1 import UCB1, ucb1_index

LEARNERS = {
    "ucb1": UCB1,
    "kl-ucb": KLUCB,
    "thompson-bernoulli": ThompsonBernoulli,
    "thompson-gaussian": ThompsonGaussian,
    "oful": OFUL,
}
"""Command-line names of the learners (``mdptheory run ucb1 bernoulli_bandit``)."""

__all__ = [
    "KLUCB",
    "LEARNERS",
    "OFUL",
    "UCB1",
    "ThompsonBernoulli",
    "ThompsonGaussian",
    "bernoulli_kl",
    "kl_burn_in",
    "kl_ucb_index",
    "oful_burn_in",
    "oful_regret_bound",
    "sherman_morrison_update",
    "ucb1_burn_in",
    "ucb1_index",
]
