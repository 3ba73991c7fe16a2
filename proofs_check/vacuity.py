"""Where a bound curve can be judged: the points where it is below the trivial bound.

A bound that is at or above the trivial one (``H K`` for regret, ``1/(1-gamma)`` for a
sub-optimality, the range of the quantity) holds for every run, so a check judges the measured
curve only where the bound is *informative*, below the trivial one, and calls the claim
``vacuous`` where it is nowhere informative (``DESIGN.md``, section 7).
:func:`proofs_check.harness.vacuous_bound` does this for one number; :func:`informative_bound`
for a curve (a bound at every recorded t, or at every (run, t)): a check asks
:attr:`InformativeBound.vacuous` first, and otherwise judges the measured curve on the
informative points only (:meth:`InformativeBound.holds`, :meth:`InformativeBound.max_ratio`),
reporting where they begin (:attr:`InformativeBound.first`) and how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InformativeBound:
    """A bound curve and the mask of the points where it is below the trivial bound.

    Attributes
    ----------
    bound : ndarray
        The bound at every point (1-d over a grid, or 2-d over runs and a grid).
    informative : ndarray of bool
        Where ``bound < trivial``; same shape as ``bound``.
    x : ndarray or None
        The grid of a 1-d bound (for :attr:`first`).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([1.0, 10.0, 100.0, 1000.0])
    >>> part = informative_bound(t, 50.0 / t, trivial=10.0)
    >>> part.count, part.first, part.holds(np.array([9.0, 4.0, 0.4, 0.01]))
    (3, 10.0, True)
    >>> float(part.max_ratio(np.array([9.0, 4.0, 0.4, 0.01])))
    0.8
    """

    bound: np.ndarray
    informative: np.ndarray
    x: np.ndarray | None = None

    @property
    def vacuous(self) -> bool:
        """True when the bound is nowhere below the trivial one."""
        return not bool(self.informative.any())

    @property
    def count(self) -> int:
        """The number of informative points."""
        return int(self.informative.sum())

    @property
    def first(self) -> float:
        """The first grid point where the bound is informative (NaN where none is)."""
        if self.x is None:
            raise ValueError("first needs the grid x of a 1-d bound")
        return float(self.x[self.informative][0]) if not self.vacuous else float("nan")

    def max_ratio(self, measured) -> float:
        """The largest ``measured / bound`` over the informative points."""
        return float((self._measured(measured) / self.bound[self.informative]).max())

    def holds(self, measured) -> bool:
        """True when ``measured <= bound`` at every informative point."""
        return bool((self._measured(measured) <= self.bound[self.informative]).all())

    def _measured(self, measured) -> np.ndarray:
        measured = np.asarray(measured, dtype=np.float64)
        if measured.shape != self.bound.shape:
            raise ValueError(f"measured has shape {measured.shape}, the bound {self.bound.shape}")
        if self.vacuous:
            raise ValueError("the bound is nowhere informative: there is nothing to compare")
        return measured[self.informative]


def informative_bound(x, bound, trivial) -> InformativeBound:
    """``bound`` on the grid ``x`` (None for a 2-d bound over runs) against ``trivial`` (a
    number, or an array broadcast against ``bound``, e.g. one value per run as a column).

    Examples
    --------
    >>> informative_bound([1.0, 2.0], [30.0, 15.0], trivial=10.0).vacuous
    True
    """
    bound = np.asarray(bound, dtype=np.float64)
    if x is not None:
        x = np.asarray(x, dtype=np.float64)
        if bound.shape != x.shape:
            raise ValueError(f"bound has shape {bound.shape}, the grid x {x.shape}")
    informative = np.broadcast_to(bound < trivial, bound.shape)
    return InformativeBound(bound, informative, x)


__all__ = ["InformativeBound", "informative_bound"]
