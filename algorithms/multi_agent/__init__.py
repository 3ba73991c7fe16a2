"""Learners for several agents.

* :class:`AsyncCoopLSVIUCB` (Min, He, Wang, Gu, ICML 2023): M agents on one linear MDP,
  asynchronous episodes, determinant-ratio communication through a server; with the
  references :class:`IndependentLSVIUCB` (no communication) and
  :class:`SyncEveryEpisodeLSVIUCB` (synchronisation after every episode).

``LEARNERS`` maps the command-line names used by ``mdptheory run`` to the classes.
"""

from algorithms.multi_agent.async_lsvi import (
    AsyncCoopLSVIUCB,
    IndependentLSVIUCB,
    SyncEveryEpisodeLSVIUCB,
    communication_bound,
    paper_alpha,
)

LEARNERS = {
    "async-coop-lsvi-ucb": AsyncCoopLSVIUCB,
    "independent-lsvi-ucb": IndependentLSVIUCB,
    "sync-every-episode-lsvi-ucb": SyncEveryEpisodeLSVIUCB,
}
"""Command-line name -> learner class."""

__all__ = [
    "LEARNERS",
    "AsyncCoopLSVIUCB",
    "IndependentLSVIUCB",
    "SyncEveryEpisodeLSVIUCB",
    "communication_bound",
    "paper_alpha",
]
