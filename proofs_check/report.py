"""The report of a ``mdptheory check`` run: Markdown, one figure per check, JSON, arrays.

:func:`write_report` writes into one folder::

    report.md            verdict table, then one section per check with its figure
    results.json         every check's metadata, verdict, runtime and fitted quantities
    figures/<id>.png     one figure per check (curves with CI bands, fitted line, theory)
    arrays/<id>.npz      the raw arrays of each check's evidence

Figures are drawn on a ``matplotlib.figure.Figure`` rendered by the Agg canvas, without
pyplot, so writing a report never changes the plotting state of the calling process.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from proofs_check.harness import CheckResult, Evidence

STATUS_LABEL = {
    "pass": "PASS",
    "fail": "FAIL",
    "inconclusive": "INCONCLUSIVE",
    "vacuous": "VACUOUS",
}
_STATUS_COLOUR = {
    "pass": "tab:green",
    "fail": "tab:red",
    "inconclusive": "tab:orange",
    "vacuous": "tab:purple",
}
_ROLE_STYLE = {
    "fit": {"linestyle": "-", "color": "black", "linewidth": 1.6},
    "reference": {"linestyle": "--", "color": "tab:gray", "linewidth": 1.6},
    "bound": {"linestyle": ":", "color": "tab:red", "linewidth": 1.8},
}


def file_stem(check_id: str) -> str:
    """A file-name-safe version of a check id.

    Examples
    --------
    >>> file_stem("puterman-6.3:vi/contraction")
    'puterman-6.3_vi_contraction'
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", check_id)


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_value(value.tolist())
    if isinstance(value, (np.floating, float)):
        return _finite_or_none(float(value))
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _band(y: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Mean over seeds and a Student-t band (None for a single curve)."""
    if y.ndim == 1 or y.shape[0] == 1:
        return y.reshape(-1), None, None
    n = y.shape[0]
    mean = y.mean(axis=0)
    half = stats.t.ppf(0.5 + ci / 2, n - 1) * y.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def _draw(ax: Any, evidence: Evidence) -> None:
    positive = {"x": True, "y": True}
    for series in evidence.series:
        mean, low, high = _band(series.y, series.ci)
        if series.band is not None:
            low, high = series.band
        if series.style == "points":
            handle = ax.plot(series.x, mean, "o", markersize=4, label=series.label)[0]
        else:
            handle = ax.plot(
                series.x, mean, "-", marker=".", markersize=4, linewidth=1.4, label=series.label
            )[0]
        if low is not None:
            ax.fill_between(series.x, low, high, color=handle.get_color(), alpha=0.25, linewidth=0)
            positive["y"] &= bool(np.all(low > 0))
        positive["x"] &= bool(np.all(series.x > 0))
        positive["y"] &= bool(np.all(mean > 0))
    for line in evidence.lines:
        ax.plot(line.x, line.y, label=line.label, **_ROLE_STYLE[line.role])
        positive["x"] &= bool(np.all(line.x > 0))
        positive["y"] &= bool(np.all(line.y > 0))
    # A log axis cannot show values <= 0; such data is drawn on a symmetric-log axis instead.
    if evidence.xscale == "log":
        ax.set_xscale("log" if positive["x"] else "symlog")
    if evidence.yscale == "log":
        ax.set_yscale("log" if positive["y"] else "symlog")
    ax.set_xlabel(evidence.xlabel)
    ax.set_ylabel(evidence.ylabel)
    ax.grid(True, which="major", alpha=0.3)
    n_entries = len(evidence.series) + len(evidence.lines)
    if n_entries > 4:
        # many entries would cover the curves: put the legend under the axes
        ax.legend(
            fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False
        )
    elif n_entries:
        ax.legend(fontsize=8, loc="best")


def _draw_local_slopes(ax: Any, evidence: Evidence) -> None:
    """Local log-log slopes with their bands, the claimed slopes and the burn-in ends."""
    for series in evidence.local_slopes:
        mean = series.y.reshape(-1) if series.y.ndim == 1 else series.y.mean(axis=0)
        handle = ax.plot(series.x, mean, "o-", markersize=4, linewidth=1.0, label=series.label)[0]
        if series.band is not None:
            ax.fill_between(
                series.x, *series.band, color=handle.get_color(), alpha=0.2, linewidth=0
            )
    for label, value in evidence.slope_references.items():
        ax.axhline(value, label=label, **_ROLE_STYLE["reference"])
    for label, value in evidence.burn_in.items():
        ax.axvline(value, label=label, **_ROLE_STYLE["bound"])
    ax.set_xscale("log")
    ax.set_xlabel(evidence.xlabel)
    ax.set_ylabel("local log-log slope")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="best")


def plot_result(result: CheckResult, path: str | os.PathLike) -> Path | None:
    """Draw one check's figure to ``path`` (PNG); None when the evidence has nothing to plot.

    The figure shows each series (mean over seeds with a confidence band), the fitted and
    reference lines, and the verdict in the title; a ``figure`` callback of the evidence draws
    instead when given.
    """
    from matplotlib.figure import Figure

    evidence = result.evidence
    if not evidence.has_plot:
        return None
    n_entries = len(evidence.series) + len(evidence.lines)
    # room for a legend drawn under the axes (see _draw)
    height = 4.6 + (0.2 * n_entries if n_entries > 4 and evidence.figure is None else 0.0)
    panels = 2 if evidence.local_slopes else 1
    height += 3.2 * (panels - 1)
    fig = Figure(figsize=(7.0, height), layout="constrained")
    if panels == 2:
        ax, slope_ax = fig.subplots(2, 1, height_ratios=(height - 3.2, 3.2))
    else:
        ax = fig.add_subplot()
    if evidence.figure is not None:
        evidence.figure(ax)
    else:
        _draw(ax, evidence)
    if panels == 2:
        _draw_local_slopes(slope_ax, evidence)
    status = result.verdict.status
    title = evidence.title or result.theorem.claim
    if len(title) > 90:
        title = title[:87] + "..."
    ax.set_title(
        f"{result.id}: {STATUS_LABEL[status]}\n{title}", fontsize=9, color=_STATUS_COLOUR[status]
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def result_record(
    result: CheckResult, figure: str | None = None, arrays: str | None = None
) -> dict[str, Any]:
    """One check as a JSON-ready dict (non-finite numbers become null)."""
    return _json_value(
        {
            **result.theorem.info(),
            "scale": result.scale,
            "seed": result.seed,
            "status": result.verdict.status,
            "reason": result.verdict.reason,
            "runtime_seconds": result.runtime,
            "power": result.power,
            "controls": [c.record() for c in result.controls],
            "fitted": dict(result.evidence.fitted),
            "arrays": {
                name: {"shape": list(np.shape(a)), "dtype": str(np.asarray(a).dtype)}
                for name, a in result.evidence.arrays.items()
            },
            "arrays_file": arrays,
            "figure": figure,
            "error": result.error,
        }
    )


def write_report(
    results: Sequence[CheckResult],
    out_dir: str | os.PathLike,
    title: str = "mdptheory check report",
    command: str | None = None,
) -> Path:
    """Write ``report.md``, ``results.json``, ``figures/`` and ``arrays/`` into ``out_dir``.

    Parameters
    ----------
    results : sequence of CheckResult
    out_dir : path
        Created if needed; files of the same names are overwritten.
    title : str
    command : str, optional
        The command line that produced the results, recorded in the report.

    Returns
    -------
    Path
        The path of ``report.md``.

    Examples
    --------
    >>> import tempfile
    >>> from proofs_check.harness import Evidence, Outcome, Registry, Series, Verdict
    >>> reg = Registry()
    >>> @reg.theorem(id="toy", paper="none", claim="x^2 grows", formula="x^2")
    ... def toy(scale, seed):
    ...     x = np.arange(1.0, 5.0)
    ...     return Outcome(Evidence(series=(Series("x^2", x, x ** 2),)), Verdict.passed("yes"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_report([reg.run_check("toy")], tmp)
    ...     sorted(p.name for p in path.parent.rglob("*") if p.is_file())
    ['report.md', 'results.json', 'toy.npz', 'toy.png']
    """
    from mdptheory import __version__

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    sections = []
    counts = {status: 0 for status in STATUS_LABEL}
    for result in results:
        counts[result.verdict.status] += 1
        stem = file_stem(result.id)
        figure = plot_result(result, out / "figures" / f"{stem}.png")
        figure_rel = f"figures/{stem}.png" if figure is not None else None
        arrays_rel = f"arrays/{stem}.npz"
        (out / "arrays").mkdir(exist_ok=True)
        np.savez_compressed(out / arrays_rel, **dict(result.evidence.arrays))
        records.append(result_record(result, figure_rel, arrays_rel))
        sections.append(_section(result, figure_rel))

    scales = sorted({r.scale for r in results})
    seeds = sorted({r.seed for r in results})
    created = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUS_LABEL)
    lines = [f"# {title}", ""]
    lines.append(
        f"{len(results)} checks: {summary}. Scale {', '.join(scales) or '-'}, "
        f"seed {', '.join(map(str, seeds)) or '-'}, mdptheory {__version__}, "
        f"{created}."
    )
    if command:
        lines += ["", f"Command: `{command}`"]
    lines += [
        "",
        "A check is **VACUOUS** when its claim holds but could not have failed at this "
        "scale (a bound at or above the trivial one, an event that holds because every "
        "estimate sits at its clip). **Power** counts the negative controls (runs that "
        "violate the claim) that the check's criterion rejected; a control it does not "
        "reject fails the check.",
    ]
    lines += [
        "",
        "## Verdicts",
        "",
        "| id | paper | claim | verdict | power | reason | runtime (s) |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for result in results:
        lines.append(
            f"| [{_cell(result.id)}](#{_anchor(result.id)}) | "
            f"{_cell(result.theorem.paper)} | {_cell(result.theorem.claim)} | "
            f"**{STATUS_LABEL[result.verdict.status]}** | {result.power} | "
            f"{_cell(result.verdict.reason)} | {result.runtime:.2f} |"
        )
    unverified = [r for r in results if not r.theorem.verified]
    if unverified:
        lines += [
            "",
            "## Statements not verified against the paper's text",
            "",
            "These checks rest on a statement or constant that was not read in the "
            "paper's own text (from a secondary source or from memory):",
            "",
        ]
        lines += [
            f"- [{_cell(r.id)}](#{_anchor(r.id)}): {_cell(r.theorem.source or r.theorem.paper)}"
            for r in unverified
        ]
    lines += ["", "## Checks", ""]
    lines += sections
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    payload = {
        "title": title,
        "library_version": __version__,
        "created": created,
        "command": command,
        "counts": counts,
        "checks": records,
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    return report


def _anchor(check_id: str) -> str:
    # GitHub-style heading anchors: lower case, punctuation other than - and _ dropped.
    return re.sub(r"[^a-z0-9_ -]", "", check_id.lower()).replace(" ", "-")


def _section(result: CheckResult, figure: str | None) -> str:
    theorem = result.theorem
    lines = [
        f"### {theorem.id}",
        "",
        f"- **Paper:** {theorem.paper}",
        f"- **Claim:** {theorem.claim}",
        f"- **Formula:** `{theorem.formula}`",
        f"- **Tags:** {', '.join(theorem.tags) or '-'}",
        f"- **Kind:** {theorem.kind or '-'}",
        f"- **Source:** {theorem.source or theorem.paper} "
        f"({'verified against the paper' if theorem.verified else 'not verified'})",
        *([f"- **Pre-registration:** {theorem.rule}"] if theorem.rule else []),
        f"- **Verdict:** **{STATUS_LABEL[result.verdict.status]}**: {result.verdict.reason}",
        f"- **Runtime:** {result.runtime:.2f} s (scale {result.scale}, seed {result.seed})",
        "",
    ]
    if result.controls:
        lines += ["| negative control | rejected | verdict on the control |", "|---|---|---|"]
        lines += [
            f"| {_cell(c.name)} | {'yes' if c.rejected else '**no**'} | {_cell(c.verdict.reason)} |"
            for c in result.controls
        ]
        lines.append("")
    if result.evidence.fitted:
        lines += ["| quantity | value |", "|---|---:|"]
        lines += [f"| {_cell(k)} | {v:.6g} |" for k, v in result.evidence.fitted.items()]
        lines.append("")
    if figure is not None:
        lines += [f"![{theorem.id}]({figure})", ""]
    if result.error:
        lines += ["The check raised:", "", "```", result.error.rstrip(), "```", ""]
    return "\n".join(lines)


__all__ = ["STATUS_LABEL", "file_stem", "plot_result", "result_record", "write_report"]
