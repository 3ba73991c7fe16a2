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

Resume integrity
----------------
Each file of a repetition is written to a temporary name, flushed and renamed (``os.replace``),
and the run manifest ``run.json`` records, per repetition, the seed, the budget and the sha256
of ``trace.npz`` and ``trace.json``. On resume a repetition is loaded only if its files exist,
match their checksums, read back, carry the run's seed and budget and hold finite numbers;
otherwise it is recomputed and one line on stderr names the file and the reason. A run never
returns (or reports a total built from) a damaged repetition.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, is_dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import numpy as np
from scipy import stats

from mdptheory._validation import check_int, check_real
from mdptheory.progress import progress_bar
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


TRACE_FILES = ("trace.npz", "trace.json")
"""The files of one saved repetition, each checksummed in the run manifest."""

SEEDS_KEY = "seeds"
"""Key of ``run.json`` holding the per-repetition records (seed, budget, sha256 of the files)."""


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _seed_record(child: np.random.SeedSequence) -> dict[str, Any]:
    return _jsonable({"entropy": child.entropy, "spawn_key": list(child.spawn_key)})


def _seed_entry(folder: Path, child: np.random.SeedSequence, budget: int) -> dict[str, Any]:
    """The manifest record of a repetition just saved in ``folder``."""
    return {
        "seed": _seed_record(child),
        "budget": budget,
        "sha256": {name: file_sha256(folder / name) for name in TRACE_FILES},
    }


def _curve_arrays(trace: Trace) -> dict[str, np.ndarray]:
    if isinstance(trace, RegretTrace):
        return {
            "pseudo_regret": trace.pseudo_regret,
            "realised_regret": trace.realised_regret,
            "episode_time": trace.episode_time,
        }
    return {"gap": trace.gap}


def _first_non_finite(trace: Trace) -> str | None:
    for name, array in _curve_arrays(trace).items():
        bad = ~np.isfinite(array)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return f"{name}[{i}] is {float(array[i])!r}, not a finite number"
    return None


def _verify_seed(
    folder: Path, entry: Any, child: np.random.SeedSequence, budget: int
) -> tuple[Trace | None, str, str]:
    """Load a saved repetition if it passes every check; else ``(None, file, reason)``."""
    for name in TRACE_FILES:
        if not (folder / name).is_file():
            return None, str(folder / name), "missing"
    if not isinstance(entry, dict):
        return None, str(folder / "trace.npz"), f"not recorded in {MANIFEST}"
    if entry.get("budget") != budget:
        return (
            None,
            str(folder / "trace.npz"),
            (f"recorded in {MANIFEST} for budget {entry.get('budget')!r}, this run has {budget}"),
        )
    if entry.get("seed") != _seed_record(child):
        return (
            None,
            str(folder / "trace.npz"),
            (
                f"recorded in {MANIFEST} for seed {entry.get('seed')!r}, this repetition has "
                f"{_seed_record(child)!r}"
            ),
        )
    recorded = entry.get("sha256") if isinstance(entry.get("sha256"), dict) else {}
    for name in TRACE_FILES:
        actual = file_sha256(folder / name)
        if recorded.get(name) != actual:
            return (
                None,
                str(folder / name),
                (
                    f"sha256 {actual[:12]}... does not match the {MANIFEST} record "
                    f"{str(recorded.get(name))[:12]}..."
                ),
            )
    try:
        trace = load_trace(folder)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        return None, str(folder / "trace.npz"), f"cannot be read ({type(error).__name__}: {error})"
    metadata = trace.metadata
    if "budget" in metadata and metadata["budget"] not in (None, budget):
        return (
            None,
            str(folder / "trace.json"),
            (f"records budget {metadata['budget']!r}, this run has {budget}"),
        )
    if isinstance(metadata.get("seed"), dict) and metadata["seed"] != _seed_record(child):
        return (
            None,
            str(folder / "trace.json"),
            (f"records seed {metadata['seed']!r}, this repetition has {_seed_record(child)!r}"),
        )
    problem = _first_non_finite(trace)
    if problem is not None:
        return None, str(folder / "trace.npz"), problem
    return trace, "", ""


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _manifest(
    algorithm: Any, model: Any, budget: int, root: np.random.SeedSequence
) -> dict[str, Any]:
    # The number of seeds is left out on purpose: child i of a SeedSequence does not depend on
    # how many children are spawned, so a run may be extended with more seeds.
    return _jsonable(
        {
            "algorithm": type(algorithm).__name__,
            "hyperparameters": _jsonable(algorithm) if is_dataclass(algorithm) else repr(algorithm),
            "instance": repr(model),
            "budget": budget,
            "root_seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        }
    )


def _check_manifest(out_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Check (or create) ``run.json``; return the per-repetition records it holds."""
    path = out_dir / MANIFEST
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {out_dir} exists and is not a folder")
    if path.exists():
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(
                f"{path} cannot be read ({error}); it is not a run manifest, use "
                "another out_dir or remove the file"
            ) from error
        if not isinstance(saved, dict):
            raise ValueError(f"{path} is not a run manifest (a JSON object); use another out_dir")
        seeds = saved.pop(SEEDS_KEY, {})
        differing = sorted(k for k in set(saved) | set(manifest) if saved.get(k) != manifest.get(k))
        if differing:
            key = differing[0]
            raise ValueError(
                f"{out_dir} holds runs of a different experiment: {key} was "
                f"{saved.get(key)!r}, now {manifest.get(key)!r}; use another out_dir"
            )
        return seeds if isinstance(seeds, dict) else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json_atomic(path, {**manifest, SEEDS_KEY: {}})
    return {}


def _run_one(
    algorithm: Any,
    model: Any,
    budget: int,
    index: int,
    child: np.random.SeedSequence,
    folder: str | None,
) -> tuple[int, Trace, dict[str, Any] | None]:
    trace = algorithm.run(model, budget, child)
    if not isinstance(trace, (RegretTrace, ConvergenceTrace)):
        raise ValueError(
            f"{type(algorithm).__name__}.run returned {type(trace).__name__}, "
            "expected a RegretTrace or ConvergenceTrace"
        )
    problem = _first_non_finite(trace)
    if problem is not None:
        raise ValueError(f"repetition {index} of {type(algorithm).__name__}: {problem}")
    trace = replace(trace, metadata={**trace.metadata, "repetition": index})
    entry = None
    if folder is not None:
        # Saved by the worker itself, so a finished repetition is on disk even if the parent dies.
        trace.save(folder)
        entry = _seed_entry(Path(folder), child, budget)
    return index, trace, entry


def run_seeds(
    algorithm: Learner,
    model: Any,
    budget: int,
    seeds: int = 20,
    seed: int | np.random.SeedSequence = 0,
    n_jobs: int = 1,
    out_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> list[Trace]:
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
    budget = check_int(budget, "budget", 1)
    seeds = check_int(seeds, "seeds", 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (-1 for every core), got {n_jobs!r}")
    root = as_seed_sequence(seed)
    children = spawn_seeds(root, seeds)

    results: dict[int, Trace] = {}
    folders: list[str | None] = [None] * seeds
    manifest: dict[str, Any] | None = None
    records: dict[str, Any] = {}
    if out_dir is not None:
        out_path = Path(out_dir)
        manifest = _manifest(algorithm, model, budget, root)
        records = dict(_check_manifest(out_path, manifest))
        for i in range(seeds):
            folder = seed_folder(out_path, i)
            folders[i] = str(folder)
            if not folder.exists():
                continue
            trace, file, reason = _verify_seed(folder, records.get(str(i)), children[i], budget)
            if trace is None:
                records.pop(str(i), None)
                print(f"resume: recomputing repetition {i}: {file}: {reason}", file=sys.stderr)
            else:
                results[i] = trace
    todo = [i for i in range(seeds) if i not in results]

    with progress_bar(progress) as bar:
        task = bar.add_task(
            f"{type(algorithm).__name__} x {seeds} seeds", total=seeds, completed=len(results)
        )
        for index, trace, entry in _execute(
            algorithm, model, budget, children, folders, todo, n_jobs
        ):
            results[index] = trace
            if manifest is not None and entry is not None:
                records[str(index)] = entry
                _write_json_atomic(Path(out_dir) / MANIFEST, {**manifest, SEEDS_KEY: records})
            bar.advance(task)
    return [results[i] for i in range(seeds)]


def _execute(
    algorithm: Any,
    model: Any,
    budget: int,
    children: list[np.random.SeedSequence],
    folders: list[str | None],
    todo: list[int],
    n_jobs: int,
) -> Iterator[tuple[int, Trace, dict[str, Any] | None]]:
    if not todo:
        return
    if n_jobs == 1 or len(todo) == 1:
        for i in todo:
            yield _run_one(algorithm, model, budget, i, children[i], folders[i])
        return
    from joblib import Parallel, delayed

    # Unordered, so the progress bar moves as soon as any repetition ends.
    parallel = Parallel(n_jobs=int(n_jobs), backend="loky", return_as="generator_unordered")
    yield from parallel(
        delayed(_run_one)(algorithm, model, budget, i, children[i], folders[i]) for i in todo
    )


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
    ci = check_real(ci, "ci", 0.0, 1.0, low_open=True, high_open=True)
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
    if not np.all(np.isfinite(Y)):
        i, t = np.argwhere(~np.isfinite(Y))[0]
        raise ValueError(
            f"trace {int(i)} holds {float(Y[i, t])!r} at index {int(t)}: a summary "
            "of non-finite curves would be meaningless"
        )
    n = Y.shape[0]
    mean = Y.mean(axis=0)
    if n > 1:
        std = Y.std(axis=0, ddof=1)
        half = stats.t.ppf(0.5 + ci / 2, n - 1) * std / np.sqrt(n)
    else:
        std = np.full_like(mean, np.nan)
        half = std
    return Summary(
        mean, mean - half, mean + half, std, n, ci, "cumulative pseudo-regret" if regret else "gap"
    )


def regret_curves(
    algorithm: Learner,
    model: Any,
    budget: int,
    seeds: int,
    seed: int | np.random.SeedSequence = 0,
    n_jobs: int = 1,
) -> np.ndarray:
    """Cumulative exact pseudo-regret of ``seeds`` repetitions, shape (seeds, budget).

    Row ``i`` is ``trace.cumulative`` of repetition ``i`` of :func:`run_seeds` (child seed
    ``spawn_seeds(seed, seeds)[i]``, no progress bar): the curves a rate check reads.

    Raises
    ------
    ValueError
        For what :func:`run_seeds` refuses, or a learner whose run is not a
        :class:`RegretTrace` (naming the repetition).

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Constant:
    ...     def run(self, model, budget, seed):
    ...         gap = np.full(budget, 0.5)
    ...         return RegretTrace(gap, gap, np.zeros(budget), {})
    >>> regret_curves(Constant(), None, budget=3, seeds=2).tolist()
    [[0.5, 1.0, 1.5], [0.5, 1.0, 1.5]]
    """
    traces = run_seeds(
        algorithm, model, budget, seeds=seeds, seed=seed, n_jobs=n_jobs, progress=False
    )
    for i, trace in enumerate(traces):
        if not isinstance(trace, RegretTrace):
            raise ValueError(
                f"repetition {i} of {type(algorithm).__name__} returned "
                f"{type(trace).__name__}; regret curves need a RegretTrace"
            )
    return np.stack([trace.cumulative for trace in traces])


__all__ = [
    "MANIFEST",
    "Learner",
    "Summary",
    "Trace",
    "load_trace",
    "regret_curves",
    "run_seeds",
    "seed_folder",
    "summarise",
]
