"""What the reward-free learners share: the input model, the checkpoints of the exploration
budget, and the trace of the planning phase measured at each checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from algorithms._constants import scale_constants
from algorithms._episodic import check_budget, check_open_unit, check_positive
from algorithms._validation import check_unit_rewards
from algorithms.reward_free.battery import (
    RewardBattery,
    evaluate_batch,
    plan_batch,
    reward_battery,
)
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.regret import ConvergenceTrace, trace_metadata
from mdptheory.seeding import SeedLike
from mdptheory.tabular import EpisodicMDP

N_CHECKPOINTS = 12
"""Checkpoints of the exploration budget at which the planning phase is run and judged."""


def checkpoints(budget: int, n: int = N_CHECKPOINTS) -> np.ndarray:
    """Episodes after which the planning phase runs: a geometric grid from ``budget / 100``
    (at least 1) to ``budget``, distinct integers, the last one ``budget``.

    Examples
    --------
    >>> checkpoints(1000, 5).tolist()
    [10, 32, 100, 316, 1000]
    """
    grid = np.geomspace(max(1.0, budget / 100.0), budget, n)
    out = np.unique(np.rint(grid).astype(np.int64))
    out[-1] = budget
    return out


def check_exploration_parameters(c: float, delta: float, n_random_rewards: int) -> None:
    """The hyperparameters every reward-free learner has: ``c >= 0``, ``delta`` in (0, 1), an
    int ``n_random_rewards >= 0``."""
    check_positive("c", c, allow_zero=True)
    check_open_unit(delta, "delta")
    if (
        isinstance(n_random_rewards, bool)
        or not isinstance(n_random_rewards, int)
        or n_random_rewards < 0
    ):
        raise ValueError(f"n_random_rewards must be an int >= 0, got {n_random_rewards!r}")


def episodic_twin(model: object, learner: str) -> EpisodicMDP:
    """The tabular model a learner explores: an EpisodicMDP as is, a LinearMixtureMDP's twin;
    rewards (used only by the battery and the regret oracle) must lie in [0, 1]."""
    if isinstance(model, LinearMixtureMDP):
        twin = model.tabular()
    elif isinstance(model, EpisodicMDP):
        twin = model
    else:
        raise ValueError(
            f"{learner} needs an EpisodicMDP or a LinearMixtureMDP, got {type(model).__name__}: "
            f"{model!r}"
        )
    check_unit_rewards(np.asarray(twin.R, dtype=np.float64), learner, "battery")
    return twin


class Phases(NamedTuple):
    """A reward-free learner's own part of a run (:func:`explore_and_plan` does the rest): the
    tabular ``twin`` it explores, its compiled ``explore(start, stop)`` over episodes
    ``start..stop-1``, the kernel it has learned (``estimate()``), the value ``clip`` of the
    planner (or None), its measurements per checkpoint (``extras()``, or None) and its own
    ``metadata``."""

    twin: EpisodicMDP
    explore: Callable[[int, int], None]
    estimate: Callable[[], np.ndarray]
    clip: tuple[float, float] | None
    extras: Callable[[], dict[str, float]] | None
    metadata: dict[str, Any]


PAPER_C = 1.0
"""The bonus scale ``c`` of the paper's (or the reconstructed) constant."""


@dataclass(frozen=True)
class ExplorationParameters:
    """Hyperparameters shared by the reward-free learners and their check (parameters
    documented on each learner): the bonus scale ``c`` (1 the paper's or reconstructed
    constant, 0 the control), ``delta`` and the planning battery; with the names a learner
    gives, its ``label`` and ``constants``."""

    short_name: ClassVar[str] = ""
    """The learner's label at ``c = 1``, e.g. ``"RF-Express"``."""
    control_name: ClassVar[str] = ""
    """Its label at ``c = 0``, the control."""
    paper_constants: ClassVar[str] = ""
    """``constants`` at ``c = 1``, e.g. ``"paper (c = 1)"``."""
    control_constants: ClassVar[str] = ""
    """``constants`` at ``c = 0``."""

    c: float = 1.0
    delta: float = 0.1
    n_random_rewards: int = 8
    battery_seed: int = 0

    def __post_init__(self) -> None:
        check_exploration_parameters(self.c, self.delta, self.n_random_rewards)

    @property
    def constants(self) -> str:
        """The paper's, the control's or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, self.paper_constants, self.control_constants, PAPER_C)

    @property
    def label(self) -> str:
        """The short name, with ``c`` when it is scaled; the control's name at ``c = 0``."""
        if self.c == 0.0:
            return self.control_name
        return self.short_name if self.c == PAPER_C else f"{self.short_name} c={self.c:g}"

    def run(self, model: Any, budget: int, seed: SeedLike) -> ConvergenceTrace:
        """Explore ``budget`` episodes of ``model`` and judge the planning phase exactly at
        each checkpoint (:func:`explore_and_plan`).

        Raises
        ------
        ValueError
            For a model the learner does not take (RF-Express: an EpisodicMDP or a
            LinearMixtureMDP, whose twin is explored; the mixture learners: a homogeneous
            LinearMixtureMDP), rewards outside [0, 1], or a budget that is not a positive int.
        """
        return explore_and_plan(self, model, budget, seed, self._phases(model, budget, seed))

    def _phases(self, model: Any, budget: int, seed: SeedLike) -> Phases:
        raise NotImplementedError  # pragma: no cover - every learner gives its own


def homogeneous_mixture_twin(
    model: object, budget: object, learner: str
) -> tuple[EpisodicMDP, int]:
    """The tabular twin of a time-homogeneous LinearMixtureMDP (:func:`episodic_twin`) and the
    number of episodes K its arrays are sized for (1 for a bad budget, which
    :func:`explore_and_plan` then refuses)."""
    if not isinstance(model, LinearMixtureMDP) or not model.homogeneous:
        raise ValueError(f"{learner} needs a time-homogeneous LinearMixtureMDP, got {model!r}")
    twin = episodic_twin(model, learner)
    K = int(budget) if isinstance(budget, (int, np.integer)) and budget > 0 else 1
    return twin, K


def explore_and_plan(learner: Any, model: Any, budget: int, seed: Any, phases: Phases):
    """Run the learner's ``phases.explore(start, stop)`` up to each checkpoint, then plan every
    battery reward on ``phases.estimate()`` (the learned kernel) and record its exact
    sub-optimality on ``phases.twin``.

    The trace's ``gap`` is the worst sub-optimality over the battery at each checkpoint;
    extras: ``iteration`` (episodes explored), ``suboptimality`` (checkpoints, n rewards),
    ``value_error`` (``max_r |V_hat*(rho; r) - V*(rho; r)|``, the planner's own estimate of
    each optimum against the truth: a continuous error, where the sub-optimality is a step
    function of the estimate),
    ``adversarial`` (the worst indicator's sub-optimality) and ``adversarial_index`` (which
    indicator), plus ``phases.extras()`` per checkpoint.
    """
    twin, explore, estimate, clip, extras, metadata = phases
    K = check_budget(budget)
    battery: RewardBattery = reward_battery(
        twin.S, twin.A, twin.H, learner.n_random_rewards, learner.battery_seed, twin.R
    )
    P_true = np.asarray(twin.dense_P(), dtype=np.float64)
    P_true = P_true[0] if P_true.shape[0] == 1 else P_true
    optimal = plan_batch(P_true, battery.rewards)[1] @ twin.initial
    grid = checkpoints(K)
    sub = np.zeros((grid.size, battery.rewards.shape[0]))
    value_error = np.zeros(grid.size)
    recorded: dict[str, list[float]] = {}
    done = 0
    for i, stop in enumerate(grid):
        explore(done, int(stop))
        done = int(stop)
        # Plan every reward on the learned kernel, then judge the returned policies exactly.
        policies, planned = plan_batch(estimate(), battery.rewards, clip)
        achieved = evaluate_batch(P_true, battery.rewards, policies) @ twin.initial
        sub[i] = np.maximum(optimal - achieved, 0.0)
        value_error[i] = np.abs(planned @ twin.initial - optimal).max()
        for key, value in (extras() if extras is not None else {}).items():
            recorded.setdefault(key, []).append(value)
    adversarial = sub[:, battery.indicator]
    record = {
        "iteration": grid.astype(np.float64),
        "suboptimality": sub,
        "value_error": value_error,
        "adversarial": adversarial.max(axis=1),
        "adversarial_index": np.flatnonzero(battery.indicator)[adversarial.argmax(axis=1)],
        "optimal_values": optimal,
        **{key: np.asarray(values) for key, values in recorded.items()},
    }
    meta = trace_metadata(
        learner,
        model,
        seed,
        K,
        label=learner.label,
        constants=learner.constants,
        battery=[*battery.names[: 1 + learner.n_random_rewards], "indicators"],
        battery_size=int(battery.rewards.shape[0]),
        quantity="max over the battery of V*(rho; r) - V^{pi_r}(rho; r), exact",
        **metadata,
    )
    return ConvergenceTrace(sub.max(axis=1), record, meta)
