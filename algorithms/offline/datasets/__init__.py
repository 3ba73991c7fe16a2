r"""Offline datasets: behaviour policies, seeded collection, an exact log, coverage diagnostics.

Setting
-------
Offline RL (Jin, Yang, Wang, ICML 2021, arXiv:2012.15085, Section 2) learns from a fixed log
``D = {(x_h^tau, a_h^tau, r_h^tau, x_{h+1}^tau)}``. Here the log is collected by running a
behaviour policy ``mu[h, s, a]`` for ``n`` episodes on the exact tabular twin of a model (an
:class:`~mdptheory.tabular.EpisodicMDP`, or a :class:`~mdptheory.linear.LinearMDP` through
``.tabular()``). Such data is *compliant* with the MDP in the paper's sense (next states and
rewards are drawn from the true model given the past). Stages are ``h = 0..H-1`` in code and
``h + 1`` in the papers.

Modules
-------
* :mod:`~algorithms.offline.datasets.behaviour`: :func:`uniform_behaviour`,
  :func:`epsilon_optimal_behaviour` (``(1 - eps) pi* + eps uniform``) and
  :func:`partial_coverage_behaviour` (a base behaviour that never takes chosen ``(h, s, a)``
  triples); :func:`optimal_policy`, the pi* every coverage quantity refers to.
* :mod:`~algorithms.offline.datasets.collection`: :func:`collect`, ``n`` episodes in one
  compiled call, seeded through :func:`mdptheory.seeding.as_generator`, so the same seed gives
  the same log bit for bit.
* :mod:`~algorithms.offline.datasets.record`: :class:`OfflineDataset`, the exact log (frozen,
  validated, read-only arrays), and :class:`TransitionCounts`, its finite-state sufficient
  statistics: visit counts ``N_h(s, a)``, reward sums and the sparse next-state counts
  ``N_h(s, a, s')``. A least-squares fit on a finite state space depends on the data only
  through these, so fitting costs ``O(n)`` to aggregate and then does not depend on ``n`` any
  more. :func:`population_counts` is the infinite-data version (exact expectations times a
  weight).
* :mod:`~algorithms.offline.datasets.coverage`: coverage, exactly from occupancy measures
  (:func:`mdptheory.evaluation.occupancy`): :func:`coverage` gives the single-policy
  concentrability ``C* = max_{h,s,a} d^{pi*}_h(s, a) / d^mu_h(s, a)`` (``inf`` when pi*
  reaches a pair the behaviour never takes; the single-policy concentrability of Rashidinejad,
  Zhu, Ma, Jiao, Russell, NeurIPS 2021); :func:`feature_uncertainty` gives
  ``E_{pi*}[||phi(s_h, a_h)||_{Lambda_h^{-1}}]`` per stage, the feature coverage of pi* under
  ``Lambda_h`` that enters PEVI's bound (Jin et al. 2021, Theorem 4.2 with Algorithm 2's
  penalty); :func:`expected_gram` is ``E[Lambda_h]`` under the behaviour and
  :func:`relative_condition_number` the feature analogue of ``C*``.
* :mod:`~algorithms.offline.datasets._validation`: :func:`tabular_twin` (the exact
  :class:`~mdptheory.tabular.EpisodicMDP` behind a model) and the checks of the log's columns.

Examples
--------
>>> import numpy as np
>>> from mdptheory import EpisodicMDP
>>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), [[0.0, 1.0], [0.5, 0.0]], H=3)
>>> data = collect(mdp, uniform_behaviour(mdp), n_episodes=4, seed=0)
>>> len(data), data.n_episodes, coverage(mdp, uniform_behaviour(mdp)).concentrability
(12, 4, 2.0)
"""

from algorithms.offline.datasets._validation import tabular_twin
from algorithms.offline.datasets.behaviour import (
    Behaviour,
    as_behaviour,
    epsilon_optimal_behaviour,
    optimal_policy,
    partial_coverage_behaviour,
    uniform_behaviour,
)
from algorithms.offline.datasets.collection import collect
from algorithms.offline.datasets.coverage import (
    Coverage,
    coverage,
    expected_gram,
    feature_uncertainty,
    relative_condition_number,
)
from algorithms.offline.datasets.record import COUNT_TOL as COUNT_TOL
from algorithms.offline.datasets.record import (
    OfflineDataset,
    TransitionCounts,
    population_counts,
)

__all__ = [
    "Behaviour",
    "Coverage",
    "OfflineDataset",
    "TransitionCounts",
    "as_behaviour",
    "collect",
    "coverage",
    "epsilon_optimal_behaviour",
    "expected_gram",
    "feature_uncertainty",
    "optimal_policy",
    "partial_coverage_behaviour",
    "population_counts",
    "relative_condition_number",
    "tabular_twin",
    "uniform_behaviour",
]
