"""Planning with a generative model: the learner chooses the pairs it samples.

* :class:`MDVI` (Kozuno et al. 2022), tabular: KL- and entropy-regularised mirror-descent value
  iteration on sample means at every pair.
* :class:`LSMDVI`: MDVI with least squares on a G-optimal design of the features (linear MDPs).
* :class:`VWLSMDVI` (Kitamura et al., ICML 2023): LS-MDVI, a variance estimate of its value,
  then MDVI with least squares weighted by that variance on the weighted design.

Every run's budget is a number of generative samples, and its trace the exact sub-optimality
``||V* - V^pi_k||_inf`` of each iteration's policy against the samples spent.
"""

from algorithms.generative.ls_mdvi import LSMDVI
from algorithms.generative.mdvi import MDVI
from algorithms.generative.vwls_mdvi import VWLSMDVI

LEARNERS = {"mdvi": MDVI, "ls-mdvi": LSMDVI, "vwls-mdvi": VWLSMDVI}

__all__ = ["LEARNERS", "LSMDVI", "MDVI", "VWLSMDVI"]
