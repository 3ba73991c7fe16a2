"""What the policy-gradient learners share: ``run`` is trajectory 0 of ``run_batch``.

:class:`BatchedLearner` gives every learner its ``run(model, budget, seed, **options)``: the
batch of one built by the learner's ``run_batch`` with the same options (``theta0``,
``record_every``, ``noise``, ...), returned as a :class:`~mdptheory.regret.ConvergenceTrace`.
:class:`ExactSoftmaxLearner` holds the hyperparameters of the exact tabular learners (softmax PG
and NPG): a step size (``None`` for the paper's) and an entropy temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from algorithms._validation import check_positive
from mdptheory.regret import ConvergenceTrace


class BatchedLearner:
    """Mixin: ``run`` through ``run_batch`` (which each learner defines)."""

    def run(self, model: Any, budget: int, seed: Any = 0, **options: Any) -> ConvergenceTrace:
        """Run ``budget`` updates on one model: trajectory 0 of :meth:`run_batch` (see there for
        ``theta0``, ``record_every`` and the other options). ``seed`` is only recorded by the
        exact learners, which are deterministic."""
        return self.run_batch(model, budget, seed, **options).single()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ExactSoftmaxLearner(BatchedLearner):
    """Step size ``eta`` (``None``: the paper's) and entropy temperature ``tau`` (0: none)."""

    eta: float | None = None
    tau: float = 0.0

    def __post_init__(self) -> None:
        check_positive("eta", self.eta, allow_none=True)
        check_positive("tau", self.tau, allow_zero=True)

    @property
    def constants(self) -> str:
        """``"paper"`` with the paper's step, ``"tuned"`` with a given one."""
        return "paper" if self.eta is None else "tuned"
