"""Learners whose sample complexity is governed by the effective horizon (Laidlaw, Russell,
Dragan 2023; :mod:`mdptheory.diagnostics.effective_horizon`).

* :class:`SQIRL` (Laidlaw, Zhu, Russell, Dragan 2024), tabular: random exploration, a
  regression of the random policy's Q-function and ``k - 1`` steps of fitted Q iteration, then
  greedy action, one stage at a time.
"""

from algorithms.effective_horizon.sqirl import SQIRL, SQIRLResult

__all__ = ["SQIRL", "SQIRLResult"]
