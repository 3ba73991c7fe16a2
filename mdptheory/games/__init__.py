"""Cooperative Markov games: the model, its exact joint twin, local policies and the
multi-agent advantage decomposition (Zhao, Yang, Wang, Lee, ICML 2023).

* :class:`CooperativeGame` (:mod:`.model`): N agents, factorised actions, one shared reward,
  discounted or episodic; ``game.joint`` is the exact tabular twin over joint actions.
* :mod:`.joint`: product and sequential local policies, the executed joint policy, exact
  values, the joint optimum with each agent's marginal (:func:`solve_game`).
* :mod:`.advantage`: localised action values and advantages, the multi-agent
  performance-difference identity.
"""

from mdptheory.games.advantage import (
    localise,
    localised_advantages,
    localised_q,
    multi_agent_performance_difference,
)
from mdptheory.games.joint import (
    GameSolution,
    joint_policy,
    local_policies,
    marginal_policies,
    policies_value,
    policies_value_at_start,
    solve_game,
)
from mdptheory.games.model import CooperativeGame, check_actions

__all__ = [
    "CooperativeGame",
    "GameSolution",
    "check_actions",
    "joint_policy",
    "local_policies",
    "localise",
    "localised_advantages",
    "localised_q",
    "marginal_policies",
    "multi_agent_performance_difference",
    "policies_value",
    "policies_value_at_start",
    "solve_game",
]
