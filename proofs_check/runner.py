"""``mdptheory check``: run the registered checks, print the verdicts, write the report.

``add_arguments`` fills an ``argparse`` parser (the ``check`` sub-command of ``mdptheory``);
``run_from_args`` runs it and returns the exit code: 0 when no check failed, 1 when some check
failed, 2 when the selection is wrong (an unknown id, nothing selected). ``main`` runs it as a
standalone program (``python -m proofs_check.runner``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from proofs_check.harness import REGISTRY, CheckResult, Registry, Theorem
from proofs_check.report import STATUS_LABEL, write_report

DEFAULT_OUT = "mdptheory-report"
_STYLE = {"pass": "bold green", "fail": "bold red", "inconclusive": "bold yellow"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``mdptheory check`` to ``parser``."""
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--quick", dest="scale", action="store_const", const="quick",
                       help="small grids and few seeds, seconds per check (the default)")
    scale.add_argument("--full", dest="scale", action="store_const", const="full",
                       help="the larger grids and more seeds of the full study")
    scale.add_argument("--scale", dest="scale", choices=("quick", "full"),
                       help="the same as --quick or --full")
    parser.set_defaults(scale="quick")
    parser.add_argument("--only", metavar="ID", nargs="+", action="extend", default=[],
                        help="run only the checks with these ids (see --list)")
    parser.add_argument("--tag", metavar="TAG", action="append", default=[],
                        help="run only the checks carrying this tag (repeatable: any of them)")
    parser.add_argument("-k", metavar="PATTERN", dest="pattern", default=None,
                        help="run only the checks whose id contains PATTERN")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"folder of the report (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of every check's random draws (default: 0)")
    parser.add_argument("--list", action="store_true",
                        help="list the registered checks and exit")


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
            raise ValueError(f"no check with id {unknown[0]!r}; run `mdptheory check --list` "
                             "to see the ids")
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


def _list(theorems: Sequence[Theorem]) -> None:
    from rich.table import Table

    table = Table(title="Registered checks", show_lines=False)
    for column in ("id", "paper", "claim", "tags"):
        table.add_column(column, overflow="fold")
    for t in theorems:
        table.add_row(t.id, t.paper, t.claim, ", ".join(t.tags))
    _console().print(table)


def verdict_table(results: Sequence[CheckResult]):
    """A rich table of the verdicts (id, verdict, runtime, reason); papers are in the report."""
    from rich.table import Table

    table = Table(title="mdptheory check")
    table.add_column("id", overflow="fold")
    table.add_column("verdict")
    table.add_column("time (s)", justify="right")
    table.add_column("reason", overflow="fold")
    for r in results:
        status = r.verdict.status
        table.add_row(r.id, f"[{_STYLE[status]}]{STATUS_LABEL[status]}[/]",
                      f"{r.runtime:.2f}", r.verdict.reason)
    return table


def run_checks(theorems: Sequence[Theorem], scale: str, seed: int,
               registry: Registry = REGISTRY, progress: bool = True) -> list[CheckResult]:
    """Run the given checks in order with a progress display."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = _console()
    results = []
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  disable=not (progress and console.is_terminal), transient=True) as bar:
        task = bar.add_task("checks", total=len(theorems))
        for theorem in theorems:
            bar.update(task, description=theorem.id)
            results.append(registry.run_check(theorem.id, scale, seed))
            bar.advance(task)
    return results


def run_from_args(args: argparse.Namespace, registry: Registry = REGISTRY) -> int:
    """Run ``mdptheory check`` for parsed arguments; return the exit code.

    0: no check failed (inconclusive ones included); 1: at least one check failed;
    2: the selection named an unknown id or selected nothing.
    """
    console = _console()
    try:
        theorems = select(args, registry)
    except ValueError as error:
        console.print(f"[bold red]error:[/] {error}")
        return 2
    if getattr(args, "list", False):
        _list(theorems)
        return 0
    if not theorems:
        console.print("[bold red]error:[/] no check matches the selection "
                      "(see `mdptheory check --list`)")
        return 2
    scale = getattr(args, "scale", None) or "quick"
    seed = int(getattr(args, "seed", 0))
    results = run_checks(theorems, scale, seed, registry)
    console.print(verdict_table(results))
    # Called from the mdptheory command, sys.argv is ["mdptheory", "check", ...].
    command = getattr(args, "command_line", None) or shlex.join(["mdptheory", *sys.argv[1:]])
    report = write_report(results, Path(getattr(args, "out", DEFAULT_OUT) or DEFAULT_OUT),
                          command=command)
    counts = {s: sum(r.verdict.status == s for r in results) for s in STATUS_LABEL}
    console.print(f"{counts['pass']} passed, {counts['fail']} failed, "
                  f"{counts['inconclusive']} inconclusive ({scale} scale, seed {seed}).")
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
                    "checks, print a verdict table and write a Markdown report with figures.")
    add_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["mdptheory", "check", *argv])
    return run_from_args(args)


if __name__ == "__main__":
    sys.exit(main())
