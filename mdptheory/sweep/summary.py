"""The summary of a sweep: one table (final regret with CIs, fitted log-log slopes) and figures.

:func:`summarise_sweep` reduces a :class:`~mdptheory.sweep.execute.SweepResult` to one row per
cell; :func:`write_summary` writes ``summary.md``, ``summary.json`` and ``figures/`` into the
sweep's output folder:

- ``figures/regret_<instance>.png``: the mean curve (cumulative pseudo-regret, or the gap) of
  every learner on one instance against the episode ``K``, on log-log axes with the
  confidence band, at the largest budget;
- ``figures/slope_vs_<parameter>.png``: for each swept parameter (an instance parameter or a
  hyperparameter of a ``grid``), the fitted slope with its interval against the parameter's
  value, one line per learner and instance.

The slope is the least-squares slope of ``log(mean curve)`` against ``log t`` on the last half
of a 16-point geometric grid from ``K / 100`` to ``K``, with a percentile bootstrap interval
that resamples seeds (the fit of ``mdptheory run``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from mdptheory.seeding import SeedLike, as_generator
from mdptheory.sweep.execute import CellResult, SweepResult, slope_grid
from mdptheory.sweep.positions import positions_at

MIN_SLOPE_BUDGET = 20
"""Below this budget no slope is fitted."""


def loglog_slope(
    x, Y, tail: float = 0.5, n_boot: int = 500, seed: SeedLike = 0, ci: float = 0.95
) -> tuple[float, float, float]:
    """Slope of ``log(mean of Y)`` against ``log x`` on the last ``tail`` of the grid, with a
    percentile bootstrap interval over the rows (seeds) of ``Y``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Positive, strictly increasing grid.
    Y : array_like, shape (n_seeds, n)
        One curve per seed; the mean curve must be positive on the tail.
    tail : float
        Fraction of the points, from the right, used by the fit (at least 2).
    n_boot : int
        Bootstrap replicates (seeds drawn with replacement).
    seed : int, SeedSequence or Generator
        Seed of the resampling.
    ci : float
        Level of the interval.

    Returns
    -------
    (slope, ci_low, ci_high) : floats

    Raises
    ------
    ValueError
        On a bad grid, a non-finite value, or a mean curve not positive on the tail.

    Examples
    --------
    >>> x = np.geomspace(10, 1e4, 10)
    >>> Y = np.outer(np.linspace(1.0, 2.0, 8), np.sqrt(x))
    >>> [round(v, 6) for v in loglog_slope(x, Y, n_boot=200)]
    [0.5, 0.5, 0.5]
    """
    x = np.asarray(x, dtype=np.float64)
    Y = np.atleast_2d(np.asarray(Y, dtype=np.float64))
    if x.ndim != 1 or x.shape[0] < 2 or not (np.isfinite(x).all() and (x > 0).all()):
        raise ValueError(f"x must be a finite positive grid of at least 2 points, got {x!r}")
    if (np.diff(x) <= 0).any():
        raise ValueError("x must be strictly increasing")
    if Y.ndim != 2 or Y.shape[1] != x.shape[0] or Y.shape[0] == 0:
        raise ValueError(f"Y must have shape (n_seeds, {x.shape[0]}), got {Y.shape}")
    if not np.isfinite(Y).all():
        raise ValueError("Y holds a non-finite value")
    if not (0.0 < tail <= 1.0) or not (0.0 < ci < 1.0):
        raise ValueError(f"tail must be in (0, 1] and ci in (0, 1), got {tail!r}, {ci!r}")
    k = max(2, math.ceil(tail * x.shape[0]))
    lx = np.log(x[-k:])
    Y_tail = Y[:, -k:]
    mean = Y_tail.mean(axis=0)
    if (mean <= 0).any():
        j = int(np.flatnonzero(mean <= 0)[0])
        raise ValueError(
            f"the mean curve is {float(mean[j])!r} at x = {float(x[-k:][j])!r}; "
            "a log-log fit needs it positive on the tail"
        )
    centred = lx - lx.mean()
    denom = centred @ centred

    def slopes(log_means: np.ndarray) -> np.ndarray:
        return (log_means - log_means.mean(axis=-1, keepdims=True)) @ centred / denom

    slope = float(slopes(np.log(mean)))
    n = Y.shape[0]
    counts = as_generator(seed).multinomial(n, np.full(n, 1.0 / n), size=int(n_boot))
    boot = counts @ Y_tail / n
    valid = (boot > 0).all(axis=1)
    if not valid.any():
        return slope, float("nan"), float("nan")
    low, high = np.quantile(slopes(np.log(boot[valid])), [(1 - ci) / 2, (1 + ci) / 2])
    return slope, float(low), float(high)


@dataclass(frozen=True)
class Row:
    """One cell of the summary table."""

    instance: str
    learner: str
    budget: int
    seeds: int
    quantity: str
    final_mean: float
    final_low: float
    final_high: float
    final_std: float
    slope: float
    slope_low: float
    slope_high: float
    slope_note: str
    folder: str
    instance_name: str
    learner_name: str
    instance_params: dict[str, Any]
    hyperparameters: dict[str, Any]
    swept: dict[str, Any]
    errors: dict[str, str]


def _final_ci(finals: np.ndarray, ci: float) -> tuple[float, float, float, float]:
    n = finals.shape[0]
    mean = float(finals.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), float("nan")
    std = float(finals.std(ddof=1))
    half = float(stats.t.ppf(0.5 + ci / 2, n - 1)) * std / math.sqrt(n)
    return mean, mean - half, mean + half, std


def _row(result: CellResult, seed: int, ci: float, n_boot: int) -> Row:
    cell = result.cell
    ok = np.isfinite(result.finals)
    finals = result.finals[ok]
    nan = float("nan")
    mean = low = high = std = nan
    slope = (nan, nan, nan)
    note = ""
    if finals.size:
        mean, low, high, std = _final_ci(finals, ci)
    if result.errors:
        note = "failed repetitions"
    elif cell.budget < MIN_SLOPE_BUDGET:
        note = f"budget below {MIN_SLOPE_BUDGET}"
    else:
        # The slope grid read at the kept positions (the first at or after each point), so a
        # thinned trace is fitted at the iterations it recorded.
        columns = positions_at(result.grid, slope_grid(cell.budget))
        grid = result.grid[columns]
        try:
            slope = loglog_slope(
                grid, result.curves[ok][:, columns], tail=0.5, n_boot=n_boot, seed=seed, ci=ci
            )
        except ValueError as error:
            note = str(error)
    swept = {
        **{f"instance.{k}": v for k, v in cell.instance_swept.items()},
        **{f"learner.{k}": v for k, v in cell.learner_swept.items()},
    }
    return Row(
        cell.instance_label,
        cell.learner_label,
        cell.budget,
        int(ok.sum()),
        result.quantity,
        mean,
        low,
        high,
        std,
        *slope,
        note,
        result.folder.name,
        cell.instance,
        cell.learner,
        cell.instance_params,
        cell.hyperparameters,
        swept,
        {str(k): v for k, v in sorted(result.errors.items())},
    )


def summarise_sweep(result: SweepResult, ci: float = 0.95, n_boot: int = 500) -> list[Row]:
    """One :class:`Row` per cell: final value with a Student-t interval over seeds and the
    fitted log-log slope with a bootstrap interval (seeded by the sweep's seed)."""
    return [_row(r, result.seed, ci, n_boot) for r in result.cells]


def _fmt(value: float, digits: int = 4) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}g}"


def _interval(mean: float, low: float, high: float, digits: int = 4) -> str:
    if not math.isfinite(mean):
        return "—"
    if not (math.isfinite(low) and math.isfinite(high)):
        return _fmt(mean, digits)
    return f"{_fmt(mean, digits)} [{_fmt(low, digits)}, {_fmt(high, digits)}]"


def table_rows(rows: Sequence[Row]) -> list[list[str]]:
    """The summary table as strings: header first."""
    out = [["instance", "learner", "K", "seeds", "final (95% CI)", "slope (95% CI)", "note"]]
    for r in rows:
        out.append(
            [
                r.instance,
                r.learner,
                str(r.budget),
                str(r.seeds),
                _interval(r.final_mean, r.final_low, r.final_high),
                _interval(r.slope, r.slope_low, r.slope_high, 3),
                r.slope_note
                if not r.errors
                else f"{len(r.errors)} failed: {next(iter(r.errors.values()))}",
            ]
        )
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "x"


def _save(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _regret_figures(result: SweepResult, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[tuple[str, str], list[CellResult]] = {}
    for r in result.cells:
        if r.quantity and np.isfinite(r.finals).any():
            groups.setdefault((r.cell.instance_label, r.quantity), []).append(r)
    paths = []
    quantities = {q for _, q in groups}
    for (instance, quantity), members in groups.items():
        budget = max(r.cell.budget for r in members)
        fig, ax = plt.subplots(figsize=(7, 4.5))
        smallest = np.inf
        for i, r in enumerate(m for m in members if m.cell.budget == budget):
            curves = r.curves[np.isfinite(r.finals)]
            mean = curves.mean(axis=0)
            if (mean > 0).any():
                smallest = min(smallest, float(mean[mean > 0].min()))
            ax.plot(
                r.grid,
                mean,
                color=f"C{i % 10}",
                label=f"{r.cell.learner_label} ({curves.shape[0]} seeds)",
            )
            if curves.shape[0] > 1:
                half = (
                    stats.t.ppf(0.975, curves.shape[0] - 1)
                    * curves.std(axis=0, ddof=1)
                    / math.sqrt(curves.shape[0])
                )
                ax.fill_between(
                    r.grid, np.maximum(mean - half, 0), mean + half, color=f"C{i % 10}", alpha=0.2
                )
        ax.set_xscale("log")
        # Regrets and gaps are non-negative; zeros stay on the axis with a symlog scale.
        ax.set_yscale("symlog", linthresh=smallest if np.isfinite(smallest) else 1.0)
        ax.set_ylim(bottom=0.0)
        units = {r.unit for r in members}
        unit = units.pop() if len(units) == 1 else ""
        ax.set_xlabel(
            {"step": "step t", "episode": "episode K", "iteration": "iteration t"}.get(
                unit, "episode K" if "regret" in quantity else "iteration t"
            )
        )
        ax.set_ylabel(f"{quantity} (mean, 95% CI)")
        ax.set_title(f"{instance}, K = {budget}", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        name = f"regret_{_slug(instance)}" + (f"_{_slug(quantity)}" if len(quantities) > 1 else "")
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _slope_figures(rows: Sequence[Row], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({k for r in rows for k in r.swept})
    paths = []
    for key in keys:
        lines: dict[str, list[tuple[Any, Row]]] = {}
        for r in rows:
            if key not in r.swept or not math.isfinite(r.slope):
                continue
            rest = {k: v for k, v in r.swept.items() if k != key}
            label = (
                f"{r.learner_name if key.startswith('learner.') else r.learner} on "
                f"{r.instance_name if key.startswith('instance.') else r.instance}, "
                f"K={r.budget}" + "".join(f", {k}={v}" for k, v in rest.items())
            )
            lines.setdefault(label, []).append((r.swept[key], r))
        lines = {k: v for k, v in lines.items() if len(v) >= 2}
        if not lines:
            continue
        values = [v for points in lines.values() for v, _ in points]
        numeric = all(_number(v) for v in values)
        categories = sorted({str(v) for v in values}) if not numeric else []
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for i, (label, points) in enumerate(sorted(lines.items())):
            points.sort(key=lambda p: p[0] if numeric else categories.index(str(p[0])))
            xs = [p[0] if numeric else categories.index(str(p[0])) for p in points]
            ys = np.array([p[1].slope for p in points])
            low = np.array([p[1].slope_low for p in points])
            high = np.array([p[1].slope_high for p in points])
            err = np.vstack([np.nan_to_num(ys - low), np.nan_to_num(high - ys)])
            ax.errorbar(xs, ys, yerr=err, color=f"C{i % 10}", marker="o", capsize=3, label=label)
        if numeric and min(values) > 0 and max(values) / min(values) >= 10:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(categories)), categories)
        ax.axhline(0.5, color="k", ls=":", lw=0.8, label="slope 1/2")
        ax.axhline(1.0, color="grey", ls=":", lw=0.8, label="slope 1 (linear)")
        ax.set_xlabel(key)
        ax.set_ylabel("log-log slope (95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = folder / f"slope_vs_{_slug(key)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def _markdown(
    rows: Sequence[Row], result: SweepResult, figures: Sequence[Path], command: str | None
) -> str:
    table = table_rows(rows)
    lines = ["# Sweep summary", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        f"{len(rows)} cells x {result.seeds} seeds, root seed {result.seed}; "
        f"backend: {result.backend}; {result.ran} repetitions run, {result.loaded} "
        f"loaded from disk; {result.seconds:.1f} s.",
        "",
        "Final: mean of the last value (cumulative pseudo-regret after K episodes, or "
        "the gap after K iterations) with a Student-t 95% interval over seeds. Slope: "
        "log-log slope of the mean curve on the last half of a geometric grid from K/100 "
        "to K, with a bootstrap 95% interval over seeds.",
        "",
    ]
    lines.append("| " + " | ".join(table[0]) + " |")
    lines.append("|" + "|".join("---" for _ in table[0]) + "|")
    for row in table[1:]:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    if figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{p.stem}](figures/{p.name})" for p in figures]
    lines += [
        "",
        "Traces: one folder per cell (column `folder` of summary.json), one `rep_NNNN/` per seed.",
        "",
    ]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_summary(
    result: SweepResult,
    rows: Sequence[Row] | None = None,
    spec: dict[str, Any] | None = None,
    command: str | None = None,
    figures: bool = True,
) -> dict[str, Path]:
    """Write ``summary.md``, ``summary.json`` and (with ``figures``) ``figures/*.png`` into
    the sweep's output folder; return their paths (``"figures"``: the folder).

    ``summary.json`` holds the spec, the backend, the counts and one object per cell with the
    fields of :class:`Row` (NaN written as null).
    """
    rows = list(summarise_sweep(result) if rows is None else rows)
    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if figures:
        fig_dir = out / "figures"
        fig_dir.mkdir(exist_ok=True)
        paths = _regret_figures(result, fig_dir) + _slope_figures(rows, fig_dir)
    data = {
        "spec": spec,
        "seeds": result.seeds,
        "seed": result.seed,
        "backend": result.backend,
        "repetitions_run": result.ran,
        "repetitions_loaded": result.loaded,
        "seconds": result.seconds,
        "cells": [asdict(r) for r in rows],
        "figures": [f"figures/{p.name}" for p in paths],
    }
    _save(out / "summary.json", json.dumps(_jsonable(data), indent=2, sort_keys=False))
    _save(out / "summary.md", _markdown(rows, result, paths, command))
    return {
        "summary.md": out / "summary.md",
        "summary.json": out / "summary.json",
        "figures": out / "figures",
    }


__all__ = [
    "MIN_SLOPE_BUDGET",
    "Row",
    "loglog_slope",
    "summarise_sweep",
    "table_rows",
    "write_summary",
]
