"""How the policy-gradient kernels run in JAX: float64, compiled and vmapped over the batch.

**float64 without a global switch.** Importing the package leaves ``jax_enable_x64`` as it
was: each JAX computation of the package runs inside :func:`float64_scope` (JAX's
``enable_x64`` context, local to the thread), so the learners' numbers are float64 while the
rest of the process keeps its own JAX precision. :func:`call_batched` enters the scope around a
compiled kernel and hands back numpy arrays; the public closed forms (e.g.
:func:`~algorithms.policy_gradient.softmax_pg.mdp_gradient`) are wrapped by :func:`float64`, so
an eager call computes in float64. Under a caller's own ``jax.jit`` the caller's precision rules:
wrap the call in :func:`float64_scope` for float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from algorithms.policy_gradient._arguments import batch_size

try:  # JAX >= 0.8
    from jax import enable_x64 as _enable_x64
except ImportError:  # older JAX
    from jax.experimental import enable_x64 as _enable_x64


def float64_scope():
    """Context in which JAX creates float64 (and int64) arrays; the global flag is untouched.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> before = jax.config.jax_enable_x64
    >>> with float64_scope():
    ...     x = jnp.ones(2)
    >>> str(x.dtype), jax.config.jax_enable_x64 == before
    ('float64', True)
    """
    return _enable_x64(True)


def float64(function: Callable) -> Callable:
    """``function`` run inside :func:`float64_scope` (for JAX functions called eagerly)."""

    @functools.wraps(function)
    def in_float64(*args: Any, **kwargs: Any) -> Any:
        with float64_scope():
            return function(*args, **kwargs)

    return in_float64


@functools.lru_cache(maxsize=128)
def batched(kernel: Callable, in_axes: tuple, **static: Any) -> Callable:
    """``jit(vmap(partial(kernel, **static), in_axes))``, cached so shapes reuse compilations."""
    return jax.jit(jax.vmap(functools.partial(kernel, **static), in_axes=in_axes))


def call_batched(kernel: Callable, args: Sequence[np.ndarray | jax.Array], **static: Any):
    """Call ``kernel`` over the batch in float64: arguments with leading size 1 are shared, not
    copied. Returns the kernel's outputs as numpy arrays and the batch size."""
    n = batch_size(*[a for a in args if hasattr(a, "shape") and a.ndim > 0])
    in_axes = tuple(0 if (a.shape[0] == n and n > 1) else None for a in args)
    squeezed = [a if ax == 0 else a[0] for a, ax in zip(args, in_axes, strict=True)]
    if n == 1:
        # A batch of one still goes through vmap so that run() and run_batch() share code.
        in_axes = (0,) * len(args)
        squeezed = list(args)
    with float64_scope():
        out = batched(kernel, in_axes, **static)(*squeezed)
        return jax.tree.map(np.asarray, out), n
