"""Input checks shared by every learner: one wording for the same mistake everywhere."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_budget(budget: Any, unit: str) -> int:
    """``budget`` as an int >= 1; ``unit`` names what it counts (e.g. ``"number of rounds"``).

    Raises
    ------
    ValueError
        Naming the value, for a bool, a non-integer or a value below 1.
    """
    if (isinstance(budget, (bool, np.bool_)) or not isinstance(budget, (int, np.integer))
            or budget < 1):
        raise ValueError(f"budget ({unit}) must be a positive int, got {budget!r}")
    return int(budget)


def check_unit_rewards(R3: np.ndarray, learner: str, reason: str) -> None:
    """Raise naming the first mean reward ``R3[h, s, a]`` outside [0, 1]; ``reason`` says which
    step of the learner's analysis needs the range."""
    bad = (R3 < 0.0) | (R3 > 1.0)
    if bad.any():
        h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), R3.shape)
        raise ValueError(f"R[{h}, {s}, {a}] is {float(R3[h, s, a])!r}, outside [0, 1]; "
                         f"{learner}'s {reason} assume mean rewards in [0, 1]")
