"""Offline RL with pessimism: datasets with controlled coverage, PEVI, exact sub-optimality.

* :mod:`algorithms.offline.datasets`: behaviour policies (uniform, epsilon-mixture with pi*,
  partial coverage), seeded compiled collection into an exact log (:class:`OfflineDataset`),
  finite-state sufficient statistics (:class:`TransitionCounts`, also in an infinite-data
  version) and exact coverage diagnostics (single-policy concentrability ``C*``, the feature
  coverage ``E_{pi*} ||phi||_{Lambda_h^{-1}}``).
* :mod:`algorithms.offline.pevi`: :class:`PEVI` (Jin, Yang, Wang, ICML 2021, Algorithm 2),
  the greedy control :class:`GreedyLSVI` and :class:`TabularPEVI`; each ``fit(model, data)``
  returns a :class:`PEVIResult` with the exact sub-optimality and the data-dependent bound, and
  :func:`pevi_curves` fits every prefix of a log in one compiled pass.
* :mod:`algorithms.offline.vw_pevi`: :class:`VWPEVI`, variance-weighted PEVI (LinPEVI-ADV+,
  the linear specialisation of PNLSVI): variance regression on half of the log, weighted
  ridge regression and penalty on the other half, with the exact variance-weighted coverage
  ``sum_h E_{pi*} ||phi||_{Sigma*_h^{-1}}`` of its bound.
* :mod:`algorithms.offline.robust`: :class:`R2PVI` (f-divergence-regularised robust
  pessimism), :class:`DRPVI` (d-rectangular TV balls) and :class:`VADRPVI` (DRPVI with
  variance-weighted ridge regression) on d-rectangular linear MDPs, with the exact robust
  sub-optimality (:class:`RobustOfflineResult`).

Offline learners are fitted on data rather than run online, but each also has
``run(model, budget, seed)``: it collects ``budget`` episodes with its default behaviour
(uniform over actions) and returns a :class:`~mdptheory.regret.ConvergenceTrace` whose ``gap``
is the exact sub-optimality after ``n = 1..budget`` episodes of data, with the greedy control's
curve on the same data in ``extras["greedy_gap"]``. :func:`burn_in` gives the data size before
the penalty stops saturating, from the penalty formula alone. ``LEARNERS`` names them for
``mdptheory run``.
"""

from algorithms.offline import datasets, pevi, vw_pevi
from algorithms.offline.burn_in import burn_in
from algorithms.offline.datasets import *  # noqa: F403 (re-exported: datasets.__all__)
from algorithms.offline.pevi import *  # noqa: F403 (re-exported: pevi.__all__)
from algorithms.offline.pevi import PEVI, GreedyLSVI, TabularPEVI
from algorithms.offline.robust import DRPVI, R2PVI, VADRPVI, RobustOfflineResult
from algorithms.offline.vw_pevi import VWPEVI, VWPEVIResult

LEARNERS = {
    "pevi": PEVI,
    "greedy-lsvi-offline": GreedyLSVI,
    "pevi-tabular": TabularPEVI,
    "vw-pevi": VWPEVI,
    "r2pvi": R2PVI,
    "drpvi": DRPVI,
    "va-drpvi": VADRPVI,
}
"""Command-line name -> learner class (``mdptheory run pevi <instance> --budget n``)."""

__all__ = [
    "DRPVI",
    "LEARNERS",
    "R2PVI",
    "VWPEVI",
    "RobustOfflineResult",
    "VADRPVI",
    "VWPEVIResult",
    "burn_in",
    "vw_pevi",
    *datasets.__all__,
    *pevi.__all__,
]
