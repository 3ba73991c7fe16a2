"""Input checks of the offline data modules: the model's exact twin and the log's columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from mdptheory.tabular import EpisodicMDP

__all__ = ["tabular_twin"]


def tabular_twin(model: Any) -> EpisodicMDP:
    """The exact :class:`EpisodicMDP` behind ``model`` (itself, or ``model.tabular()``).

    Raises
    ------
    ValueError
        For anything that is neither an ``EpisodicMDP`` nor has an episodic ``.tabular()`` twin.
    """
    if isinstance(model, EpisodicMDP):
        return model
    twin = getattr(model, "tabular", None)
    if callable(twin):
        mdp = twin()
        if isinstance(mdp, EpisodicMDP):
            return mdp
    raise ValueError(
        f"offline data needs an EpisodicMDP or a model with an episodic .tabular() "
        f"twin (e.g. LinearMDP), got {type(model).__name__}: {model!r}"
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _int_column(values: Any, name: str) -> np.ndarray:
    array = np.array(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64)


def _check_range(array: np.ndarray, name: str, size: int) -> None:
    bad = (array < 0) | (array >= size)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {int(array[i])}, outside 0..{size - 1}")
