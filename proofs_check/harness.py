"""Theorems as executable checks: the registry, evidence and verdicts.

Writing a check
---------------
A check is a function ``f(scale, seed) -> Outcome`` registered with :func:`theorem`::

    @theorem(id="puterman-6.3-vi-contraction", paper="Puterman (1994), Thm 6.3.1",
             claim="Value iteration converges linearly at rate gamma.",
             formula="||V_k - V*||_inf <= gamma^k ||V_0 - V*||_inf", tags=("planning",))
    def vi_contraction(scale: str, seed: int) -> Outcome:
        ...
        return Outcome(Evidence(...), Verdict.passed("..."))

``scale`` is ``"quick"`` (seconds, the default of ``mdptheory check``) or ``"full"`` (larger
grids and more seeds); ``seed`` seeds every random draw of the check. The check computes its
quantities exactly where it can, returns them as :class:`Evidence` (arrays, fitted numbers and
what to plot) and decides a :class:`Verdict`: ``pass``, ``fail`` or ``inconclusive`` with the
reason in words. Checks never look at wall-clock time.

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

Status = Literal["pass", "fail", "inconclusive"]
STATUSES: tuple[str, ...] = ("pass", "fail", "inconclusive")
SCALES: tuple[str, ...] = ("quick", "full")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$")


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: a status and the reason in words.

    Attributes
    ----------
    status : {"pass", "fail", "inconclusive"}
        ``pass``: the evidence agrees with the claim. ``fail``: the evidence contradicts it.
        ``inconclusive``: the evidence cannot tell (e.g. a confidence interval straddles the
        bound).
    reason : str
        What was measured and how it compares with the claim.

    Examples
    --------
    >>> Verdict.passed("ratio in [0.2, 1.0]").status
    'pass'
    >>> Verdict.combine([Verdict.passed("a"), Verdict.inconclusive("b")]).status
    'inconclusive'
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
    def combine(cls, verdicts: Iterable[Verdict]) -> Verdict:
        """The worst of several verdicts (fail over inconclusive over pass), reasons joined.

        Only the reasons of verdicts with the worst status are kept, so the reason explains
        the status.
        """
        verdicts = list(verdicts)
        if not verdicts:
            raise ValueError("combine needs at least one verdict, got none")
        rank = {"pass": 0, "inconclusive": 1, "fail": 2}
        worst = max(verdicts, key=lambda v: rank[v.status]).status
        return cls(worst, "; ".join(v.reason for v in verdicts if v.status == worst))

    @property
    def ok(self) -> bool:
        """True unless the status is ``fail``."""
        return self.status != "fail"


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
            raise ValueError(f"series {self.label!r}: y has shape {y.shape}, expected "
                             f"({x.shape[0]},) or (n_seeds, {x.shape[0]})")
        if self.style not in ("line", "points"):
            raise ValueError(f"series {self.label!r}: style must be 'line' or 'points', "
                             f"got {self.style!r}")
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
            raise ValueError(f"line {self.label!r}: x and y must be 1-d of the same length, got "
                             f"{x.shape} and {y.shape}")
        if self.role not in ("fit", "reference", "bound"):
            raise ValueError(f"line {self.label!r}: role must be 'fit', 'reference' or 'bound', "
                             f"got {self.role!r}")
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

    def __post_init__(self) -> None:
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
    """What a check function returns: its evidence and its verdict."""

    evidence: Evidence
    verdict: Verdict


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
    """

    id: str
    paper: str
    claim: str
    formula: str
    tags: tuple[str, ...]
    func: Callable[[str, int], Outcome] = field(repr=False, compare=False)

    @property
    def module(self) -> str:
        return getattr(self.func, "__module__", "?")

    def info(self) -> dict[str, Any]:
        """The metadata as a JSON-ready dict (without the function)."""
        return {"id": self.id, "paper": self.paper, "claim": self.claim,
                "formula": self.formula, "tags": list(self.tags), "module": self.module}


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
    """

    theorem: Theorem
    scale: str
    seed: int
    evidence: Evidence
    verdict: Verdict
    runtime: float
    error: str | None = None

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

    def theorem(self, *, id: str, paper: str, claim: str, formula: str,
                tags: Iterable[str] = ()) -> Callable[[Callable], Callable]:
        """Decorator registering ``f(scale, seed) -> Outcome`` as the check of a claim."""
        if not isinstance(id, str) or not _ID_PATTERN.match(id):
            raise ValueError(f"theorem id must be letters, digits and _ . : + - (no spaces), "
                             f"got {id!r}")
        for name, value in (("paper", paper), ("claim", claim), ("formula", formula)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"theorem {id!r}: {name} must be a non-empty string, "
                                 f"got {value!r}")
        if isinstance(tags, str):
            raise ValueError(f"theorem {id!r}: tags must be a tuple of strings, got the string "
                             f"{tags!r}")
        tag_tuple = tuple(tags)
        for tag in tag_tuple:
            if not isinstance(tag, str) or not tag:
                raise ValueError(f"theorem {id!r}: tag {tag!r} is not a non-empty string")

        def register(func: Callable[[str, int], Outcome]) -> Callable[[str, int], Outcome]:
            if not callable(func):
                raise ValueError(f"theorem {id!r}: {func!r} is not callable")
            previous = self._theorems.get(id)
            same_origin = previous is not None and (
                previous.module, previous.func.__qualname__) == (func.__module__,
                                                                 func.__qualname__)
            # Re-registering from the same place (a module reloaded) replaces the entry;
            # two different checks with one id are a mistake.
            if previous is not None and not same_origin:
                raise ValueError(f"theorem id {id!r} is registered twice: by "
                                 f"{previous.module}.{previous.func.__qualname__} and "
                                 f"{func.__module__}.{func.__qualname__}")
            self._theorems[id] = Theorem(id, paper, claim, formula, tag_tuple, func)
            return func

        return register

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

    def run_check(self, id: str, scale: str = "quick", seed: int = 0,
                  raise_errors: bool = False) -> CheckResult:
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
            outcome = Outcome(Evidence(), Verdict.failed(
                f"the check raised {type(exc).__name__}: {exc}"))
        runtime = time.perf_counter() - start
        if not isinstance(outcome, Outcome):
            raise ValueError(f"check {id!r} returned {type(outcome).__name__}, expected an "
                             "Outcome(evidence, verdict)")
        return CheckResult(theorem, scale, int(seed), outcome.evidence, outcome.verdict,
                           runtime, error)

    def clear(self) -> None:
        """Forget every registered check (and rediscover on next use)."""
        self._theorems.clear()
        self._discovered = self.package is None


REGISTRY = Registry("proofs_check.theorems")
"""The default registry: the checks in :mod:`proofs_check.theorems`."""


def theorem(*, id: str, paper: str, claim: str, formula: str,
            tags: Iterable[str] = ()) -> Callable[[Callable], Callable]:
    """Register ``f(scale, seed) -> Outcome`` in the default registry.

    Examples
    --------
    >>> reg = Registry()
    >>> @reg.theorem(id="toy", paper="none", claim="1 + 1 = 2", formula="1 + 1 = 2")
    ... def toy(scale, seed):
    ...     return Outcome(Evidence(fitted={"sum": 1 + 1}), Verdict.passed("1 + 1 is 2"))
    >>> reg.run_check("toy").verdict.status
    'pass'
    """
    return REGISTRY.theorem(id=id, paper=paper, claim=claim, formula=formula, tags=tags)


def registered(tag: str | None = None) -> list[Theorem]:
    """The checks of :mod:`proofs_check.theorems`, sorted by id (optionally only one tag)."""
    return REGISTRY.registered(tag)


def get(id: str) -> Theorem:
    """The check registered under ``id`` in the default registry."""
    return REGISTRY.get(id)


def run_check(id: str, scale: str = "quick", seed: int = 0,
              raise_errors: bool = False) -> CheckResult:
    """Run the check ``id`` of the default registry at ``scale`` with ``seed``."""
    return REGISTRY.run_check(id, scale, seed, raise_errors)


def discover() -> None:
    """Import every module of :mod:`proofs_check.theorems`."""
    REGISTRY.discover()


__all__ = ["REGISTRY", "SCALES", "STATUSES", "CheckResult", "Evidence", "Line", "Outcome",
           "Registry", "Result", "Series", "Theorem", "Verdict", "discover", "get", "registered",
           "run_check", "theorem"]
