"""Risk-sensitive learners with exact risk-sensitive regret.

* :class:`ICVaRRM` (Du, Wang, Huang, ICLR 2023): optimistic iterated-CVaR value iteration;
  its regret is measured against the exact iterated-CVaR optimum
  (:func:`mdptheory.risk.icvar_backward_induction`).
* :class:`CVaRUCBVI` (Wang, Kallus, Sun, ICML 2023, type): optimistic value iteration on the
  budget-augmented MDP; its regret is measured against the exact static CVaR optimum
  (:func:`mdptheory.risk.static_cvar_optimum`).
* :class:`ICVaRL` (Chen et al., ICLR 2024, reconstructed update): optimistic iterated-CVaR
  value iteration with linear features and LSVI-UCB's regression statistics; regret against the
  exact iterated-CVaR optimum of the twin.
* :class:`LowRankCVaRUCB` (Zhao et al., ICLR 2024, with the true features in place of the MLE
  step): the discretised CVaR-LSVI planner on ridge estimates of the kernel with an elliptical
  bonus; regret against the exact static CVaR optimum.
* :class:`LowRankCVaRMLE` (the same paper, reconstructed): the representation chosen by maximum
  likelihood (EM) from a finite candidate class, then the same planner on the MLE model.
* :class:`ICVaRHF` (the same paper's human-feedback variant, reconstructed): ICVaR-L's plan on a
  reward fitted by Bradley-Terry maximum likelihood to trajectory preferences; the learner never
  sees a reward, its regret is exact on the true rewards.
* :func:`burn_in` (and :func:`bonus_below_h_visits`): ICVaR-RM's burn-in in episodes, from its
  bonus formula alone, to compute before a run.

Each learner is a frozen dataclass of hyperparameters whose ``run(model, budget, seed)`` is one
compiled call returning a :class:`~mdptheory.regret.RegretTrace`. ``LEARNERS`` names them for
``mdptheory run``.
"""

from algorithms.risk.burn_in import bonus_below_h_visits, burn_in
from algorithms.risk.cvar_ucbvi import CVaRUCBVI
from algorithms.risk.icvar_hf import ICVaRHF, icvar_hf_reward_beta
from algorithms.risk.icvar_l import ICVaRL, icvar_l_beta, icvar_l_regret_order
from algorithms.risk.icvar_rm import ICVaRRM, icvar_rm_log_factor, icvar_rm_regret_bound
from algorithms.risk.lowrank_cvar_mle import LowRankCVaRMLE
from algorithms.risk.lowrank_cvar_ucb import LowRankCVaRUCB

LEARNERS = {
    "icvar-rm": ICVaRRM,
    "cvar-ucbvi": CVaRUCBVI,
    "icvar-l": ICVaRL,
    "lowrank-cvar-ucb": LowRankCVaRUCB,
    "lowrank-cvar-mle": LowRankCVaRMLE,
    "icvar-hf": ICVaRHF,
}

__all__ = [
    "LEARNERS",
    "CVaRUCBVI",
    "ICVaRHF",
    "ICVaRL",
    "ICVaRRM",
    "LowRankCVaRMLE",
    "LowRankCVaRUCB",
    "bonus_below_h_visits",
    "burn_in",
    "icvar_hf_reward_beta",
    "icvar_l_beta",
    "icvar_l_regret_order",
    "icvar_rm_log_factor",
    "icvar_rm_regret_bound",
]
