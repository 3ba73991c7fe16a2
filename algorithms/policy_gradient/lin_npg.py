"""Natural policy gradient with linear function approximation on feature bandits (Lin-NPG).

Paper
-----
J. Mei, B. Dai, A. Agarwal, M. Ghavamzadeh, C. Szepesvári, D. Schuurmans. "Ordering-based
Conditions for Global Convergence of Policy Gradient Methods". NeurIPS 2023, arXiv:2504.02130,
main result (i): NPG with linear function approximation converges globally
**if and only if** the least-squares projection of the reward onto span(X) preserves the optimal
action's rank, and then exponentially fast.

Setting
-------
A K-armed bandit with mean rewards ``r`` (K,) and features ``X`` (K, d); log-linear policy
``pi_theta = softmax(X theta)``; ``theta_0 = 0`` by default.

Update (as given by a secondary summary of the paper; not verified against the published text)
-----------------------------------------------------------------------------------------------
1. ``w = (X^T X)^{-1} X^T r`` (least squares; the pseudo-inverse if ``X`` is rank deficient);
2. ``theta_{t+1} = theta_t + eta w``.

So ``X theta_t = X theta_0 + eta t r_hat`` with ``r_hat = X w`` the projection of ``r``: the
policy concentrates on ``argmax r_hat``, which is why the condition
:func:`mdptheory.policy_conditions.npg_rank_preserved` is necessary and sufficient.

Where each step is implemented
------------------------------
Step 1 once per instance in :meth:`LinNPG.run_batch` (``np.linalg.lstsq``), step 2 the one-line
``step`` of :func:`_kernel`; :func:`~algorithms.policy_gradient._softmax.bandit_summary` gives
the recorded gap ``r(a*) - pi_t^T r``, ``min_prob`` and ``opt_prob``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import (
    check_run,
    check_step_sizes,
    initial_logits,
)
from algorithms.policy_gradient._jax import call_batched
from algorithms.policy_gradient._learner import BatchedLearner
from algorithms.policy_gradient._models import read_feature_bandits
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._softmax import bandit_summary, softmax_and_log
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace

DEFAULT_ETA = 1.0
"""Library default step: the iff statement holds for every eta > 0; the value is not the paper's."""


def _kernel(theta0, X, w, r, eta, *, budget: int, every: int | None):
    def step(c):
        theta, _ = c
        theta = theta + eta * w  # step 2
        return theta, softmax_and_log(X @ theta)[0]

    summary = bandit_summary(r)
    return recorded_curves(
        step,
        lambda c: summary(c[1]),
        (theta0, softmax_and_log(X @ theta0)[0]),
        budget,
        every,
        ("gap", "min_prob", "opt_prob"),
    )


@dataclass(frozen=True)
class LinNPG(BatchedLearner):
    """Exact NPG with a log-linear policy on a finite-arm feature bandit (Mei et al. 2023).

    Parameters
    ----------
    eta : float
        Constant step (library default 1.0; the convergence statement holds for any eta > 0).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([1.0, 0.0, 0.9])
    >>> bool(LinNPG().run((np.array([[3.0], [2.0], [1.0]]), r), budget=200).gap[-1] < 1e-6)
    True
    >>> round(float(LinNPG().run((np.array([[1.0], [2.0], [3.0]]), r), budget=200).gap[-1]), 6)
    0.1
    """

    eta: float = DEFAULT_ETA

    def __post_init__(self) -> None:
        check_positive("eta", self.eta)

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        theta0=None,
        etas=None,
        record_every: int | None = None,
    ) -> BatchTrace:
        """A batch (broadcast of the feature bandits, ``theta0`` and ``etas``) in one call.

        ``record_every``: ``None`` (default) records on the geometric grid of
        :func:`~algorithms.policy_gradient._recording.record_iterations`, an int ``m`` every
        ``m``-th iterate (1: all).
        """
        budget, every = check_run(budget, seed, record_every)
        X, r, _, names = read_feature_bandits(models)
        w = np.stack([np.linalg.lstsq(x, m, rcond=None)[0] for x, m in zip(X, r, strict=True)])
        eta = check_step_sizes(self.eta if etas is None else etas)
        d = X.shape[2]
        theta = initial_logits(theta0, (d,))
        out, _ = call_batched(_kernel, (theta, X, w, r, eta), budget=budget, every=every)
        return make_batch_trace(
            self,
            dict(out),
            budget,
            every,
            seed,
            names,
            eta,
            "r(a*) - pi_t^T r",
            deterministic=True,
            constants="library default" if etas is None and self.eta == DEFAULT_ETA else "tuned",
        )


__all__ = ["DEFAULT_ETA", "LinNPG"]
