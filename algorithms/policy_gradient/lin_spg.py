"""Softmax policy gradient with linear function approximation on feature bandits (Lin-SPG).

Papers
------
J. Mei, B. Dai, A. Agarwal, M. Ghavamzadeh, C. Szepesvári, D. Schuurmans. "Ordering-based
Conditions for Global Convergence of Policy Gradient Methods". NeurIPS 2023, arXiv:2504.02130:
exact Softmax PG with a log-linear policy converges globally under non-domination and
reward-order preservation (main result (ii)).
M. Q. Lin, J. Mei, M. Aghaei, M. Lu, B. Dai, A. Agarwal, D. Schuurmans, C. Szepesvári,
S. Vaswani. "Rethinking the Global Convergence of Softmax Policy Gradient with Linear Function
Approximation". 2025, arXiv:2505.03155: the on-policy sampled version
(Lin-SPG), O(1/T) with a problem-specific step and asymptotic convergence for any constant step
under their feature conditions.

Setting
-------
A K-armed bandit with mean rewards ``r`` (K,) and features ``X`` (K, d); log-linear policy
``pi_theta = softmax(X theta)``, ``theta in R^d``; ``theta_0 = 0`` (uniform) by default.

Update
------
* exact (``sampling="exact"``, Mei et al. 2023):
  ``theta_{t+1} = theta_t + eta X^T (diag(pi_t) - pi_t pi_t^T) r``  (the exact gradient of
  ``pi_theta^T r``, by the chain rule; :func:`linear_bandit_gradient` compares it with
  ``jax.grad``), with ``0 < eta < 4/(9 R_max lambda_max(X^T X))`` (smoothness
  ``(9/2) R_max lambda_max``; this constant follows a secondary summary of the paper and is not
  verified against the published text);
* on-policy (``sampling="on-policy"``, Lin et al. 2025): sample ``a_t ~ pi_t``, ``R_t``, and
  ``theta_{t+1} = theta_t + eta X^T (e_{a_t} - pi_t) R_t``.

Where each step is implemented
------------------------------
Exact: the one-line ``step`` of :func:`_exact_kernel`. On-policy:
:func:`algorithms.policy_gradient._sampled.sampled_kernel` with ``rule="reinforce"`` and
``features=True`` (the ``X.T @ g`` line). The conditions themselves are
:func:`mdptheory.policy_conditions.softmax_pg_conditions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import (
    check_run,
    check_step_sizes,
    initial_logits,
)
from algorithms.policy_gradient._jax import call_batched, float64
from algorithms.policy_gradient._learner import BatchedLearner
from algorithms.policy_gradient._models import read_feature_bandits
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._sampled import run_sampled
from algorithms.policy_gradient._softmax import bandit_summary, softmax_and_log
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace

SAMPLINGS = ("exact", "on-policy")


@float64
def linear_bandit_value(theta: jax.Array, X: jax.Array, r: jax.Array) -> jax.Array:
    """``softmax(X theta)^T r``."""
    p, _ = softmax_and_log(X @ theta)
    return p @ r


@float64
def linear_bandit_gradient(theta: jax.Array, X: jax.Array, r: jax.Array) -> jax.Array:
    """Closed form ``X^T (diag(pi) - pi pi^T) r`` of the gradient of :func:`linear_bandit_value`.

    Examples
    --------
    >>> import jax, numpy as np
    >>> from algorithms.policy_gradient import float64_scope
    >>> X, r = np.array([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]]), np.array([1.0, 0.3, 0.6])
    >>> theta = np.array([0.2, -0.4])
    >>> with float64_scope():
    ...     auto = jax.grad(linear_bandit_value)(theta, X, r)
    >>> bool(np.allclose(linear_bandit_gradient(theta, X, r), auto, rtol=0, atol=1e-15))
    True
    """
    p, _ = softmax_and_log(X @ theta)
    return X.T @ (p * (r - p @ r))


def safe_step(X: np.ndarray, r: np.ndarray) -> float:
    """``2 / (9 R_max lambda_max(X^T X))``: 1/L for the smoothness ``L = (9/2) R_max
    lambda_max(X^T X)`` of Mei et al. (2023), half the largest step ``4/(9 R_max lambda_max)``.

    The smoothness constant follows a secondary summary of the paper and is not verified
    against the published text.

    Examples
    --------
    >>> import numpy as np
    >>> round(safe_step(np.eye(3), np.array([1.0, 0.5, 0.0])), 6)  # 2 / (9 * 1 * 1)
    0.222222
    """
    r_max = max(float(np.max(np.abs(r))), 1e-12)
    lam = float(np.linalg.eigvalsh(X.T @ X)[-1])
    return 2.0 / (9.0 * r_max * max(lam, 1e-12))


def _exact_kernel(theta0, X, r, eta, *, budget: int, every: int | None):
    summary = bandit_summary(r)

    def step(c):
        theta, p, _ = c
        theta = theta + eta * (X.T @ (p * (r - p @ r)))  # exact Lin-SPG update
        return (theta, *softmax_and_log(X @ theta))

    return recorded_curves(
        step,
        lambda c: summary(c[1]),
        (theta0, *softmax_and_log(X @ theta0)),
        budget,
        every,
        ("gap", "min_prob", "opt_prob"),
    )


@dataclass(frozen=True)
class LinSPG(BatchedLearner):
    """Softmax PG with a log-linear policy on a finite-arm feature bandit (Lin-SPG).

    Parameters
    ----------
    eta : float, optional
        Constant step. ``None``: :func:`safe_step`, ``2 / (9 R_max lambda_max(X^T X))``.
    sampling : {"exact", "on-policy"}
        Exact gradient (Mei et al. 2023) or one sampled action and reward per iteration
        (Lin et al. 2025).

    Examples
    --------
    >>> import numpy as np
    >>> angles = np.array([0.0, 0.3, 0.6, 0.9])
    >>> X = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    >>> trace = LinSPG(eta=5.0).run((X, np.array([0.9, 0.8, 0.7, 0.6])), budget=20000)
    >>> bool(trace.gap[-1] < 1e-2)
    True
    """

    eta: float | None = None
    sampling: str = "exact"

    def __post_init__(self) -> None:
        check_positive("eta", self.eta, allow_none=True)
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {self.sampling!r}")

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        theta0=None,
        etas=None,
        noise=None,
        n_runs: int | None = None,
        record_every: int | None = None,
    ) -> BatchTrace:
        """N trajectories in one vmapped call: the broadcast of the feature bandits
        (``(X (N, K, d), r (N, K))`` or a sequence), ``theta0`` ((d,) or (N, d)), ``etas``
        and, for on-policy sampling, ``n_runs``.

        ``record_every``: ``None`` (default) records on the geometric grid of
        :func:`~algorithms.policy_gradient._recording.record_iterations`, an int ``m`` every
        ``m``-th iterate (1: all).
        """
        X, r, kind, names = read_feature_bandits(models, noise)
        if etas is None:
            etas = [
                self.eta if self.eta is not None else safe_step(x, m)
                for x, m in zip(X, r, strict=True)
            ]
        eta = check_step_sizes(etas)
        constants = "tuned" if self.eta is not None else "1/L"
        if self.sampling == "on-policy":
            return run_sampled(
                self,
                r,
                X,
                kind,
                theta0,
                eta,
                budget,
                record_every,
                seed,
                n_runs,
                "reinforce",
                names,
                constants=constants,
            )
        budget, every = check_run(budget, seed, record_every)
        d = X.shape[2]
        theta = initial_logits(theta0, (d,))
        out, _ = call_batched(_exact_kernel, (theta, X, r, eta), budget=budget, every=every)
        return make_batch_trace(
            self,
            dict(out),
            budget,
            every,
            seed,
            names,
            eta,
            "r(a*) - pi_t^T r",
            constants=constants,
            deterministic=True,
        )


__all__ = ["SAMPLINGS", "LinSPG", "linear_bandit_gradient", "linear_bandit_value", "safe_step"]
