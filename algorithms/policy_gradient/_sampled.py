"""The on-policy sampled softmax update shared by the stochastic bandit learners.

One compiled trajectory of a softmax (or log-linear, ``logits = X theta``) policy on a K-armed
bandit, where each iteration samples one action from the current policy and one reward:

====================  ==========================================================================
``rule``              update after sampling ``a_t ~ pi_t`` and ``R_t ~ r(a_t) + noise``
====================  ==========================================================================
``"reinforce"``       ``theta += eta X^T (e_{a_t} - pi_t) R_t`` (gradient bandit / Lin-SPG;
                      ``X = I`` when ``features`` is False)
``"npg"``             ``theta(a_t) += eta R_t / pi_t(a_t)`` (stochastic NPG, no baseline)
``"npg-baseline"``    ``theta(a_t) += eta (R_t - b_t) / pi_t(a_t)``, ``b_t = pi_t^T r``
====================  ==========================================================================

Keys: iteration ``t`` uses ``fold_in(key, t)`` split into an action key and a reward key (see
:mod:`algorithms.policy_gradient._keys`), so a trajectory's draws depend only on its key.
The action is drawn by ``jax.random.categorical`` on ``log pi_t`` (Gumbel-max); Bernoulli
rewards by ``jax.random.bernoulli``; Gaussian ones as ``r(a) + sigma N(0, 1)``.

Recorded after every ``every`` updates: the exact gap ``sum_a pi_t(a) Delta_a`` (the expected
sub-optimality of the current policy, no sampling noise in the measurement), ``min_prob``,
``opt_prob = pi_t(a*)`` and ``min_pulls = min_a N_t(a)``, the pulls of the least-sampled arm.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from algorithms.policy_gradient._arguments import (
    batch_size,
    check_run,
    initial_logits,
)
from algorithms.policy_gradient._jax import call_batched
from algorithms.policy_gradient._keys import trajectory_keys
from algorithms.policy_gradient._learner import BatchedLearner
from algorithms.policy_gradient._models import BanditBatch, read_bandits
from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._softmax import bandit_summary, softmax_and_log
from algorithms.policy_gradient._traces import BatchTrace, make_batch_trace
from mdptheory.tabular import RewardNoise

RULES = ("reinforce", "npg", "npg-baseline")


def sampled_kernel(
    key,
    theta0,
    X,
    r,
    eta,
    sigma,
    *,
    budget: int,
    every: int | None,
    noise_code: int,
    features: bool,
    rule: str,
):
    """One trajectory; returns a dict of recorded curves (see the module docstring)."""
    K = r.shape[0]
    arms = jnp.arange(K)
    summary = bandit_summary(r)

    def policy(theta):
        return softmax_and_log(X @ theta if features else theta)

    def observe(c):
        _, p, _, counts, _ = c
        return (*summary(p), jnp.min(counts))

    def step(c):
        theta, p, logp, counts, t = c
        k_action, k_reward = jax.random.split(jax.random.fold_in(key, t))
        a = jax.random.categorical(k_action, logp)  # a_t ~ pi_t
        mean = r[a]
        if noise_code == 0:
            reward = mean
        elif noise_code == 1:
            reward = jax.random.bernoulli(k_reward, mean).astype(jnp.float64)
        else:
            reward = mean + sigma * jax.random.normal(k_reward, dtype=jnp.float64)
        hit = (arms == a).astype(jnp.float64)
        if rule == "reinforce":
            g = (hit - p) * reward  # (e_a - pi) R_t
            theta = theta + eta * (X.T @ g if features else g)
        else:
            # 1/pi_t(a_t) as exp(-log pi_t(a_t)): exact even when pi_t(a_t) is tiny.
            target = reward - (p @ r if rule == "npg-baseline" else 0.0)
            theta = theta + eta * hit * target * jnp.exp(-logp[a])
        counts = counts + hit
        return (theta, *policy(theta), counts, t + jnp.uint32(1))

    carry = (theta0, *policy(theta0), jnp.zeros(K), jnp.uint32(0))
    return recorded_curves(
        step, observe, carry, budget, every, ("gap", "min_prob", "opt_prob", "min_pulls")
    )


def run_sampled(
    learner,
    means: np.ndarray,
    X: np.ndarray | None,
    noise: RewardNoise,
    theta0: Any,
    etas: np.ndarray,
    budget: int,
    every: int,
    seed: Any,
    n_runs: int | None,
    rule: str,
    names: tuple[str, ...],
    **meta: Any,
) -> BatchTrace:
    """Validate, batch and run :func:`sampled_kernel`; ``means`` (n, K), ``X`` (n, K, d) or None.

    The batch is the broadcast of the models, ``theta0``, ``etas`` and ``n_runs`` (sizes 1 or
    a common N); trajectory ``i`` gets the key ``fold_in(root(seed), i)``.
    """
    budget, every = check_run(budget, seed, every)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if n_runs is not None and (
        isinstance(n_runs, bool) or not isinstance(n_runs, (int, np.integer)) or n_runs < 1
    ):
        raise ValueError(f"n_runs must be a positive int, got {n_runs!r}")
    K = means.shape[1]
    shape = (K,) if X is None else (X.shape[2],)
    theta = initial_logits(theta0, shape)
    sizes = [means.shape[0], theta.shape[0], etas.shape[0], 1 if n_runs is None else n_runs]
    N = batch_size(*[np.empty((s, 0)) for s in sizes])
    keys = trajectory_keys(seed, N)
    features = X is not None
    X_arg = np.zeros((1, 1, 1)) if X is None else X
    sigma = np.array([noise.sigma])
    out, _ = call_batched(
        sampled_kernel,
        (keys, theta, X_arg, means, etas, sigma),
        budget=budget,
        every=every,
        noise_code=noise.code,
        features=features,
        rule=rule,
    )
    if len(names) == 1 and N > 1:
        names = names * N
    return make_batch_trace(
        learner,
        dict(out),
        budget,
        every,
        seed,
        names,
        etas,
        "r(a*) - pi_t^T r (exact, of the current policy)",
        noise=noise.kind,
        sigma=noise.sigma,
        deterministic=False,
        jax_keys="trajectory i: fold_in(root, i); iteration t: "
        "split(fold_in(trajectory key, t)) -> (action, reward); "
        "root = threefry2x32 key from "
        "SeedSequence(seed).generate_state(2, uint32)",
        **meta,
    )


class SampledBanditLearner(BatchedLearner):
    """Mixin of the on-policy sampled learners on K-armed bandits (:class:`~algorithms.
    policy_gradient.GradientBandit`, :class:`~algorithms.policy_gradient.StochasticNPG`):
    ``run_batch`` reads the bandits and runs :func:`run_sampled` with the step sizes, update
    rule and constants label the learner gives in :meth:`sampled_update`."""

    def sampled_update(self, bandits: BanditBatch, etas: Any) -> tuple[np.ndarray, str, str]:
        """``(step sizes, rule, constants)`` of a batch on ``bandits``, ``etas`` as given to
        :meth:`run_batch` (``None``: the learner's own step)."""
        raise NotImplementedError

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
        """Run N trajectories in one compiled, vmapped call.

        N is the broadcast of ``models`` (one bandit, an (N, K) array of means or a sequence of
        bandits), ``theta0`` ((K,) or (N, K)), ``etas`` ((N,)) and ``n_runs``. Trajectory
        ``i`` draws with the key ``fold_in(root(seed), i)``: the same seed gives the same
        trajectories bit for bit.

        ``record_every``: ``None`` (default) records on the geometric grid of
        :func:`~algorithms.policy_gradient._recording.record_iterations`, an int ``m`` every
        ``m``-th iterate (1: all).
        """
        bandits = read_bandits(models, noise)
        eta, rule, constants = self.sampled_update(bandits, etas)
        return run_sampled(
            self,
            bandits.means,
            None,
            bandits.noise,
            theta0,
            eta,
            budget,
            record_every,
            seed,
            n_runs,
            rule,
            bandits.names,
            constants=constants,
        )
