"""Wall-clock timing of compiled runs, read on the Python side: one call, or chunks of calls.

A compiled loop cannot read the clock without leaving compiled code, so the learners time the
calls of their compiled loops from Python. The bandit learners run their whole budget in one
call (:func:`timed`); the episodic learners run their episodes in at most
:data:`N_TIME_CHUNKS` calls of consecutive episodes (:func:`timed_chunks`), so a trace shows
how the cost of an episode evolves over the run. Each chunk's time is spread evenly over its
episodes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, objmode

N_TIME_CHUNKS = 200
"""Episode times are measured over at most this many chunks of consecutive episodes."""


def timed(kernel: Callable, *args: Any) -> tuple[Any, float]:
    """Call ``kernel(*args)`` and return its result and the elapsed wall-clock seconds."""
    start = time.perf_counter()
    result = kernel(*args)
    return result, time.perf_counter() - start


def chunk_length(n: int, chunks: int = N_TIME_CHUNKS) -> int:
    """Items per chunk so that ``n`` items take at most ``chunks`` chunks."""
    return max(1, -(-n // chunks))


def timed_chunks(step: Callable[[int, int], Any], n: int,
                 chunks: int = N_TIME_CHUNKS) -> np.ndarray:
    """Run ``step(start, stop)`` over consecutive chunks covering items ``0..n-1``; return the
    seconds of each item, its chunk's time spread evenly over the chunk.

    Examples
    --------
    >>> done = []
    >>> seconds = timed_chunks(lambda start, stop: done.append((start, stop)), 5, chunks=2)
    >>> done, seconds.shape, bool((seconds >= 0).all())
    ([(0, 3), (3, 5)], (5,), True)
    """
    seconds = np.empty(n)
    length = chunk_length(n, chunks)
    for start in range(0, n, length):
        stop = min(n, start + length)
        _, elapsed = timed(step, start, stop)
        seconds[start:stop] = elapsed / (stop - start)
    return seconds


@njit(cache=True)
def clock() -> float:
    """Wall-clock seconds, readable inside a compiled loop (one object-mode call): for the
    learners whose loop is one compiled call, such as the average-reward ones."""
    with objmode(now="float64"):
        now = time.perf_counter()
    return now
