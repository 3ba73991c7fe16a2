"""Seeds: one rule for every function that draws random numbers.

Every random function in the library takes ``seed`` (an int, a ``numpy.random.SeedSequence`` or a
``numpy.random.Generator``) and turns it into a ``Generator`` with :func:`as_generator`. Seeds for
repetitions come from :func:`spawn_seeds`, so repetition ``i`` draws the same numbers whatever the
number of workers.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

from mdptheory._validation import check_int, check_memory, check_seed

SEED_SEQUENCE_BYTES = 512
"""Approximate memory of one spawned ``SeedSequence`` (object, spawn key, pool)."""

SeedLike: TypeAlias = int | np.integer | np.random.SeedSequence | np.random.Generator


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``.

    A ``Generator`` is returned as it is (so a caller can thread one stream through several
    calls); an int or ``SeedSequence`` seeds a fresh PCG64 stream.

    Examples
    --------
    >>> bool(as_generator(3).integers(10) == as_generator(3).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(seed))
    return np.random.Generator(np.random.PCG64(check_seed(seed)))


def as_seed_sequence(seed: int | np.integer | np.random.SeedSequence) -> np.random.SeedSequence:
    """Return a ``SeedSequence`` for an int or ``SeedSequence`` seed."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        raise ValueError(
            "seed must be an int >= 0 or a SeedSequence here, got a Generator "
            "(repetitions need SeedSequence.spawn)"
        )
    return np.random.SeedSequence(check_seed(seed))


def spawn_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """Independent child seeds for ``n`` repetitions (``SeedSequence.spawn``).

    Examples
    --------
    >>> [s.entropy for s in spawn_seeds(7, 2)] == [7, 7]
    True
    """
    n = check_int(n, "n (number of seeds)", 0)
    check_memory(
        float(n) * SEED_SEQUENCE_BYTES, f"{n} SeedSequence objects", f"n (number of seeds) = {n}"
    )
    return as_seed_sequence(seed).spawn(n)
