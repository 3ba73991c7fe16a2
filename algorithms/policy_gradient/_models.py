"""The models a policy-gradient learner accepts, read into stacked float64 arrays.

* :func:`read_bandits`: one bandit, an (N, K) array of means or a sequence of bandits, with one
  reward-noise model for the batch (:class:`BanditBatch`).
* :func:`read_mdps`: one discounted :class:`~mdptheory.tabular.FiniteMDP` or a sequence of them
  of equal (S, A) (:class:`MDPBatch`).
* :func:`read_feature_bandits`: feature bandits ``(X, r)`` of equal (K, d).

A model's reward noise is its ``noise`` attribute (a :class:`~mdptheory.tabular.RewardNoise`,
an object with ``kind`` and ``sigma``, or what :meth:`RewardNoise.parse` reads); a model without
one, e.g. an array of means, is deterministic. Every error names the offending index and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mdptheory._validation import check_finite
from mdptheory.tabular import FiniteMDP, RewardNoise


def noise_of(model: Any) -> RewardNoise:
    """The reward-noise model of ``model`` (deterministic when it has none)."""
    noise = getattr(model, "noise", None)
    if noise is None:
        return RewardNoise()
    if isinstance(noise, RewardNoise):
        return noise
    kind = getattr(noise, "kind", None)
    if kind is not None:
        return RewardNoise(kind, float(getattr(noise, "sigma", 0.0)))
    return RewardNoise.parse(noise)


def common_noise(noise: Any, kinds: Sequence[RewardNoise], what: str) -> RewardNoise:
    """``noise`` parsed when given, else the one reward-noise model shared by ``kinds``."""
    if noise is not None:
        return RewardNoise.parse(noise)
    distinct = {(k.kind, k.sigma) for k in kinds}
    if len(distinct) != 1:
        raise ValueError(f"{what} in a batch need one reward-noise model, got {distinct}")
    return kinds[0]


def model_name(model: Any) -> str:
    """The model's ``name``, else a short description of it."""
    name = getattr(model, "name", None)
    if name:
        return str(name)
    if isinstance(model, np.ndarray):
        return f"array{model.shape}"
    return type(model).__name__


@dataclass(frozen=True)
class BanditBatch:
    """Means (N, K) of N finite-armed bandits with a common reward-noise model."""

    means: np.ndarray
    noise: RewardNoise
    names: tuple[str, ...]
    models: tuple[Any, ...]


def _means_of(model: Any) -> np.ndarray:
    return np.asarray(getattr(model, "means", model), dtype=np.float64)


def read_bandits(models: Any, noise: Any = None) -> BanditBatch:
    """Read one bandit, an (N, K) array of means or a sequence of bandits of equal K.

    A bandit is any object with ``means`` (e.g. :class:`mdptheory.bandits.Bandit`) or a 1-d
    array of means. ``noise`` overrides the models' reward-noise model (arrays have none and
    count as deterministic).

    Examples
    --------
    >>> import numpy as np
    >>> batch = read_bandits(np.array([[1.0, 0.0], [0.5, 0.2]]))
    >>> batch.means.shape, batch.noise.kind
    ((2, 2), 'deterministic')
    """
    if (
        isinstance(models, np.ndarray)
        or hasattr(models, "means")
        or (isinstance(models, Sequence) and models and np.isscalar(models[0]))
    ):
        array = _means_of(models)
        if array.ndim == 1:
            array = array[None]
        model_list: tuple[Any, ...] = (models,) if array.shape[0] == 1 else tuple(array)
    elif isinstance(models, Sequence) and len(models) > 0:
        rows = [_means_of(m) for m in models]
        shapes = {r.shape for r in rows}
        if len(shapes) != 1 or rows[0].ndim != 1:
            raise ValueError(
                f"bandits in a batch need the same number of arms, got mean shapes {sorted(shapes)}"
            )
        array = np.stack(rows)
        model_list = tuple(models)
    else:
        raise ValueError(
            f"expected a bandit (with means), an array of means or a sequence of "
            f"bandits, got {type(models).__name__}"
        )
    if array.ndim != 2 or array.shape[1] < 2:
        raise ValueError(
            f"bandit means must have shape (K,) or (N, K) with K >= 2, got {array.shape}"
        )
    check_finite(array, "means")
    kind = common_noise(noise, [noise_of(m) for m in model_list], "bandits")
    kind.check_means(array, "means")
    names = tuple(model_name(m) for m in model_list)
    return BanditBatch(np.ascontiguousarray(array), kind, names, model_list)


def is_bandit(model: Any) -> bool:
    """True for a bandit-like model (has ``means``, or is an array of means), not an MDP."""
    if isinstance(model, FiniteMDP):
        return False
    if isinstance(model, Sequence) and model and isinstance(model[0], FiniteMDP):
        return False
    return True


@dataclass(frozen=True)
class MDPBatch:
    """N discounted MDPs of equal S and A as stacked arrays."""

    P: np.ndarray  # (N, S, A, S)
    R: np.ndarray  # (N, S, A)
    gamma: np.ndarray  # (N,)
    rho: np.ndarray  # (N, S)
    models: tuple[FiniteMDP, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(model_name(m) for m in self.models)


def read_mdps(models: Any) -> MDPBatch:
    """Read one :class:`~mdptheory.FiniteMDP` or a sequence of them with equal S and A."""
    model_list = (models,) if isinstance(models, FiniteMDP) else tuple(models)
    if not model_list:
        raise ValueError("no MDP given")
    for i, m in enumerate(model_list):
        if not isinstance(m, FiniteMDP):
            raise ValueError(
                f"model {i} is a {type(m).__name__}; exact policy gradient on an "
                "MDP needs a discounted FiniteMDP"
            )
    shapes = {(m.S, m.A) for m in model_list}
    if len(shapes) != 1:
        raise ValueError(f"MDPs in a batch need the same (S, A), got {sorted(shapes)}")
    P = np.stack([m.dense_P() for m in model_list])
    R = np.stack([np.asarray(m.R) for m in model_list])
    gamma = np.array([m.gamma for m in model_list])
    rho = np.stack([np.asarray(m.initial) for m in model_list])
    return MDPBatch(P, R, gamma, rho, model_list)


def _feature_bandit(model: Any) -> tuple[np.ndarray, np.ndarray, RewardNoise, str]:
    """``(X, r, noise, name)`` of one pair ``(X, r)`` or object with features and means."""
    if isinstance(model, tuple) and len(model) == 2:
        X, r = model
        return (
            np.asarray(X, dtype=np.float64),
            np.asarray(r, dtype=np.float64),
            RewardNoise(),
            "feature bandit",
        )
    X = next((getattr(model, a) for a in ("features", "X", "arms") if hasattr(model, a)), None)
    r = next((getattr(model, a) for a in ("means", "rewards") if hasattr(model, a)), None)
    if X is None or r is None:
        raise ValueError(
            f"a feature bandit needs features (features, X or arms) and means "
            f"(means or rewards), or a pair (X, r); got {type(model).__name__}"
        )
    return (
        np.asarray(X, dtype=np.float64),
        np.asarray(r, dtype=np.float64),
        noise_of(model),
        model_name(model),
    )


def read_feature_bandits(
    models: Any, noise: Any = None
) -> tuple[np.ndarray, np.ndarray, RewardNoise, tuple[str, ...]]:
    """Read feature bandits: ``(X, r)`` pairs or objects with features and means.

    Accepted forms: a pair ``(X, r)`` with ``X`` of shape (K, d) or (N, K, d) and ``r`` of shape
    (K,) or (N, K); an object with ``features`` (or ``X`` or ``arms``) and ``means`` (or
    ``rewards``); or a sequence of such objects or pairs with equal (K, d).

    Returns ``X`` (N, K, d), ``r`` (N, K), the reward noise and the names.

    Examples
    --------
    >>> import numpy as np
    >>> X, r, noise, names = read_feature_bandits((np.eye(3)[:, :2], np.array([1.0, 0.5, 0.0])))
    >>> X.shape, r.shape, noise.kind, names
    ((1, 3, 2), (1, 3), 'deterministic', ('feature bandit',))
    """
    if isinstance(models, tuple) and len(models) == 2 and not hasattr(models[0], "means"):
        X, r, kind, name = _feature_bandit(models)
        if X.ndim == 3:
            parts = [(X[i], r[i] if r.ndim == 2 else r, kind, name) for i in range(X.shape[0])]
        else:
            parts = [(X, r, kind, name)]
    elif isinstance(models, Sequence) and not isinstance(models, tuple | str):
        parts = [_feature_bandit(m) for m in models]
    else:
        parts = [_feature_bandit(models)]
    if not parts:
        raise ValueError("no feature bandit given")
    for i, (X, r, _, _) in enumerate(parts):
        if X.ndim != 2:
            raise ValueError(f"features of bandit {i} must have shape (K, d), got shape {X.shape}")
        if X.shape[0] < 2 or X.shape[1] < 1:
            raise ValueError(
                f"features of bandit {i} have shape {X.shape}: need K >= 2 arms and d >= 1"
            )
        if r.shape != (X.shape[0],):
            raise ValueError(
                f"rewards of bandit {i} must have shape ({X.shape[0]},) to match "
                f"features of shape {X.shape}, got shape {r.shape}"
            )
    shapes = {p[0].shape for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"feature bandits in a batch need the same (K, d), got {sorted(shapes)}")
    X = np.stack([p[0] for p in parts])
    r = np.stack([p[1] for p in parts])
    check_finite(X, "features")  # features[i, k, j]: bandit i, arm k, feature j
    check_finite(r, "rewards")
    kind = common_noise(noise, [p[2] for p in parts], "feature bandits")
    kind.check_means(r, "rewards")
    return X, r, kind, tuple(p[3] for p in parts)
