"""Multi-agent learners on cooperative Markov games (:mod:`mdptheory.games`).

* :class:`MAPPO`: multi-agent PPO with exact localised action values and sequential local
  updates (Zhao, Yang, Wang, Lee, ICML 2023); :class:`SampledMAPPO` with Monte Carlo
  localised values from a generative model.
* :class:`IndependentPG`: independent per-agent exact softmax policy gradient, the control that
  can stall at a local optimum of product policies.

Every learner is a frozen dataclass with ``run(model, budget, seed) -> ConvergenceTrace`` and
``run_batch(models, budget, seed, ...) -> BatchTrace`` (one ``jax.jit``-compiled, ``vmap``-ed
``lax.scan`` over the batch, float64), recording the exact global sub-optimality of the
executed joint policy.
"""

from algorithms.multi_agent.independent_pg import IndependentPG
from algorithms.multi_agent.mappo import MAPPO
from algorithms.multi_agent.mappo_sampled import SampledMAPPO

LEARNERS = {
    "mappo": MAPPO,
    "mappo-sampled": SampledMAPPO,
    "independent-pg": IndependentPG,
}
"""Command-line name -> learner class (used by ``mdptheory run`` and ``mdptheory learners``)."""

__all__ = ["LEARNERS", "MAPPO", "IndependentPG", "SampledMAPPO"]
