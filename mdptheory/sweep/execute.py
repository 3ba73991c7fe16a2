"""Run the cells of a sweep: one task per (cell, repetition), on local processes or on Dask.

Seeds
-----
Repetition ``i`` of every cell is given ``SeedSequence(seed).spawn(seeds)[i]``, spawned here in
the client before any task is dispatched; it is the root seed of the repetition's one-seed
``run_seeds`` folder (the learner draws from its first child), and a task draws nothing else. A
result therefore depends on the cell and the repetition only, not on the backend, the number
of workers or which worker ran it: a sweep on a Dask cluster gives the traces of a local run bit
for bit (apart from the measured ``episode_time``).

Persistence
-----------
Repetition ``i`` of a cell is saved by :func:`mdptheory.experiment.run_seeds` (one seed) in
``OUT/CELL/rep_{i:04d}/``: a ``run.json`` manifest and the trace in ``seed_0000/``, written by
the worker as soon as it finishes. A rerun of the sweep loads the repetitions already on disk
through the same function, with the checks ``run_seeds`` applies to what it loads, and runs
only the others; an interrupted sweep loses at most the repetitions in flight.

Backends
--------
``jobs=1`` runs the tasks one after the other in this process; ``jobs=N`` on ``N`` local
processes (joblib's loky backend, ``-1``: every core); ``client=`` a ``distributed.Client``
runs them on its workers (see :mod:`mdptheory.distributed`). Workers need only the installed
package.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mdptheory.experiment import Trace, run_seeds, seed_folder
from mdptheory.progress import progress_bar
from mdptheory.regret import RegretTrace
from mdptheory.seeding import spawn_seeds
from mdptheory.sweep.positions import positions_at, recorded_positions
from mdptheory.sweep.spec import BuiltCell, Cell

REPETITION_FOLDER = "rep_{:04d}"
"""Folder of repetition ``i`` inside a cell's folder."""

PLOT_POINTS = 120
"""Points of the geometric grid on which each curve is kept for the figures."""

SLOPE_POINTS = 16
"""Points of the geometric grid of the slope fit (as in ``mdptheory run``)."""


def slope_grid(budget: int) -> np.ndarray:
    """Positions ``t`` (1-based) of the slope fit: a geometric grid from ``budget // 100``
    (at least 1) to ``budget`` with 16 points, rounded to distinct integers."""
    start = max(1, budget // 100)
    if start >= budget:
        return np.array([budget], dtype=np.int64)
    return np.unique(np.rint(np.geomspace(start, budget, SLOPE_POINTS)).astype(np.int64))


def curve_grid(budget: int) -> np.ndarray:
    """Positions ``t`` (1-based) at which a repetition's curve is kept: a geometric grid from 1
    to ``budget`` joined with :func:`slope_grid`.

    Examples
    --------
    >>> curve_grid(5).tolist()
    [1, 2, 3, 4, 5]
    >>> int(curve_grid(10_000)[-1])
    10000
    """
    plot = np.rint(np.geomspace(1, budget, min(budget, PLOT_POINTS))).astype(np.int64)
    return np.unique(np.concatenate([plot, slope_grid(budget)]))


def curve_of(trace: Trace) -> tuple[np.ndarray, str]:
    """The curve a sweep summarises: cumulative pseudo-regret of a :class:`RegretTrace`, or the
    gap of a :class:`ConvergenceTrace`; and its name."""
    if isinstance(trace, RegretTrace):
        return trace.cumulative, "cumulative pseudo-regret"
    return trace.gap, "gap"


def unit_of(trace: Trace) -> str:
    """What one entry of the budget counts: ``"step"`` for the average-reward learners (their
    metadata say so), else ``"episode"`` for a regret trace and ``"iteration"`` for a gap."""
    unit = trace.metadata.get("unit") if isinstance(trace.metadata, dict) else None
    if isinstance(unit, str) and unit:
        return unit
    return "episode" if isinstance(trace, RegretTrace) else "iteration"


@dataclass(frozen=True)
class Outcome:
    """What a task sends back: its cell and repetition, the curve read at the positions
    ``grid`` (:func:`kept_positions`) and the final value, or the error that stopped it."""

    index: int
    repetition: int
    curve: np.ndarray | None = None
    final: float = float("nan")
    quantity: str = ""
    error: str | None = None
    grid: np.ndarray | None = None
    unit: str = ""


def kept_positions(trace: Trace, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Where a repetition's curve is kept: ``(indices into the curve, their positions t)``.

    The positions are those the trace recorded (:func:`~mdptheory.sweep.positions.
    recorded_positions`: every ``t`` or, for a thinned trace, ``extras["iteration"]``); for each
    point of :func:`curve_grid` the first recorded one at or after it is kept. A trace that
    records every ``t`` is thus kept exactly on :func:`curve_grid`.

    Raises
    ------
    ValueError
        When the last recorded position is not ``budget``.
    """
    positions = recorded_positions(trace)
    if positions.shape[0] == 0 or int(positions[-1]) != budget:
        last = int(positions[-1]) if positions.shape[0] else 0
        raise ValueError(
            f"the trace's last entry is at {last} (of {positions.shape[0]} "
            f"recorded), the budget is {budget}"
        )
    columns = positions_at(positions, curve_grid(budget))
    return columns, positions[columns]


def run_repetition(
    learner: Any, model: Any, budget: int, child: np.random.SeedSequence, folder: str | os.PathLike
) -> Trace:
    """Run (or load, when already saved) one repetition of a cell into ``folder``.

    ``folder`` is a :func:`~mdptheory.experiment.run_seeds` folder of one seed whose root seed
    is ``child``. A fresh copy of ``child`` is used, so calling this twice with the same object
    gives the same stream (``SeedSequence.spawn`` counts the children it has made).
    """
    root = np.random.SeedSequence(
        child.entropy, spawn_key=child.spawn_key, pool_size=child.pool_size
    )
    return run_seeds(
        learner, model, budget, seeds=1, seed=root, n_jobs=1, out_dir=folder, progress=False
    )[0]


def run_task(
    index: int,
    repetition: int,
    learner: Any,
    model: Any,
    budget: int,
    child: np.random.SeedSequence,
    folder: str,
) -> Outcome:
    """One task of a sweep (run in a worker): :func:`run_repetition`, reduced to an
    :class:`Outcome`. An exception is sent back as the outcome's error, so one failing cell
    does not stop the others."""
    try:
        trace = run_repetition(learner, model, budget, child, folder)
        curve, quantity = curve_of(trace)
        columns, grid = kept_positions(trace, budget)
    except Exception as error:  # reported with its cell; the sweep goes on
        message = str(error).splitlines()[0] if str(error) else ""
        return Outcome(index, repetition, error=f"{type(error).__name__}: {message}")
    return Outcome(
        index,
        repetition,
        curve[columns].copy(),
        float(curve[-1]),
        quantity,
        grid=grid,
        unit=unit_of(trace),
    )


@dataclass
class CellResult:
    """The repetitions of one cell, reduced.

    Attributes
    ----------
    cell : Cell
    folder : Path
        The cell's folder (one ``rep_*`` folder per repetition).
    grid : ndarray of int
        Positions ``t`` (1-based) of the kept curve points: :func:`curve_grid` for traces that
        record every ``t``, the recorded positions nearest above it for thinned traces
        (:func:`kept_positions`), shared by every repetition.
    curves : ndarray, shape (seeds, len(grid))
        One curve per repetition (NaN for a repetition that failed, or whose recorded
        positions differ from those of the first successful repetition: see
        :func:`assemble`).
    finals : ndarray, shape (seeds,)
        The curve's last value per repetition (cumulative regret after ``budget`` episodes).
    quantity : str
        ``"cumulative pseudo-regret"`` or ``"gap"``.
    errors : dict
        ``{repetition: message}`` of the repetitions that failed.
    unit : str
        What ``t`` counts: ``"episode"``, ``"step"`` or ``"iteration"`` (:func:`unit_of`).
    """

    cell: Cell
    folder: Path
    grid: np.ndarray
    curves: np.ndarray
    finals: np.ndarray
    quantity: str = ""
    errors: dict[int, str] = field(default_factory=dict)
    unit: str = ""

    @property
    def complete(self) -> bool:
        return not self.errors and bool(np.isfinite(self.finals).all())


def assemble(result: CellResult, outcomes: Sequence[Outcome]) -> None:
    """Fill ``result`` from the outcomes of its repetitions.

    Rule: the repetitions are averaged at the same positions only. The grid is that of the
    successful repetition with the smallest index; a successful repetition whose positions
    differ is recorded as failed, with a message naming both repetitions (whatever the order
    in which the outcomes arrived).
    """
    ok = sorted((o for o in outcomes if o.error is None), key=lambda o: o.repetition)
    for o in outcomes:
        if o.error is not None:
            result.errors[o.repetition] = o.error
    if not ok:
        return
    first = ok[0]
    result.grid = first.grid
    result.curves = np.full((result.curves.shape[0], first.grid.shape[0]), np.nan)
    result.quantity, result.unit = first.quantity, first.unit
    for o in ok:
        if not np.array_equal(o.grid, first.grid):
            if o.grid.shape != first.grid.shape:
                where = f"{o.grid.shape[0]} kept points against {first.grid.shape[0]}"
            else:
                j = int(np.flatnonzero(o.grid != first.grid)[0])
                where = f"point {j} at t = {int(o.grid[j])} against {int(first.grid[j])}"
            result.errors[o.repetition] = (
                f"ValueError: repetition {o.repetition} recorded its curve at other positions "
                f"than repetition {first.repetition} ({where}); seeds are averaged only at "
                "the same positions"
            )
            continue
        result.curves[o.repetition] = o.curve
        result.finals[o.repetition] = o.final


@dataclass
class SweepResult:
    """Every cell's :class:`CellResult`, in the order of the cells, and what the run did."""

    cells: list[CellResult]
    seeds: int
    seed: int
    out_dir: Path
    backend: str
    ran: int
    loaded: int
    seconds: float


def _is_saved(folder: Path) -> bool:
    # Only decides where a repetition is handled: saved ones are loaded here, the others are
    # dispatched. Either way run_seeds loads what is saved and checks it.
    return (folder / "run.json").exists() and (seed_folder(folder, 0) / "trace.json").exists()


def _local(tasks: Sequence[tuple], jobs: int) -> Iterator[Outcome]:
    if jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_task(*task)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(run_task)(*task) for task in tasks)


def _dask(tasks: Sequence[tuple], client: Any) -> Iterator[Outcome]:
    from mdptheory.distributed import require_distributed

    distributed = require_distributed()
    # Each distinct model is sent to the cluster once; the tasks refer to it.
    scattered: dict[int, Any] = {}
    futures = {}
    for task in tasks:
        index, repetition, learner, model, budget, child, folder = task
        key = id(model)
        if key not in scattered:
            scattered[key] = client.scatter(model, hash=False)
        future = client.submit(
            run_task, index, repetition, learner, scattered[key], budget, child, folder, pure=False
        )
        futures[future] = (index, repetition)
    for future in distributed.as_completed(list(futures)):
        index, repetition = futures[future]
        try:
            outcome = future.result()
        except Exception as error:  # e.g. a worker lost; reported with its cell
            outcome = Outcome(index, repetition, error=f"{type(error).__name__}: {error}")
        future.release()
        yield outcome


def run_sweep(
    cells: Sequence[BuiltCell],
    seeds: int,
    seed: int,
    out_dir: str | os.PathLike,
    jobs: int = 1,
    client: Any = None,
    progress: bool = True,
    console: Any = None,
) -> SweepResult:
    """Run every cell for ``seeds`` repetitions, saving each repetition as it finishes.

    Parameters
    ----------
    cells : sequence of BuiltCell
        From :func:`mdptheory.sweep.build_cells`.
    seeds : int
        Repetitions per cell.
    seed : int
        Root seed; repetition ``i`` of every cell gets ``spawn_seeds(seed, seeds)[i]``.
    out_dir : path
        Output folder; cell ``c`` goes to ``out_dir/c.folder_name(seed)/rep_{i:04d}/``.
    jobs : int
        Local worker processes (1: in this process; -1: every core). Ignored with ``client``.
    client : distributed.Client, optional
        Run the tasks on this Dask cluster instead.
    progress : bool
        Show a progress bar over cells when the console is a terminal.
    console : rich.console.Console, optional
        Where the progress goes (default: standard error).

    Returns
    -------
    SweepResult
        The same numbers whatever ``jobs`` or ``client`` (only the runtimes differ).
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive int, got {seeds!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if client is None and (
        isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs < -1
    ):
        raise ValueError(f"jobs must be a positive int or -1 (every core), got {jobs!r}")
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    start = time.perf_counter()
    # Absolute, so that workers on other nodes write to the same (shared) folder.
    out_dir = Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    # Spawned here, before dispatch: repetition i of every cell has the same child seed.
    children = spawn_seeds(seed, seeds)
    results: list[CellResult] = []
    saved, todo = [], []
    for index, built in enumerate(cells):
        folder = out_dir / built.cell.folder_name(seed)
        grid = curve_grid(built.cell.budget)
        results.append(
            CellResult(
                built.cell,
                folder,
                grid,
                np.full((seeds, grid.shape[0]), np.nan),
                np.full(seeds, np.nan),
            )
        )
        for i in range(seeds):
            rep = folder / REPETITION_FOLDER.format(i)
            task = (index, i, built.learner, built.model, built.cell.budget, children[i], str(rep))
            (saved if _is_saved(rep) else todo).append(task)

    remaining = [seeds] * len(cells)
    backend = (
        "in-process"
        if client is None and jobs == 1
        else (
            f"{jobs if jobs > 0 else os.cpu_count()} local processes"
            if client is None
            else "Dask distributed"
        )
    )
    if client is not None:
        from mdptheory.distributed import dashboard_link

        link = dashboard_link(client)
        workers = sum(client.nthreads().values())
        plural = "s" if workers != 1 else ""
        backend = f"Dask distributed ({workers} worker{plural})"
        console.print(
            f"Dask: {client.scheduler.address}, {workers} worker{plural}"
            + (f", dashboard {link}" if link else ""),
            highlight=False,
            soft_wrap=True,
        )

    received: list[list[Outcome]] = [[] for _ in cells]

    def record(outcome: Outcome) -> None:
        received[outcome.index].append(outcome)
        remaining[outcome.index] -= 1

    total = len(cells) * seeds
    done = [0]
    with progress_bar(progress, console) as bar:
        task = bar.add_task(f"cells (0/{total} runs)", total=len(cells))

        def advance(outcome: Outcome) -> None:
            record(outcome)
            done[0] += 1
            bar.update(task, description=f"cells ({done[0]}/{total} runs)")
            if remaining[outcome.index] == 0:
                bar.advance(task)

        # Saved repetitions are loaded here (checked by run_seeds; a damaged one is rerun).
        for args in saved:
            advance(run_task(*args))
        if todo:
            stream = _local(todo, jobs) if client is None else _dask(todo, client)
            for outcome in stream:
                advance(outcome)
    for result, outcomes in zip(results, received, strict=True):
        assemble(result, outcomes)
    return SweepResult(
        results,
        seeds,
        seed,
        out_dir,
        backend,
        ran=len(todo),
        loaded=len(saved),
        seconds=time.perf_counter() - start,
    )


__all__ = [
    "PLOT_POINTS",
    "REPETITION_FOLDER",
    "CellResult",
    "Outcome",
    "SweepResult",
    "assemble",
    "curve_grid",
    "curve_of",
    "kept_positions",
    "run_repetition",
    "run_sweep",
    "run_task",
    "slope_grid",
    "unit_of",
]
