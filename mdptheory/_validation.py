"""Input validation shared by the models: every failure names the offending index and value."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DEFAULT_TOL = 1e-9
"""Default tolerance on probability row sums (|sum - 1| <= tol)."""


def _index_str(name: str, index: tuple[int, ...], trailing_slice: bool = False) -> str:
    inner = ", ".join(str(int(i)) for i in index)
    if trailing_slice:
        inner = f"{inner}, :" if inner else ":"
    return f"{name}[{inner}]"


def as_float_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert to a C-contiguous float64 array, checking dimension and finiteness."""
    try:
        array = np.array(value, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers: {error}") from error
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                             f"got shape {array.shape}")
    check_finite(array, name)
    return array


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise naming the first non-finite entry."""
    bad = ~np.isfinite(array)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        raise ValueError(f"{_index_str(name, index)} is {float(array[index])}, not a finite number")


def check_shape(array: np.ndarray, name: str, expected: tuple[int, ...]) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} has shape {array.shape}, expected {expected}")


def check_distributions(array: np.ndarray, name: str, tol: float = DEFAULT_TOL) -> None:
    """Check that every slice along the last axis is a probability vector.

    Entries must be >= 0 and each row must sum to 1 within ``tol``. The error names the first
    offending index, e.g. ``P[3, 1, :] sums to 0.97``.
    """
    negative = array < 0
    if negative.any():
        index = np.unravel_index(int(np.flatnonzero(negative)[0]), array.shape)
        raise ValueError(f"{_index_str(name, index)} is {float(array[index])!r}, "
                         "a negative probability")
    sums = array.sum(axis=-1)
    bad = np.abs(sums - 1.0) > tol
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), sums.shape)
        raise ValueError(f"{_index_str(name, index, trailing_slice=True)} sums to "
                         f"{float(sums[index])!r}, not 1 (tolerance {tol:g})")


def check_sparse_kernel(matrix: sp.sparray | sp.spmatrix, name: str, n_states: int,
                        n_actions: int, tol: float = DEFAULT_TOL) -> sp.csr_array:
    """Validate a sparse kernel of shape (S*A, S) with row ``s * A + a`` for pair (s, a)."""
    csr = sp.csr_array(matrix, dtype=np.float64)
    csr.sum_duplicates()
    csr.sort_indices()
    if csr.shape != (n_states * n_actions, n_states):
        raise ValueError(f"sparse {name} has shape {csr.shape}, expected "
                         f"(S*A, S) = ({n_states * n_actions}, {n_states})")
    data = csr.data
    if not np.all(np.isfinite(data)):
        pos = int(np.flatnonzero(~np.isfinite(data))[0])
        row = int(np.searchsorted(csr.indptr, pos, side="right") - 1)
        s, a = divmod(row, n_actions)
        raise ValueError(f"{name}[{s}, {a}, {int(csr.indices[pos])}] is {data[pos]}, "
                         "not a finite number")
    if (data < 0).any():
        pos = int(np.flatnonzero(data < 0)[0])
        row = int(np.searchsorted(csr.indptr, pos, side="right") - 1)
        s, a = divmod(row, n_actions)
        raise ValueError(f"{name}[{s}, {a}, {int(csr.indices[pos])}] is {float(data[pos])!r}, "
                         "a negative probability")
    sums = np.asarray(csr.sum(axis=1)).ravel()
    bad = np.abs(sums - 1.0) > tol
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        s, a = divmod(row, n_actions)
        raise ValueError(f"{name}[{s}, {a}, :] sums to {float(sums[row])!r}, "
                         f"not 1 (tolerance {tol:g})")
    return csr


def check_probability_vector(vector, name: str, size: int, tol: float = DEFAULT_TOL) -> np.ndarray:
    array = as_float_array(vector, name, ndim=1)
    check_shape(array, name, (size,))
    check_distributions(array, name, tol)
    return array
