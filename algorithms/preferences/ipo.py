"""IPO by gradient descent on the sampled IPO loss (Azar et al., AISTATS 2024).

Paper
-----
M. G. Azar, Z. D. Guo, B. Piot, R. Munos, M. Rowland, M. Valko, D. Calandriello. "A General
Theoretical Paradigm to Understand Learning from Human Preferences". AISTATS 2024,
arXiv:2310.12036. Eq. (17) and Algorithm 1 (as transcribed in five independent sources; the
paper's own text was not read).

Setting
-------
A preference bandit with a finite dataset ``D`` of pairs ``(y_w, y_l)`` and a reference policy
``pi_ref`` of full support; a softmax policy ``pi = softmax(theta)``, ``theta_0 = log pi_ref``.

Update
------
``theta_{t+1} = theta_t - eta grad L(theta_t)`` with the sampled IPO loss

    L(theta) = E_{(y_w, y_l) ~ D} [ (h(y_w, y_l) - 1/(2 tau))^2 ],
    h(y, y') = log(pi(y) pi_ref(y') / (pi(y') pi_ref(y))),

the expectation taken over the whole dataset (``batch=None``, the exact gradient) or over
``batch`` pairs drawn uniformly with replacement per step (the sampled version). The paper runs
Adam with step 0.01; here the default step is ``1 / M`` with ``M = 2 lambda_max(L_D) / n`` the
smoothness constant of the loss (``L_D`` the Laplacian of the comparison graph), a named choice
(``constants="smoothness step"``) under which the exact-gradient iterates converge linearly to
the exact minimiser :func:`~mdptheory.preferences.ipo_minimiser`.

Where each step is implemented
------------------------------
:func:`algorithms.preferences._kernel.gradient_kernel` with ``loss="ipo"``: ``pair_loss`` is the
loss, ``step`` the update (``minibatch`` draws the pairs of a sampled step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms._validation import check_positive
from algorithms.preferences._learner import PairwiseLearner, laplacian_top
from mdptheory.preferences import ipo_minimiser


@dataclass(frozen=True)
class IPO(PairwiseLearner):
    """IPO by gradient descent on the dataset's IPO loss, from ``pi_ref`` (Azar et al. 2024).

    Parameters
    ----------
    tau : float
        Regularisation (the target of ``h`` is ``1 / (2 tau)``), > 0.
    eta : float, optional
        Step size; ``None`` (default): ``1 / M``, ``M = 2 lambda_max(Laplacian of W / n)``.
    batch : int, optional
        ``None`` (default): the exact gradient on the whole dataset; an int: that many pairs
        drawn with replacement per step.

    Examples
    --------
    >>> from instances.preferences import azar_three_action_bandit
    >>> trace = IPO(tau=1.0).run(azar_three_action_bandit(), budget=200, seed=0)
    >>> bool(trace.gap[-1] < 1e-12), bool(trace.extras["policy_error"][-1] < 1e-8)
    (True, True)
    """

    tau: float = 0.1
    eta: float | None = None
    batch: int | None = None

    loss = "ipo"
    strength_name = "tau"

    def __post_init__(self) -> None:
        check_positive("tau", self.tau)
        check_positive("eta", self.eta, allow_none=True)
        self._check_batch()

    def strength(self) -> float:
        return self.tau

    def smoothness(self, W: np.ndarray, tau: float) -> float:
        return 2.0 * laplacian_top(W)

    def optimum(self, W: np.ndarray, reference: np.ndarray, tau: float):
        solution = ipo_minimiser(W, reference, tau)
        return solution.loss, solution.policy


__all__ = ["IPO"]
