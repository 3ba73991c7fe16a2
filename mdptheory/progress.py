"""The progress bar of the long commands: repetitions in ``run_seeds``, cells in a sweep."""

from __future__ import annotations

from typing import Any


def progress_bar(enabled: bool, console: Any = None, transient: bool = False):
    """A ``rich.progress.Progress``: description, bar, done/total and elapsed time.

    Parameters
    ----------
    enabled : bool
        Show the bar; it is also hidden when ``console`` is not a terminal (a log file, a pipe,
        a test), so output that is read back holds no bar.
    console : rich.console.Console, optional
        Where to draw it; by default a new console on standard error.
    transient : bool
        Remove the bar when it finishes.

    Examples
    --------
    >>> with progress_bar(False) as bar:
    ...     task = bar.add_task("runs", total=2)
    ...     bar.advance(task, 2)
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    if console is None:
        console = Console(stderr=True)
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
        transient=transient,
    )
