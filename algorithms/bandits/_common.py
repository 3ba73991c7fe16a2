"""Plumbing shared by every bandit learner: budget check, kernel arrays, timing, the trace.

The learners themselves live one per file (``ucb1.py``, ``kl_ucb.py``, ``thompson.py``,
``oful.py``); this module holds only what every one of them needs in the same form, so that a
check on the budget reads the same whichever learner raises it. What the finite-armed learners
alone share (checks on the model, the run around the kernel) is in ``_finite_armed.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from algorithms._timing import timed as timed
from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_positive as check_positive
from mdptheory.regret import RegretTrace, trace_metadata


def check_budget(budget: Any) -> int:
    """Return ``budget`` (number of rounds) as an int, raising ``ValueError`` unless >= 1."""
    return _check_budget(budget, "number of rounds")


def kernel_array(array: Any) -> np.ndarray:
    """A writable C-contiguous float64 copy of ``array`` for a compiled kernel.

    The models hold read-only arrays, and numba compiles a separate specialisation for
    read-only inputs; copying (K or K*d numbers) keeps one specialisation per kernel, the one
    :func:`warm_up` compiles.
    """
    return np.array(array, dtype=np.float64, order="C", copy=True)


_WARM: set[int] = set()


def warm_up(kernel: Callable, *dummy_args: Any) -> None:
    """Call ``kernel`` once per process on a tiny problem of the same argument types.

    The first call of a ``cache=True`` kernel in a process compiles it or loads it from the
    on-disk cache; doing that on a throwaway problem keeps that one-off cost out of the timing
    of the real run. ``dummy_args`` must carry their own Generator, never the caller's.
    """
    if id(kernel) not in _WARM:
        kernel(*dummy_args)
        _WARM.add(id(kernel))


def build_trace(
    learner: Any,
    model: Any,
    seed: Any,
    budget: int,
    arms: np.ndarray,
    rewards: np.ndarray,
    pseudo: np.ndarray,
    optimal_mean: float,
    seconds: float,
    record_policies: bool,
    extras: dict[str, np.ndarray] | None = None,
    **meta: Any,
) -> RegretTrace:
    """Assemble the :class:`RegretTrace` of one compiled run.

    The run is one compiled call, so its wall-clock time is spread evenly over the rounds
    (``episode_time[t] = seconds / budget``); the metadata says so under ``timing`` and holds
    no measured time, so two runs with one seed write the same metadata. With
    ``record_policies`` the policy of every round, the pulled arm, is kept in ``extras["arms"]``
    and the observed reward in ``extras["rewards"]``.
    """
    all_extras: dict[str, np.ndarray] = {}
    if record_policies:
        all_extras["arms"] = arms
        all_extras["rewards"] = rewards
    if extras:
        all_extras.update(extras)
    metadata = trace_metadata(
        learner,
        model,
        seed,
        budget,
        timing="one compiled call, time spread evenly over rounds",
        **meta,
    )
    return RegretTrace(
        pseudo_regret=pseudo,
        realised_regret=optimal_mean - rewards,
        episode_time=np.full(budget, seconds / budget),
        metadata=metadata,
        extras=all_extras,
    )
