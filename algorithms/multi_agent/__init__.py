"""Learners for several agents.

* :class:`AsyncCoopLSVIUCB` (Min, He, Wang, Gu, ICML 2023): M agents on one linear MDP,
  asynchronous episodes, determinant-ratio communication through a server; with the
  references :class:`IndependentLSVIUCB` (no communication) and
  :class:`SyncEveryEpisodeLSVIUCB` (synchronisation after every episode).
* :class:`MAPPO`: multi-agent PPO with exact localised action values and sequential local
  updates on cooperative Markov games (:mod:`mdptheory.games`; Zhao, Yang, Wang, Lee, ICML
  2023); :class:`SampledMAPPO` with Monte Carlo localised values from a generative model.
* :class:`IndependentPG`: independent per-agent exact softmax policy gradient, the control that
  can stall at a local optimum of product policies.

The LSVI learners' ``run(model, budget, seed)`` returns a
:class:`~mdptheory.regret.RegretTrace`; the game learners' returns a ``ConvergenceTrace`` and
their ``run_batch`` is one ``jax.jit``-compiled, ``vmap``-ed ``lax.scan`` (float64), recording
the exact global sub-optimality of the executed joint policy. ``LEARNERS`` maps the
command-line names used by ``mdptheory run`` to the classes.
"""

from algorithms.multi_agent.async_lsvi import (
    AsyncCoopLSVIUCB,
    IndependentLSVIUCB,
    SyncEveryEpisodeLSVIUCB,
    communication_bound,
    paper_alpha,
)
from algorithms.multi_agent.independent_pg import IndependentPG
from algorithms.multi_agent.mappo import MAPPO
from algorithms.multi_agent.mappo_sampled import SampledMAPPO

LEARNERS = {
    "async-coop-lsvi-ucb": AsyncCoopLSVIUCB,
    "independent-lsvi-ucb": IndependentLSVIUCB,
    "sync-every-episode-lsvi-ucb": SyncEveryEpisodeLSVIUCB,
    "mappo": MAPPO,
    "mappo-sampled": SampledMAPPO,
    "independent-pg": IndependentPG,
}
"""Command-line name -> learner class (used by ``mdptheory run`` and ``mdptheory learners``)."""

__all__ = [
    "LEARNERS",
    "MAPPO",
    "AsyncCoopLSVIUCB",
    "IndependentLSVIUCB",
    "IndependentPG",
    "SampledMAPPO",
    "SyncEveryEpisodeLSVIUCB",
    "communication_bound",
    "paper_alpha",
]
