"""Learning from preferences on preference bandits: the exact ground truth.

* :class:`PreferenceBandit`: K actions, a preference matrix (Bradley–Terry from a reward vector,
  or any matrix with ``p + p^T = 1``, non-transitive and deterministic ones included), a
  reference policy ``pi_ref``, a behaviour ``mu`` and a finite :class:`PreferenceDataset`.
* Exact optima: the KL-regularised RLHF optimum (:func:`rlhf_optimum`), the PsiPO optimum
  (:func:`psipo_optimum`), the exact minimiser of the sampled IPO loss (:func:`ipo_minimiser`,
  a Laplacian solve) and the DPO optima, finite-data and population, with the boundary they
  tend to when no finite minimiser exists (:func:`dpo_optimum`).
* Trajectory preferences on episodic MDPs (:class:`TrajectorySpace`,
  :class:`OfflinePreferenceProblem`): exact trajectory distributions and the concentrability
  coefficients of offline preference-based RL (Zhan et al., ICLR 2024).
* Link functions (:mod:`.links`: logistic, probit, clipped-linear, with their derivative
  bounds), preferences on the summed trajectory features of a linear MDP
  (:class:`LinearTrajectoryPreferences`) and contextual preference bandits
  (:class:`ContextualPreferenceBandit`).

Papers: Azar et al., AISTATS 2024 (PsiPO, IPO); Rafailov et al., NeurIPS 2023 (DPO).
"""

from mdptheory.preferences.bandit import PreferenceBandit, bradley_terry_matrix
from mdptheory.preferences.comparison_graph import (
    components,
    laplacian,
    strong_components,
    win_counts,
)
from mdptheory.preferences.contextual import ContextualPreferenceBandit
from mdptheory.preferences.dataset import PreferenceDataset, sample_dataset
from mdptheory.preferences.dpo import (
    DPOSolution,
    dpo_finite_optimum,
    dpo_loss,
    dpo_optimum,
    dpo_population_optimum,
)
from mdptheory.preferences.ipo import IPOSolution, ipo_loss, ipo_minimiser
from mdptheory.preferences.kl_optimum import (
    gibbs_policy,
    psipo_objective,
    psipo_optimum,
    rlhf_optimum,
)
from mdptheory.preferences.linear_trajectories import (
    LinearTrajectoryPreferences,
    summed_features,
)
from mdptheory.preferences.links import (
    ClippedLinearLink,
    Link,
    LogisticLink,
    ProbitLink,
    link_preferences,
    make_link,
)
from mdptheory.preferences.offline_problem import (
    OfflinePreferenceProblem,
    deterministic_policies,
    policy_occupancies,
)
from mdptheory.preferences.trajectories import (
    TrajectorySpace,
    per_trajectory_concentrability,
    preference_concentrability,
)

__all__ = [
    "ClippedLinearLink",
    "ContextualPreferenceBandit",
    "DPOSolution",
    "IPOSolution",
    "LinearTrajectoryPreferences",
    "Link",
    "LogisticLink",
    "OfflinePreferenceProblem",
    "PreferenceBandit",
    "PreferenceDataset",
    "ProbitLink",
    "TrajectorySpace",
    "bradley_terry_matrix",
    "components",
    "deterministic_policies",
    "dpo_finite_optimum",
    "dpo_loss",
    "dpo_optimum",
    "dpo_population_optimum",
    "gibbs_policy",
    "ipo_loss",
    "ipo_minimiser",
    "laplacian",
    "link_preferences",
    "make_link",
    "per_trajectory_concentrability",
    "policy_occupancies",
    "preference_concentrability",
    "psipo_objective",
    "psipo_optimum",
    "rlhf_optimum",
    "sample_dataset",
    "strong_components",
    "summed_features",
    "win_counts",
]
