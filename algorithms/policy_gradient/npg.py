"""Exact natural policy gradient, tabular softmax (Agarwal et al. 2021; Cen et al. 2022).

Papers
------
A. Agarwal, S. M. Kakade, J. D. Lee, G. Mahajan. "On the Theory of Policy Gradient Methods:
Optimality, Approximation, and Distribution Shift". JMLR 22 (2021), arXiv:1908.00261. The NPG
update for the tabular softmax policy and Theorem 16 (the ``log A/(eta T) + 1/((1-gamma)^2 T)``
bound). The bound and the theorem number are as recalled and not verified against the published
text; the check ``agarwal2021-npg-bound`` finds the bound holding on every instance it runs.

S. Cen, C. Cheng, Y. Chen, Y. Wei, Y. Chi. "Fast Global Convergence of Natural Policy Gradient
Methods with Entropy Regularization". Operations Research 70(4), 2022, arXiv:2007.06558. The
entropy-regularised NPG update and Theorem 1 (linear rate ``(1 - eta tau)^t``). The theorem's
constants are as recalled and not verified against the published text; the check
``cen2022-entropy-npg-linear-rate`` finds both bounds holding on every instance it runs.

Setting
-------
A finite discounted MDP (or a bandit: one state, ``gamma = 0``) and the tabular softmax policy.
The NPG direction for the softmax parameterisation is the advantage itself (the Fisher matrix
and the policy gradient share the occupancy factor), so the update needs no occupancy and no
optimisation distribution.

Update
------
1. ``tau = 0`` (Agarwal et al.):
   ``theta_{t+1} = theta_t + eta / (1 - gamma) * A^{(t)}``, i.e.
   ``pi_{t+1}(a|s) ∝ pi_t(a|s) exp(eta A^{(t)}(s, a) / (1 - gamma))``.
2. ``tau > 0`` (Cen et al., ``0 < eta <= (1 - gamma)/tau``):
   ``pi_{t+1}(a|s) ∝ pi_t(a|s)^{1 - eta tau/(1 - gamma)} exp(eta Q_tau^{(t)}(s, a)/(1 - gamma))``,
   implemented on log-probabilities: ``log pi_{t+1} = (1 - alpha) log pi_t + eta/(1 - gamma)
   Q_tau - logsumexp(.)`` with ``alpha = eta tau / (1 - gamma)``; ``eta = (1 - gamma)/tau`` is
   soft policy iteration.

Where each step is implemented
------------------------------
:func:`_npg_mdp_kernel` and :func:`_npg_bandit_kernel`: ``evaluate`` computes the exact
``V``, ``Q`` (entropy-regularised ``V_tau``, ``Q_tau`` for ``tau > 0``) of the iterate; the two
branches of ``step`` are updates 1 and 2. ``observe`` records the gap, ``min_prob``,
``opt_prob`` and, with ``tau > 0``, ``q_error = ||Q*_tau - Q_tau^{(t)}||_inf`` and
``log_policy_error = ||log pi*_tau - log pi_t||_inf`` (the quantities of Cen et al.'s Thm 1).

Recorded gap: ``V*(rho) - V^{pi_t}(rho)`` (``tau = 0``) or the soft sub-optimality
``V*_tau(rho) - V_tau^{pi_t}(rho)`` (``tau > 0``), after ``t = iterations[k]`` updates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from algorithms.policy_gradient._arguments import (
    check_run,
    check_step_sizes,
    initial_logits,
)
from algorithms.policy_gradient._exact import (
    npg_paper_step,
    optimal_values,
    policy_evaluation,
    soft_optimum,
)
from algorithms.policy_gradient._jax import call_batched
from algorithms.policy_gradient._learner import ExactSoftmaxLearner
from algorithms.policy_gradient._models import is_bandit, read_bandits, read_mdps
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._softmax import bandit_summary, softmax_and_log
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace

_CURVES = ("gap", "min_prob", "opt_prob")
_SOFT_CURVES = (*_CURVES, "q_error", "log_policy_error")
_SOFT_INITIAL = ("gap", "q_error", "log_policy_error")


def _npg_bandit_kernel(theta0, r, eta, tau, *, budget: int, every: int | None, regularized: bool):
    summary = bandit_summary(r)
    log_star = jax.nn.log_softmax(r / tau) if regularized else None

    def observe(c):
        _, p, logp = c
        if regularized:
            _, smallest, best = summary(p)
            # Q_tau = r exactly on a bandit: no q_error to measure.
            return (
                tau * jnp.sum(p * (logp - log_star)),
                smallest,
                best,
                jnp.zeros(()),
                jnp.max(jnp.abs(log_star - logp)),
            )
        return summary(p)

    def step(c):
        theta, p, logp = c
        if regularized:
            theta = (1.0 - eta * tau) * logp + eta * r  # update 2, gamma = 0, Q_tau = r
        else:
            theta = theta + eta * (r - p @ r)  # update 1, A = r - pi^T r
        return (theta, *softmax_and_log(theta))

    carry = (theta0, *softmax_and_log(theta0))
    if regularized:
        return recorded_curves(step, observe, carry, budget, every, _SOFT_CURVES, _SOFT_INITIAL)
    return recorded_curves(step, observe, carry, budget, every, _CURVES)


def _npg_mdp_kernel(
    theta0,
    P,
    R,
    gamma,
    rho,
    v_star,
    a_star,
    q_star,
    log_star,
    eta,
    tau,
    *,
    budget: int,
    every: int | None,
    regularized: bool,
):
    S = R.shape[0]
    states = jnp.arange(S)

    def evaluate(theta):
        p, logp = softmax_and_log(theta, axis=1)
        V, Q, _ = policy_evaluation(logp, P, R, gamma, tau, regularized)
        return theta, p, logp, V, Q

    def step(c):
        theta, _, logp, V, Q = c
        if regularized:
            alpha = eta * tau / (1.0 - gamma)
            theta = (1.0 - alpha) * logp + eta / (1.0 - gamma) * Q  # update 2
        else:
            theta = theta + eta / (1.0 - gamma) * (Q - V[:, None])  # update 1
        return evaluate(theta)

    def observe(c):
        _, p, logp, V, Q = c
        values = (rho @ (v_star - V), jnp.min(p), jnp.min(p[states, a_star]))
        if regularized:
            values += (jnp.max(jnp.abs(q_star - Q)), jnp.max(jnp.abs(log_star - logp)))
        return values

    carry = evaluate(theta0)
    if regularized:
        return recorded_curves(step, observe, carry, budget, every, _SOFT_CURVES, _SOFT_INITIAL)
    return recorded_curves(step, observe, carry, budget, every, _CURVES)


def agarwal_bound(T: np.ndarray | float, eta: float, gamma: float, A: int) -> np.ndarray:
    """Agarwal et al. (2021), Theorem 16: ``V*(rho) - V^{(T)}(rho) <= log A/(eta T) +
    1/((1 - gamma)^2 T)`` for NPG from ``theta^{(0)} = 0`` (rewards in [0, 1]), ``T >= 1``.

    Examples
    --------
    >>> float(agarwal_bound(10, eta=1.0, gamma=0.0, A=1))
    0.1
    """
    T = np.asarray(T, dtype=np.float64)
    return math.log(A) / (eta * T) + 1.0 / ((1.0 - gamma) ** 2 * T)


def cen_bound(
    t: np.ndarray | float,
    eta: float,
    gamma: float,
    tau: float,
    initial_q_error: float,
    initial_log_policy_error: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Cen et al. (2022), Theorem 1: bounds after ``t + 1`` updates, ``t >= 0``.

    ``||Q*_tau - Q^{(t+1)}_tau||_inf <= C1 gamma (1 - eta tau)^t`` and
    ``||log pi*_tau - log pi^{(t+1)}||_inf <= 2 C1 / tau (1 - eta tau)^t`` with
    ``C1 = ||Q*_tau - Q^{(0)}_tau||_inf + 2 tau (1 - eta tau/(1 - gamma))
    ||log pi*_tau - log pi^{(0)}||_inf``. Returns the two bounds.

    Examples
    --------
    >>> q, logp = cen_bound([0, 1], eta=1.0, gamma=0.5, tau=0.25, initial_q_error=1.0,
    ...                     initial_log_policy_error=0.0)
    >>> q.tolist(), logp.tolist()
    ([0.5, 0.375], [8.0, 6.0])
    """
    t = np.asarray(t, dtype=np.float64)
    c1 = initial_q_error + 2.0 * tau * (1.0 - eta * tau / (1.0 - gamma)) * initial_log_policy_error
    rate = (1.0 - eta * tau) ** t
    return c1 * gamma * rate, 2.0 * c1 / tau * rate


@dataclass(frozen=True)
class NPG(ExactSoftmaxLearner):
    """Exact tabular natural policy gradient (Agarwal et al. 2021; Cen et al. 2022 if tau > 0).

    Parameters
    ----------
    eta : float, optional
        Step size. ``None``: ``(1 - gamma)^2 log A`` without entropy (the choice after Agarwal
        et al.'s Theorem 16, bound ``2/((1 - gamma)^2 T)``) and ``(1 - gamma)/tau`` with entropy
        (the largest step of Cen et al.'s Theorem 1: soft policy iteration).
    tau : float
        Entropy-regularisation temperature (0: none). Cen et al. require ``eta <= (1-gamma)/tau``.

    Examples
    --------
    >>> import numpy as np
    >>> trace = NPG(eta=1.0).run(np.array([1.0, 0.5, 0.0]), budget=10)
    >>> bool(trace.gap[-1] <= agarwal_bound(10, 1.0, 0.0, 3))
    True
    """

    def step_size(self, R: np.ndarray, gamma: float) -> float:
        """The step used on a model with rewards ``R`` and discount ``gamma``."""
        eta = (
            float(self.eta)
            if self.eta is not None
            else npg_paper_step(np.asarray(R), gamma, self.tau)
        )
        if self.tau > 0 and eta * self.tau > (1.0 - gamma) * (1 + 1e-12):
            raise ValueError(
                f"eta = {eta!r} exceeds (1 - gamma)/tau = "
                f"{(1.0 - gamma) / self.tau!r}, the largest step of Cen et al."
            )
        return eta

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
        """Run a batch (broadcast of models, ``theta0`` and ``etas``) in one vmapped call.

        ``models``: an (N, K) array of means, a sequence of bandits, one FiniteMDP or a sequence
        of FiniteMDPs of equal (S, A). ``theta0``: (K,) / (S, A) or with a leading batch axis;
        zeros (uniform policy) by default. ``etas``: (N,) step sizes. ``record_every``:
        ``None`` (default) records on the geometric grid of
        :func:`~algorithms.policy_gradient._recording.record_iterations`, an int ``m`` every
        ``m``-th iterate (1: all). ``seed`` is recorded only (the method is deterministic).
        """
        budget, every = check_run(budget, seed, record_every)
        regularized = self.tau > 0
        tau = np.array([self.tau])
        if is_bandit(models):
            bandits = read_bandits(models, noise="deterministic")
            means = bandits.means
            K = means.shape[1]
            theta = initial_logits(theta0, (K,))
            eta = check_step_sizes(
                [self.step_size(m, 0.0) for m in means] if etas is None else etas
            )
            out, _ = call_batched(
                _npg_bandit_kernel,
                (theta, means, eta, tau),
                budget=budget,
                every=every,
                regularized=regularized,
            )
            names = bandits.names
        else:
            mdps = read_mdps(models)
            _, S, A = mdps.R.shape
            theta = initial_logits(theta0, (S, A))
            v_star, a_star, q_star, log_star = [], [], [], []
            for model in mdps.models:
                if regularized:
                    v, q, logp = soft_optimum(
                        model.dense_P(), np.asarray(model.R), model.gamma, self.tau
                    )
                    a = np.argmax(q, axis=1)
                else:
                    v, a = optimal_values(model)
                    q, logp = np.zeros((S, A)), np.zeros((S, A))
                v_star.append(v)
                a_star.append(a)
                q_star.append(q)
                log_star.append(logp)
            eta = check_step_sizes(
                [self.step_size(m.R, m.gamma) for m in mdps.models] if etas is None else etas
            )
            if regularized:
                limit = (1.0 - mdps.gamma) / self.tau
                if np.any(eta > limit * (1 + 1e-12)):
                    raise ValueError(
                        f"some eta in {eta.tolist()} exceeds (1 - gamma)/tau = "
                        f"{limit.tolist()}, the largest step of Cen et al."
                    )
            args = (
                theta,
                mdps.P,
                mdps.R,
                mdps.gamma,
                mdps.rho,
                np.stack(v_star),
                np.stack(a_star).astype(np.int64),
                np.stack(q_star),
                np.stack(log_star),
                eta,
                tau,
            )
            out, _ = call_batched(
                _npg_mdp_kernel, args, budget=budget, every=every, regularized=regularized
            )
            names = mdps.names
        gap_meaning = (
            "V*_tau(rho) - V_tau^pi_t(rho), the soft sub-optimality"
            if regularized
            else "V*(rho) - V^pi_t(rho)"
        )
        return make_batch_trace(
            self,
            dict(out),
            budget,
            every,
            seed,
            names,
            eta,
            gap_meaning,
            constants=self.constants,
            deterministic=True,
        )

    def reference_curve(self, model: Any, budget: int) -> tuple[str, np.ndarray] | None:
        """Agarwal et al.'s bound ``log A/(eta t) + 1/((1 - gamma)^2 t)`` (``tau = 0`` only)."""
        if self.tau > 0:
            return None
        t = np.arange(1, budget + 1, dtype=np.float64)
        if is_bandit(model):
            means = read_bandits(model, noise="deterministic").means[0]
            eta, gamma, A = self.step_size(means, 0.0), 0.0, means.shape[0]
        else:
            eta, gamma, A = self.step_size(model.R, model.gamma), model.gamma, model.A
        return "Agarwal et al. (2021) Thm 16 bound", agarwal_bound(t, eta, gamma, A)


__all__ = ["NPG", "agarwal_bound", "cen_bound"]
