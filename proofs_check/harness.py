"""Theorems as executable checks: the registry, evidence and verdicts.

Writing a check
---------------
A check is a function ``f(scale, seed) -> Outcome`` registered with :func:`theorem`; its
docstring states the claim (:mod:`proofs_check.statement`)::

    GAMMAS = (0.5, 0.9, 0.99)


    @theorem(id="puterman-6.3-vi-contraction", paper="Puterman (1994), Thm 6.3.1",
             tags=("planning",), kind="exact")
    def vi_contraction(scale: str, seed: int) -> Outcome:
        \"""Value iteration converges linearly at rate gamma, for gamma in {GAMMAS}.

        Formula
        -------
        ||V_k - V*||_inf <= gamma^k ||V_0 - V*||_inf

        Source
        ------
        Puterman (1994), Theorem 6.3.1, not re-read here.
        \"""
        ...
        return Outcome(Evidence(...), Verdict.passed("..."))

The summary is the claim; the sections ``Formula``, ``Rule`` and ``Source`` are the other
fields, ``{NAME}`` placeholders are filled in from the module's constants when it is imported.

``scale`` is ``"quick"`` (seconds, the default of ``mdptheory check``) or ``"full"`` (larger
grids and more seeds); ``seed`` seeds every random draw of the check. The check computes its
quantities exactly where it can, returns them as :class:`Evidence` (arrays, fitted numbers and
what to plot) and decides a :class:`Verdict`: ``pass``, ``fail``, ``inconclusive`` or
``vacuous`` with the reason in words. Checks never look at wall-clock time.

A check earns its PASS only if it could have failed (``DESIGN.md``, section 7):

* **vacuous** is the verdict of a claim that holds but could not have failed at this scale (a
  bound at or above the trivial one, an event that holds because every estimate sits at its
  clip). It is reported apart from pass and does not change the exit code.
* A **statistical** check (``kind`` one of :data:`STATISTICAL_KINDS`) returns negative
  :class:`Control` runs: learners or instances that violate the claim, judged by the same
  criterion at the same scale. A control that is not rejected means the check has no power,
  and :meth:`Registry.run_check` turns its verdict into ``fail``; a statistical check that
  returns no control fails the same way.
* Its constants, grids, bands and tolerances are fixed by a rule stated in its ``Rule``
  section before any run, and ``Source`` / ``verified`` record where its statement was read
  and whether it was checked against the paper's own text.

Checks live in the modules of the package :mod:`proofs_check.theorems`, one module per family;
:func:`discover` imports every module of that package, so a new module is picked up without
being listed anywhere. A module that fails to import raises: a broken check must never vanish
silently from the report.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from proofs_check.statement import docstring_statement

Status = Literal["pass", "fail", "inconclusive", "vacuous"]
STATUSES: tuple[str, ...] = ("pass", "fail", "inconclusive", "vacuous")
KINDS: tuple[str, ...] = (
    "exact",
    "slope",
    "ratio",
    "comparison",
    "bound",
    "lower-bound",
    "event",
    "failure-mode",
)
"""What a check tests. ``exact``: equality with an exact oracle up to rounding; ``slope``: a
log-log rate; ``ratio``: measured over predicted in a band; ``comparison``: one learner against
another; ``bound``: a measured quantity below a stated bound; ``lower-bound``: a learner's
regret at least of a lower bound's order; ``event``: a high-probability event (optimism,
coverage); ``failure-mode``: the predicted failure where an assumption breaks."""
STATISTICAL_KINDS: tuple[str, ...] = tuple(kind for kind in KINDS if kind != "exact")
"""Kinds whose verdict rests on a finite-sample criterion, so they need negative controls: every
kind but ``exact``."""
_RANK = {"vacuous": 0, "pass": 1, "inconclusive": 2, "fail": 3}
SCALES: tuple[str, ...] = ("quick", "full")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$")


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: a status and the reason in words.

    Attributes
    ----------
    status : {"pass", "fail", "inconclusive", "vacuous"}
        ``pass``: the evidence agrees with the claim and could have contradicted it. ``fail``:
        the evidence contradicts it. ``inconclusive``: the evidence cannot tell (e.g. a
        confidence interval straddles the bound). ``vacuous``: the claim holds but could not
        have failed at this scale (a bound above the trivial one, every estimate at its clip).
    reason : str
        What was measured and how it compares with the claim.

    Examples
    --------
    >>> Verdict.passed("ratio in [0.2, 1.0]").status
    'pass'
    >>> Verdict.combine([Verdict.passed("a"), Verdict.inconclusive("b")]).status
    'inconclusive'
    >>> Verdict.combine([Verdict.passed("a"), Verdict.vacuous("b")]).reason
    'a; vacuous: b'
    """

    status: Status
    reason: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status must be one of {STATUSES}, got {self.status!r}")
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ValueError(f"a verdict needs a reason in words, got {self.reason!r}")

    @classmethod
    def passed(cls, reason: str) -> Verdict:
        return cls("pass", reason)

    @classmethod
    def failed(cls, reason: str) -> Verdict:
        return cls("fail", reason)

    @classmethod
    def inconclusive(cls, reason: str) -> Verdict:
        return cls("inconclusive", reason)

    @classmethod
    def vacuous(cls, reason: str) -> Verdict:
        return cls("vacuous", reason)

    @classmethod
    def passed_if(cls, ok: bool, reason: str) -> Verdict:
        """``pass`` when ``ok``, else ``fail``, with the same reason (an exact criterion).

        >>> Verdict.passed_if(1e-14 <= 1e-12, "max error 1e-14, tolerance 1e-12").status
        'pass'
        """
        return cls("pass" if ok else "fail", reason)

    @classmethod
    def combine(cls, verdicts: Iterable[Verdict]) -> Verdict:
        """The worst of several verdicts, reasons joined.

        The order is fail over inconclusive over pass over vacuous: a check whose parts are
        all vacuous is vacuous, and one informative pass among vacuous parts makes a pass.
        Only the reasons of verdicts with the worst status are kept, so the reason explains
        the status; the vacuous parts of a pass are kept too, marked as such.
        """
        verdicts = list(verdicts)
        if not verdicts:
            raise ValueError("combine needs at least one verdict, got none")
        worst = max(verdicts, key=lambda v: _RANK[v.status]).status
        reasons = [v.reason for v in verdicts if v.status == worst]
        if worst == "pass":
            reasons += [f"vacuous: {v.reason}" for v in verdicts if v.status == "vacuous"]
        return cls(worst, "; ".join(reasons))

    def about(self, what: str) -> Verdict:
        """The same verdict, its reason prefixed by what it judged (``"what: reason"``), for a
        part of a claim among several (a learner, an instance, a constant).

        >>> Verdict.failed("slope 0.98 > 0.55").about("greedy on river_swim")
        Verdict(status='fail', reason='greedy on river_swim: slope 0.98 > 0.55')
        """
        return Verdict(self.status, f"{what}: {self.reason}")

    @property
    def ok(self) -> bool:
        """True unless the status is ``fail``."""
        return self.status != "fail"


def vacuous_bound(bound: float, trivial: float, what: str) -> Verdict | None:
    """``Verdict.vacuous`` when ``bound >= trivial`` (the bound could not have been violated),
    else None.

    ``trivial`` is the bound that holds for every learner, e.g. ``H * K`` for cumulative
    regret of rewards in [0, 1], or the range of the quantity.

    Examples
    --------
    >>> vacuous_bound(2e4, 1e4, "Theorem 1 at K = 1000").status
    'vacuous'
    >>> vacuous_bound(10.0, 1e4, "Theorem 1") is None
    True
    """
    bound, trivial = float(bound), float(trivial)
    if not (bound < trivial):
        return Verdict.vacuous(
            f"{what}: the bound {bound:.4g} is at or above the trivial "
            f"{trivial:.4g} ({bound / trivial:.3g}x), so no run could "
            "exceed it"
        )
    return None


@dataclass(frozen=True)
class Control:
    """A negative control: a run that violates the claim, judged by the check's own criterion.

    Attributes
    ----------
    name : str
        What the control is (e.g. ``"greedy (bonus 0) on river_swim"``).
    verdict : Verdict
        The criterion's verdict on the control's run. The control is *rejected* when this is
        ``fail``: the criterion told the violating run apart from the claim.
    measured : dict of float
        The control's measured numbers (its slope and CI, its ratio, ...).

    Examples
    --------
    >>> c = Control("greedy", Verdict.failed("slope 0.98 > 0.55"), {"slope": 0.98})
    >>> c.rejected
    True
    """

    name: str
    verdict: Verdict
    measured: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a control needs a name, got {self.name!r}")
        if not isinstance(self.verdict, Verdict):
            raise ValueError(
                f"control {self.name!r}: verdict must be a Verdict, got "
                f"{type(self.verdict).__name__}"
            )
        object.__setattr__(
            self, "measured", {str(k): float(v) for k, v in dict(self.measured).items()}
        )

    @property
    def rejected(self) -> bool:
        """True when the criterion rejected the control (its verdict is ``fail``)."""
        return self.verdict.status == "fail"

    def record(self) -> dict[str, Any]:
        """JSON-ready: ``{name, rejected, status, reason, measured}``."""
        return {
            "name": self.name,
            "rejected": self.rejected,
            "status": self.verdict.status,
            "reason": self.verdict.reason,
            "measured": dict(self.measured),
        }


def _as_float_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class Series:
    """A measured curve to plot.

    Attributes
    ----------
    label : str
    x : ndarray, shape (n,)
    y : ndarray, shape (n,) or (n_seeds, n)
        A 2-d ``y`` is drawn as its mean over seeds with a confidence band (Student t over
        seeds, level ``ci``).
    band : (ndarray, ndarray), optional
        An explicit lower and upper band, drawn instead of the one computed from ``y``.
    style : {"line", "points"}
    ci : float
        Level of the band computed from a 2-d ``y``.
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    band: tuple[np.ndarray, np.ndarray] | None = None
    style: Literal["line", "points"] = "line"
    ci: float = 0.95

    def __post_init__(self) -> None:
        x = _as_float_array(self.x)
        y = _as_float_array(self.y)
        if x.ndim != 1:
            raise ValueError(f"series {self.label!r}: x must be 1-d, got shape {x.shape}")
        if y.ndim not in (1, 2) or y.shape[-1] != x.shape[0]:
            raise ValueError(
                f"series {self.label!r}: y has shape {y.shape}, expected "
                f"({x.shape[0]},) or (n_seeds, {x.shape[0]})"
            )
        if self.style not in ("line", "points"):
            raise ValueError(
                f"series {self.label!r}: style must be 'line' or 'points', got {self.style!r}"
            )
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        if self.band is not None:
            low, high = (_as_float_array(b) for b in self.band)
            if low.shape != x.shape or high.shape != x.shape:
                raise ValueError(f"series {self.label!r}: band arrays must have shape {x.shape}")
            object.__setattr__(self, "band", (low, high))


@dataclass(frozen=True)
class Line:
    """A fitted or theoretical line to draw over the measured series.

    ``role`` chooses the style: ``"fit"`` (solid), ``"reference"`` (dashed, e.g. the slope the
    theorem predicts) or ``"bound"`` (dotted, e.g. the right-hand side of an inequality).
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    role: Literal["fit", "reference", "bound"] = "reference"

    def __post_init__(self) -> None:
        x = _as_float_array(self.x)
        y = _as_float_array(self.y)
        if x.ndim != 1 or y.shape != x.shape:
            raise ValueError(
                f"line {self.label!r}: x and y must be 1-d of the same length, got "
                f"{x.shape} and {y.shape}"
            )
        if self.role not in ("fit", "reference", "bound"):
            raise ValueError(
                f"line {self.label!r}: role must be 'fit', 'reference' or 'bound', "
                f"got {self.role!r}"
            )
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)


@dataclass(frozen=True)
class Evidence:
    """What a check measured, and what to plot.

    Attributes
    ----------
    arrays : dict of ndarray
        Raw measurements (saved to ``arrays/<id>.npz`` by the report).
    fitted : dict of float
        Fitted or summary numbers (slopes, CI ends, maximal ratios, errors), shown in the report.
    series : tuple of Series
        Curves to plot (mean and band over seeds for 2-d data).
    lines : tuple of Line
        Fitted lines, reference slopes and bounds drawn over the series.
    xlabel, ylabel : str
    xscale, yscale : {"linear", "log"}
    title : str, optional
    figure : callable, optional
        ``figure(ax)`` draws the plot itself on a matplotlib ``Axes``; when given it replaces
        the drawing from ``series`` and ``lines``.
    local_slopes : tuple of Series
        Local log-log slopes (e.g. :meth:`proofs_check.rates.LocalSlopes.series`), drawn in a
        second panel under the main one, with a horizontal line at each of ``slope_references``
        and a vertical one at each of ``burn_in`` (label to x).
    """

    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    fitted: Mapping[str, float] = field(default_factory=dict)
    series: tuple[Series, ...] = ()
    lines: tuple[Line, ...] = ()
    xlabel: str = "x"
    ylabel: str = "y"
    xscale: Literal["linear", "log"] = "log"
    yscale: Literal["linear", "log"] = "log"
    title: str | None = None
    figure: Callable[[Any], None] | None = None
    local_slopes: tuple[Series, ...] = ()
    slope_references: Mapping[str, float] = field(default_factory=dict)
    burn_in: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "local_slopes", tuple(self.local_slopes))
        object.__setattr__(
            self, "slope_references", {str(k): float(v) for k, v in self.slope_references.items()}
        )
        object.__setattr__(self, "burn_in", {str(k): float(v) for k, v in self.burn_in.items()})
        object.__setattr__(self, "arrays", {str(k): np.asarray(v) for k, v in self.arrays.items()})
        object.__setattr__(self, "fitted", {str(k): float(v) for k, v in self.fitted.items()})
        object.__setattr__(self, "series", tuple(self.series))
        object.__setattr__(self, "lines", tuple(self.lines))
        for name in ("xscale", "yscale"):
            if getattr(self, name) not in ("linear", "log"):
                raise ValueError(f"{name} must be 'linear' or 'log', got {getattr(self, name)!r}")

    @property
    def has_plot(self) -> bool:
        return self.figure is not None or bool(self.series) or bool(self.lines)


@dataclass(frozen=True)
class Outcome:
    """What a check function returns: its evidence, its verdict and its negative controls."""

    evidence: Evidence
    verdict: Verdict
    controls: tuple[Control, ...] = ()

    def __post_init__(self) -> None:
        controls = tuple(self.controls)
        for c in controls:
            if not isinstance(c, Control):
                raise ValueError(f"controls must be Control objects, got {type(c).__name__}")
        object.__setattr__(self, "controls", controls)


Result = Outcome
"""Alias: what a check function returns."""


@dataclass(frozen=True)
class Theorem:
    """A registered check and the claim it tests.

    Attributes
    ----------
    id : str
        Unique identifier (letters, digits and ``_ . : + -``), e.g. ``"pdl-kakade-langford"``.
    paper : str
        Citation, with the theorem or equation number.
    claim : str
        The claim in words.
    formula : str
        The claim as a formula (plain text).
    tags : tuple of str
        Families for selection (``mdptheory check --tag planning``).
    func : callable
        ``func(scale, seed) -> Outcome``.
    kind : str or None
        One of :data:`KINDS` (None: not declared). Statistical kinds need controls.
    rule : str
        How the constants, grids, bands and tolerances were fixed before any run.
    source : str
        Where the statement was read (paper version, page, theorem), or where it comes from
        when the paper's own text was not read.
    verified : bool
        True when the statement and its constants were checked against the paper's own text.
    """

    id: str
    paper: str
    claim: str
    formula: str
    tags: tuple[str, ...]
    func: Callable[[str, int], Outcome] = field(repr=False, compare=False)
    kind: str | None = None
    rule: str = ""
    source: str = ""
    verified: bool = False

    @property
    def module(self) -> str:
        return getattr(self.func, "__module__", "?")

    @property
    def statistical(self) -> bool:
        """True for the kinds that need negative controls (:data:`STATISTICAL_KINDS`)."""
        return self.kind in STATISTICAL_KINDS

    def info(self) -> dict[str, Any]:
        """The metadata as a JSON-ready dict (without the function)."""
        return {
            "id": self.id,
            "paper": self.paper,
            "claim": self.claim,
            "formula": self.formula,
            "tags": list(self.tags),
            "module": self.module,
            "kind": self.kind,
            "rule": self.rule,
            "source": self.source or self.paper,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class CheckResult:
    """A check's run: the theorem, the evidence, the verdict and the runtime.

    Attributes
    ----------
    theorem : Theorem
    scale : {"quick", "full"}
    seed : int
    evidence : Evidence
    verdict : Verdict
    runtime : float
        Seconds the check took (reported, never asserted on).
    error : str, optional
        The traceback when the check raised; its verdict is then ``fail``.
    controls : tuple of Control
        The negative controls the check ran.
    """

    theorem: Theorem
    scale: str
    seed: int
    evidence: Evidence
    verdict: Verdict
    runtime: float
    error: str | None = None
    controls: tuple[Control, ...] = ()

    @property
    def power(self) -> str:
        """``"r/n"`` controls rejected, or ``"-"`` without controls."""
        if not self.controls:
            return "-"
        return f"{sum(c.rejected for c in self.controls)}/{len(self.controls)}"

    @property
    def id(self) -> str:
        return self.theorem.id

    @property
    def status(self) -> str:
        return self.verdict.status


def check_scale(scale: str) -> str:
    """``scale`` if it is one of ``SCALES`` ("quick", "full"), else ``ValueError``; for checks that
    pick their grid by scale."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale


class Registry:
    """A set of checks by id. The module-level functions use the default :data:`REGISTRY`.

    ``package`` names the package whose modules :meth:`discover` imports (``None``: nothing
    to discover, as for a registry built in a test).
    """

    def __init__(self, package: str | None = None) -> None:
        self.package = package
        self._theorems: dict[str, Theorem] = {}
        self._discovered = package is None

    def theorem(
        self,
        *,
        id: str,
        paper: str,
        claim: str | None = None,
        formula: str | None = None,
        tags: Iterable[str] = (),
        kind: str | None = None,
        rule: str | None = None,
        source: str | None = None,
        verified: bool = False,
    ) -> Callable[[Callable], Callable]:
        """Decorator registering ``f(scale, seed) -> Outcome`` as the check of a claim.

        The statement (``claim``, ``formula``, ``rule``, ``source``) is written in the
        function's docstring: the summary is the claim, and the sections ``Formula``, ``Rule``
        and ``Source`` the other fields, with ``{NAME}`` placeholders for the module's
        constants (:mod:`proofs_check.statement`); the docstring is filled in, so ``help()``
        shows the numbers. Passing ``claim=`` (and ``formula=``, ...) as keywords instead
        registers a function whose docstring states nothing, as a test or a notebook may; a
        field given both ways raises ``ValueError``.

        ``kind`` (one of :data:`KINDS`) says what the check tests; a statistical kind needs a
        ``rule`` stating how its constants and tolerances were fixed, and its runs must return
        negative controls. ``source`` and ``verified`` record where the statement was read and
        whether it was checked against the paper's own text.

        Examples
        --------
        >>> reg = Registry()
        >>> TOL = 1e-12
        >>> @reg.theorem(id="toy", paper="none", kind="exact")
        ... def toy(scale, seed):
        ...     \"""One plus one is two, to {TOL:g}.
        ...
        ...     Formula
        ...     -------
        ...     1 + 1 = 2
        ...     \"""
        ...     return Outcome(Evidence(fitted={"sum": 1 + 1}), Verdict.passed("1 + 1 is 2"))
        >>> reg.get("toy").claim
        'One plus one is two, to 1e-12.'
        >>> reg.run_check("toy").verdict.status
        'pass'
        >>> @reg.theorem(id="toy.keywords", paper="none", claim="2 > 1", formula="2 > 1")
        ... def toy_keywords(scale, seed):
        ...     return Outcome(Evidence(), Verdict.passed("2 > 1"))
        >>> reg.get("toy.keywords").formula
        '2 > 1'
        """
        if not isinstance(id, str) or not _ID_PATTERN.match(id):
            raise ValueError(
                f"theorem id must be letters, digits and _ . : + - (no spaces), got {id!r}"
            )
        if not isinstance(paper, str) or not paper.strip():
            raise ValueError(f"theorem {id!r}: paper must be a non-empty string, got {paper!r}")
        if isinstance(tags, str):
            raise ValueError(
                f"theorem {id!r}: tags must be a tuple of strings, got the string {tags!r}"
            )
        tag_tuple = tuple(tags)
        for tag in tag_tuple:
            if not isinstance(tag, str) or not tag:
                raise ValueError(f"theorem {id!r}: tag {tag!r} is not a non-empty string")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"theorem {id!r}: kind must be one of {KINDS}, got {kind!r}")
        if not isinstance(verified, bool):
            raise ValueError(f"theorem {id!r}: verified must be True or False, got {verified!r}")
        keywords = {"claim": claim, "formula": formula, "rule": rule, "source": source}
        given = {name: value for name, value in keywords.items() if value is not None}
        if claim is not None:  # a statement by keywords is complete now
            _check_statement(id, kind, given)

        def register(func: Callable[[str, int], Outcome]) -> Callable[[str, int], Outcome]:
            if not callable(func):
                raise ValueError(f"theorem {id!r}: {func!r} is not callable")
            written, doc = docstring_statement(id, func)
            for name in written.keys() & given.keys():
                raise ValueError(
                    f"theorem {id!r}: {name} is given both in the docstring and as {name}=; "
                    "give it one way"
                )
            statement = _check_statement(id, kind, {**written, **given})
            if doc is not None:
                func.__doc__ = doc
            self.add(
                Theorem(
                    id,
                    paper,
                    statement["claim"],
                    statement["formula"],
                    tag_tuple,
                    func,
                    kind,
                    statement.get("rule", ""),
                    statement.get("source", ""),
                    verified,
                )
            )
            return func

        return register

    def add(self, theorem: Theorem) -> Theorem:
        """Register a :class:`Theorem` as it is (e.g. one of another registry, in a worker).

        Re-registering from the same place (a module reloaded) replaces the entry; two
        different checks with one id raise ``ValueError``.
        """
        previous = self._theorems.get(theorem.id)
        func = theorem.func
        if previous is not None and (previous.module, previous.func.__qualname__) != (
            func.__module__,
            func.__qualname__,
        ):
            raise ValueError(
                f"theorem id {theorem.id!r} is registered twice: by "
                f"{previous.module}.{previous.func.__qualname__} and "
                f"{func.__module__}.{func.__qualname__}"
            )
        self._theorems[theorem.id] = theorem
        return theorem

    def discover(self) -> None:
        """Import every module of ``package`` (once), so that their checks register.

        Import errors propagate: a module that cannot be imported stops the run loudly.
        """
        if self._discovered:
            return
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__, prefix=package.__name__ + "."):
            importlib.import_module(module.name)
        self._discovered = True

    def registered(self, tag: str | None = None) -> list[Theorem]:
        """The registered theorems sorted by id, optionally only those with ``tag``."""
        self.discover()
        theorems = sorted(self._theorems.values(), key=lambda t: t.id)
        if tag is not None:
            theorems = [t for t in theorems if tag in t.tags]
        return theorems

    def get(self, id: str) -> Theorem:
        """The theorem registered under ``id``."""
        self.discover()
        if id not in self._theorems:
            known = ", ".join(sorted(self._theorems)) or "none"
            raise ValueError(f"no check with id {id!r}; registered: {known}")
        return self._theorems[id]

    def run_check(
        self, id: str, scale: str = "quick", seed: int = 0, raise_errors: bool = False
    ) -> CheckResult:
        """Run one check and time it.

        A check that raises is recorded as ``fail`` with the exception in the reason and the
        traceback in :attr:`CheckResult.error` (so one broken check does not hide the others'
        results); ``raise_errors=True`` lets the exception propagate instead. A check that
        returns something other than an :class:`Outcome` raises ``ValueError``.
        """
        theorem = self.get(id)
        check_scale(scale)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        start = time.perf_counter()
        error = None
        try:
            outcome = theorem.func(scale, int(seed))
        except Exception as exc:  # recorded as a failed check with its traceback, not hidden
            if raise_errors:
                raise
            error = traceback.format_exc()
            outcome = Outcome(
                Evidence(), Verdict.failed(f"the check raised {type(exc).__name__}: {exc}")
            )
        runtime = time.perf_counter() - start
        if not isinstance(outcome, Outcome):
            raise ValueError(
                f"check {id!r} returned {type(outcome).__name__}, expected an "
                "Outcome(evidence, verdict)"
            )
        verdict = outcome.verdict
        if error is None:
            verdict = _with_power(theorem, verdict, outcome.controls)
        return CheckResult(
            theorem, scale, int(seed), outcome.evidence, verdict, runtime, error, outcome.controls
        )

    def clear(self) -> None:
        """Forget every registered check (and rediscover on next use)."""
        self._theorems.clear()
        self._discovered = self.package is None


def _check_statement(id: str, kind: str | None, fields: Mapping[str, str]) -> dict[str, str]:
    """``fields`` (claim, formula, rule, source) when complete, else ``ValueError`` naming the
    check and the field: a non-empty claim and formula, and a rule for a statistical kind."""
    for name in ("claim", "formula"):
        value = fields.get(name)
        if value is None:
            section = "the summary" if name == "claim" else "a Formula section"
            raise ValueError(
                f"theorem {id!r}: no {name}: write it as {section} of the check's docstring "
                f"or pass {name}="
            )
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"theorem {id!r}: {name} must be a non-empty string, got {value!r}")
    for name in ("rule", "source"):
        if not isinstance(fields.get(name, ""), str):
            raise ValueError(f"theorem {id!r}: {name} must be a string, got {fields[name]!r}")
    if kind in STATISTICAL_KINDS and not fields.get("rule", "").strip():
        raise ValueError(
            f"theorem {id!r}: a {kind} check must state the rule that fixed "
            "its constants, grids and tolerances before any run (a Rule section or rule=...)"
        )
    return dict(fields)


def _with_power(theorem: Theorem, verdict: Verdict, controls: tuple[Control, ...]) -> Verdict:
    """``verdict``, or ``fail`` when a control was not rejected or a statistical check ran none:
    a criterion that cannot tell a violating run from the claim has no power.

    A check whose own verdict is ``vacuous`` stays vacuous: its criterion could not have failed
    at this scale, so its controls cannot be rejected either, and that is what vacuous says.
    """
    if verdict.status == "vacuous":
        return verdict
    missed = [c for c in controls if not c.rejected]
    if missed:
        names = "; ".join(f"{c.name} ({c.verdict.status}: {c.verdict.reason})" for c in missed)
        return Verdict.failed(
            f"no power: the criterion did not reject the negative control "
            f"{names}. The claim's own verdict was {verdict.status}: "
            f"{verdict.reason}"
        )
    if theorem.statistical and not controls:
        return Verdict.failed(
            f"no power: a {theorem.kind} check must run at least one negative "
            f"control. The claim's own verdict was {verdict.status}: "
            f"{verdict.reason}"
        )
    return verdict


REGISTRY = Registry("proofs_check.theorems")
"""The default registry: the checks in :mod:`proofs_check.theorems`."""


theorem = REGISTRY.theorem
"""Register ``f(scale, seed) -> Outcome`` in the default registry: :meth:`Registry.theorem` of
:data:`REGISTRY`, with the same keyword arguments."""


def registered(tag: str | None = None) -> list[Theorem]:
    """The checks of :mod:`proofs_check.theorems`, sorted by id (optionally only one tag)."""
    return REGISTRY.registered(tag)


def get(id: str) -> Theorem:
    """The check registered under ``id`` in the default registry."""
    return REGISTRY.get(id)


def run_check(
    id: str, scale: str = "quick", seed: int = 0, raise_errors: bool = False
) -> CheckResult:
    """Run the check ``id`` of the default registry at ``scale`` with ``seed``."""
    return REGISTRY.run_check(id, scale, seed, raise_errors)


def discover() -> None:
    """Import every module of :mod:`proofs_check.theorems`."""
    REGISTRY.discover()


__all__ = [
    "KINDS",
    "REGISTRY",
    "SCALES",
    "STATISTICAL_KINDS",
    "STATUSES",
    "CheckResult",
    "Control",
    "Evidence",
    "Line",
    "Outcome",
    "Registry",
    "Result",
    "Series",
    "Theorem",
    "Verdict",
    "discover",
    "get",
    "registered",
    "run_check",
    "theorem",
    "vacuous_bound",
]
