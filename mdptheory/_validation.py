"""Input validation shared by the library: every failure names the parameter (or the offending
index) and the value.

Three layers live here:

* scalars (:func:`check_real`, :func:`check_int` and the named rules built on them:
  :func:`check_tol`, :func:`check_discount`, :func:`check_horizon`, :func:`check_max_iter`,
  :func:`check_budget`, :func:`check_seed`, :func:`check_alpha`, :func:`check_index`). A bool is
  not a number and a string is not a number: a value of the wrong type raises
  :class:`ParameterTypeError` (a ``TypeError`` that is also a ``ValueError``, so callers that
  catch ``ValueError`` keep working), a value of the right type outside its range raises
  ``ValueError``;
* arrays (:func:`as_float_array`, :func:`check_finite`, :func:`check_distributions`, ...);
* sizes (:func:`memory_limit`, :func:`check_memory`): a request whose estimated memory exceeds
  the limit is refused before anything is allocated.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np
import scipy.sparse as sp

DEFAULT_TOL = 1e-9
"""Default tolerance on probability row sums (|sum - 1| <= tol)."""


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type (a string, a bool or ``None`` where a number is needed).

    A ``TypeError``; also a ``ValueError`` so that code catching bad input as ``ValueError``
    sees it too.
    """


# --------------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------------


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _unwrap(value: Any) -> Any:
    """A 0-d numpy array becomes its scalar; anything else is returned as it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"


def check_real(
    value: Any,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    *,
    outside: str = "must lie in",
) -> float:
    """``value`` as a finite float in the stated interval.

    ``outside`` is the wording of the message for a value outside the interval
    (``f"{name} {outside} {interval}, got {value!r}"``); the instance families say
    ``"must be a finite number in"``.

    Raises
    ------
    ParameterTypeError
        For a bool, a string, ``None``, a complex number or anything that is not a real number.
    ValueError
        For NaN, an infinity or a value outside the interval; the message names ``name``.

    Examples
    --------
    >>> check_real(0.5, "gamma", 0.0, 1.0, high_open=True)
    0.5
    """
    value = _unwrap(value)
    interval = _interval(low, high, low_open, high_open)
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ParameterTypeError(
            f"{name} must be a real number in {interval}, got {value!r} "
            f"of type {type(value).__name__}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    bad = False
    if low is not None:
        bad = number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise ValueError(f"{name} {outside} {interval}, got {value!r}")
    return number


def check_int(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int in ``[low, high]``.

    A float with an integral value (``3.0``) is refused like ``2.5``: counts are ints.

    Examples
    --------
    >>> check_int(3, "H", 1)
    3
    """
    value = _unwrap(value)
    if low is not None and high is not None:
        kind = f"an int in {low}..{high}"
    elif low == 1:
        kind = "a positive int"
    elif low == 0:
        kind = "a non-negative int"
    elif low is not None:
        kind = f"an int >= {low}"
    else:
        kind = "an int" if high is None else f"an int <= {high}"
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(
            f"{name} must be {kind}, got {value!r} of type {type(value).__name__}"
        )
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must be {kind}, got {number}")
    return number


def check_tol(tol: Any, name: str = "tol", allow_zero: bool = False) -> float:
    """A tolerance: a finite float > 0 (>= 0 with ``allow_zero``)."""
    return check_real(tol, name, 0.0, None, low_open=not allow_zero)


MIN_ONE_MINUS_GAMMA = 1e-10
"""Smallest ``1 - gamma`` a discounted model accepts: closer to 1, ``1 - gamma`` keeps only a few
significant bits in float64 and the linear solves ``(I - gamma P) V = r`` are singular to
working precision, so the values would carry no correct digit."""


def check_discount(gamma: Any, name: str = "gamma") -> float:
    """A discount factor in [0, 1) with ``1 - gamma >= 1e-10`` (:data:`MIN_ONE_MINUS_GAMMA`)."""
    value = check_real(gamma, name, 0.0, 1.0, high_open=True)
    if 1.0 - value < MIN_ONE_MINUS_GAMMA:
        raise ValueError(
            f"{name} = {value!r} is within {MIN_ONE_MINUS_GAMMA:g} of 1: the "
            f"effective horizon 1 / (1 - {name}) = {1.0 / (1.0 - value):.3g} is "
            "beyond what float64 solves can resolve"
        )
    return value


def check_horizon(H: Any, name: str = "H") -> int:
    """A horizon: an int >= 1."""
    return check_int(H, name, 1)


def check_max_iter(max_iter: Any, name: str = "max_iter") -> int:
    """An iteration cap: an int >= 1."""
    return check_int(max_iter, name, 1)


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """A risk level in (0, 1]."""
    return check_real(alpha, name, 0.0, 1.0, low_open=True)


def check_index(index: Any, name: str, size: int) -> int:
    """An index in ``0..size-1`` (an int, not a float)."""
    return check_int(index, name, 0, size - 1)


def check_seed(seed: Any, name: str = "seed") -> Any:
    """An int >= 0, a ``numpy.random.SeedSequence`` or a ``numpy.random.Generator``.

    Returned unchanged (an int as a Python int).
    """
    if isinstance(seed, (np.random.SeedSequence, np.random.Generator)):
        return seed
    seed = _unwrap(seed)
    if _is_bool(seed) or not isinstance(seed, numbers.Integral):
        raise ParameterTypeError(
            f"{name} must be an int >= 0, a SeedSequence or a Generator, "
            f"got {seed!r} of type {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name} must be non-negative, got {seed}")
    return int(seed)


def check_cvxpy_solver(solver: Any, name: str = "solver") -> None:
    """``None`` or the name of an installed cvxpy solver."""
    if solver is None:
        return
    if not isinstance(solver, str):
        raise ParameterTypeError(f"{name} must be a cvxpy solver name (str), got {solver!r}")
    import cvxpy as cp

    installed = cp.installed_solvers()
    if solver.upper() not in installed:
        raise ValueError(
            f"{name} {solver!r} is not an installed cvxpy solver; installed: {', '.join(installed)}"
        )


VALUE_SCALE_LIMIT = 1e150
"""Largest value magnitude ``max|R| / (1 - gamma)`` (or ``H max|R|``) the exact solvers accept:
beyond it products and residuals in float64 may overflow to inf."""


def check_value_scale(mdp: Any, where: str) -> None:
    """Refuse a model whose values could overflow float64 in ``where`` (a solver's name).

    The bound is ``max|R| / (1 - gamma)`` for a discounted model and ``H max|R|`` for an
    episodic one; the message names the reward scale.
    """
    scale = getattr(mdp, "_reward_scale", None)
    if scale is None:
        scale = float(np.max(np.abs(mdp.R))) if mdp.R.size else 0.0
    gamma = getattr(mdp, "gamma", None)
    if gamma is not None:
        bound, formula = scale / (1.0 - gamma), f"max|R| / (1 - gamma) with gamma = {gamma!r}"
    else:
        bound, formula = scale * mdp.H, f"H max|R| with H = {mdp.H}"
    if not (bound <= VALUE_SCALE_LIMIT):
        raise ValueError(
            f"{where}: the reward scale max|R| = {scale:.3g} is too large: values "
            f"reach {formula} = {bound:.3g}, above {VALUE_SCALE_LIMIT:.0e}, where "
            "float64 arithmetic may overflow; rescale the rewards"
        )


# --------------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------------

MAX_BYTES_ENV = "MDPTHEORY_MAX_BYTES"
"""Environment variable overriding the memory limit (bytes; suffixes K, M, G, T allowed)."""

MEMORY_FRACTION = 0.5
"""Default limit: this fraction of the machine's physical memory."""


def machine_memory() -> int | None:
    """Physical memory of the machine in bytes (``os.sysconf``, else ``/proc/meminfo``)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _parse_bytes(text: str) -> int:
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    stripped = text.strip().upper().removesuffix("B").removesuffix("I")
    suffix = stripped[-1:] if stripped[-1:] in units and stripped[-1:] else ""
    number = stripped[:-1] if suffix else stripped
    try:
        value = float(number) * units[suffix]
    except ValueError as error:
        raise ValueError(f"{MAX_BYTES_ENV} is {text!r}, not a number of bytes") from error
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{MAX_BYTES_ENV} is {text!r}; it must be a positive number of bytes")
    return int(value)


def memory_limit() -> int:
    """Largest memory (bytes) one model, instance or trace may ask for.

    ``MDPTHEORY_MAX_BYTES`` when set, else half the machine's physical memory (8 GiB when it
    cannot be read).
    """
    text = os.environ.get(MAX_BYTES_ENV)
    if text:
        return _parse_bytes(text)
    total = machine_memory()
    return int(MEMORY_FRACTION * total) if total else 8 * 2**30


def format_bytes(n_bytes: float) -> str:
    """``1.5 GiB`` style."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.3g} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.3g} EiB"  # pragma: no cover


def check_memory(n_bytes: float, what: str, parameter: str) -> None:
    """Refuse a request estimated at ``n_bytes`` above :func:`memory_limit`.

    Parameters
    ----------
    n_bytes : float
        Estimated memory of the request (a float, so products of huge ints do not overflow).
    what : str
        What would be allocated, e.g. ``"river_swim: dense kernel P (S, A, S)"``.
    parameter : str
        The parameter(s) driving the size with their values, e.g. ``"S=100000"``.

    Raises
    ------
    ValueError
        Naming the parameter, the bytes, the limit and the machine's memory.
    """
    limit = memory_limit()
    if n_bytes > limit:
        total = machine_memory()
        machine = format_bytes(total) if total else "unknown"
        raise ValueError(
            f"{parameter} is too large: {what} needs about {format_bytes(n_bytes)} "
            f"({float(n_bytes):.3g} bytes), above the limit of {format_bytes(limit)} "
            f"(machine memory {machine}; set {MAX_BYTES_ENV} to change the limit)"
        )


def dense_bytes(*shape: float, itemsize: int = 8) -> float:
    """Bytes of a dense array of ``shape`` (computed in float, never overflowing)."""
    return float(np.prod([float(n) for n in shape], dtype=np.float64)) * itemsize


# --------------------------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------------------------


def _index_str(name: str, index: tuple[int, ...], trailing_slice: bool = False) -> str:
    inner = ", ".join(str(int(i)) for i in index)
    if trailing_slice:
        inner = f"{inner}, :" if inner else ":"
    return f"{name}[{inner}]"


def as_float_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Convert to a C-contiguous float64 array, checking type, dimension and finiteness.

    Strings, bytes, ``None``, complex and boolean arrays raise :class:`ParameterTypeError`.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise ParameterTypeError(f"{name} must be an array of real numbers, got {value!r}")
    if sp.issparse(value):
        raise ParameterTypeError(
            f"{name} must be a dense array of real numbers, got a sparse {type(value).__name__}"
        )
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers: {error}") from error
    if raw.dtype.kind in "bcUSVMm":
        kind = {
            "b": "boolean",
            "c": "complex",
            "U": "string",
            "S": "bytes",
            "V": "structured",
            "M": "datetime",
            "m": "timedelta",
        }[raw.dtype.kind]
        raise ParameterTypeError(
            f"{name} must be an array of real numbers, got a {kind} array (dtype {raw.dtype})"
        )
    try:
        array = np.array(raw, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError) as error:
        raise ParameterTypeError(f"{name} must be an array of real numbers: {error}") from error
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                f"got shape {array.shape}"
            )
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
        raise ValueError(
            f"{_index_str(name, index)} is {float(array[index])!r}, a negative probability"
        )
    sums = array.sum(axis=-1)
    bad = np.abs(sums - 1.0) > tol
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), sums.shape)
        raise ValueError(
            f"{_index_str(name, index, trailing_slice=True)} sums to "
            f"{float(sums[index])!r}, not 1 (tolerance {tol:g})"
        )


def check_sparse_kernel(
    matrix: sp.sparray | sp.spmatrix,
    name: str,
    n_states: int,
    n_actions: int,
    tol: float = DEFAULT_TOL,
) -> sp.csr_array:
    """Validate a sparse kernel of shape (S*A, S) with row ``s * A + a`` for pair (s, a)."""
    if matrix.dtype.kind not in "iuf":
        raise ParameterTypeError(f"sparse {name} must hold real numbers, got dtype {matrix.dtype}")
    csr = sp.csr_array(matrix, dtype=np.float64)
    csr.sum_duplicates()
    csr.sort_indices()
    if csr.shape != (n_states * n_actions, n_states):
        raise ValueError(
            f"sparse {name} has shape {csr.shape}, expected "
            f"(S*A, S) = ({n_states * n_actions}, {n_states})"
        )
    data = csr.data
    if not np.all(np.isfinite(data)):
        pos = int(np.flatnonzero(~np.isfinite(data))[0])
        row = int(np.searchsorted(csr.indptr, pos, side="right") - 1)
        s, a = divmod(row, n_actions)
        raise ValueError(
            f"{name}[{s}, {a}, {int(csr.indices[pos])}] is {data[pos]}, not a finite number"
        )
    if (data < 0).any():
        pos = int(np.flatnonzero(data < 0)[0])
        row = int(np.searchsorted(csr.indptr, pos, side="right") - 1)
        s, a = divmod(row, n_actions)
        raise ValueError(
            f"{name}[{s}, {a}, {int(csr.indices[pos])}] is {float(data[pos])!r}, "
            "a negative probability"
        )
    sums = np.asarray(csr.sum(axis=1)).ravel()
    bad = np.abs(sums - 1.0) > tol
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        s, a = divmod(row, n_actions)
        raise ValueError(
            f"{name}[{s}, {a}, :] sums to {float(sums[row])!r}, not 1 (tolerance {tol:g})"
        )
    return csr


def check_probability_vector(vector, name: str, size: int, tol: float = DEFAULT_TOL) -> np.ndarray:
    array = as_float_array(vector, name, ndim=1)
    check_shape(array, name, (size,))
    check_distributions(array, name, tol)
    return array
