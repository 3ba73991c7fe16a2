"""How many threads the parallel numba kernels use, for a block of code.

The robust walks and moments and the batched policy-gradient kernels are compiled with
``parallel=True``; each row or trajectory is computed by one thread in a fixed order, so their
numbers do not depend on the thread count. :func:`numba_threads` sets that count for a block
and restores it afterwards, for comparing a parallel result with a serial one, or for small
problems where a thread pool shared with other processes costs more than the work.

Examples
--------
>>> import numba
>>> before = numba.get_num_threads()
>>> with numba_threads(1):
...     numba.get_num_threads()
1
>>> numba.get_num_threads() == before
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba


@contextmanager
def numba_threads(n: int) -> Iterator[None]:
    """Run the calling thread's parallel numba kernels on ``n`` threads inside the block.

    Raises
    ------
    ValueError
        If ``n`` is not an int between 1 and ``numba.config.NUMBA_NUM_THREADS``.
    """
    limit = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
        raise ValueError(f"n must be an int between 1 and {limit}, got {n!r}")
    threads = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(threads)
