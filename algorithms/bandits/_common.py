"""Plumbing shared by the bandit learners: input checks, timing and trace assembly.

The learners themselves live one per file (``ucb1.py``, ``kl_ucb.py``, ``thompson.py``,
``oful.py``); this module holds only what every one of them needs in the same form, so that a
check on the model or on the budget reads the same whichever learner raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from algorithms._timing import timed as timed
from algorithms._validation import check_budget as _check_budget
from algorithms._validation import check_positive as check_positive
from mdptheory.regret import RegretTrace, trace_metadata


def check_budget(budget: Any) -> int:
    """Return ``budget`` (number of rounds) as an int, raising ``ValueError`` unless >= 1."""
    return _check_budget(budget, "number of rounds")



def check_finite_bandit(model: Any, learner: str):
    """Return ``model`` if it is a :class:`mdptheory.bandits.Bandit`, else raise ``ValueError``."""
    from mdptheory.bandits import Bandit

    if not isinstance(model, Bandit):
        raise ValueError(f"{learner} needs a mdptheory.bandits.Bandit (K arms with scalar "
                         f"means), got {type(model).__name__}")
    return model


def check_unit_interval_rewards(model: Any, learner: str) -> None:
    """Raise ``ValueError`` unless every reward sample of ``model`` lies in [0, 1].

    The guarantees of UCB1, KL-UCB and Beta-Bernoulli Thompson sampling are stated for rewards in
    [0, 1]: Bernoulli arms, or deterministic arms with means in [0, 1]. Gaussian noise breaks that
    assumption, so these learners refuse it rather than run outside their theory unannounced.
    """
    kind = model.noise.kind
    if kind == "gaussian":
        raise ValueError(f"{learner} needs rewards in [0, 1] (Bernoulli or deterministic arms), "
                         f"got Gaussian reward noise with sigma={model.noise.sigma}")
    means = np.asarray(model.means, dtype=np.float64)
    bad = np.flatnonzero((means < 0.0) | (means > 1.0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{learner} needs rewards in [0, 1]; arm {i} has mean {means[i]!r}")


def kernel_array(array: Any) -> np.ndarray:
    """A writable C-contiguous float64 copy of ``array`` for a compiled kernel.

    The models hold read-only arrays, and numba compiles a separate specialisation for
    read-only inputs; copying (K or K*d numbers) keeps one specialisation per kernel, the one
    :func:`warm_up` compiles.
    """
    return np.array(array, dtype=np.float64, order="C", copy=True)


def arrays_of(model: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Kernel copies of ``means`` and ``gaps`` and the optimal mean of a bandit model."""
    return kernel_array(model.means), kernel_array(model.gaps), float(model.optimal_mean)


_WARM: set[int] = set()


def warm_up(kernel: Callable, *dummy_args: Any) -> None:
    """Call ``kernel`` once per process on a tiny problem of the same argument types.

    The first call of a ``cache=True`` kernel in a process compiles it or loads it from the
    on-disk cache; doing that on a throwaway problem keeps that one-off cost out of the timing
    of the real run. ``dummy_args`` must carry their own Generator, never the caller's.
    """
    if id(kernel) not in _WARM:
        kernel(*dummy_args)
        _WARM.add(id(kernel))


def build_trace(learner: Any, model: Any, seed: Any, budget: int, arms: np.ndarray,
                rewards: np.ndarray, pseudo: np.ndarray, optimal_mean: float, seconds: float,
                record_arms: bool, extras: dict[str, np.ndarray] | None = None,
                **meta: Any) -> RegretTrace:
    """Assemble the :class:`RegretTrace` of one compiled run.

    The run is one compiled call, so its wall-clock time is spread evenly over the rounds
    (``episode_time[t] = seconds / budget``); the metadata says so under ``timing``.
    """
    all_extras: dict[str, np.ndarray] = {}
    if record_arms:
        all_extras["arms"] = arms
        all_extras["rewards"] = rewards
    if extras:
        all_extras.update(extras)
    metadata = trace_metadata(learner, model, seed, budget,
                              timing="one compiled call, time spread evenly over rounds",
                              run_seconds=seconds, **meta)
    return RegretTrace(
        pseudo_regret=pseudo,
        realised_regret=optimal_mean - rewards,
        episode_time=np.full(budget, seconds / budget),
        metadata=metadata,
        extras=all_extras,
    )
