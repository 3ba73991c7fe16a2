"""The run arguments every policy-gradient learner checks the same way.

``budget`` (the number of updates), step sizes, and batched arrays: each batched argument has a
leading axis of the common batch size N or of size 1 (shared by every trajectory).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from algorithms._validation import check_budget as _check_budget
from algorithms.policy_gradient._recording import check_every
from mdptheory._validation import check_finite, check_seed


def check_budget(budget: Any) -> int:
    """Return ``budget`` (number of iterations) as an int, raising ``ValueError`` unless >= 1."""
    return _check_budget(budget, "number of iterations")


def check_run(budget: Any, seed: Any, record_every: Any) -> tuple[int, int | None]:
    """``(budget, record_every)`` of a batched run, checked in that order with the ``seed``
    between them (:func:`check_budget`, :func:`~mdptheory._validation.check_seed`,
    :func:`~algorithms.policy_gradient._recording.check_every`).

    Examples
    --------
    >>> check_run(100, 0, None), check_run(100, 0, 10)
    ((100, None), (100, 10))
    """
    budget = check_budget(budget)
    check_seed(seed)
    return budget, check_every(record_every, budget)


def check_step_sizes(etas: Any, name: str = "eta") -> np.ndarray:
    """A float64 array of step sizes, each finite and > 0 (the message names the first bad).

    Examples
    --------
    >>> check_step_sizes(0.5).tolist()
    [0.5]
    >>> check_step_sizes([0.1, -1.0])
    Traceback (most recent call last):
    ...
    ValueError: eta[1] is -1.0; step sizes must be finite and positive
    """
    array = np.atleast_1d(np.asarray(etas, dtype=np.float64))
    if array.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-d array, got shape {array.shape}")
    check_finite(array, name)
    nonpositive = np.flatnonzero(array <= 0)
    if nonpositive.size:
        i = int(nonpositive[0])
        raise ValueError(
            f"{name}[{i}] is {float(array[i])!r}; step sizes must be finite and positive"
        )
    return array


def batch_size(*arrays: np.ndarray) -> int:
    """Common leading size of batched arguments (size 1 broadcasts); ValueError otherwise."""
    sizes = {a.shape[0] for a in arrays if a.shape[0] != 1}
    if len(sizes) > 1:
        raise ValueError(
            f"batched arguments have incompatible leading sizes {sorted(sizes)} "
            "(each must be 1 or the common batch size)"
        )
    return sizes.pop() if sizes else 1


def as_batch(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``value`` as an array of shape (n, *shape) with n >= 1 (a single value gets n = 1).

    Examples
    --------
    >>> as_batch([0.0, 1.0], (2,), "theta0").shape
    (1, 2)
    """
    array = np.asarray(value, dtype=np.float64)
    if array.shape == shape:
        array = array[None]
    if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
        raise ValueError(
            f"{name} must have shape {shape} or (N, {', '.join(map(str, shape))})"
            f", got shape {array.shape}"
        )
    check_finite(array, name)
    return array


def initial_logits(theta0: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``theta0`` as a batch of logits of ``shape`` (:func:`as_batch`), zeros (the uniform
    policy) when ``theta0`` is None.

    Examples
    --------
    >>> initial_logits(None, (3,)).tolist()
    [[0.0, 0.0, 0.0]]
    """
    return as_batch(np.zeros(shape) if theta0 is None else theta0, shape, "theta0")
