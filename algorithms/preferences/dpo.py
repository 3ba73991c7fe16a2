"""DPO by gradient descent on a finite dataset (Rafailov et al., NeurIPS 2023).

Paper
-----
R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning, C. Finn. "Direct Preference
Optimization: Your Language Model is Secretly a Reward Model". NeurIPS 2023, eq. (7) (from
memory, widely reproduced). Its failure on deterministic data: Azar et al., AISTATS 2024,
arXiv:2310.12036, Sec. 4.2.

Setting
-------
As :mod:`algorithms.preferences.ipo`: a preference bandit with a finite dataset, ``pi_ref`` of
full support, ``pi = softmax(theta)``, ``theta_0 = log pi_ref``.

Update
------
``theta_{t+1} = theta_t - eta grad L(theta_t)`` with

    L(theta) = - E_{(y_w, y_l) ~ D} log sigma( beta h(y_w, y_l) ),

on the whole dataset (``batch=None``) or ``batch`` pairs per step. Default step ``1 / M``,
``M = beta^2 lambda_max(L_D) / (4 n)`` (``sigma' <= 1/4``). When the dataset is deterministic
the loss has no minimiser (:func:`~mdptheory.preferences.dpo_optimum`): the gap to its
infimum decays while the probabilities of the dispreferred actions go to 0, whatever beta.

Where each step is implemented
------------------------------
:func:`algorithms.preferences._kernel.gradient_kernel` with ``loss="dpo"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms._validation import check_positive
from algorithms.preferences._learner import PairwiseLearner, laplacian_top
from mdptheory.preferences import dpo_optimum


@dataclass(frozen=True)
class DPO(PairwiseLearner):
    """DPO by gradient descent on the dataset's DPO loss, from ``pi_ref`` (Rafailov et al.).

    Parameters
    ----------
    beta : float
        KL weight, > 0.
    eta : float, optional
        Step size; ``None`` (default): ``1 / M``, ``M = beta^2 lambda_max(Laplacian of W/n) / 4``.
    batch : int, optional
        ``None`` (default): the exact gradient; an int: pairs drawn per step.

    Examples
    --------
    On Azar et al.'s deterministic D_1 the dispreferred actions lose their mass:

    >>> from instances.preferences import azar_three_action_bandit
    >>> trace = DPO(beta=1.0).run(azar_three_action_bandit(), budget=1000, seed=0)
    >>> bool(trace.extras["min_prob"][-1] < 0.01 < trace.extras["min_prob"][0])
    True
    """

    beta: float = 0.1
    eta: float | None = None
    batch: int | None = None

    loss = "dpo"
    strength_name = "beta"

    def __post_init__(self) -> None:
        check_positive("beta", self.beta)
        check_positive("eta", self.eta, allow_none=True)
        self._check_batch()

    def strength(self) -> float:
        return self.beta

    def smoothness(self, W: np.ndarray, beta: float) -> float:
        return beta**2 * laplacian_top(W) / 4.0

    def optimum(self, W: np.ndarray, reference: np.ndarray, beta: float):
        solution = dpo_optimum(W / W.sum(), reference, beta)
        limit = solution.limit_policy
        return solution.infimum, (np.full(W.shape[0], np.nan) if limit is None else limit)


__all__ = ["DPO"]
