"""The gradient kernel shared by IPO and DPO: exact or sampled-pair gradient steps in JAX.

One trajectory of logits ``theta`` (``pi = softmax(theta)``), started at ``theta_0 = log
pi_ref`` (Azar et al., Algorithm 1), updated by

    theta_{t+1} = theta_t - eta grad L_t(theta_t),

where ``L_t`` is the loss on the whole dataset (``batch = 0``: the exact gradient, from the win
counts ``W``) or on ``batch`` pairs drawn uniformly with replacement from the dataset (the
sampled version; the pairs of step ``t`` are drawn with ``fold_in(key, t)``, so a trajectory's
draws depend only on its key). The gradient is ``jax.grad`` of the loss written in counts:

* IPO (eq. 17): ``(1/m) sum_ij W_ij (h_ij - 1/(2 tau))^2``,
* DPO: ``-(1/m) sum_ij W_ij log sigma(beta h_ij)``,

with ``h_ij = (theta_i - log pi_ref_i) - (theta_j - log pi_ref_j)`` and ``m = sum W``.

Recorded after the updates of the recording grid: ``gap = L(theta_t) - L*`` on the whole
dataset (``L*`` the exact minimum or infimum), ``policy_error = max_y |pi_t(y) - pi*(y)|`` (NaN
when the optimum is not determined), ``min_prob = min_y pi_t(y)`` and ``max_log_ratio =
max_y |log pi_t(y) - log pi_ref(y)|`` and the policy ``pi_t`` itself (``policy``, one row of
K probabilities per record).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from algorithms.policy_gradient._recording import recorded_curves
from algorithms.policy_gradient._softmax import softmax_and_log

CURVES = ("gap", "policy_error", "min_prob", "max_log_ratio", "policy")


def pair_loss(theta, W, log_ref, strength, loss: str):
    """The loss of the logits ``theta`` on counts ``W``; ``strength`` is tau (IPO) or beta
    (DPO)."""
    rho = theta - log_ref
    h = rho[:, None] - rho[None, :]
    total = jnp.sum(W)
    if loss == "ipo":
        terms = (h - 0.5 / strength) ** 2
    else:
        terms = -jax.nn.log_sigmoid(strength * h)
    return jnp.sum(jnp.where(W > 0, W * terms, 0.0)) / total


def gradient_kernel(
    key,
    W,
    log_ref,
    strength,
    eta,
    loss_star,
    pi_star,
    *,
    budget: int,
    every: int | None,
    batch: int,
    loss: str,
):
    """One trajectory; returns a dict of recorded curves (module docstring)."""
    K = W.shape[0]
    grad = jax.grad(pair_loss)
    cell_logits = jnp.where(W > 0, jnp.log(jnp.where(W > 0, W, 1.0)), -jnp.inf).ravel()

    def minibatch(t):
        cells = jax.random.categorical(jax.random.fold_in(key, t), cell_logits, shape=(batch,))
        return jnp.zeros(K * K).at[cells].add(1.0).reshape(K, K)

    def step(c):
        theta, t = c
        Wt = W if batch == 0 else minibatch(t)
        theta = theta - eta * grad(theta, Wt, log_ref, strength, loss)
        return theta, t + 1

    def observe(c):
        theta, _ = c
        p, logp = softmax_and_log(theta)
        gap = pair_loss(theta, W, log_ref, strength, loss) - loss_star
        error = jnp.max(jnp.abs(p - pi_star))
        ratio = logp - (log_ref - jax.nn.logsumexp(log_ref))
        return gap, error, jnp.min(p), jnp.max(jnp.abs(ratio)), p

    carry = (log_ref - jax.nn.logsumexp(log_ref), jnp.zeros((), jnp.uint32))
    return recorded_curves(
        step, observe, carry, budget, every, CURVES, initial=("gap", "policy_error")
    )
