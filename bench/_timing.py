"""Timing helpers and the command line shared by the bench scripts (``python bench/NAME.py``).

The machine the scripts run on may be shared, so a timing is reported as the median over
repetitions with its spread (the smallest and largest repetition), and two contenders are timed
in alternation, round by round, with the ratio taken per round: a noisy spell then shows up as
a wide spread instead of being hidden by a best-of.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """The result of one call of ``function`` and its wall time in seconds."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def repeat_timed(function: Callable[[], Any], repeats: int) -> tuple[Spread, Any]:
    """Wall times of ``repeats`` calls as a :class:`Spread`, and the result of the last call."""
    times, result = [], None
    for _ in range(repeats):
        result, seconds = timed(function)
        times.append(seconds)
    return Spread.of(times), result


def best_time(function: Callable[[], object], repeats: int = 3) -> float:
    """Smallest wall time of ``repeats`` calls (the least disturbed run)."""
    return repeat_timed(function, repeats)[0].low


@dataclass(frozen=True)
class Spread:
    """Median of repeated measurements with the smallest and largest of them."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values) -> Spread:
        values = np.asarray(values, dtype=np.float64)
        return cls(
            float(np.median(values)), float(values.min()), float(values.max()), int(values.size)
        )

    def format(self, scale: float = 1.0, unit: str = "", digits: int = 3) -> str:
        """``median [low, high]`` after multiplying by ``scale``, e.g. ``12.1 [11.8, 13.0] ms``."""
        m, lo, hi = self.median * scale, self.low * scale, self.high * scale
        text = f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"
        return f"{text} {unit}".rstrip()


def median_time(function: Callable[[], object], repeats: int = 5) -> Spread:
    """Wall time of ``repeats`` calls as a :class:`Spread`."""
    return repeat_timed(function, repeats)[0]


def alternate(
    contenders: dict[str, Callable[[], object]], repeats: int = 7, warmup: bool = True
) -> dict[str, list[float]]:
    """Wall times of each contender over ``repeats`` rounds, the contenders alternated.

    Round ``r`` runs every contender once, in an order that rotates from round to round, so
    none of them is systematically first after a pause of the machine.
    """
    names = list(contenders)
    if warmup:
        for name in names:
            contenders[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def ratio(times: dict[str, list[float]], numerator: str, denominator: str) -> Spread:
    """Per-round ratios ``numerator / denominator`` of an :func:`alternate` run."""
    return Spread.of(np.asarray(times[numerator]) / np.asarray(times[denominator]))


def _openblas_threads() -> list[str]:
    """Thread counts of the OpenBLAS libraries bundled with numpy and scipy (via ctypes)."""
    found = []
    for package in ("numpy", "scipy"):
        try:
            module = __import__(package)
        except ImportError:  # pragma: no cover - numpy is always there
            continue
        folder = os.path.join(os.path.dirname(module.__file__), os.pardir, f"{package}.libs")
        for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            for symbol in (
                "scipy_openblas_get_num_threads64_",
                "scipy_openblas_get_num_threads",
                "openblas_get_num_threads64_",
                "openblas_get_num_threads",
            ):
                function = getattr(library, symbol, None)
                if function is not None:
                    found.append(f"{package} OpenBLAS {int(function())}")
                    break
    return found


def blas_threads() -> str:
    """The BLAS thread pools of this process and their sizes, as one line of text.

    Read with threadpoolctl when it is importable, else from the OpenBLAS libraries that numpy
    and scipy bundle; ``"unknown"`` when neither works.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        found = _openblas_threads()
    else:
        found = [
            f"{info.get('internal_api')} {info.get('num_threads')}"
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    cores = os.cpu_count()
    return f"BLAS threads: {', '.join(found) if found else 'unknown'}; cores: {cores}"


def command_line(
    doc: str, quick: str, argv: list[str] | None = None, **options: dict[str, Any]
) -> argparse.Namespace:
    """Parse a bench script's command line and print the first line of its report.

    The parser is described by the first line of the script's docstring ``doc`` and has
    ``--quick`` (help text ``quick``) and one option per keyword of ``options`` (``--a-b`` for
    ``a_b``; the value holds the keywords of ``add_argument``). Before returning the parsed
    arguments it prints :func:`blas_threads`, so that every report says which BLAS pools ran.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    for name, keywords in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **keywords)
    args = parser.parse_args(argv)
    print(blas_threads())
    return args
