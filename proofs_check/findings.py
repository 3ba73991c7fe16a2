"""What a check has found so far, assembled into its :class:`~proofs_check.harness.Outcome`.

A check that loops over learners, instances or constants collects, at every step, a verdict,
perhaps a negative control, the raw arrays, the fitted numbers, the curves to plot, the fitted
and reference lines, the local slopes and the burn-ins. :class:`Findings` holds them in the
order they were added and builds the :class:`~proofs_check.harness.Evidence` and the
:class:`~proofs_check.harness.Outcome` at the end, so a check writes only what it measures::

    found = Findings(arrays={"K": grid})
    for learner in learners:
        verdict, fit, local = rate_shape_test(grid, Y, max_slope=0.5, start=burn, seed=seed)
        found.judge(verdict)
        found.curve(learner.label, grid, Y, array=f"regret[{learner.label}]")
        found.rate_fit(learner.label, fit, local, reference=0.5)
    found.control("greedy (bonus 0)", *criterion(control_curves))
    return found.outcome(axes=EPISODE_REGRET)   # xlabel "episodes K", ylabel, log-log

The outcome's verdict is :meth:`Verdict.combine <proofs_check.harness.Verdict.combine>` of the
verdicts judged, unless the check passes its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from proofs_check.axes import Axes
from proofs_check.harness import Control, Evidence, Line, Outcome, Series, Verdict
from proofs_check.rates import LocalSlopes, SlopeFit, fit_lines


@dataclass
class Findings:
    """Verdicts, negative controls and evidence of a check, collected in order.

    Attributes
    ----------
    arrays, fitted : dict
        Raw measurements and named numbers (:class:`~proofs_check.harness.Evidence`).
    verdicts : list of Verdict
        The parts of the claim judged so far, combined by :meth:`outcome`.
    controls : list of Control
        The negative controls run so far.
    series, lines, local_slopes : list
        Curves, fitted / reference / bound lines and local-slope curves to plot.
    burn_in : dict of float
        Burn-ins to mark on the local-slope panel (label to x).

    Examples
    --------
    >>> import numpy as np
    >>> found = Findings(arrays={"x": np.arange(3.0)})
    >>> found.judge(Verdict.passed("measured 1.0, claim <= 2")).status
    'pass'
    >>> found.control("planted 3.0", Verdict.failed("measured 3.0"), {"value": 3.0}).rejected
    True
    >>> outcome = found.outcome(xlabel="x")
    >>> outcome.verdict.status, len(outcome.controls), outcome.evidence.xlabel
    ('pass', 1, 'x')
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    fitted: dict[str, float] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    local_slopes: list[Series] = field(default_factory=list)
    burn_in: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept any mappings and sequences, keep mutable copies to add to.
        for name in ("arrays", "fitted", "burn_in"):
            setattr(self, name, dict(getattr(self, name)))
        for name in ("verdicts", "controls", "series", "lines", "local_slopes"):
            setattr(self, name, list(getattr(self, name)))

    def judge(self, verdict: Verdict, numbers: Mapping[str, float] | None = None) -> Verdict:
        """Add a judged part of the claim and the ``numbers`` its criterion measured (to
        :attr:`fitted`); returns the verdict. A criterion returning ``(verdict, numbers)`` is
        recorded by ``found.judge(*criterion(...))``, as a control by
        ``found.control(name, *criterion(...))``."""
        if not isinstance(verdict, Verdict):
            raise ValueError(f"judge needs a Verdict, got {type(verdict).__name__}")
        self.verdicts.append(verdict)
        if numbers is not None:
            self.fitted.update(numbers)
        return verdict

    def control(
        self, name: str, verdict: Verdict, measured: Mapping[str, float] | None = None
    ) -> Control:
        """Add the negative control ``name`` judged ``verdict`` by the check's criterion;
        returns the :class:`~proofs_check.harness.Control`."""
        control = Control(name, verdict, {} if measured is None else measured)
        self.controls.append(control)
        return control

    def rate_control(
        self,
        name: str,
        verdict: Verdict,
        measured: Mapping[str, float],
        local: LocalSlopes,
        label: str,
    ) -> Control:
        """Add the negative control ``name`` of a rate check (:meth:`control`) and draw its
        local slopes as ``label`` on the local-slope panel, next to the judged ones."""
        control = self.control(name, verdict, measured)
        self.local_slopes.append(local.series(label))
        return control

    def curve(self, label: str, x, y, *, array: str | None = None, style: str = "line") -> Series:
        """Plot ``y`` (one row per seed, or one curve) against ``x`` as ``label``; with
        ``array``, also keep ``y`` under that name in :attr:`arrays`."""
        series = Series(label, x, y, style=style)
        self.series.append(series)
        if array is not None:
            self.arrays[array] = y
        return series

    def line(self, label: str, x, y, role: str = "reference") -> Line:
        """Draw the line ``y`` against ``x`` over the curves: a ``"reference"`` (dashed, e.g. the
        predicted slope), a ``"bound"`` (dotted) or a ``"fit"`` (solid)."""
        line = Line(label, x, y, role=role)
        self.lines.append(line)
        return line

    def rate_fit(
        self,
        key: str,
        fit: SlopeFit,
        local: LocalSlopes | None = None,
        *,
        reference: float | None = None,
        reference_label: str | None = None,
        numbers: str | None = "slope",
    ) -> None:
        """Record a fitted rate under ``key``: its slope and CI in :attr:`fitted` (named
        ``numbers``, see :meth:`~proofs_check.rates.SlopeFit.numbers`; None to skip), the
        fitted line and the optional reference slope through it, and the local slopes."""
        if numbers is not None:
            self.fitted.update(fit.numbers(key, numbers))
        self.lines.extend(
            fit_lines(fit, reference_slope=reference, label=key, reference_label=reference_label)
        )
        if local is not None:
            self.local_slopes.append(local.series(key))

    def outcome(
        self, verdict: Verdict | None = None, *, axes: Axes | None = None, **labels: Any
    ) -> Outcome:
        """The check's :class:`~proofs_check.harness.Outcome`: the evidence collected (with the
        plot ``labels`` of :class:`~proofs_check.harness.Evidence`: ``xlabel``, ``title``,
        ``slope_references``, ...), ``verdict`` or else the combination of the verdicts judged,
        and the controls. ``axes`` gives the labels and scales of a figure shared by several
        checks (:mod:`proofs_check.axes`); ``labels`` given as well take precedence."""
        if verdict is None:
            verdict = Verdict.combine(self.verdicts)
        if axes is not None:
            labels = {**axes.labels(), **labels}
        evidence = Evidence(
            arrays=self.arrays,
            fitted=self.fitted,
            series=tuple(self.series),
            lines=tuple(self.lines),
            local_slopes=tuple(self.local_slopes),
            burn_in=self.burn_in,
            **labels,
        )
        return Outcome(evidence, verdict, tuple(self.controls))


def rejected_by_every_part(parts: Iterable[Verdict]) -> Verdict:
    """The verdict on a negative control judged in several parts (one per grid point, instance,
    ...): rejected (``fail``, with the parts' reasons) only when every part rejects it, else
    ``pass`` with the reasons of the parts that did not.

    Examples
    --------
    >>> rejected_by_every_part([Verdict.failed("K=1e3: 0.0"), Verdict.failed("K=4e3: 0.0")])
    Verdict(status='fail', reason='K=1e3: 0.0; K=4e3: 0.0')
    >>> rejected_by_every_part([Verdict.failed("K=1e3: 0.0"), Verdict.passed("K=4e3: 0.2")])
    Verdict(status='pass', reason='K=4e3: 0.2')
    """
    parts = list(parts)
    if not parts:
        raise ValueError("a control needs at least one judged part, got none")
    if all(v.status == "fail" for v in parts):
        return Verdict.combine(parts)
    return Verdict.passed("; ".join(v.reason for v in parts if v.status != "fail"))


__all__ = ["Findings", "rejected_by_every_part"]
