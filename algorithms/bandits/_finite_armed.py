"""The run of a finite-armed bandit learner: model checks, one compiled call, the exact trace.

UCB1, KL-UCB and the two Thompson samplers differ only in how a round picks its arm and what it
keeps about the arms. Everything around that choice is written here once: the checks on the
model, the per-round records inside the compiled kernel (:func:`round_records`,
:func:`record_round`), the warm-up, the timing and the trace (:class:`FiniteArmedLearner`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numba import njit

from algorithms.bandits._common import (
    build_trace,
    check_budget,
    kernel_array,
    timed,
    warm_up,
)
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike, as_generator


def check_finite_bandit(model: Any, learner: str):
    """Return ``model`` if it is a :class:`mdptheory.bandits.Bandit`, else raise ``ValueError``."""
    from mdptheory.bandits import Bandit

    if not isinstance(model, Bandit):
        raise ValueError(
            f"{learner} needs a mdptheory.bandits.Bandit (K arms with scalar "
            f"means), got {type(model).__name__}"
        )
    return model


def check_unit_interval_rewards(model: Any, learner: str) -> None:
    """Raise ``ValueError`` unless every reward sample of ``model`` lies in [0, 1].

    The guarantees of UCB1, KL-UCB and Beta-Bernoulli Thompson sampling are stated for rewards in
    [0, 1]: Bernoulli arms, or deterministic arms with means in [0, 1]. Gaussian noise breaks that
    assumption, so these learners refuse it rather than run outside their theory unannounced.
    """
    kind = model.noise.kind
    if kind == "gaussian":
        raise ValueError(
            f"{learner} needs rewards in [0, 1] (Bernoulli or deterministic arms), "
            f"got Gaussian reward noise with sigma={model.noise.sigma}"
        )
    means = np.asarray(model.means, dtype=np.float64)
    bad = np.flatnonzero((means < 0.0) | (means > 1.0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{learner} needs rewards in [0, 1]; arm {i} has mean {means[i]!r}")


def arrays_of(model: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Kernel copies of ``means`` and ``gaps`` and the optimal mean of a bandit model."""
    return kernel_array(model.means), kernel_array(model.gaps), float(model.optimal_mean)


@njit(cache=True)
def round_records(budget):
    """Empty records of a run, one entry a round: pulled arm, observed reward, pseudo-regret."""
    return np.empty(budget, dtype=np.int64), np.empty(budget), np.empty(budget)


@njit(cache=True)
def record_round(t, a, r, gaps, arms, rewards, pseudo):
    """Record round ``t``: arm ``a`` pulled, reward ``r`` seen, exact pseudo-regret ``gaps[a]``."""
    arms[t] = a
    rewards[t] = r
    pseudo[t] = gaps[a]


DUMMY_MEANS = np.array([0.5, 0.25])
"""Means of the two-armed problem on which a kernel is warmed up before a timed run."""

_WARM_UP_ROUNDS = 4


class FiniteArmedLearner:
    """:meth:`run` of a learner on a :class:`mdptheory.bandits.Bandit` (K arms, scalar means).

    A subclass is a frozen dataclass of hyperparameters. It returns its compiled kernel and the
    hyperparameters the kernel takes after the budget from :meth:`_kernel` (looked up at call
    time, so a patched kernel is the one that runs), says with ``unit_interval_rewards`` whether
    its guarantee needs rewards in [0, 1], and has a ``constants`` property. A kernel has the
    signature ``kernel(means, gaps, noise_code, sigma, budget, *hyperparameters, rng)`` and
    returns ``(arms, rewards, pseudo)`` as built by :func:`round_records`.
    """

    unit_interval_rewards: ClassVar[bool] = True
    """Whether :meth:`run` refuses rewards outside [0, 1] (Gaussian noise among them)."""

    def _kernel(self) -> tuple[Callable, tuple]:
        raise NotImplementedError

    def _metadata(self) -> dict[str, Any]:
        """What the trace's metadata records beside the run itself."""
        return {"constants": self.constants}

    def run(
        self, model, budget: int, seed: SeedLike, *, record_policies: bool = False
    ) -> RegretTrace:
        """Play ``budget`` rounds on ``model`` and return the exact regret trace.

        Parameters
        ----------
        model : mdptheory.bandits.Bandit
            K arms with scalar means. Rewards must lie in [0, 1] (Bernoulli arms, or
            deterministic ones with means in [0, 1]) unless the learner says otherwise.
        budget : int
            Number of rounds ``T >= 1``.
        seed : int, SeedSequence or Generator
            Randomness of the learner and of the reward draws, one stream (see
            :func:`mdptheory.seeding.as_generator`).
        record_policies : bool, default False
            Keep the policy of every round, which for a bandit is the pulled arm, in
            ``trace.extras["arms"]``, and the observed rewards in ``trace.extras["rewards"]``.

        Returns
        -------
        RegretTrace
            ``pseudo_regret[t] = mu* - mu_{A_t}`` exactly and ``realised_regret[t] = mu* - X_t``.
            ``episode_time`` is the wall time of the single compiled call spread evenly
            over the rounds.
        """
        name = type(self).__name__
        check_finite_bandit(model, name)
        if self.unit_interval_rewards:
            check_unit_interval_rewards(model, name)
        budget = check_budget(budget)
        rng = as_generator(seed)
        means, gaps, optimal_mean = arrays_of(model)
        kernel, hyperparameters = self._kernel()
        warm_up(
            kernel,
            DUMMY_MEANS,
            DUMMY_MEANS,
            1,
            0.0,
            _WARM_UP_ROUNDS,
            *hyperparameters,
            np.random.default_rng(0),
        )
        (arms, rewards, pseudo), seconds = timed(
            kernel,
            means,
            gaps,
            model.noise.code,
            float(model.noise.sigma),
            budget,
            *hyperparameters,
            rng,
        )
        return build_trace(
            self,
            model,
            seed,
            budget,
            arms,
            rewards,
            pseudo,
            optimal_mean,
            seconds,
            record_policies,
            **self._metadata(),
        )
