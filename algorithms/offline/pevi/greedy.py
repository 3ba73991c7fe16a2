r"""The greedy control of the offline checks: :class:`GreedyLSVI`, PEVI without penalty
(``beta = 0``), greedy least-squares value iteration from offline data."""

from __future__ import annotations

from dataclasses import dataclass

from algorithms._validation import check_no_bonus
from algorithms.offline.pevi.learner import PEVI

__all__ = ["GreedyLSVI"]


@dataclass(frozen=True)
class GreedyLSVI(PEVI):
    """Greedy least-squares value iteration from offline data: PEVI without penalty.

    The control of the offline checks: Algorithm 2 with ``beta = 0`` (still clipped to
    ``[0, H - h + 1]``). Without pessimism its greedy step trusts the regression everywhere,
    including where the data say nothing.

    Examples
    --------
    >>> GreedyLSVI().label, GreedyLSVI().constants
    ('greedy LSVI', 'none (greedy control)')
    """

    c: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_no_bonus("GreedyLSVI", self.c, "penalty", "PEVI")
