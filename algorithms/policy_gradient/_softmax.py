"""The softmax policy of the JAX learners: ``(pi, log pi)`` of the logits, and on a bandit the
exact gap, smallest probability and probability of the optimal arm."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def softmax_and_log(logits: jax.Array, axis: int = -1) -> tuple[jax.Array, jax.Array]:
    """``(pi, log pi)`` of ``softmax(logits)`` by the stable log-sum-exp, one exp per entry.

    The maximum is subtracted before exponentiating, so no logit overflows, and ``log pi`` is
    ``shifted - log(sum exp(shifted))``, exact even where ``pi`` underflows to 0.
    """
    shifted = logits - jax.lax.stop_gradient(jnp.max(logits, axis=axis, keepdims=True))
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=axis, keepdims=True)
    return e / total, shifted - jnp.log(total)


def bandit_summary(r: jax.Array):
    """``p -> (sum_a p(a) Delta_a, min_a p(a), p(a*))`` on a bandit with means ``r``.

    The gap ``r(a*) - p^T r`` is taken as ``sum_a p(a) Delta_a`` with ``Delta_a = r(a*) - r(a)``,
    so it keeps its relative precision near the optimum (no cancellation).
    """
    opt = jnp.argmax(r)
    delta = r[opt] - r
    return lambda p: (p @ delta, jnp.min(p), p[opt])
