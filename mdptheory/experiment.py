"""Seeded, resumable, parallel repetitions of a learner on one model.

The learner protocol
--------------------
A learner is a frozen dataclass of hyperparameters with a method

``run(model, budget, seed) -> RegretTrace | ConvergenceTrace``

that draws every random number from ``mdptheory.seeding.as_generator(seed)``.

:func:`run_seeds` gives repetition ``i`` the child seed ``spawn_seeds(seed, seeds)[i]``
(``SeedSequence.spawn``), so repetition ``i`` sees the same stream whatever the number of worker
processes: results are bit for bit the same for any ``n_jobs``. With ``out_dir`` every finished
repetition is written at once to ``out_dir/seed_{i:04d}/`` by the worker that ran it, and a rerun
loads those folders instead of running them again, so an interrupted sweep loses at most the
repetitions in flight. :func:`summarise` reduces a list of traces to a mean curve with a
confidence band.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import numpy as np
from scipy import stats

from mdptheory.regret import ConvergenceTrace, RegretTrace, _jsonable
from mdptheory.seeding import as_seed_sequence, spawn_seeds

Trace: TypeAlias = RegretTrace | ConvergenceTrace

MANIFEST = "run.json"
"""Name of the file in ``out_dir`` that records what the folder's traces are runs of."""


class Learner(Protocol):
    """What :func:`run_seeds` needs of a learner: a ``run(model, budget, seed)`` method."""

    def run(self, model: Any, budget: int, seed: Any) -> Trace: ...


def seed_folder(out_dir: str | os.PathLike, index: int) -> Path:
    """Folder holding repetition ``index`` of a run: ``out_dir/seed_{index:04d}``."""
    return Path(out_dir) / f"seed_{index:04d}"


def load_trace(folder: str | os.PathLike) -> Trace:
    """Load a :class:`RegretTrace` or :class:`ConvergenceTrace` saved in ``folder``.

    The kind is read from ``trace.json``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> trace = ConvergenceTrace(np.array([1.0, 0.5]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = trace.save(tmp)
    ...     load_trace(tmp).gap.tolist()
    [1.0, 0.5]
    """
    path = Path(folder)
    meta_file = path / "trace.json"
    if not meta_file.exists():
        raise ValueError(f"{path} holds no saved trace (no trace.json)")
    kind = json.loads(meta_file.read_text()).get("kind")
    if kind == "RegretTrace":
        return RegretTrace.load(path)
    if kind == "ConvergenceTrace":
        return ConvergenceTrace.load(path)
    raise ValueError(f"{meta_file} records kind {kind!r}, not RegretTrace or ConvergenceTrace")


def _is_complete(folder: Path) -> bool:
    # trace.save writes trace.npz then trace.json, each by rename, so both present = complete.
    return (folder / "trace.npz").exists() and (folder / "trace.json").exists()


def _manifest(algorithm: Any, model: Any, budget: int,
              root: np.random.SeedSequence) -> dict[str, Any]:
    # The number of seeds is left out on purpose: child i of a SeedSequence does not depend on
    # how many children are spawned, so a run may be extended with more seeds.
    return _jsonable({
        "algorithm": type(algorithm).__name__,
        "hyperparameters": _jsonable(algorithm) if is_dataclass(algorithm) else repr(algorithm),
        "instance": repr(model),
        "budget": budget,
        "root_seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
    })


def _check_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    path = out_dir / MANIFEST
    if path.exists():
        saved = json.loads(path.read_text())
        differing = sorted(k for k in set(saved) | set(manifest) if saved.get(k) != manifest.get(k))
        if differing:
            key = differing[0]
            raise ValueError(
                f"{out_dir} holds runs of a different experiment: {key} was "
                f"{saved.get(key)!r}, now {manifest.get(key)!r}; use another out_dir")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, path)


def _run_one(algorithm: Any, model: Any, budget: int, index: int,
             child: np.random.SeedSequence, folder: str | None) -> tuple[int, Trace]:
    trace = algorithm.run(model, budget, child)
    if not isinstance(trace, (RegretTrace, ConvergenceTrace)):
        raise ValueError(f"{type(algorithm).__name__}.run returned {type(trace).__name__}, "
                         "expected a RegretTrace or ConvergenceTrace")
    trace = replace(trace, metadata={**trace.metadata, "repetition": index})
    if folder is not None:
        # Saved by the worker itself, so a finished repetition is on disk even if the parent dies.
        trace.save(folder)
    return index, trace


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                    disable=not (enabled and console.is_terminal), transient=False)


def run_seeds(algorithm: Learner, model: Any, budget: int, seeds: int = 20,
              seed: int | np.random.SeedSequence = 0, n_jobs: int = 1,
              out_dir: str | os.PathLike | None = None, progress: bool = True) -> list[Trace]:
    """Run ``algorithm`` on ``model`` for ``seeds`` independent repetitions.

    Parameters
    ----------
    algorithm : learner
        A frozen dataclass with ``run(model, budget, seed) -> RegretTrace | ConvergenceTrace``.
    model : object
        The instance, passed unchanged to every repetition (pickled for worker processes).
    budget : int
        Episodes, rounds or iterations per repetition.
    seeds : int
        Number of repetitions.
    seed : int or SeedSequence
        Root seed; repetition ``i`` receives ``spawn_seeds(seed, seeds)[i]``.
    n_jobs : int
        Worker processes (joblib's loky backend); 1 runs in this process, -1 uses every core.
        The traces do not depend on it (apart from the measured ``episode_time``).
    out_dir : path, optional
        Folder for the traces. Each finished repetition is saved at once to
        ``out_dir/seed_{i:04d}/``; repetitions already saved there are loaded, not rerun. A
        ``run.json`` records the algorithm, model, budget and root seed, and a rerun with a
        different one raises instead of mixing two experiments.
    progress : bool
        Show a progress bar (only when stderr is a terminal).

    Returns
    -------
    list of RegretTrace or ConvergenceTrace
        In repetition order; each trace's metadata gains ``"repetition": i``.

    Raises
    ------
    ValueError
        On a non-positive ``budget`` or ``seeds``, ``n_jobs == 0``, a learner without ``run``,
        a learner returning something other than a trace, or an ``out_dir`` holding another
        experiment.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> from mdptheory.seeding import as_generator
    >>> @dataclass(frozen=True)
    ... class Coin:
    ...     p: float = 0.5
    ...     def run(self, model, budget, seed):
    ...         draws = as_generator(seed).random(budget) < self.p
    ...         return ConvergenceTrace(draws.astype(float))
    >>> traces = run_seeds(Coin(), None, budget=4, seeds=3, progress=False)
    >>> len(traces), traces[0].n_iterations
    (3, 4)
    """
    if not callable(getattr(algorithm, "run", None)):
        raise ValueError(f"algorithm {algorithm!r} has no run(model, budget, seed) method")
    budget = _check_positive_int(budget, "budget")
    seeds = _check_positive_int(seeds, "seeds")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (-1 for every core), got {n_jobs!r}")
    root = as_seed_sequence(seed)
    children = spawn_seeds(root, seeds)

    results: dict[int, Trace] = {}
    folders: list[str | None] = [None] * seeds
    if out_dir is not None:
        out_path = Path(out_dir)
        _check_manifest(out_path, _manifest(algorithm, model, budget, root))
        for i in range(seeds):
            folder = seed_folder(out_path, i)
            folders[i] = str(folder)
            if _is_complete(folder):
                results[i] = load_trace(folder)
    todo = [i for i in range(seeds) if i not in results]

    with _progress(progress) as bar:
        task = bar.add_task(f"{type(algorithm).__name__} x {seeds} seeds", total=seeds,
                            completed=len(results))
        for index, trace in _execute(algorithm, model, budget, children, folders, todo, n_jobs):
            results[index] = trace
            bar.advance(task)
    return [results[i] for i in range(seeds)]


def _execute(algorithm: Any, model: Any, budget: int, children: list[np.random.SeedSequence],
             folders: list[str | None], todo: list[int],
             n_jobs: int) -> Iterator[tuple[int, Trace]]:
    if not todo:
        return
    if n_jobs == 1 or len(todo) == 1:
        for i in todo:
            yield _run_one(algorithm, model, budget, i, children[i], folders[i])
        return
    from joblib import Parallel, delayed

    # Unordered, so the progress bar moves as soon as any repetition ends.
    parallel = Parallel(n_jobs=int(n_jobs), backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(_run_one)(algorithm, model, budget, i, children[i], folders[i])
                        for i in todo)


@dataclass(frozen=True)
class Summary:
    """Mean curve over repetitions with a pointwise confidence band.

    Attributes
    ----------
    mean, ci_low, ci_high, std : ndarray, shape (T,)
        Pointwise mean, Student-t confidence band for the mean and sample standard deviation
        (NaN band and std for a single repetition).
    n : int
        Number of repetitions.
    ci : float
        Confidence level of the band.
    quantity : str
        ``"cumulative pseudo-regret"`` or ``"gap"``.
    """

    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    std: np.ndarray
    n: int
    ci: float
    quantity: str


def summarise(traces: Sequence[Trace], ci: float = 0.95) -> Summary:
    """Mean and confidence band of cumulative pseudo-regret (or of the gap) over repetitions.

    For :class:`RegretTrace` the curve is ``trace.cumulative``; for :class:`ConvergenceTrace`
    it is ``trace.gap``. The band is ``mean +- t_{n-1} * std / sqrt(n)`` at each point.

    Examples
    --------
    >>> import numpy as np
    >>> traces = [ConvergenceTrace(np.array([1.0, 0.5])), ConvergenceTrace(np.array([3.0, 0.5]))]
    >>> summarise(traces).mean.tolist()
    [2.0, 0.5]
    """
    if len(traces) == 0:
        raise ValueError("summarise needs at least one trace, got none")
    if not (0.0 < ci < 1.0):
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")
    kinds = {type(t) for t in traces}
    if len(kinds) != 1 or not kinds <= {RegretTrace, ConvergenceTrace}:
        names = sorted(k.__name__ for k in kinds)
        raise ValueError(f"traces must all be RegretTrace or all ConvergenceTrace, got {names}")
    regret = kinds == {RegretTrace}
    curves = [t.cumulative if regret else t.gap for t in traces]
    lengths = {c.shape[0] for c in curves}
    if len(lengths) != 1:
        raise ValueError(f"traces have different lengths {sorted(lengths)}")
    Y = np.stack(curves)
    n = Y.shape[0]
    mean = Y.mean(axis=0)
    if n > 1:
        std = Y.std(axis=0, ddof=1)
        half = stats.t.ppf(0.5 + ci / 2, n - 1) * std / np.sqrt(n)
    else:
        std = np.full_like(mean, np.nan)
        half = std
    return Summary(mean, mean - half, mean + half, std, n, ci,
                   "cumulative pseudo-regret" if regret else "gap")


__all__ = ["MANIFEST", "Learner", "Summary", "Trace", "load_trace", "run_seeds", "seed_folder",
           "summarise"]
