r"""Behaviour policies that collect offline data, and the optimal policy pi* they are judged by.

:class:`Behaviour` is a stochastic policy ``mu[h, s, a]`` with a name. :func:`uniform_behaviour`
covers every pair, :func:`epsilon_optimal_behaviour` is ``(1 - eps) pi* + eps uniform`` and
:func:`partial_coverage_behaviour` a base behaviour that never takes chosen ``(h, s, a)``
triples; :func:`as_behaviour` reads a behaviour given by name or as an array. pi* is
:func:`optimal_policy` (ties to the smallest action). Stages are ``h = 0..H-1`` in code and
``h + 1`` in the papers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms.offline.datasets._validation import tabular_twin
from mdptheory._kernels import backward_induction_kernel
from mdptheory.evaluation import as_stochastic, check_policy
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "Behaviour",
    "as_behaviour",
    "epsilon_optimal_behaviour",
    "optimal_policy",
    "partial_coverage_behaviour",
    "uniform_behaviour",
]


def optimal_policy(model: Any) -> np.ndarray:
    """The optimal deterministic policy ``pi*[h, s]`` of the twin by backward induction.

    Ties go to the smallest action (the rule of
    :func:`mdptheory._kernels.backward_induction_kernel`); every coverage quantity of this
    module that speaks of "pi*" means this policy unless another ``target`` is given.
    """
    mdp = tabular_twin(model)
    _, _, policy = backward_induction_kernel(
        np.ascontiguousarray(mdp.dense_P()), np.ascontiguousarray(mdp.R)
    )
    return policy


def _check_target(mdp: EpisodicMDP, target) -> np.ndarray:
    """A target policy as probabilities (H, S, A); pi* when ``target`` is None."""
    return as_stochastic(mdp, optimal_policy(mdp) if target is None else target)


@dataclass(frozen=True)
class Behaviour:
    """A stochastic behaviour policy ``mu[h, s, a]`` and its name.

    Attributes
    ----------
    policy : ndarray, shape (H, S, A)
        Read-only probabilities; each ``policy[h, s]`` sums to 1.
    name : str
        Recorded in the datasets it collects, e.g. ``"uniform"``.
    """

    policy: np.ndarray
    name: str

    def __post_init__(self) -> None:
        array = np.array(self.policy, dtype=np.float64)
        if array.ndim != 3 or min(array.shape) == 0:
            raise ValueError(f"a behaviour policy has shape (H, S, A), got {array.shape}")
        bad = ~np.isfinite(array) | (array < 0)
        if bad.any():
            h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
            raise ValueError(
                f"behaviour[{h}, {s}, {a}] is {float(array[h, s, a])!r}; "
                "probabilities must be finite and >= 0"
            )
        sums = array.sum(axis=2)
        off = np.abs(sums - 1.0) > 1e-9
        if off.any():
            h, s = np.unravel_index(int(np.flatnonzero(off)[0]), sums.shape)
            raise ValueError(f"behaviour[{h}, {s}, :] sums to {float(sums[h, s])!r}, not 1")
        array.flags.writeable = False
        object.__setattr__(self, "policy", array)


def uniform_behaviour(model: Any) -> Behaviour:
    """Every action with probability ``1 / A`` at every stage and state (full coverage).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> uniform_behaviour(EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=2)).policy[0, 0]
    array([0.5, 0.5])
    """
    mdp = tabular_twin(model)
    return Behaviour(np.full((mdp.H, mdp.S, mdp.A), 1.0 / mdp.A), "uniform")


def epsilon_optimal_behaviour(model: Any, epsilon: float) -> Behaviour:
    """The mixture ``(1 - epsilon) pi* + epsilon uniform`` (pi* of :func:`optimal_policy`).

    ``epsilon = 1`` is uniform; ``epsilon = 0`` is pi* itself (an expert: ``C* = 1`` but only
    pi*'s own pairs are covered). Every action has probability at least ``epsilon / A``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.0, 1.0]], H=1)
    >>> epsilon_optimal_behaviour(mdp, 0.2).policy[0, 0].tolist()
    [0.1, 0.9]
    """
    epsilon = float(epsilon)
    if not (0.0 <= epsilon <= 1.0):
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon!r}")
    mdp = tabular_twin(model)
    expert = np.eye(mdp.A)[optimal_policy(mdp)]
    return Behaviour((1.0 - epsilon) * expert + epsilon / mdp.A, f"epsilon_optimal({epsilon:g})")


def _excluded_mask(mdp: EpisodicMDP, excluded) -> np.ndarray:
    shape = (mdp.H, mdp.S, mdp.A)
    array = np.asarray(excluded) if not isinstance(excluded, (list, tuple)) else None
    if array is not None and array.dtype == np.bool_:
        if array.shape != shape:
            raise ValueError(f"an excluded mask has shape {shape}, got {array.shape}")
        return array.copy()
    mask = np.zeros(shape, dtype=bool)
    for index, item in enumerate(excluded):
        triple = tuple(item)
        if len(triple) != 3:
            raise ValueError(f"excluded[{index}] is {item!r}; expected an (h, s, a) triple")
        for name, value, size in zip(("h", "s", "a"), triple, shape, strict=True):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"excluded[{index}] = {item!r}: {name} must be an int")
            if not (0 <= value < size):
                raise ValueError(
                    f"excluded[{index}] = {item!r}: {name} = {int(value)} is outside 0..{size - 1}"
                )
        mask[triple] = True
    return mask


def partial_coverage_behaviour(
    model: Any, excluded: Iterable | np.ndarray, base: Behaviour | np.ndarray | None = None
) -> Behaviour:
    """A behaviour that never takes the ``excluded`` ``(h, s, a)`` triples.

    The base behaviour (uniform by default) has the excluded probabilities set to 0 and each
    row renormalised, so the remaining actions keep their relative weights.

    Parameters
    ----------
    model : EpisodicMDP or LinearMDP
    excluded : iterable of (h, s, a) or bool array of shape (H, S, A)
        Triples the data must never contain.
    base : Behaviour or ndarray (H, S, A), optional

    Raises
    ------
    ValueError
        For a triple out of range (naming it) or a row ``(h, s)`` left without any action.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((1, 3, 1), 1.0), [[0.0, 1.0, 0.5]], H=2)
    >>> partial_coverage_behaviour(mdp, [(0, 0, 1)]).policy[:, 0].tolist()
    [[0.5, 0.0, 0.5], [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]]
    """
    mdp = tabular_twin(model)
    mask = _excluded_mask(mdp, excluded)
    if base is None:
        start = uniform_behaviour(mdp)
    else:
        start = as_behaviour(mdp, base)
    policy = np.where(mask, 0.0, start.policy)
    sums = policy.sum(axis=2)
    empty = sums <= 0.0
    if empty.any():
        h, s = np.unravel_index(int(np.flatnonzero(empty)[0]), sums.shape)
        raise ValueError(
            f"excluding these triples leaves no action at h={h}, s={s} "
            f"(base behaviour {start.name!r})"
        )
    n_excluded = int(mask.sum())
    return Behaviour(
        policy / sums[:, :, None], f"partial({start.name}, {n_excluded} excluded triples)"
    )


def as_behaviour(model: Any, behaviour: Behaviour | np.ndarray | str) -> Behaviour:
    """Read a behaviour: a :class:`Behaviour`, ``"uniform"``, a stochastic (H, S, A) float
    array or a deterministic (H, S) int policy; checks its shape against the model."""
    mdp = tabular_twin(model)
    if isinstance(behaviour, str):
        if behaviour != "uniform":
            raise ValueError(f"the only behaviour known by name is 'uniform', got {behaviour!r}")
        return uniform_behaviour(mdp)
    if isinstance(behaviour, Behaviour):
        if behaviour.policy.shape != (mdp.H, mdp.S, mdp.A):
            raise ValueError(
                f"behaviour {behaviour.name!r} has shape {behaviour.policy.shape}, "
                f"the model needs {(mdp.H, mdp.S, mdp.A)}"
            )
        return behaviour
    array = np.asarray(behaviour)
    if np.issubdtype(array.dtype, np.integer):
        return Behaviour(_check_target(mdp, array), "deterministic")
    return Behaviour(check_policy(mdp, array), "custom")
