"""Stochastic gradient bandit with a constant step size (Mei et al., ICML 2024).

Paper
-----
J. Mei, Z. Zhong, B. Dai, A. Agarwal, C. Szepesvári, D. Schuurmans. "Stochastic Gradient
Succeeds for BanditBatch". ICML 2024, arXiv:2402.17235. Algorithm 1 (gradient bandit algorithm,
softmax REINFORCE without baseline) and the O(1/t) theorem with the constant step
``eta = Delta^2 / (40 K^{3/2} R_max^3)`` (this step is as recalled from the paper and not
verified against the published text). Follow-up: Mei et al. 2025,
arXiv:2502.07141, "Small steps no more": any constant ``eta > 0`` converges almost surely.

Setting
-------
A K-armed stochastic bandit with means ``r`` and rewards in ``[-R_max, R_max]`` (Bernoulli or
deterministic arms here; Gaussian arms run but leave the theorem's setting). Softmax policy
``pi_theta = softmax(theta)``, ``theta_1 = 0`` by default.

Update (Algorithm 1)
--------------------
1. sample ``a_t ~ pi_theta_t`` and observe ``R_t(a_t)``;
2. ``theta_{t+1}(a) = theta_t(a) + eta (1{a = a_t} - pi_theta_t(a)) R_t(a_t)`` for all ``a``,
   i.e. ``theta_{t+1} = theta_t + eta (diag(pi) - pi pi^T) r_hat_t`` with the importance-weighted
   ``r_hat_t(a) = 1{a = a_t} R_t(a_t) / pi_theta_t(a)``, an unbiased estimate of the exact
   gradient ``(diag(pi) - pi pi^T) r``.

Where each step is implemented
------------------------------
:func:`algorithms.policy_gradient._sampled.sampled_kernel` with ``rule="reinforce"`` and
``features=False``: the ``categorical`` line is step 1 (with the reward draw below it), the two
lines of the ``"reinforce"`` branch are step 2. Keys: :mod:`algorithms.policy_gradient._keys`.

Recorded: ``gap = r(a*) - pi_t^T r`` (exact, of the current policy), ``min_prob = min_a
pi_t(a)`` (the paper's claim: it does not decay faster than O(1/t)), ``opt_prob``,
``min_pulls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import check_step_sizes
from algorithms.policy_gradient._models import BanditBatch
from algorithms.policy_gradient._sampled import SampledBanditLearner
from mdptheory.tabular import RewardNoise


def paper_step(means: np.ndarray, noise: RewardNoise) -> float:
    """``eta = Delta^2 / (40 K^{3/2} R_max^3)`` of Mei et al. (ICML 2024, arXiv:2402.17235).

    The constant is as recalled from the paper and not verified against the published text.

    ``Delta`` is the smallest gap between distinct means; ``R_max`` bounds ``|R_t|``: 1 for
    Bernoulli arms, ``max |r|`` for deterministic ones (at least 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> round(paper_step(np.array([0.9, 0.5]), RewardNoise("bernoulli")), 6)
    0.001414
    """
    means = np.asarray(means, dtype=np.float64)
    if noise.kind == "gaussian":
        raise ValueError(
            "the paper's step needs bounded rewards; Gaussian arms are unbounded: "
            "pass eta explicitly"
        )
    levels = np.unique(means)
    if levels.shape[0] < 2:
        raise ValueError(f"the paper's step needs two distinct means, got {means.tolist()}")
    delta = float(np.min(np.diff(levels)))
    r_max = 1.0 if noise.kind == "bernoulli" else max(float(np.max(np.abs(means))), 1e-12)
    K = means.shape[0]
    return delta**2 / (40.0 * K**1.5 * r_max**3)


@dataclass(frozen=True)
class GradientBandit(SampledBanditLearner):
    """Stochastic gradient bandit (on-policy softmax REINFORCE), constant step (Mei et al. 2024).

    Parameters
    ----------
    eta : float, optional
        Constant step size. ``None`` (default): the paper's ``Delta^2 / (40 K^{3/2} R_max^3)``
        computed from the instance (:func:`paper_step`); any other value is a tuned variant
        (``constants="tuned"`` in the metadata), covered by the almost-sure convergence of
        Mei et al. (2025) for any constant step.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.tabular import RewardNoise
    >>> trace = GradientBandit(eta=1.0).run(np.array([0.9, 0.5, 0.1]), budget=2000, seed=1)
    >>> int(trace.extras["iteration"][-1]), bool(trace.gap[-1] < trace.metadata["initial_gap"])
    (2000, True)
    """

    eta: float | None = None

    def __post_init__(self) -> None:
        check_positive("eta", self.eta, allow_none=True)

    @property
    def constants(self) -> str:
        return "paper" if self.eta is None else "tuned"

    def sampled_update(self, bandits: BanditBatch, etas: Any) -> tuple[np.ndarray, str, str]:
        """REINFORCE (Algorithm 1) with ``eta``, or the paper's step of each bandit."""
        if etas is None:
            etas = [
                self.eta if self.eta is not None else paper_step(m, bandits.noise)
                for m in bandits.means
            ]
        return check_step_sizes(etas), "reinforce", self.constants


__all__ = ["GradientBandit", "paper_step"]
