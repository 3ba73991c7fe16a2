"""Input checks shared by every learner: one wording for the same mistake everywhere."""

from __future__ import annotations

from typing import Any

import numpy as np

from mdptheory._validation import ParameterTypeError, check_int, check_memory, dense_bytes

TRACE_BYTES_PER_STEP = 32
"""Memory a run keeps per round or episode at the least: the trace's pseudo-regret, realised
regret and time (float64 each) and the action or state taken."""


def check_budget(budget: Any, unit: str, bytes_per_step: float = TRACE_BYTES_PER_STEP) -> int:
    """``budget`` as an int >= 1; ``unit`` names what it counts (e.g. ``"number of rounds"``).

    A budget whose trace alone (``bytes_per_step`` per step) would exceed the memory limit
    (:func:`mdptheory._validation.memory_limit`) is refused before anything is allocated.

    Raises
    ------
    ParameterTypeError
        (a ``TypeError`` and a ``ValueError``) for a bool or a non-integer.
    ValueError
        Naming the value, for a value below 1 or a budget too large for the machine.
    """
    if isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, np.integer)):
        raise ParameterTypeError(f"budget ({unit}) must be a positive int, got {budget!r}")
    if budget < 1:
        raise ValueError(f"budget ({unit}) must be a positive int, got {budget!r}")
    check_memory(
        dense_bytes(budget) / 8 * bytes_per_step,
        f"the trace of {budget} steps ({unit})",
        f"budget={budget}",
    )
    return int(budget)


def check_positive(
    name: str, value: Any, *, allow_zero: bool = False, allow_none: bool = False
) -> float | None:
    """``value`` as a float, refused (naming ``name``) unless a finite real > 0 (>= 0 with
    ``allow_zero``); ``None`` passes through with ``allow_none``.

    Raises
    ------
    ParameterTypeError
        (a ``TypeError`` and a ``ValueError``) for a bool, a string or another non-number.
    ValueError
        For NaN, an infinity or a value out of range.

    Examples
    --------
    >>> check_positive("c", 2)
    2.0
    >>> check_positive("c", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: c must be a finite number > 0, got 0.0
    """
    if value is None and allow_none:
        return None
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ParameterTypeError(f"{name} must be a finite number {bound}, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


def check_unit_rewards(R3: np.ndarray, learner: str, reason: str) -> None:
    """Raise naming the first mean reward ``R3[h, s, a]`` outside [0, 1]; ``reason`` says which
    step of the learner's analysis needs the range."""
    bad = (R3 < 0.0) | (R3 > 1.0)
    if bad.any():
        h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), R3.shape)
        raise ValueError(
            f"R[{h}, {s}, {a}] is {float(R3[h, s, a])!r}, outside [0, 1]; "
            f"{learner}'s {reason} assume mean rewards in [0, 1]"
        )


def check_open_unit(value: float, name: str) -> float:
    """``value`` as a float in the open interval (0, 1)."""
    value = float(value)
    if not (0.0 < value < 1.0):
        raise ValueError(f"{name} must lie in (0, 1), got {value!r}")
    return value


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_no_bonus(learner: str, c: float, bonus: str, full: str) -> None:
    """A control ``learner`` (the algorithm with its ``bonus`` or penalty removed) accepts
    only ``c = 0``; ``full`` names the learner that takes other values.

    Examples
    --------
    >>> check_no_bonus("LSVI", 0.0, "bonus", "LSVIUCB")
    >>> check_no_bonus("LSVI", 0.5, "bonus", "LSVIUCB")
    Traceback (most recent call last):
    ...
    ValueError: LSVI has no bonus (c = 0), got c=0.5; use LSVIUCB(c=...)
    """
    if c != 0.0:
        raise ValueError(f"{learner} has no {bonus} (c = 0), got c={c!r}; use {full}(c=...)")


def check_refactor_every(refactor_every: object) -> int:
    """``refactor_every`` as a positive int: rank-one updates of a Gram matrix's inverse
    between two exact refactorisations.

    Examples
    --------
    >>> check_refactor_every(1000)
    1000
    """
    return check_int(refactor_every, "refactor_every", 1)
