"""Learners from preferences on preference bandits.

* :class:`IPO`: gradient descent on the sampled IPO loss (Azar et al., AISTATS 2024, eq. 17 and
  Algorithm 1), exact gradient or sampled pairs; converges to
  :func:`mdptheory.preferences.ipo_minimiser`.
* :class:`DPO`: gradient descent on the DPO loss (Rafailov et al., NeurIPS 2023); on
  deterministic data it has no minimiser and sends the dispreferred probabilities to 0.
* :class:`Freehand` (:func:`freehand`): offline preference-based RL on an episodic MDP with
  trajectory preferences (Zhan et al., ICLR 2024): MLE over a finite reward class, its
  likelihood confidence set, robust planning.
* :class:`MaxInP`: a linear Bradley–Terry dueling bandit (Saha, NeurIPS 2021), exact
  pseudo-regret per round.
* :class:`ContextualMaxInP`: MaxInP with an arm set given by a context each round (Saha,
  NeurIPS 2021, contextual setting), exact pseudo-regret per round.
* :class:`PRLSVI`: randomised preference-based RL in a linear MDP with thresholded queries
  (Wu and Sun, ICLR 2024; reconstructed), exact regret and query counts per episode.
* :func:`fit_bradley_terry` and :func:`confidence_set`: Bradley–Terry maximum likelihood with
  linear features and its confidence ellipsoids.

Both learners are frozen dataclasses with ``run(model, budget, seed) -> ConvergenceTrace`` and
``run_batch(models, budget, seed, strengths=..., etas=...) -> BatchTrace``: one
``jax.jit``-compiled, ``vmap``-ped ``lax.scan`` over datasets and tau (beta), in float64 inside
the package's own calls (:func:`~algorithms.policy_gradient.float64_scope`).
"""

from algorithms.preferences.bt_mle import (
    BTFit,
    ConfidenceEllipsoid,
    confidence_set,
    fit_bradley_terry,
)
from algorithms.preferences.contextual import ContextualMaxInP
from algorithms.preferences.dpo import DPO
from algorithms.preferences.freehand import (
    Freehand,
    FreehandResult,
    TrajectoryPairs,
    collect_pairs,
    freehand,
)
from algorithms.preferences.ipo import IPO
from algorithms.preferences.maxinp import MaxInP
from algorithms.preferences.pr_lsvi import PRLSVI

LEARNERS = {
    "ipo": IPO,
    "dpo": DPO,
    "freehand": Freehand,
    "maxinp": MaxInP,
    "pr-lsvi": PRLSVI,
    "contextual-maxinp": ContextualMaxInP,
}
"""Command-line name -> learner class (used by ``mdptheory run`` and ``mdptheory learners``)."""

__all__ = [
    "DPO",
    "IPO",
    "LEARNERS",
    "PRLSVI",
    "BTFit",
    "ConfidenceEllipsoid",
    "ContextualMaxInP",
    "Freehand",
    "FreehandResult",
    "MaxInP",
    "TrajectoryPairs",
    "collect_pairs",
    "confidence_set",
    "fit_bradley_terry",
    "freehand",
]
