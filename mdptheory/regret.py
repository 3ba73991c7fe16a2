"""Trace types: what a learner's run returns.

:class:`RegretTrace` holds the exact per-episode (or per-round) pseudo-regret
``V*_1(s_1) - V^{pi_k}_1(s_1)`` of the policy executed in episode ``k``, computed by exact policy
evaluation, with the realised regret (optimal value minus the sampled return) beside it.
:class:`ConvergenceTrace` holds the per-iteration gap to the optimum of an iterative method.
Both save to and load from a folder (``trace.npz`` + ``trace.json``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mdptheory._kernels import BACKEND

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
"""The memory address in a default ``repr`` (``<C object at 0x7f...>``)."""


def stable_repr(value: Any) -> str:
    """``repr(value)`` without memory addresses, so that metadata recorded from the same run
    is the same in every process.

    Examples
    --------
    >>> stable_repr(object())
    '<object object>'
    """
    return _ADDRESS.sub("", repr(value))


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return stable_repr(value)


def trace_metadata(
    algorithm: Any, model: Any, seed: Any, budget: int | None = None, **extra: Any
) -> dict[str, Any]:
    """Metadata recorded with every trace.

    Parameters
    ----------
    algorithm : dataclass instance or str
        The learner (its class name and fields are recorded as hyperparameters).
    model : object
        The instance; its ``name`` and ``repr`` (without memory addresses) are recorded.
    seed : int, SeedSequence or Generator
        The seed the run was given (a SeedSequence is recorded by entropy and spawn key).
    budget : int, optional
        Number of episodes or rounds.
    **extra
        Anything else worth keeping (e.g. ``bonus="paper"``).
    """
    from mdptheory import __version__

    if isinstance(seed, np.random.SeedSequence):
        seed_record: Any = {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    elif isinstance(seed, np.random.Generator):
        seed_record = "Generator"
    else:
        seed_record = seed
    if isinstance(algorithm, str):
        name, hyper = algorithm, {}
    else:
        name = type(algorithm).__name__
        hyper = _jsonable(algorithm) if is_dataclass(algorithm) else {}
    metadata = {
        "algorithm": name,
        "hyperparameters": hyper,
        "instance": getattr(model, "name", None) or type(model).__name__,
        "instance_repr": stable_repr(model),
        "seed": _jsonable(seed_record),
        "budget": budget,
        "library_version": __version__,
        "backend": BACKEND,
    }
    metadata.update({k: _jsonable(v) for k, v in extra.items()})
    return metadata


_EXTRA = "extra__"
"""Prefix of the extras' names in ``trace.npz``."""


def _save(
    folder: str | os.PathLike,
    kind: str,
    arrays: dict[str, np.ndarray],
    extras: dict[str, Any],
    metadata: dict,
) -> Path:
    """Write a trace of class ``kind``: its arrays and extras to ``trace.npz``, its kind and
    metadata to ``trace.json``, in ``folder`` (created if needed)."""
    arrays = {**arrays, **{f"{_EXTRA}{k}": np.asarray(v) for k, v in extras.items()}}
    meta = {"kind": kind, "metadata": metadata}
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    # Write then rename, so an interrupted save never leaves a half file that looks complete.
    # Each file is flushed to disk before the rename, so a crash leaves the old file or the new.
    tmp = path / "trace.tmp.npz"
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path / "trace.npz")
    tmp_json = path / "trace.tmp.json"
    with open(tmp_json, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(_jsonable(meta), indent=2, sort_keys=True))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp_json, path / "trace.json")
    return path


def _load(
    folder: str | os.PathLike, kind: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """The arrays, extras and metadata of the trace of class ``kind`` saved in ``folder``."""
    path = Path(folder)
    if not (path / "trace.npz").exists() or not (path / "trace.json").exists():
        raise ValueError(f"{path} holds no saved trace (trace.npz and trace.json)")
    with np.load(path / "trace.npz") as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads((path / "trace.json").read_text())
    if meta.get("kind") != kind:
        raise ValueError(f"{folder} holds a {meta.get('kind')}, not a {kind}")
    extras = {k[len(_EXTRA) :]: v for k, v in arrays.items() if k.startswith(_EXTRA)}
    return arrays, extras, meta["metadata"]


@dataclass(frozen=True)
class RegretTrace:
    """Per-episode exact pseudo-regret of a run, with realised regret beside it.

    Attributes
    ----------
    pseudo_regret : ndarray, shape (K,)
        ``V*_1(s_1^k) - V^{pi_k}_1(s_1^k)`` for the policy executed in episode ``k`` (bandits:
        ``mu* - mu_{a_t}``), computed exactly. When the start state is drawn from ``rho`` the
        expectation over ``rho`` is used, so the value is a function of the policy alone.
    realised_regret : ndarray, shape (K,)
        Realised regret: the optimal value minus the sampled return of the episode. Labelled
        as such; it is noisy and may be negative.
    episode_time : ndarray, shape (K,)
        Seconds per episode. Compiled runs time chunks of episodes and spread each chunk's time
        evenly over its episodes.
    metadata : dict
        Algorithm and hyperparameters, instance, seed, budget, library version and JIT backend
        (see :func:`trace_metadata`).
    extras : dict of ndarray
        Optional per-episode arrays a learner wants to keep (e.g. the optimism indicator).
    """

    pseudo_regret: np.ndarray
    realised_regret: np.ndarray
    episode_time: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        arrays = {}
        for name in ("pseudo_regret", "realised_regret", "episode_time"):
            array = np.asarray(getattr(self, name), dtype=np.float64)
            if array.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
            arrays[name] = array
        n = arrays["pseudo_regret"].shape[0]
        for name, array in arrays.items():
            if array.shape[0] != n:
                raise ValueError(f"{name} has length {array.shape[0]}, pseudo_regret has {n}")
            object.__setattr__(self, name, array)

    @property
    def n_episodes(self) -> int:
        return int(self.pseudo_regret.shape[0])

    @property
    def cumulative(self) -> np.ndarray:
        """Cumulative exact pseudo-regret, ``sum_{j <= k} pseudo_regret[j]``."""
        return np.cumsum(self.pseudo_regret)

    @property
    def cumulative_realised(self) -> np.ndarray:
        return np.cumsum(self.realised_regret)

    def save(self, folder: str | os.PathLike) -> Path:
        """Write ``trace.npz`` and ``trace.json`` into ``folder`` (created if needed)."""
        arrays = {
            "pseudo_regret": self.pseudo_regret,
            "realised_regret": self.realised_regret,
            "episode_time": self.episode_time,
        }
        return _save(folder, "RegretTrace", arrays, self.extras, self.metadata)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> RegretTrace:
        arrays, extras, metadata = _load(folder, "RegretTrace")
        return cls(
            arrays["pseudo_regret"],
            arrays["realised_regret"],
            arrays["episode_time"],
            metadata,
            extras,
        )


@dataclass(frozen=True)
class ConvergenceTrace:
    """Per-iteration gap to the optimum of an iterative method.

    Attributes
    ----------
    gap : ndarray, shape (T,)
        ``V*(rho) - V^{pi_t}(rho)`` (or the quantity the method's theorem speaks of) at
        iteration ``t``, computed exactly.
    extras : dict of ndarray
        Other per-iteration quantities, e.g. ``min_prob`` = ``min_a pi_t(a)``.
    metadata : dict
        As for :class:`RegretTrace`.
    """

    gap: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        gap = np.asarray(self.gap, dtype=np.float64)
        if gap.ndim != 1:
            raise ValueError(f"gap must be one-dimensional, got shape {gap.shape}")
        object.__setattr__(self, "gap", gap)

    @property
    def n_iterations(self) -> int:
        return int(self.gap.shape[0])

    def save(self, folder: str | os.PathLike) -> Path:
        return _save(folder, "ConvergenceTrace", {"gap": self.gap}, self.extras, self.metadata)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> ConvergenceTrace:
        arrays, extras, metadata = _load(folder, "ConvergenceTrace")
        return cls(arrays["gap"], extras, metadata)
