"""Which iterates a policy-gradient run records, and the JAX scan that records them.

Every learner takes ``record_every``: ``None`` (the default) records on a geometric grid, every
iterate up to :data:`RECORD_ALL_UP_TO` updates and then :data:`RECORD_PER_DECADE` points per
decade up to the last iterate, so the cost and size of a trace do not grow with the budget while
log-log curves keep their resolution; an int ``m`` records every ``m``-th iterate (1: all).
:func:`record_iterations` gives the update counts.

:func:`recorded_scan` runs the updates of a JAX kernel with ``jax.lax.scan``. With every iterate
recorded, the scan's body steps and observes; otherwise the body also writes the observation
into the slot of the next recorded count (a scratch slot in between), so the compiled step is
the same as with every iterate recorded and the recorded numbers are equal bit for bit whatever
the grid (a loop of bare steps between records compiles to different code and can differ in
the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mdptheory._validation import check_memory, dense_bytes


def check_every(every: Any, budget: int) -> int | None:
    """``record_every``: ``None`` (the geometric grid) or a positive int dividing ``budget``."""
    if every is None:
        return None
    if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"record_every must be None or a positive int, got {every!r}")
    if budget % every:
        raise ValueError(f"record_every = {every} must divide budget = {budget}")
    # Recorded trace: gap, minimum probability and a few per-record quantities, float64.
    check_memory(
        dense_bytes(budget // every, 4),
        f"a trace of budget / record_every = {budget // every} records",
        f"budget={budget}",
    )
    return int(every)


RECORD_ALL_UP_TO = 1000
"""Geometric recording keeps every iterate up to this many updates."""

RECORD_PER_DECADE = 100
"""Points per decade of the geometric recording grid beyond :data:`RECORD_ALL_UP_TO`."""


def record_iterations(budget: int, every: int | None) -> np.ndarray:
    """Update counts (1-based, increasing, the last is ``budget``) after which to record.

    ``every`` an int: ``every, 2 every, ..., budget``. ``None``: all of ``1..min(budget,
    RECORD_ALL_UP_TO)``, then the rounded points of a geometric grid with
    :data:`RECORD_PER_DECADE` points per decade up to ``budget`` (duplicates dropped).

    Examples
    --------
    >>> record_iterations(10, 5).tolist()
    [5, 10]
    >>> grid = record_iterations(100_000, None)
    >>> grid[:3].tolist(), int(grid[999]), int(grid[-1]), len(grid)
    ([1, 2, 3], 1000, 100000, 1200)
    """
    if every is not None:
        return np.arange(every, budget + 1, every, dtype=np.int64)
    head = np.arange(1, min(budget, RECORD_ALL_UP_TO) + 1, dtype=np.int64)
    if budget <= RECORD_ALL_UP_TO:
        return head
    decades = math.log10(budget / RECORD_ALL_UP_TO)
    n = max(2, math.ceil(decades * RECORD_PER_DECADE) + 1)
    tail = np.rint(np.geomspace(RECORD_ALL_UP_TO, budget, n)).astype(np.int64)
    tail[-1] = budget
    return np.unique(np.concatenate([head, tail]))


def recorded_scan(
    step: Callable, observe: Callable, carry: Any, budget: int, every: int | None
) -> tuple[Any, Any]:
    """Apply ``step`` ``budget`` times and record ``observe`` after the updates counted by
    :func:`record_iterations` (``budget``, ``every``).

    Returns the final carry and the stacked observations, one per recorded count.
    """
    record_at = record_iterations(budget, every)
    n = record_at.shape[0]
    if n == budget:

        def body(c, _):
            c = step(c)
            return c, observe(c)

        return jax.lax.scan(body, carry, None, length=budget)
    # Row n of each buffer is scratch: iterates off the grid are written there and dropped.
    shapes = jax.eval_shape(observe, carry)
    buffers = jax.tree.map(lambda x: jnp.zeros((n + 1, *x.shape), x.dtype), shapes)
    grid = jnp.asarray(np.append(record_at, 0))  # the 0 ends the grid: no count reaches it

    def body(state, _):
        c, buf, t, j = state
        c = step(c)
        t = t + 1
        hit = t == grid[j]
        slot = jnp.where(hit, j, n)
        buf = jax.tree.map(
            lambda b, v: jax.lax.dynamic_update_index_in_dim(b, v, slot, 0), buf, observe(c)
        )
        return (c, buf, t, j + hit.astype(j.dtype)), None

    state = (carry, buffers, jnp.zeros((), grid.dtype), jnp.zeros((), grid.dtype))
    (carry, buffers, _, _), _ = jax.lax.scan(body, state, None, length=budget)
    return carry, jax.tree.map(lambda b: b[:n], buffers)


def recorded_curves(
    step: Callable,
    observe: Callable,
    carry: Any,
    budget: int,
    every: int | None,
    names: tuple[str, ...],
    initial: tuple[str, ...] = ("gap",),
) -> dict[str, Any]:
    """:func:`recorded_scan` with named curves, as a kernel returns them.

    ``observe`` returns a tuple; its entry ``k`` is the curve ``names[k]``. The initial
    policy's value of each name in ``initial`` is returned as ``initial_<name>``.
    """
    _, recorded = recorded_scan(step, observe, carry, budget, every)
    start = observe(carry)
    out = dict(zip(names, recorded, strict=True))
    out.update({f"initial_{name}": start[names.index(name)] for name in initial})
    return out
