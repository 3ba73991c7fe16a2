r"""(s, a)-rectangular uncertainty sets around a nominal kernel, and their inner problems.

An :class:`UncertaintySet` is either a **ball** of radius ``rho`` around each nominal row
``p = P(. | s, a)`` (Iyengar 2005; Nilim and El Ghaoui 2005)::

    U(p) = { q in simplex : D(q || p) <= rho }          inner problem  inf_{q in U(p)} q . V

or a **penalty** ``lam`` (the regularised robust MDP of Tang, Liu, Xu, ICML 2025)::

    inner problem  inf_{q in simplex} [ q . V + lam D(q || p) ]

for three divergences, with the conventions that make the duals below exact:

* ``"tv"``: ``D_TV(q || p) = 1/2 ||q - p||_1`` (so ``rho >= 1`` allows every distribution);
  ``q`` may put mass outside the support of ``p`` (``support="all"``, the usual ball), or only
  on it (``support="nominal"``, the ball intersected with ``q << p``);
* ``"kl"``: ``KL(q || p) = sum_j q_j log(q_j / p_j)`` (``q << p``);
* ``"chi2"``: Pearson's ``sum_j (q_j - p_j)^2 / p_j`` (``q << p``).

The inner problems are solved exactly through their one-dimensional duals
(``docs/robust.md`` derives them; :mod:`mdptheory.robust._kernels` evaluates them by
one walk over ``V`` sorted once per backup, or a safeguarded Newton search for the KL ball), and
:func:`inner_problem` returns the minimising distribution too. Limits: ``rho = 0`` and
``lam = inf`` give the nominal ``p . V``; a TV ball with ``rho >= 1`` gives ``min_s V(s)`` (over
the support of ``p`` with ``support="nominal"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mdptheory._validation import (
    DEFAULT_TOL,
    ParameterTypeError,
    as_float_array,
    check_distributions,
    check_real,
)
from mdptheory.robust._kernels import (
    CODES,
    chi2_rows,
    robust_rows,
    tv_ball_rows,
)
from mdptheory.robust._tilt import kl_ball_backup, tilted_rows

ANCHORED_ROWS = 256
"""From this many rows on, a KL ball's backup shares its exponentials between rows through
anchored series (:mod:`mdptheory.robust._tilt`); below it, each row is solved on its own."""

WALKS = ("tv", "chi2")
"""Divergences whose backups walk each row from a guessed cut (:meth:`UncertaintySet.walk_backup`);
the others, and the minimisers of a TV ball, use the row kernels that scan every atom."""

Divergence = Literal["tv", "kl", "chi2"]
DIVERGENCES = ("tv", "kl", "chi2")


@dataclass(frozen=True)
class UncertaintySet:
    """A rectangular uncertainty set: a ``divergence`` ball of ``radius`` or a ``penalty``.

    Exactly one of ``radius`` (``rho >= 0``) and ``penalty`` (``lam > 0``, ``inf`` allowed) is
    given. ``support`` only matters for TV (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> ball = UncertaintySet("tv", radius=0.25)
    >>> float(ball.backup(np.array([[0.5, 0.5]]), np.array([0.0, 1.0]))[0])
    0.25
    >>> float(UncertaintySet("kl", penalty=np.inf).backup(np.array([[0.5, 0.5]]),
    ...                                                    np.array([0.0, 1.0]))[0])
    0.5
    """

    divergence: Divergence
    radius: float | None = None
    penalty: float | None = None
    support: Literal["all", "nominal"] = "all"

    def __post_init__(self) -> None:
        if not isinstance(self.divergence, str) or self.divergence not in DIVERGENCES:
            raise ValueError(f"divergence must be one of {DIVERGENCES}, got {self.divergence!r}")
        if (self.radius is None) == (self.penalty is None):
            raise ValueError(
                "give exactly one of radius (a ball) and penalty (the regularised "
                f"form), got radius={self.radius!r}, penalty={self.penalty!r}"
            )
        if self.radius is not None:
            object.__setattr__(self, "radius", check_real(self.radius, "radius", 0.0))
        else:
            penalty = self.penalty
            if (
                isinstance(penalty, (int, float, np.floating))
                and not isinstance(penalty, bool)
                and math.isinf(penalty)
                and penalty > 0
            ):
                object.__setattr__(self, "penalty", math.inf)
            else:
                object.__setattr__(
                    self, "penalty", check_real(penalty, "penalty", 0.0, low_open=True)
                )
        if self.support not in ("all", "nominal"):
            raise ValueError(f"support must be 'all' or 'nominal', got {self.support!r}")

    @property
    def penalised(self) -> bool:
        """True for the regularised form ``inf_q q.V + lam D(q || p)``."""
        return self.penalty is not None

    @property
    def nominal(self) -> bool:
        """True when the set is the nominal kernel alone (``rho = 0`` or ``lam = inf``)."""
        return self.radius == 0.0 or self.penalty == math.inf

    @property
    def label(self) -> str:
        """A short name: ``tv(rho=0.1)``, ``kl(lam=2)``."""
        if self.penalised:
            return f"{self.divergence}(lam={self.penalty:g})"
        extra = ", support=nominal" if self.support == "nominal" else ""
        return f"{self.divergence}(rho={self.radius:g}{extra})"

    def _code_param(self) -> tuple[int, float]:
        return CODES[(self.divergence, self.penalised)], float(
            self.penalty if self.penalised else self.radius
        )

    def backup(
        self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray | None = None, slack: float = 0.0
    ) -> np.ndarray:
        """``inf`` over the set of each row of ``P2`` (n_rows, S) against ``V`` (S,).

        ``warm`` (n_rows,), optional, carries the KL ball's dual variables from one backup to
        the next (updated in place); ``slack`` lets the KL ball's search stop once its duality
        gap is below it (see :meth:`backup_with_gap`). Inputs are trusted: the solvers
        validate once at entry.
        """
        return self.backup_with_gap(P2, V, warm, slack)[0]

    def backup_with_gap(
        self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray | None = None, slack: float = 0.0
    ) -> tuple[np.ndarray, float]:
        """:meth:`backup` and the largest amount by which a value may exceed its infimum (0
        up to rounding except for the KL ball, whose value is within ``max(slack, 4 ulp)``)."""
        if self.nominal:
            return P2 @ V, 0.0
        if self.divergence == "kl" and self.penalised:
            # -lam log E_p exp(-V/lam) for all rows at once: one vector of exponentials and a
            # matrix-vector product; rows whose sum underflows are redone row by row.
            lam = float(self.penalty)
            low = float(V.min())
            Z = P2 @ np.exp(-(V - low) / lam)
            values = np.empty(P2.shape[0])
            fine = Z > 1e-250
            values[fine] = low - lam * np.log(Z[fine])
            if not fine.all():
                rows = np.flatnonzero(~fine)
                values[rows] = self.scan_backup(np.ascontiguousarray(P2[rows]), V)[0]
            return values, 0.0
        if self.divergence == "kl" and P2.shape[0] >= ANCHORED_ROWS:
            return self.anchored_backup(P2, V, warm, slack)
        if self.divergence in WALKS:
            return self.walk_backup(P2, V, warm), 0.0
        values, _, gap = self.scan_backup(P2, V, warm, slack)
        return values, gap

    def anchored_backup(
        self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray | None = None, slack: float = 0.0
    ) -> tuple[np.ndarray, float]:
        """The KL ball's :meth:`backup_with_gap` through anchored series shared by the rows
        (:func:`mdptheory.robust._tilt.kl_ball_backup`), whatever the number of rows."""
        if self.divergence != "kl" or self.penalised:
            raise ValueError(f"anchored backups are for a KL ball, got {self.label}")
        if warm is None:
            warm = np.zeros(P2.shape[0])
        if self.nominal:
            return P2 @ V, 0.0
        order = np.argsort(V, kind="stable")
        code, param = self._code_param()

        def row_solver(rows, values, warm_all):
            sub_warm = warm_all[rows].copy()
            out, gap = robust_rows(
                P2 if rows.size == P2.shape[0] else np.ascontiguousarray(P2[rows]),
                V,
                order,
                code,
                param,
                True,
                False,
                np.empty((1, 1)),
                sub_warm,
                float(slack),
            )
            values[rows] = out
            warm_all[rows] = sub_warm
            return gap

        return kl_ball_backup(P2, V, float(self.radius), warm, float(slack), row_solver)

    def walk_backup(
        self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray | None = None
    ) -> np.ndarray:
        """A TV or chi-square set's :meth:`backup`, each row of a ball or of the chi-square
        penalty from a guessed cut in the order of ``V``
        (:func:`~mdptheory.robust._kernels.tv_ball_rows`,
        :func:`~mdptheory.robust._kernels.chi2_rows`; the TV penalty's closed form is one
        pass per row already).

        ``warm`` (n_rows,), optional, keeps each row's cut for the next backup (updated in
        place); the values do not depend on it beyond rounding. :meth:`scan_backup` gives the
        same values to rounding (it scans every atom of a row).
        """
        if self.divergence not in ("tv", "chi2"):
            raise ValueError(f"walk backups are for TV and chi2 sets, got {self.label}")
        if self.nominal:
            return P2 @ V
        if warm is None:
            warm = np.zeros(P2.shape[0])
        if self.divergence == "chi2":
            return self._chi2_walk(P2, V, warm, np.full(P2.shape[0], -1), np.empty((1, 1)))
        if self.penalised:
            return self.scan_backup(P2, V, warm)[0]
        _, param = self._code_param()
        order = np.argsort(V, kind="stable")
        return tv_ball_rows(P2, V, order, param, self.support == "all", warm)

    def worst_case(
        self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The values and the minimising rows ``Q2`` (n_rows, S), a kernel in the set.

        ``warm`` as for :meth:`backup` (a KL ball's search then starts from it); the
        inner problems are solved to rounding whatever the start."""
        if self.nominal:
            return P2 @ V, P2.copy()
        if self.divergence == "kl" and not self.penalised and P2.shape[0] >= ANCHORED_ROWS:
            # the dual variables to rounding through the shared anchors, then each minimiser
            # in one pass of exponentials (the row kernel would spend a few passes per row on
            # its last Newton steps)
            if warm is None:
                warm = np.zeros(P2.shape[0])
            values, _ = self.anchored_backup(P2, V, warm, 0.0)
            return values, tilted_rows(P2, V, warm)
        if self.divergence == "chi2":
            # the walk from each row's guessed interval, then one pass writing its minimiser
            if warm is None:
                warm = np.zeros(P2.shape[0])
            Q2 = np.empty_like(P2)
            return self._chi2_walk(P2, V, warm, np.arange(P2.shape[0]), Q2), Q2
        values, Q2, _ = self.scan_backup(P2, V, warm, minimisers=True)
        if self.divergence == "tv" and not self.penalised:
            # the values of the backups (the walk), the minimisers of the row kernel
            values = self.walk_backup(P2, V, warm)
        return values, Q2

    def worst_case_values(self, P2: np.ndarray, V: np.ndarray, warm: np.ndarray) -> np.ndarray:
        """The values of :meth:`worst_case` ``(P2, V, warm)``, bit for bit, without writing its
        minimisers (``warm`` updated as there).

        A solver that needs the minimisers of a few rows only (a policy's) takes them from
        :meth:`worst_case_minimisers`: the whole kernel has ``S A S`` entries, and the first
        touch of their fresh memory alone costs several backups.
        """
        if self.nominal:
            return P2 @ V
        if self.divergence == "kl" and not self.penalised and P2.shape[0] >= ANCHORED_ROWS:
            return self.anchored_backup(P2, V, warm, 0.0)[0]
        if self.divergence in WALKS:
            return self.walk_backup(P2, V, warm)
        return self.scan_backup(P2, V, warm)[0]

    def worst_case_minimisers(
        self,
        P2: np.ndarray,
        V: np.ndarray,
        before: np.ndarray,
        after: np.ndarray,
        rows: np.ndarray,
    ) -> np.ndarray:
        """Rows ``rows`` (distinct) of the minimisers of :meth:`worst_case` ``(P2, V, before)``,
        bit for bit, once :meth:`worst_case_values` has taken ``before`` to ``after``.

        A KL ball's minimisers are written from their dual variables (``after``), a chi-square
        set's by the same walk over every row with only ``rows`` written (each row's walk starts
        where the previous one ended), the others' by their row kernel from ``before``.
        """
        rows = np.asarray(rows, dtype=np.int64)
        sub = np.ascontiguousarray(P2[rows])
        if self.nominal:
            return sub
        if self.divergence == "kl" and not self.penalised and P2.shape[0] >= ANCHORED_ROWS:
            return tilted_rows(sub, V, after[rows])
        if self.divergence == "chi2":
            slots = np.full(P2.shape[0], -1, dtype=np.int64)
            slots[rows] = np.arange(rows.size)
            Q = np.empty((rows.size, P2.shape[1]))
            self._chi2_walk(P2, V, before.copy(), slots, Q)
            return Q
        return self.scan_backup(sub, V, before[rows].copy(), minimisers=True)[1]

    def _chi2_walk(self, P2, V, warm, slots, Q):
        """The chi-square walk over every row, row ``r``'s minimiser into ``Q[slots[r]]``
        where ``slots[r] >= 0`` (:func:`~mdptheory.robust._kernels.chi2_rows`)."""
        _, param = self._code_param()
        order = np.argsort(V, kind="stable")
        slots = np.asarray(slots, dtype=np.int64)
        return chi2_rows(P2, V, order, param, self.penalised, warm, slots, Q)

    def scan_backup(
        self,
        P2: np.ndarray,
        V: np.ndarray,
        warm: np.ndarray | None = None,
        slack: float = 0.0,
        minimisers: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None, float]:
        """The backup of each row of ``P2`` (n_rows, S) against ``V`` (S,) by the row kernel,
        which scans every atom of every row (no walk from a guessed cut, no shared anchors).

        The reference the faster paths of :meth:`backup` and :meth:`worst_case` are tested
        against, and their fallback for the sets they do not cover. Returns the values, the
        minimising rows ``Q2`` (n_rows, S) when ``minimisers`` (else ``None``), and the
        largest amount by which a value may exceed its infimum (as in
        :meth:`backup_with_gap`). ``warm`` and ``slack`` as for :meth:`backup`; inputs are trusted,
        as there.

        Examples
        --------
        >>> import numpy as np
        >>> values, Q2, gap = UncertaintySet("tv", radius=0.25).scan_backup(
        ...     np.array([[0.5, 0.5]]), np.array([0.0, 1.0]), minimisers=True)
        >>> float(values[0]), Q2[0].tolist(), gap
        (0.25, [0.75, 0.25], 0.0)
        """
        code, param = self._code_param()
        order = np.argsort(V, kind="stable")
        Q2 = np.empty_like(P2) if minimisers else np.empty((1, 1))
        if warm is None:
            warm = np.zeros(P2.shape[0])
        values, gap = robust_rows(
            P2, V, order, code, param, self.support == "all", minimisers, Q2, warm, float(slack)
        )
        return values, (Q2 if minimisers else None), gap

    def contains(self, p: np.ndarray, q: np.ndarray, tol: float = 1e-9) -> bool:
        """Whether ``q`` is in the ball around ``p`` (within ``tol`` on the divergence)."""
        if self.penalised:
            raise ValueError("a penalised set has no ball to be inside of; use divergence()")
        return bool(
            divergence(self.divergence, p, q) <= self.radius + tol
            and (self.support == "all" or not np.any((q > 0) & (p <= 0)))
        )


def divergence(kind: Divergence, p, q) -> float:
    """``D(q || p)`` in this module's conventions (``inf`` where ``q`` leaves ``supp p`` for
    KL and chi-square).

    Examples
    --------
    >>> divergence("tv", [0.5, 0.5], [1.0, 0.0])
    0.5
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if kind == "tv":
        return float(0.5 * np.abs(q - p).sum())
    outside = (q > 0) & (p <= 0)
    if outside.any():
        return math.inf
    on = p > 0
    if kind == "kl":
        pos = on & (q > 0)
        return float(np.sum(q[pos] * np.log(q[pos] / p[pos])))
    if kind == "chi2":
        return float(np.sum((q[on] - p[on]) ** 2 / p[on]))
    raise ValueError(f"divergence must be one of {DIVERGENCES}, got {kind!r}")


def _check_row(p, V) -> tuple[np.ndarray, np.ndarray]:
    p = as_float_array(p, "p", ndim=1)
    V = as_float_array(V, "V", ndim=1)
    if p.shape != V.shape:
        raise ValueError(f"p has shape {p.shape} and V has shape {V.shape}; they must match")
    if p.size == 0:
        raise ValueError("p is empty: need at least one state")
    check_distributions(p, "p", DEFAULT_TOL)
    return p, V


def inner_problem(uncertainty: UncertaintySet, p, V) -> tuple[float, np.ndarray]:
    """Solve one inner problem exactly: the value and the minimising distribution ``q``.

    For a ball the value is ``inf_{q in U(p)} q.V``; for a penalty it is
    ``inf_q [q.V + lam D(q || p)]`` (so ``q.V`` alone is smaller by ``lam D(q || p)``).

    Raises
    ------
    ValueError
        If ``p`` is not a distribution or ``V`` is not finite (naming the index).

    Examples
    --------
    >>> value, q = inner_problem(UncertaintySet("tv", radius=0.5), [0.5, 0.5], [0.0, 1.0])
    >>> value, q.tolist()
    (0.0, [1.0, 0.0])
    """
    if not isinstance(uncertainty, UncertaintySet):
        raise ParameterTypeError(
            f"uncertainty must be an UncertaintySet, got {type(uncertainty).__name__}"
        )
    p, V = _check_row(p, V)
    values, Q2 = uncertainty.worst_case(p[None, :], V)
    return float(values[0]), Q2[0]
