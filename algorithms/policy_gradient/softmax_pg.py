"""Exact softmax policy gradient (Mei, Xiao, Szepesvári, Schuurmans, ICML 2020).

Paper
-----
J. Mei, C. Xiao, C. Szepesvári, D. Schuurmans. "On the Global Convergence Rates of Softmax
Policy Gradient Methods". ICML 2020, arXiv:2005.06392. Algorithm 1 (policy gradient with the true
gradient), Lemma 1 (softmax policy gradient), Theorem 2 (bandit, ``eta = 2/5``), Theorem 4
(MDP, ``eta = (1 - gamma)^3 / 8``), Section 4 (entropy regularisation, soft advantage eq. 18,
Theorem 6). Theorems 4 and 6, eq. 18 and Lemmas 7, 14 and 26 were checked against quotations of
the paper; Theorem 2 (and Theorem 9, used by the checks) and the name "Lemma 1" are as recalled
and not verified against the published text.

Setting
-------
A K-armed bandit with mean rewards ``r`` (one state, ``gamma = 0``) or a finite discounted MDP
``(P, R, gamma)``; the policy is the tabular softmax ``pi_theta(a|s) = exp theta(s, a) /
sum_b exp theta(s, b)``. The objective ``V^{pi_theta}(mu)`` is optimised under ``mu`` (default:
the model's initial distribution ``rho``) and the gap is measured under ``rho``.

Update (Algorithm 1), with ``d(s) = sum_t gamma^t Pr(s_t = s | s_0 ~ mu, pi_theta)`` the
unnormalised occupancy (``d = d^{pi}_mu / (1 - gamma)`` in the paper's normalisation)
--------------------------------------------------------------------------------------------
1. ``theta_{t+1} = theta_t + eta * dV^{pi_theta_t}(mu) / dtheta``                    (Alg. 1)
2. ``dV/dtheta(s, a) = d(s) pi(a|s) A(s, a)``,  ``A = Q - V``                       (Lemma 1)
   bandit: ``dV/dtheta = (diag(pi) - pi pi^T) r = pi * (r - pi^T r)``
3. entropy-regularised (``tau > 0``): the objective is ``V~(mu)`` with reward ``r - tau log pi``
   and ``dV~/dtheta(s, a) = d(s) pi(a|s) A~(s, a)``, ``A~ = Q~ - tau log pi - V~``    (eq. 18)

Where each step is implemented
------------------------------
:mod:`~algorithms.policy_gradient._softmax_kernels` (numba, parallel over the batch):
``bandit_trajectories`` is steps 1-3 for a bandit (one loop each for the advantage and the
update); ``mdp_trajectories`` evaluates ``V`` and the LU factors of ``I - gamma P_pi`` once
per iterate (``_mdp_evaluate``), computes ``d`` from the same factors (step 2), and ``Q``, the
(soft) advantage (steps 2-3) and the update (step 1) in one loop; ``_bandit_observe`` and
``_mdp_observe`` give the gap and ``min_prob``/``opt_prob`` at the recorded iterates.
:func:`bandit_gradient` and :func:`mdp_gradient` are the closed forms on their own in JAX
(checked against ``jax.grad`` of :func:`bandit_value` and :func:`mdp_value`).

Recording: by default every iterate up to 1000 updates, then 100 points per decade
(:func:`~algorithms.policy_gradient._recording.record_iterations`); ``record_every=1`` records
every iterate. The compiled loops observe only at the recorded iterates.

Recorded quantities
-------------------
``gap[k]`` is ``V*(rho) - V^{pi_t}(rho)`` after ``t = iterations[k]`` updates; with ``tau > 0``
it is the soft sub-optimality ``V~*_tau(rho) - V~^{pi_t}(rho)`` of Theorem 6 (for a bandit
``tau KL(pi_t || softmax(r/tau))``). Extras: ``min_prob = min_{s,a} pi_t(a|s)`` and
``opt_prob = min_s pi_t(a*(s)|s)`` (the ``c`` of Theorems 2 and 4 is its infimum over t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from algorithms._validation import check_positive
from algorithms.policy_gradient._arguments import (
    as_batch,
    batch_size,
    check_run,
    check_step_sizes,
    initial_logits,
)
from algorithms.policy_gradient._exact import (
    optimal_values,
    optimal_values_batch,
    pg_paper_step,
    policy_evaluation,
    soft_optimum,
    state_occupancy,
)
from algorithms.policy_gradient._jax import float64
from algorithms.policy_gradient._learner import ExactSoftmaxLearner
from algorithms.policy_gradient._models import is_bandit, read_bandits, read_mdps
from algorithms.policy_gradient._recording import record_iterations
from algorithms.policy_gradient._softmax import softmax_and_log
from algorithms.policy_gradient._softmax_kernels import bandit_trajectories, mdp_trajectories
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace
from mdptheory.tabular import FiniteMDP

# ---------------------------------------------------------------------------------------------
# closed forms and the values they differentiate
# ---------------------------------------------------------------------------------------------


@float64
def bandit_value(theta: jax.Array, r: jax.Array, tau: float = 0.0) -> jax.Array:
    """``pi_theta^T r - tau pi_theta^T log pi_theta`` (the bandit objective of Mei et al. 2020).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> float(bandit_value(jnp.zeros(2), jnp.array([1.0, 0.0])))
    0.5
    """
    p, logp = softmax_and_log(theta)
    return p @ r - tau * (p @ logp)


@float64
def bandit_gradient(theta: jax.Array, r: jax.Array, tau: float = 0.0) -> jax.Array:
    """Closed-form ``d bandit_value / d theta = pi * (r~ - pi^T r~)``, ``r~ = r - tau log pi``.

    Mei et al. (2020), Lemma 1 with one state and ``gamma = 0``: ``(diag(pi) - pi pi^T) r``;
    with entropy the soft advantage of eq. 18.

    Examples
    --------
    >>> import jax, numpy as np
    >>> from algorithms.policy_gradient import float64_scope
    >>> theta, r = np.array([0.3, -0.2, 0.1]), np.array([1.0, 0.2, 0.5])
    >>> with float64_scope():  # jax.grad converts its arguments: float64 needs the scope
    ...     auto = jax.grad(bandit_value)(theta, r)
    >>> bool(np.allclose(bandit_gradient(theta, r), auto, rtol=0, atol=1e-15))
    True
    """
    p, logp = softmax_and_log(theta)
    adv = r - tau * logp
    return p * (adv - p @ adv)


@float64
def mdp_value(
    theta: jax.Array, P: jax.Array, R: jax.Array, gamma: float, mu: jax.Array, tau: float = 0.0
) -> jax.Array:
    """``V^{pi_theta}(mu)`` (entropy-regularised ``V~`` if ``tau > 0``) by a dense linear solve.

    Written independently of :func:`mdp_gradient` (``jnp.linalg.solve``, no LU reuse) so that
    ``jax.grad`` of it is a cross-check of the closed form.

    Examples
    --------
    >>> import numpy as np
    >>> P, R = np.ones((1, 2, 1)), np.array([[1.0, 0.0]])
    >>> float(mdp_value(np.zeros((1, 2)), P, R, 0.5, np.ones(1)))  # 0.5 / (1 - 0.5)
    1.0
    """
    S = R.shape[0]
    p, logp = softmax_and_log(theta, axis=1)
    P_pi = jnp.einsum("sa,sat->st", p, P)
    r_pi = jnp.sum(p * (R - tau * logp), axis=1)
    V = jnp.linalg.solve(jnp.eye(S) - gamma * P_pi, r_pi)
    return mu @ V


@float64
def mdp_gradient(
    theta: jax.Array, P: jax.Array, R: jax.Array, gamma: float, mu: jax.Array, tau: float = 0.0
) -> jax.Array:
    """Closed-form softmax policy gradient (Mei et al. 2020, Lemma 1; eq. 18 for ``tau > 0``).

    ``dV/dtheta(s, a) = 1/(1-gamma) d^pi_mu(s) pi(a|s) A(s, a)`` with the normalised occupancy
    ``d^pi_mu``; computed as ``d(s) pi(a|s) A(s, a)`` with the unnormalised ``d = (I - gamma
    P_pi)^{-T} mu``. With ``tau > 0``, ``A`` is the soft advantage ``Q~ - tau log pi - V~``.

    Examples
    --------
    >>> import jax, numpy as np
    >>> from algorithms.policy_gradient import float64_scope
    >>> rng = np.random.default_rng(0)
    >>> P = rng.dirichlet(np.ones(3), size=(3, 2)); R = rng.random((3, 2))
    >>> theta, mu = rng.normal(size=(3, 2)), np.full(3, 1 / 3)
    >>> closed = mdp_gradient(theta, P, R, 0.9, mu)
    >>> with float64_scope():
    ...     auto = jax.grad(mdp_value)(theta, P, R, 0.9, mu)
    >>> bool(np.allclose(closed, auto, rtol=0, atol=1e-12))
    True
    """
    p, logp = softmax_and_log(theta, axis=1)
    regularized = True
    V, Q, factors = policy_evaluation(logp, jnp.asarray(P), jnp.asarray(R), gamma, tau, regularized)
    d = state_occupancy(factors, jnp.asarray(mu))
    return d[:, None] * p * (Q - tau * logp - V[:, None])


# ---------------------------------------------------------------------------------------------
# constants of the theorems
# ---------------------------------------------------------------------------------------------


def bandit_limit(K: int, eta: float) -> float:
    """Derived limit ``lim_t t * gap_t = (K - 1) / (eta K)`` of exact bandit softmax PG.

    Derived in docs/policy_gradient.md (not in the paper) and checked numerically by
    ``mei2020-softmax-pg-bandit-limit``: for a unique optimal arm and constant step ``eta``
    (stable, e.g. ``eta = 2/5`` with rewards in [0, 1]), independent of the rewards.
    Derivation: with ``pi_i ~ c_i / t`` for ``i != a*``, the logit dynamics give
    ``c_i Delta_i = 1/eta - G`` and ``G = sum_i c_i Delta_i = (K - 1)/(eta K)``.

    Examples
    --------
    >>> bandit_limit(5, 0.4)
    2.0
    """
    if K < 2:
        raise ValueError(f"K must be >= 2, got {K}")
    check_positive("eta", eta)
    return (K - 1) / (eta * K)


def mei_theorem4_constant(mdp: FiniteMDP, c: float, mu: np.ndarray | None = None) -> float:
    """``C`` of Mei et al. (2020), Theorem 4: ``V*(rho) - V^{pi_theta_t}(rho) <= C / t``.

    ``C = 16 S ||d^{pi*}_mu / mu||_inf^2 ||1/mu||_inf / (c^2 (1 - gamma)^6)`` for
    ``eta = (1 - gamma)^3 / 8``, ``t >= 1`` counting from the initial iterate ``theta_1``
    (after ``t`` updates of this library the iterate is the paper's ``theta_{t+1}``), and
    ``c = inf_t min_s pi_theta_t(a*(s)|s)``; ``d^{pi*}_mu`` is the normalised occupancy.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 0.0]], gamma=0.5)
    >>> mei_theorem4_constant(mdp, c=0.5)  # 16 * 1 * 1 * 1 / (0.25 * 0.5^6)
    4096.0
    """
    check_positive("c", c)
    mu = np.asarray(mdp.initial if mu is None else mu, dtype=np.float64)
    if mu.shape != (mdp.S,) or (mu <= 0).any():
        raise ValueError(f"Theorem 4 needs mu with full support (Assumption 2), got {mu.tolist()}")
    from mdptheory.evaluation import occupancy

    _, policy = optimal_values(mdp)
    d_star = (1.0 - mdp.gamma) * occupancy(mdp, policy, initial=mu).sum(axis=1)
    ratio = float(np.max(d_star / mu))
    return 16.0 * mdp.S * ratio**2 * float(np.max(1.0 / mu)) / (c**2 * (1 - mdp.gamma) ** 6)


# ---------------------------------------------------------------------------------------------
# the learner
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoftmaxPG(ExactSoftmaxLearner):
    """Exact softmax policy gradient (Mei et al. 2020) on bandits and discounted MDPs.

    Parameters
    ----------
    eta : float, optional
        Constant step size. ``None`` (default) uses the paper's: ``2/5`` on bandits (Theorem 2),
        ``(1 - gamma)^3 / 8`` on MDPs (Theorem 4), ``(1 - gamma)^3 / (8 + tau (4 + 8 log A))``
        with entropy (Theorem 6); divided by the reward range when rewards span more than
        [0, 1] (see :func:`~algorithms.policy_gradient._exact.pg_paper_step`).
    tau : float
        Entropy-regularisation temperature (0: none).

    Examples
    --------
    >>> import numpy as np
    >>> trace = SoftmaxPG().run(np.array([1.0, 0.8, 0.5]), budget=20000)
    >>> t_gap = 20000 * trace.gap[-1]  # t * gap_t, against the derived limit (K-1)/(eta K)
    >>> bool(abs(t_gap / bandit_limit(3, 0.4) - 1) < 0.01)
    True
    """

    def step_size(self, R: np.ndarray, gamma: float, bandit: bool) -> float:
        """The step used on a model with rewards ``R`` and discount ``gamma``."""
        if self.eta is not None:
            return float(self.eta)
        return pg_paper_step(np.asarray(R), gamma, self.tau, bandit)

    def run_batch(
        self,
        models: Any,
        budget: int,
        seed: Any = 0,
        *,
        theta0=None,
        etas=None,
        mu=None,
        record_every: int | None = None,
    ) -> BatchTrace:
        """Run ``budget`` exact updates of a batch of trajectories in one compiled call.

        Parameters
        ----------
        models : Bandit, array of means (K,) or (N, K), sequence of bandits, FiniteMDP or
            sequence of FiniteMDPs of equal (S, A)
        budget : int
            Number of updates.
        seed : int, SeedSequence or Generator
            Recorded only: the method is deterministic.
        theta0 : array_like, optional
            Initial logits, (K,) or (S, A), or with a leading batch axis; zeros (the uniform
            policy) by default.
        etas : array_like, optional
            Step size of each trajectory, (N,); the learner's by default.
        mu : array_like, optional
            Optimisation distribution (MDPs only), (S,) or (N, S); each model's ``initial`` by
            default.
        record_every : int, optional
            ``None`` (default): every iterate up to 1000 updates, then a geometric grid of
            100 points per decade (``trace.extras["iteration"]`` holds the update counts); an
            int ``m`` (dividing ``budget``): every ``m``-th iterate, 1 for all.

        The batch is the broadcast of ``models``, ``theta0``, ``etas`` and ``mu``; any of them
        may have size 1.

        Returns
        -------
        BatchTrace
        """
        budget, every = check_run(budget, seed, record_every)
        record_at = record_iterations(budget, every)
        regularized = self.tau > 0
        tau = float(self.tau)
        if is_bandit(models):
            if mu is not None:
                raise ValueError(
                    f"mu is an MDP's optimisation distribution; a bandit has one "
                    f"state, got mu = {mu!r}"
                )
            bandits = read_bandits(models, noise="deterministic")
            means = bandits.means
            K = means.shape[1]
            theta = initial_logits(theta0, (K,))
            if etas is None:
                etas = [self.step_size(m, 0.0, True) for m in means]
            eta = check_step_sizes(etas)
            batch_size(theta, means, eta)
            gap, min_prob, opt_prob, initial_gap = bandit_trajectories(
                np.ascontiguousarray(theta), means, eta, tau, regularized, record_at
            )
            names = bandits.names
            gap_meaning = (
                "tau KL(pi_t || softmax(r / tau)), the soft sub-optimality"
                if regularized
                else "r(a*) - pi_t^T r"
            )
        else:
            mdps = read_mdps(models)
            _, S, A = mdps.R.shape
            theta = initial_logits(theta0, (S, A))
            mu_array = mdps.rho if mu is None else as_batch(mu, (S,), "mu")
            if regularized:
                v_star, a_star = [], []
                for model in mdps.models:
                    v, q, _ = soft_optimum(
                        model.dense_P(), np.asarray(model.R), model.gamma, self.tau
                    )
                    v_star.append(v)
                    a_star.append(np.argmax(q, axis=1))
            else:
                v_star, a_star = optimal_values_batch(mdps.P, mdps.R, mdps.gamma)
            if etas is None:
                etas = [self.step_size(m.R, m.gamma, False) for m in mdps.models]
            eta = check_step_sizes(etas)
            args = (
                theta,
                mdps.P,
                mdps.R,
                mdps.gamma,
                mu_array,
                mdps.rho,
                np.stack(v_star),
                np.stack(a_star).astype(np.int64),
                eta,
            )
            batch_size(*args)
            args = tuple(np.ascontiguousarray(a) for a in args)
            gap, min_prob, opt_prob, initial_gap = mdp_trajectories(
                *args[:-1], args[-1], tau, regularized, record_at
            )
            names = mdps.names
            gap_meaning = (
                "V~*_tau(rho) - V~^pi_t(rho), the soft sub-optimality"
                if regularized
                else "V*(rho) - V^pi_t(rho)"
            )
        out = {"gap": gap, "min_prob": min_prob, "opt_prob": opt_prob, "initial_gap": initial_gap}
        return make_batch_trace(
            self,
            out,
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
        """The theoretical line for ``mdptheory run``: ``(label, values at t = 1..budget)``.

        Bandit (``tau = 0``): the limit ``(K - 1) / (eta K t)`` derived in
        docs/policy_gradient.md. MDP (``tau = 0``): Mei et al.'s Theorem 4 bound ``C / t`` with
        ``c`` the minimum over a run of ``budget`` iterations (the bound is loose by orders of
        magnitude). None with entropy.
        """
        if self.tau > 0:
            return None
        t = np.arange(1, budget + 1, dtype=np.float64)
        if is_bandit(model):
            means = read_bandits(model, noise="deterministic").means[0]
            eta = self.step_size(means, 0.0, True)
            return (
                f"(K-1)/(eta K t), eta = {eta:g} (derived limit)",
                bandit_limit(means.shape[0], eta) / t,
            )
        trace = self.run(model, budget)
        c = float(min(trace.extras["opt_prob"].min(), math.inf))
        c = min(c, _initial_opt_prob(model))
        return "Mei et al. (2020) Thm 4 bound C/t", mei_theorem4_constant(model, c) / t


def _initial_opt_prob(model: FiniteMDP) -> float:
    """``min_s pi_0(a*(s)|s)`` of the uniform initial policy."""
    return 1.0 / model.A


__all__ = [
    "SoftmaxPG",
    "bandit_gradient",
    "bandit_limit",
    "bandit_value",
    "mdp_gradient",
    "mdp_value",
    "mei_theorem4_constant",
]
