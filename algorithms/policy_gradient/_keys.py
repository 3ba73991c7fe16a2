"""JAX keys of the stochastic learners, derived from the library's seed rule.

:func:`jax_key` turns a seed into the root key of a run (:mod:`mdptheory.seeding`): an int or
``SeedSequence`` seed becomes ``SeedSequence(seed).generate_state(2, uint32)``, the two 32-bit
words of a threefry2x32 key; a ``Generator`` seed gives its next two uint32 draws. Trajectory
``i`` of a batch uses ``fold_in(root, i)`` (:func:`trajectory_keys`) and iteration ``t`` of a
trajectory uses ``fold_in(trajectory_key, t)``, split in two: one key for the action, one for
the reward. The same seed therefore gives the same draws bit for bit, and trajectory ``i``
draws the same numbers whatever the batch size.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mdptheory.seeding import as_seed_sequence


def jax_key(seed: Any) -> jax.Array:
    """Root threefry2x32 key of a run (derivation in the module docstring).

    Examples
    --------
    >>> import jax
    >>> bool((jax.random.key_data(jax_key(3)) == jax.random.key_data(jax_key(3))).all())
    True
    """
    if isinstance(seed, np.random.Generator):
        words = seed.integers(0, 2**32, size=2, dtype=np.uint32)
    else:
        words = as_seed_sequence(seed).generate_state(2, dtype=np.uint32)
    return jax.random.wrap_key_data(jnp.asarray(words, dtype=jnp.uint32), impl="threefry2x32")


def trajectory_keys(seed: Any, n: int) -> jax.Array:
    """Keys of trajectories ``0..n-1``: ``fold_in(root, i)``."""
    root = jax_key(seed)
    return jax.vmap(lambda i: jax.random.fold_in(root, i))(jnp.arange(n, dtype=jnp.uint32))
