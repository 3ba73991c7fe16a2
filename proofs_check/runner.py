"""``mdptheory check``: run the registered checks, print the verdicts, write the report.

``add_arguments`` fills an ``argparse`` parser (the ``check`` sub-command of ``mdptheory``);
``run_from_args`` runs it and returns the exit code: 0 when no check failed, 1 when some check
failed, 2 when the selection is wrong (an unknown id, nothing selected or a bad ``--jobs``).
``main`` runs it as a standalone program (``python -m proofs_check.runner``).

Parallel runs
-------------
``--jobs N`` runs the checks in ``N`` worker processes (joblib's loky backend; ``-1`` uses
every core). Each check still receives the same ``(scale, seed)`` and runs whole in one
process, so its evidence and verdict do not depend on ``N``; the results come back in the
order of the selection, and the report differs from a serial one only in the measured
runtimes. ``--scheduler tcp://HOST:PORT`` (or ``--dask-local N``) sends the same tasks to the
workers of a Dask cluster instead (``pip install "mdptheory[dask]"``). A check is sent to a
worker as its function (by reference for a module-level
function such as those of :mod:`proofs_check.theorems`, by value through cloudpickle for a
closure); a check whose function cannot be pickled runs in the calling process, and the
runner says so.

The checks of one family often share runs through module-level caches (e.g. the UCBVI runs of
:mod:`proofs_check.theorems.tabular`). When the selection spans at least ``N`` modules, the
checks of one module therefore go to the same worker as one task, in selection order, so
those runs are computed once; with fewer modules than workers each check is its own task.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from proofs_check.harness import REGISTRY, CheckResult, Registry, Theorem
from proofs_check.report import STATUS_LABEL, write_report

DEFAULT_OUT = "mdptheory-report"
_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "inconclusive": "bold yellow",
    "vacuous": "bold magenta",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``mdptheory check`` to ``parser``."""
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const="quick",
        help="small grids and few seeds, seconds per check (the default)",
    )
    scale.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const="full",
        help="the larger grids and more seeds of the full study",
    )
    scale.add_argument(
        "--scale", dest="scale", choices=("quick", "full"), help="the same as --quick or --full"
    )
    parser.set_defaults(scale="quick")
    parser.add_argument(
        "--only",
        metavar="ID",
        nargs="+",
        action="extend",
        default=[],
        help="run only the checks with these ids (see --list)",
    )
    parser.add_argument(
        "--tag",
        metavar="TAG",
        action="append",
        default=[],
        help="run only the checks carrying this tag (repeatable: any of them)",
    )
    parser.add_argument(
        "-k",
        metavar="PATTERN",
        dest="pattern",
        default=None,
        help="run only the checks whose id contains PATTERN",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=DEFAULT_OUT,
        help=f"folder of the report (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="seed of every check's random draws (default: 0)",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=1,
        help="worker processes running checks side by side (default: 1, in "
        "this process; -1: every core); the results do not depend on it",
    )
    parser.add_argument("--list", action="store_true", help="list the registered checks and exit")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the checks on the Dask cluster of this scheduler, e.g. "
        "tcp://HOST:8786 (needs the dask extra); the results do not "
        "depend on it",
    )
    parser.add_argument(
        "--dask-local",
        metavar="N",
        type=int,
        default=None,
        help="start a Dask LocalCluster of N worker processes and run the checks on it",
    )
    parser.add_argument(
        "--mutants",
        action="store_true",
        help="mutation score: run the selected checks against each planted "
        "defect of proofs_check.mutants (one process per mutant, --jobs "
        "at a time) and write the kill table (mutants.md, mutants.json)",
    )
    parser.add_argument(
        "--mutant",
        metavar="ID",
        action="append",
        default=[],
        help="with --mutants: only this mutant (repeatable)",
    )
    parser.add_argument(
        "--mutant-checks",
        choices=("tagged", "all"),
        default="tagged",
        help="with --mutants: run against each mutant the selected checks "
        "carrying its tags (default) or all the selected checks",
    )


def select(args: argparse.Namespace, registry: Registry = REGISTRY) -> list[Theorem]:
    """The theorems chosen by ``--only``, ``--tag`` and ``-k`` (all when none is given).

    Raises ``ValueError`` naming an unknown id.
    """
    theorems = registry.registered()
    only = list(getattr(args, "only", []) or [])
    if only:
        known = {t.id for t in theorems}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise ValueError(
                f"no check with id {unknown[0]!r}; run `mdptheory check --list` to see the ids"
            )
        theorems = [t for t in theorems if t.id in only]
    tags = list(getattr(args, "tag", []) or [])
    if tags:
        theorems = [t for t in theorems if set(tags) & set(t.tags)]
    pattern = getattr(args, "pattern", None)
    if pattern:
        theorems = [t for t in theorems if pattern in t.id]
    return theorems


def _console():
    from rich.console import Console

    return Console()


def _error(message: str) -> None:
    """An error of ``mdptheory check``: one line on stderr."""
    print(f"mdptheory check: error: {' '.join(message.split())}", file=sys.stderr)


def _list(theorems: Sequence[Theorem]) -> None:
    from rich.table import Table

    table = Table(title="Registered checks", show_lines=False)
    for column in ("id", "paper", "claim", "tags"):
        table.add_column(column, overflow="fold")
    for t in theorems:
        table.add_row(t.id, t.paper, t.claim, ", ".join(t.tags))
    _console().print(table)


def verdict_table(results: Sequence[CheckResult]):
    """A rich table of the verdicts (id, verdict, power, runtime, reason); papers are in the
    report. Power is the number of negative controls the criterion rejected."""
    from rich.table import Table

    table = Table(title="mdptheory check")
    table.add_column("id", overflow="fold")
    table.add_column("verdict")
    table.add_column("power", justify="right")
    table.add_column("time (s)", justify="right")
    table.add_column("reason", overflow="fold")
    for r in results:
        status = r.verdict.status
        table.add_row(
            r.id,
            f"[{_STYLE[status]}]{STATUS_LABEL[status]}[/]",
            r.power,
            f"{r.runtime:.2f}",
            r.verdict.reason,
        )
    return table


def resolve_jobs(jobs: int, n_checks: int) -> int:
    """The number of worker processes for ``n_checks`` checks: ``jobs`` (``-1``: every core),
    at most one per check.

    Raises ``ValueError`` for 0 or a value below -1.

    Examples
    --------
    >>> resolve_jobs(4, 2), resolve_jobs(1, 10)
    (2, 1)
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0 or jobs < -1:
        raise ValueError(
            f"--jobs must be a positive number of workers or -1 (every core), got {jobs!r}"
        )
    if jobs == -1:
        jobs = os.cpu_count() or 1
    return max(1, min(jobs, n_checks))


def _run_in_worker(theorem: Theorem, scale: str, seed: int) -> CheckResult:
    """Run one check in a worker process, as :meth:`Registry.run_check` runs it in the parent.

    The theorem is registered in a fresh registry of the worker, so the worker needs nothing
    but the check's function (pickled by reference or by value).
    """
    registry = Registry()
    registry.add(theorem)
    return registry.run_check(theorem.id, scale, seed)


def _picklable(func: Callable) -> bool:
    import pickle

    import cloudpickle

    try:
        cloudpickle.dumps(func)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def run_checks(
    theorems: Sequence[Theorem],
    scale: str,
    seed: int,
    registry: Registry = REGISTRY,
    progress: bool = True,
    jobs: int = 1,
    client=None,
) -> list[CheckResult]:
    """Run the given checks with a progress display; results in the order of ``theorems``.

    Parameters
    ----------
    theorems : sequence of Theorem
        The checks, as selected (:func:`select`).
    scale : {"quick", "full"}
    seed : int
        Passed to every check.
    registry : Registry
        The registry the checks belong to (used when a check runs in this process).
    progress : bool
        Show a progress bar when the console is a terminal.
    jobs : int
        Worker processes (1: run here, one after the other; -1: every core). The evidence and
        verdicts do not depend on ``jobs``; only the measured runtimes do.
    client : distributed.Client, optional
        Run the checks on this Dask cluster instead of local processes (``jobs`` is then
        ignored); the tasks are grouped as for ``jobs`` = the cluster's number of workers.

    Returns
    -------
    list of CheckResult
        One per theorem, in the order of ``theorems``.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = _console()
    workers = resolve_jobs(jobs, len(theorems))
    if client is not None:
        from mdptheory.distributed import dashboard_link, total_workers

        workers = max(2, total_workers(client))
        link = dashboard_link(client)
        console.print(
            f"Dask: {total_workers(client)} workers" + (f", dashboard {link}" if link else ""),
            highlight=False,
        )
    results: dict[int, CheckResult] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not (progress and console.is_terminal),
        transient=True,
    ) as bar:
        task = bar.add_task("checks", total=len(theorems))
        if workers == 1:
            for i, theorem in enumerate(theorems):
                bar.update(task, description=theorem.id)
                results[i] = registry.run_check(theorem.id, scale, seed)
                bar.advance(task)
        else:
            remote = [i for i, t in enumerate(theorems) if _picklable(t.func)]
            local = sorted(set(range(len(theorems))) - set(remote))
            for i in local:
                console.print(
                    f"{theorems[i].id}: its function cannot be pickled, so it runs in this process",
                    highlight=False,
                )
            bar.update(task, description=f"checks ({workers} workers)")
            for i, result in _parallel_results(theorems, remote, scale, seed, workers, client):
                # The parent's Theorem (same metadata, the caller's function object).
                results[i] = dataclasses.replace(result, theorem=theorems[i])
                bar.advance(task)
            for i in local:
                bar.update(task, description=theorems[i].id)
                results[i] = registry.run_check(theorems[i].id, scale, seed)
                bar.advance(task)
    return [results[i] for i in range(len(theorems))]


def task_groups(
    theorems: Sequence[Theorem], indices: Sequence[int], workers: int
) -> list[list[int]]:
    """How the checks ``indices`` are sent to ``workers`` processes: lists of indices, each
    list one task run in one worker in the given order.

    The checks of one module form one task when there are at least ``workers`` modules (so the
    runs they share through module-level caches are computed once); otherwise every check is
    a task of its own, so that all workers have work.
    """
    by_module: dict[str, list[int]] = {}
    for i in indices:
        by_module.setdefault(theorems[i].module, []).append(i)
    if len(by_module) >= workers:
        return list(by_module.values())
    return [[i] for i in indices]


def _parallel_results(
    theorems: Sequence[Theorem],
    indices: Sequence[int],
    scale: str,
    seed: int,
    workers: int,
    client=None,
):
    """Yield ``(index, CheckResult)`` as the workers finish their tasks (any order), on local
    processes or, given a Dask ``client``, on its cluster."""
    groups = task_groups(theorems, indices, workers)
    if not groups:
        return
    if client is not None:
        from mdptheory.distributed import require_distributed

        futures = [
            client.submit(_run_group, [(i, theorems[i]) for i in group], scale, seed, pure=False)
            for group in groups
        ]
        for future in require_distributed().as_completed(futures):
            yield from future.result()
            future.release()
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    tasks = (
        delayed(_run_group)([(i, theorems[i]) for i in group], scale, seed) for group in groups
    )
    for finished in parallel(tasks):
        yield from finished


def _run_group(
    group: list[tuple[int, Theorem]], scale: str, seed: int
) -> list[tuple[int, CheckResult]]:
    return [(i, _run_in_worker(theorem, scale, seed)) for i, theorem in group]


def run_from_args(args: argparse.Namespace, registry: Registry = REGISTRY) -> int:
    """Run ``mdptheory check`` for parsed arguments; return the exit code.

    0: no check failed (inconclusive and vacuous ones included); 1: at least one check failed;
    2: the selection named an unknown id or selected nothing, ``--jobs`` is not a positive
    int or -1, or the Dask options are wrong or Dask is missing. With ``--mutants`` (or
    ``--mutant ID``) the selected checks are run against the planted defects of
    :mod:`proofs_check.mutants` instead; the exit code is then 0 when the mutation score
    reaches its target and no mutant is broken, 1 otherwise.
    """
    console = _console()
    try:
        theorems = select(args, registry)
    except ValueError as error:
        _error(str(error))
        return 2
    if getattr(args, "list", False):
        _list(theorems)
        return 0
    if not theorems:
        _error("no check matches the selection (see `mdptheory check --list`)")
        return 2
    if getattr(args, "mutants", False) or getattr(args, "mutant", None):
        from proofs_check import mutants

        try:
            resolve_jobs(getattr(args, "jobs", 1), 1)
        except ValueError as error:
            console.print(f"[bold red]error:[/] {error}")
            return 2
        return mutants.run_from_args(args, theorems, console)
    scale = getattr(args, "scale", None) or "quick"
    seed = int(getattr(args, "seed", 0))
    try:
        jobs = resolve_jobs(getattr(args, "jobs", 1), len(theorems))
    except ValueError as error:
        _error(str(error))
        return 2
    from contextlib import ExitStack

    from mdptheory.distributed import DaskUnavailable, dask_client, validate_backend

    scheduler, local = getattr(args, "scheduler", None), getattr(args, "dask_local", None)
    with ExitStack() as stack:
        client = None
        try:
            validate_backend(getattr(args, "jobs", 1), scheduler, local)
            if scheduler is not None or local is not None:
                client = stack.enter_context(dask_client(scheduler, local))
        except (ValueError, DaskUnavailable) as error:
            from rich.markup import escape

            console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            return 2
        results = run_checks(theorems, scale, seed, registry, jobs=jobs, client=client)
    console.print(verdict_table(results))
    # Called from the mdptheory command, sys.argv is ["mdptheory", "check", ...].
    command = getattr(args, "command_line", None) or shlex.join(["mdptheory", *sys.argv[1:]])
    report = write_report(
        results, Path(getattr(args, "out", DEFAULT_OUT) or DEFAULT_OUT), command=command
    )
    counts = {s: sum(r.verdict.status == s for r in results) for s in STATUS_LABEL}
    console.print(
        f"{counts['pass']} passed, {counts['fail']} failed, "
        f"{counts['inconclusive']} inconclusive, {counts['vacuous']} vacuous "
        f"({scale} scale, seed {seed})."
    )
    console.print(f"Report: {report.resolve()}", soft_wrap=True, highlight=False)
    for r in results:
        if r.error:
            console.print(f"[bold red]{r.id} raised:[/]\n{r.error}")
    return 1 if counts["fail"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: ``python -m proofs_check.runner [options]``."""
    parser = argparse.ArgumentParser(
        prog="mdptheory check",
        description="Run the theorems registered in proofs_check.theorems as executable "
        "checks, print a verdict table and write a Markdown report with figures.",
    )
    add_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["mdptheory", "check", *argv])
    return run_from_args(args)


if __name__ == "__main__":
    sys.exit(main())
