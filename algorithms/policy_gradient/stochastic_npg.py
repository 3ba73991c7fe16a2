"""On-policy stochastic natural policy gradient, with and without the value baseline.

Papers
------
J. Mei, W. Chung, V. Thomas, B. Dai, C. Szepesvári, D. Schuurmans. "The Role of Baselines in
Policy Gradient Optimization". NeurIPS 2022, arXiv:2301.06276: with the state-value baseline,
on-policy stochastic NPG converges to a globally optimal policy at an O(1/t) rate (almost
surely); the baseline works by reducing the aggressiveness of the updates, not their variance.
W. Chung, V. Thomas, M. C. Machado, N. Le Roux. "Beyond Variance Reduction: Understanding the
True Impact of Baselines on Policy Optimization". ICML 2021, arXiv:2008.13773: without a
baseline, stochastic NPG can converge to a sub-optimal arm with positive probability (the
failure mode).

Setting
-------
A K-armed stochastic bandit (the bandit form of both papers), softmax policy
``pi_theta = softmax(theta)``.

Update
------
1. sample ``a_t ~ pi_theta_t`` and observe ``R_t``;
2. importance-weighted reward estimate ``r_hat_t(a) = 1{a = a_t} (R_t - b_t) / pi_t(a) + b_t``
   with ``b_t = 0`` (no baseline) or ``b_t = pi_t^T r`` (the state-value baseline);
3. NPG step ``theta_{t+1} = theta_t + eta r_hat_t`` (for the softmax, the natural gradient is
   the reward estimate itself). Adding the constant ``b_t`` to every logit leaves the policy
   unchanged, so the implementation applies ``theta_{t+1}(a_t) += eta (R_t - b_t)/pi_t(a_t)``.

Where each step is implemented
------------------------------
:func:`algorithms.policy_gradient._sampled.sampled_kernel` with ``rule="npg"`` (no baseline) or
``"npg-baseline"``: the ``categorical`` line and the reward draw are step 1, ``target`` is
``R_t - b_t`` (step 2), the next line is step 3 with ``1/pi_t(a_t) = exp(-log pi_t(a_t))``.

The failure mode: with positive rewards and no baseline every sampled arm's logit *increases*,
by ``eta R_t / pi_t(a_t)``, so a sub-optimal arm that happens to dominate early keeps being
reinforced and ``pi_t(a*)`` can vanish (``opt_prob -> 0``, gap stuck at a positive value). The
value baseline makes the increment of a below-average arm negative.

Note on the baseline: the bandit form above is as recalled, not verified against the published
text. Written with the estimate, ``b_t = pi_t^T r_hat``, the baseline would be circular; the
library uses the exact value ``pi_t^T r`` (the "state value baseline" of the abstract), the only
reading that is not circular.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import check_step_sizes
from algorithms.policy_gradient._models import BanditBatch
from algorithms.policy_gradient._sampled import SampledBanditLearner

DEFAULT_ETA = 0.1
"""Library default step size. The papers' abstracts fix no constant; 0.1 is not from them."""


@dataclass(frozen=True)
class StochasticNPG(SampledBanditLearner):
    """On-policy stochastic NPG on bandits, with (default) or without the value baseline.

    Parameters
    ----------
    eta : float
        Constant step size (library default 0.1; the papers fix none in their statements).
    baseline : bool
        Use the state-value baseline ``b_t = pi_t^T r`` (Mei et al. 2022). Without it the
        update is the failure-prone one of Chung et al. (2021).

    Examples
    --------
    >>> import numpy as np
    >>> trace = StochasticNPG(eta=0.5).run(np.array([1.0, 0.9]), budget=3000, seed=0)
    >>> bool(trace.gap[-1] < 1e-3)
    True
    """

    eta: float = DEFAULT_ETA
    baseline: bool = True

    def __post_init__(self) -> None:
        check_positive("eta", self.eta)
        if not isinstance(self.baseline, bool):
            raise ValueError(f"baseline must be True or False, got {self.baseline!r}")

    def sampled_update(self, bandits: BanditBatch, etas: Any) -> tuple[np.ndarray, str, str]:
        """The NPG step with or without the value baseline, ``eta`` unless ``etas`` given."""
        eta = check_step_sizes(self.eta if etas is None else etas)
        rule = "npg-baseline" if self.baseline else "npg"
        return eta, rule, "library default" if etas is None and self.eta == DEFAULT_ETA else "tuned"


__all__ = ["DEFAULT_ETA", "StochasticNPG"]
