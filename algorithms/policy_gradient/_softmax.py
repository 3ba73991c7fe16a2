"""The softmax policy of every policy-gradient learner: ``(pi, log pi)`` of the logits, in JAX."""

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
