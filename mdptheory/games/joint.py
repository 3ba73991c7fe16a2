"""Local policies of a cooperative game, the joint policy they execute, and the joint optimum.

Local policies
--------------
Agent ``i`` (0-based) holds a local policy given as one array:

* a *product* (independent) local policy ``pi^i(a^i | s)``, shape ``(*lead, A_i)``;
* a *sequential* local policy ``pi^i(a^i | s, a^{1:i-1})``, shape ``(*lead, A_1, ..., A_i)``,
  conditioned on the actions of the agents before it in the fixed order 0..N-1 (the order of
  the sequential local updates of Zhao, Yang, Wang, Lee, ICML 2023).

``lead`` is ``(S,)`` for a discounted game and ``(H, S)`` for an episodic one. The executed joint
policy is ``pi(a | s) = prod_i pi^i(a^i | s, a^{1:i-1})``; product local policies give the
product policy ``(x)_i pi^i``. Every sequential family of local policies gives a joint policy
and every joint policy has one (its chain-rule factors), so the joint optimum, a deterministic
joint policy, is reached by product policies too (:func:`solve_game`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, as_float_array, check_distributions
from mdptheory.evaluation import evaluate
from mdptheory.games.model import CooperativeGame
from mdptheory.planning import Solution, solve


def _check_game(game) -> CooperativeGame:
    if not isinstance(game, CooperativeGame):
        raise ParameterTypeError(f"game must be a CooperativeGame, got {type(game).__name__}")
    return game


def local_policies(game: CooperativeGame, policies: Sequence) -> tuple[np.ndarray, ...]:
    """Validate the local policies and return each in sequential form.

    Entry ``i`` comes back with shape ``(*lead, A_1, ..., A_i)``; a product local policy
    ``(*lead, A_i)`` gets singleton axes for the agents before ``i`` (it ignores their
    actions), so the arrays broadcast against each other.

    Raises
    ------
    ValueError
        On a wrong number of policies, a wrong shape, a non-finite or negative entry or a
        distribution not summing to 1; the message names the agent and the index.

    Examples
    --------
    >>> import numpy as np
    >>> game = CooperativeGame(np.ones((1, 2, 3, 1)), np.zeros((1, 2, 3)), (2, 3), gamma=0.5)
    >>> [p.shape for p in local_policies(game, [np.full((1, 2), 0.5), np.full((1, 3), 1 / 3)])]
    [(1, 2), (1, 1, 3)]
    """
    _check_game(game)
    if isinstance(policies, np.ndarray) or len(policies) != game.N:
        raise ValueError(
            f"give one local policy per agent: {game.N} arrays, got "
            f"{len(policies) if not isinstance(policies, np.ndarray) else 'one array'}"
        )
    lead = game.lead
    out = []
    for i, policy in enumerate(policies):
        name = f"policy of agent {i}"
        array = as_float_array(policy, name)
        product = (*lead, game.actions[i])
        sequential = (*lead, *game.actions[: i + 1])
        if array.shape == product:
            array = array.reshape((*lead, *([1] * i), game.actions[i]))
        elif array.shape != sequential:
            raise ValueError(
                f"{name} has shape {array.shape}, expected {product} (product) or "
                f"{sequential} (conditioned on agents 0..{i - 1})"
            )
        check_distributions(array, name, game.tol)
        out.append(array)
    return tuple(out)


def joint_policy(game: CooperativeGame, policies: Sequence) -> np.ndarray:
    """The executed joint policy ``pi(a|s) = prod_i pi^i(a^i|s, a^{1:i-1})``, shape
    ``(*lead, A)`` over flat joint actions (C order), a policy of :attr:`game.joint`.

    Examples
    --------
    >>> import numpy as np
    >>> game = CooperativeGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), (2, 2), gamma=0.5)
    >>> joint_policy(game, [np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])])
    array([[0.5, 0.5, 0. , 0. ]])
    """
    local = local_policies(game, policies)
    full = np.ones((*game.lead, *game.actions))
    for i, p in enumerate(local):
        full = full * p.reshape(p.shape + (1,) * (game.N - 1 - i))
    return full.reshape(*game.lead, game.A)


def marginal_policies(game: CooperativeGame, joint) -> tuple[np.ndarray, ...]:
    """Each agent's marginal ``pi^i(a^i|s) = sum_{a^{-i}} pi(a|s)`` of a joint policy.

    ``joint`` is a stochastic joint policy ``(*lead, A)`` or a deterministic one (int,
    ``lead``). A deterministic joint policy is the product of its marginals.
    """
    _check_game(game)
    array = np.asarray(joint)
    if np.issubdtype(array.dtype, np.integer):
        array = np.eye(game.A)[array]
    if array.shape != (*game.lead, game.A):
        raise ValueError(f"a joint policy has shape {(*game.lead, game.A)}, got {array.shape}")
    full = array.reshape(*game.lead, *game.actions)
    k = len(game.lead)
    return tuple(
        full.sum(axis=tuple(k + j for j in range(game.N) if j != i)) for i in range(game.N)
    )


def policies_value(game: CooperativeGame, policies: Sequence) -> np.ndarray:
    """Exact values of the joint policy of ``policies``: (S,) or (H, S)."""
    return evaluate(game.joint, joint_policy(game, policies))


def policies_value_at_start(game: CooperativeGame, policies: Sequence) -> float:
    """``J(pi) = V^pi(rho)`` (``V^pi_1(rho)`` episodic) of the joint policy of ``policies``."""
    V = policies_value(game, policies)
    return float(np.asarray(game.initial) @ (V[0] if game.episodic else V))


@dataclass(frozen=True)
class GameSolution:
    """The joint optimum of a cooperative game.

    Attributes
    ----------
    solution : Solution
        The exact planner's result on the joint twin (values, ``q`` over flat joint actions,
        certificate).
    joint_actions : ndarray of int, shape (*lead, N)
        The optimal joint action ``(a^1, ..., a^N)`` in each state (and stage).
    agent_policies : tuple of ndarray of int, each of shape lead
        Agent ``i``'s deterministic marginal policy: its component of the optimal joint action.
        Together they are a product policy that attains the joint optimum.
    value_at_start : float
        ``V*(rho)`` (``V*_1(rho)`` episodic).
    """

    solution: Solution
    joint_actions: np.ndarray
    agent_policies: tuple[np.ndarray, ...]
    value_at_start: float

    @property
    def values(self) -> np.ndarray:
        return self.solution.values

    @property
    def q(self) -> np.ndarray:
        return self.solution.q


def solve_game(game: CooperativeGame, method: str = "auto") -> GameSolution:
    """Exact joint optimum ``V*``, ``Q*`` and each agent's marginal of the optimal policy.

    The game is solved as its joint twin (:func:`mdptheory.planning.solve`): a cooperative game
    is an MDP over joint actions, whose optimal deterministic policy is the joint optimum; its
    components are deterministic local policies whose product attains it.

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[[11.0, -30, 0], [-30, 7, 6], [0, 0, 5]]])
    >>> game = CooperativeGame(np.ones((1, 3, 3, 1)), R, (3, 3), gamma=0.0)
    >>> result = solve_game(game)
    >>> result.joint_actions.tolist(), result.value_at_start
    ([[0, 0]], 11.0)
    """
    _check_game(game)
    solution = solve(game.joint, method=method)
    components = np.stack(np.unravel_index(solution.policy, game.actions), axis=-1)
    V = solution.values
    start = float(np.asarray(game.initial) @ (V[0] if game.episodic else V))
    return GameSolution(
        solution=solution,
        joint_actions=components.astype(np.int64),
        agent_policies=tuple(components[..., i].astype(np.int64) for i in range(game.N)),
        value_at_start=start,
    )
