"""Timing helpers shared by the bench scripts (run them as ``python bench/NAME.py``).

The machine the scripts run on may be shared, so a timing is reported as the median over
repetitions with its spread (the smallest and largest repetition), and two contenders are timed
in alternation, round by round, with the ratio taken per round: a noisy spell then shows up as
a wide spread instead of being hidden by a best-of.
"""

from __future__ import annotations

import ctypes
import glob
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def best_time(function: Callable[[], object], repeats: int = 3) -> float:
    """Smallest wall time of ``repeats`` calls (the least disturbed run)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


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
        return cls(float(np.median(values)), float(values.min()), float(values.max()),
                   int(values.size))

    def format(self, scale: float = 1.0, unit: str = "", digits: int = 3) -> str:
        """``median [low, high]`` after multiplying by ``scale``, e.g. ``12.1 [11.8, 13.0] ms``."""
        m, lo, hi = self.median * scale, self.low * scale, self.high * scale
        text = f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"
        return f"{text} {unit}".rstrip()


def median_time(function: Callable[[], object], repeats: int = 5) -> Spread:
    """Wall time of ``repeats`` calls as a :class:`Spread`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return Spread.of(times)


def alternate(contenders: dict[str, Callable[[], object]], repeats: int = 7,
              warmup: bool = True) -> dict[str, list[float]]:
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
        order = names[r % len(names):] + names[:r % len(names)]
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
            for symbol in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                           "openblas_get_num_threads64_", "openblas_get_num_threads"):
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
        found = [f"{info.get('internal_api')} {info.get('num_threads')}"
                 for info in threadpool_info() if info.get("user_api") == "blas"]
    cores = os.cpu_count()
    return f"BLAS threads: {', '.join(found) if found else 'unknown'}; cores: {cores}"
