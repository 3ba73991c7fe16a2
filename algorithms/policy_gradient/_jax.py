"""How the policy-gradient kernels run in JAX: float64, compiled and vmapped over the batch.

Importing this module turns on ``jax_enable_x64``; every array handed to JAX is float64 (int64
for indices).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from algorithms.policy_gradient._arguments import batch_size

# float64 everywhere: set before any JAX array is created by this package.
jax.config.update("jax_enable_x64", True)


@functools.lru_cache(maxsize=128)
def batched(kernel: Callable, in_axes: tuple, **static: Any) -> Callable:
    """``jit(vmap(partial(kernel, **static), in_axes))``, cached so shapes reuse compilations."""
    return jax.jit(jax.vmap(functools.partial(kernel, **static), in_axes=in_axes))


def call_batched(kernel: Callable, args: Sequence[np.ndarray | jax.Array], **static: Any):
    """Call ``kernel`` over the batch: arguments with leading size 1 are shared, not copied."""
    n = batch_size(*[a for a in args if hasattr(a, "shape") and a.ndim > 0])
    in_axes = tuple(0 if (a.shape[0] == n and n > 1) else None for a in args)
    squeezed = [a if ax == 0 else a[0] for a, ax in zip(args, in_axes, strict=True)]
    if n == 1:
        # A batch of one still goes through vmap so that run() and run_batch() share code.
        in_axes = (0,) * len(args)
        squeezed = list(args)
    return batched(kernel, in_axes, **static)(*squeezed), n
