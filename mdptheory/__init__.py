"""mdptheory: exact ground truth for tabular and linear MDPs and bandits.

Examples
--------
>>> import numpy as np
>>> import mdptheory as mt
>>> mdp = mt.FiniteMDP(np.ones((1, 2, 1)), [[0.0, 1.0]], gamma=0.9)
>>> mt.solve(mdp).policy
array([1])
"""

from mdptheory.bandits import Bandit, FeatureBandit, LinearBandit
from mdptheory.evaluation import (
    advantages,
    evaluate,
    occupancy,
    performance_difference,
    policy_value_at_start,
    q_values,
)
from mdptheory.linear import LinearMDP, LinearMDPAssumptions, LowRankMDP
from mdptheory.planning import (
    AverageRewardSolution,
    Solution,
    backward_induction,
    linear_program,
    policy_iteration,
    relative_value_iteration,
    solve,
    value_iteration,
)
from mdptheory.regret import ConvergenceTrace, RegretTrace
from mdptheory.seeding import as_generator, spawn_seeds
from mdptheory.tabular import EpisodicMDP, FiniteMDP, RewardNoise

__version__ = "0.1.0"

__all__ = [
    "AverageRewardSolution",
    "Bandit",
    "ConvergenceTrace",
    "EpisodicMDP",
    "FeatureBandit",
    "FiniteMDP",
    "LinearBandit",
    "LinearMDP",
    "LinearMDPAssumptions",
    "LowRankMDP",
    "RegretTrace",
    "RewardNoise",
    "Solution",
    "__version__",
    "advantages",
    "as_generator",
    "backward_induction",
    "evaluate",
    "linear_program",
    "occupancy",
    "performance_difference",
    "policy_iteration",
    "policy_value_at_start",
    "q_values",
    "relative_value_iteration",
    "solve",
    "spawn_seeds",
    "value_iteration",
]
