"""Where a trace's entries sit on the budget axis, and the positions several seeds share.

A learner records its curve at every episode, round or step, or only at some iterations: the
policy-gradient learners record on a geometric grid by default and keep the iteration of each
entry in ``trace.extras["iteration"]`` (1-based update counts). ``mdptheory run`` and
``mdptheory sweep`` read the x position of entry ``k`` from there, never from ``k``.

Aggregation rule
----------------
Curves of several seeds are averaged point by point only when every seed recorded the **same**
positions (equal integer arrays); otherwise :func:`shared_positions` raises a ``ValueError``
naming the first seed and the first entry that differ. Nothing is interpolated: a mean of two
curves read at different iterations would be a curve of neither.

Reading a curve on a grid of targets (:func:`positions_at`) takes, for each target ``t``, the
first recorded position at or after ``t`` (the last position is the budget, so one always
exists); duplicates are dropped, so the positions read are distinct and increasing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

ITERATION_KEY = "iteration"
"""Name of the extra holding the 1-based position of each entry of a thinned trace."""


def _curve_length(trace: Any) -> int:
    curve = getattr(trace, "pseudo_regret", None)
    if curve is None:
        curve = trace.gap
    return int(np.shape(curve)[0])


def recorded_positions(trace: Any) -> np.ndarray:
    """The 1-based position (episode, step or iteration) of each entry of ``trace``'s curve.

    ``trace.extras["iteration"]`` when the trace carries it (thinned or geometric recording),
    else ``1..n`` for a curve of ``n`` entries.

    Raises
    ------
    ValueError
        When the recorded positions are not whole numbers >= 1, not strictly increasing, or not
        one per entry of the curve.

    Examples
    --------
    >>> from mdptheory.regret import ConvergenceTrace
    >>> recorded_positions(ConvergenceTrace(np.array([0.5, 0.2, 0.1]))).tolist()
    [1, 2, 3]
    >>> thinned = ConvergenceTrace(np.array([0.5, 0.1]), {"iteration": np.array([10.0, 20.0])})
    >>> recorded_positions(thinned).tolist()
    [10, 20]
    """
    n = _curve_length(trace)
    extras = getattr(trace, "extras", None) or {}
    if ITERATION_KEY not in extras:
        return np.arange(1, n + 1, dtype=np.int64)
    raw = np.asarray(extras[ITERATION_KEY], dtype=np.float64)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(
            f"extras['{ITERATION_KEY}'] has shape {raw.shape}, the curve has {n} "
            "entries: one position per entry is needed"
        )
    bad = np.flatnonzero(~np.isfinite(raw) | (raw < 1) | (raw != np.round(raw)))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"extras['{ITERATION_KEY}'][{j}] is {float(raw[j])!r}, not a whole number >= 1"
        )
    positions = raw.astype(np.int64)
    steps = np.flatnonzero(np.diff(positions) <= 0)
    if steps.size:
        j = int(steps[0]) + 1
        raise ValueError(
            f"extras['{ITERATION_KEY}'][{j}] = {int(positions[j])} does not follow "
            f"extras['{ITERATION_KEY}'][{j - 1}] = {int(positions[j - 1])}: "
            "positions must increase"
        )
    return positions


def shared_positions(traces: Sequence[Any]) -> np.ndarray:
    """The positions every trace of ``traces`` recorded its curve at (see the module's rule).

    Raises
    ------
    ValueError
        For no trace, or when trace ``i`` recorded other positions than trace 0 (the message
        names ``i`` and the first entry that differs).

    Examples
    --------
    >>> from mdptheory.regret import ConvergenceTrace
    >>> a = ConvergenceTrace(np.ones(2), {"iteration": np.array([5.0, 10.0])})
    >>> shared_positions([a, a]).tolist()
    [5, 10]
    """
    if len(traces) == 0:
        raise ValueError("shared_positions needs at least one trace, got none")
    first = recorded_positions(traces[0])
    for i, trace in enumerate(traces[1:], start=1):
        other = recorded_positions(trace)
        if np.array_equal(first, other):
            continue
        if other.shape != first.shape:
            where = f"it has {other.shape[0]} entries, repetition 0 has {first.shape[0]}"
        else:
            j = int(np.flatnonzero(other != first)[0])
            where = f"entry {j} is at {int(other[j])}, in repetition 0 at {int(first[j])}"
        raise ValueError(
            f"repetition {i} recorded its curve at other positions than "
            f"repetition 0 ({where}); curves are averaged over seeds only where "
            "every seed recorded the same positions"
        )
    return first


def positions_at(positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Indices into ``positions`` of the first recorded position at or after each target,
    duplicates dropped (increasing). Targets beyond the last position read the last one.

    Examples
    --------
    >>> positions_at(np.array([1, 2, 3, 10, 100]), np.array([1, 4, 5, 50, 100])).tolist()
    [0, 3, 4]
    """
    positions = np.asarray(positions)
    index = np.searchsorted(positions, np.asarray(targets), side="left")
    return np.unique(np.minimum(index, positions.shape[0] - 1))


__all__ = ["ITERATION_KEY", "positions_at", "recorded_positions", "shared_positions"]
