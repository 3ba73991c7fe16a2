"""Cooperative Markov games with exact joint optima (:class:`mdptheory.games.CooperativeGame`).

* :func:`climbing_game`: the climbing game of Claus & Boutilier (AAAI 1998) in every state, each
  state with its own seeded relabelling of the actions; the optimal joint action moves the play
  to the next state. Independent learners are drawn to the safe joint action worth 7 of 11.
* :func:`penalty_game`: Claus & Boutilier's penalty game (two optimal joint actions, a penalty
  ``k`` for mixing them, a safe action worth 2 of 10), generalised to states the same way.
* :func:`factored_gridworld`: 2-3 agents on a small grid, paid only when all stand on the goal
  cell (a decoy cell near the start pays less); each agent moves on its own.
* :func:`random_cooperative_game`: a Garnet kernel and uniform rewards over joint actions of
  ``n_agents`` agents with ``n_actions`` each (``|A| = n_actions ** n_agents``, the knob).

Rewards lie in [0, 1] (the matrix games are rescaled affinely, which leaves every policy's
ranking unchanged). Each family is discounted by default and episodic when ``H`` is given.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_horizon, _check_int, _label, garnet
from mdptheory._validation import check_memory, dense_bytes
from mdptheory.games import CooperativeGame
from mdptheory.seeding import SeedLike, as_generator

CLIMBING = np.array([[11.0, -30.0, 0.0], [-30.0, 7.0, 6.0], [0.0, 0.0, 5.0]])
"""Claus & Boutilier (1998), Table 3: optimum (a, a) = 11, the safe local optimum (b, b) = 7."""


def _penalty_matrix(k: float) -> np.ndarray:
    """Claus & Boutilier (1998), Table 4: optima (a, a), (c, c) = 10; mixing them costs k."""
    return np.array([[10.0, 0.0, k], [0.0, 2.0, 0.0], [k, 0.0, 10.0]])


def _matrix_game_over_states(
    family: str, matrix: np.ndarray, S: int, H: int | None, gamma: float | None, seed, name: str
) -> CooperativeGame:
    """``matrix`` (rescaled to [0, 1]) in every state with seeded relabellings of both agents'
    actions (state 0 keeps the printed labels); a joint action of maximal payoff moves to state
    ``s + 1`` (mod S), any other to a uniformly drawn state."""
    rng = as_generator(seed)
    low, high = float(matrix.min()), float(matrix.max())
    scaled = (matrix - low) / (high - low)
    n = matrix.shape[0]
    R = np.empty((S, n, n))
    P = np.empty((S, n, n, S))
    for s in range(S):
        rows = np.arange(n) if s == 0 else rng.permutation(n)
        cols = np.arange(n) if s == 0 else rng.permutation(n)
        R[s] = scaled[np.ix_(rows, cols)]
        best = R[s] == 1.0
        P[s] = 1.0 / S
        P[s][best] = np.eye(S)[(s + 1) % S]
    return CooperativeGame(P, R, (n, n), gamma=gamma, H=H, name=name)


def climbing_game(
    S: int = 3, H: int | None = None, gamma: float = 0.9, seed: SeedLike = 0
) -> CooperativeGame:
    """The climbing game (Claus & Boutilier 1998) generalised to ``S`` states, two agents.

    Payoffs ``[[11, -30, 0], [-30, 7, 6], [0, 0, 5]]`` rescaled to [0, 1] by ``(r + 30)/41``;
    state ``s > 0`` relabels each agent's actions by a seeded permutation. The optimal joint
    action of a state moves to state ``s + 1 mod S``; every other to a uniform state. In every
    state the safe joint action (7) is a strict Nash equilibrium of the stage game: a local
    optimum of product policies, where independent gradient learners stall.

    Examples
    --------
    >>> game = climbing_game(S=2)
    >>> game.name, game.actions, float(game.R[0, 0, 0]), round(float(game.R[0, 1, 1]), 4)
    ('climbing_game(S=2,gamma=0.9,seed=0)', (3, 3), 1.0, 0.9024)
    """
    family = "climbing_game"
    S = _check_int(family, "S", S, 1)
    H, gamma = _check_horizon(family, H, gamma)
    name = _label(family, S=S, **({"H": H} if H else {"gamma": gamma}), seed=seed)
    return _matrix_game_over_states(family, CLIMBING, S, H, gamma, seed, name)


def penalty_game(
    S: int = 3, k: float = -10.0, H: int | None = None, gamma: float = 0.9, seed: SeedLike = 0
) -> CooperativeGame:
    """The penalty game (Claus & Boutilier 1998) generalised to ``S`` states, two agents.

    Payoffs ``[[10, 0, k], [0, 2, 0], [k, 0, 10]]`` with penalty ``k <= 0``, rescaled to [0, 1]
    by ``(r - k)/(10 - k)``; seeded relabellings and transitions as :func:`climbing_game`. Two
    optimal joint actions per state; the safe one (2) is a local optimum of product policies.

    Examples
    --------
    >>> game = penalty_game(S=1, k=-10.0)
    >>> game.R[0].tolist()
    [[1.0, 0.5, 0.0], [0.5, 0.6, 0.5], [0.0, 0.5, 1.0]]
    """
    family = "penalty_game"
    S = _check_int(family, "S", S, 1)
    k = _check_float(family, "k", k, None, 0.0)
    H, gamma = _check_horizon(family, H, gamma)
    name = _label(family, S=S, k=k, **({"H": H} if H else {"gamma": gamma}), seed=seed)
    return _matrix_game_over_states(family, _penalty_matrix(k), S, H, gamma, seed, name)


_MOVES = ((0, 0), (0, 1), (0, -1), (-1, 0), (1, 0))  # stay, up, down, left, right


def factored_gridworld(
    n_agents: int = 2,
    width: int = 3,
    height: int = 2,
    slip: float = 0.1,
    decoy: float = 0.3,
    H: int | None = None,
    gamma: float = 0.9,
) -> CooperativeGame:
    """``n_agents`` agents on a ``width x height`` grid, paid when all stand on one cell.

    Each agent picks stay, up, down, left or right (stay, left, right when ``height = 1``) and
    moves on its own: with probability ``slip`` it stays instead; moves off the grid stay.
    All agents start on cell ``((width - 1) // 2, 0)``. The shared reward of a state is 1 when
    every agent is on the goal ``(width - 1, height - 1)``, ``decoy`` when every agent is on the
    decoy ``(0, 0)``, else 0 (the decoy is a local optimum for agents that cannot coordinate).
    States are joint positions (cell index ``x + width * y`` per agent, agent 0 slowest).

    Examples
    --------
    >>> game = factored_gridworld(n_agents=2, width=3, height=1)
    >>> game.S, game.actions, float(game.initial @ game.R.reshape(game.S, -1).max(axis=1))
    (9, (3, 3), 0.0)
    """
    family = "factored_gridworld"
    n_agents = _check_int(family, "n_agents", n_agents, 1, 3)
    width = _check_int(family, "width", width, 1)
    height = _check_int(family, "height", height, 1)
    slip = _check_float(family, "slip", slip, 0.0, 1.0)
    decoy = _check_float(family, "decoy", decoy, 0.0, 1.0)
    H, gamma = _check_horizon(family, H, gamma)
    moves = _MOVES if height > 1 else (_MOVES[0], _MOVES[3], _MOVES[4])
    cells, n_moves = width * height, len(moves)
    S, A = cells**n_agents, n_moves**n_agents
    check_memory(
        2 * dense_bytes(S, A, S),
        f"{family}: a dense kernel of shape (S, A, S) = ({S}, {A}, {S})",
        f"n_agents={n_agents}, width={width}, height={height}",
    )
    # One agent's kernel T[c, m, c'].
    T = np.zeros((cells, n_moves, cells))
    for c in range(cells):
        x, y = c % width, c // width
        for m, (dx, dy) in enumerate(moves):
            nx, ny = x + dx, y + dy
            target = nx + width * ny if (0 <= nx < width and 0 <= ny < height) else c
            T[c, m, target] += 1.0 - slip
            T[c, m, c] += slip
    # Joint kernel: agents move independently (axes s_1..s_N, a_1..a_N, s'_1..s'_N).
    P = T
    for _ in range(n_agents - 1):
        P = np.einsum("iaj,kbl->ikabjl", P.reshape(-1, P.shape[-2], P.shape[-1]), T)
        P = P.reshape(P.shape[0] * P.shape[1], P.shape[2] * P.shape[3], -1)
    P = P.reshape((S,) + (n_moves,) * n_agents + (S,))
    goal, trap = (width - 1) + width * (height - 1), 0
    positions = np.stack(np.unravel_index(np.arange(S), (cells,) * n_agents), axis=1)
    state_reward = np.where((positions == goal).all(axis=1), 1.0, 0.0)
    if goal != trap:
        state_reward[(positions == trap).all(axis=1)] = decoy
    R = np.broadcast_to(state_reward.reshape((S,) + (1,) * n_agents), (S,) + (n_moves,) * n_agents)
    start = np.ravel_multi_index(((width - 1) // 2,) * n_agents, (cells,) * n_agents)
    name = _label(
        family,
        n_agents=n_agents,
        width=width,
        height=height,
        slip=slip,
        decoy=decoy,
        **({"H": H} if H else {"gamma": gamma}),
    )
    return CooperativeGame(
        P, R, (n_moves,) * n_agents, gamma=gamma, H=H, initial=np.eye(S)[start], name=name
    )


def random_cooperative_game(
    S: int = 5,
    n_agents: int = 2,
    n_actions: int = 2,
    branching: int = 2,
    H: int | None = None,
    gamma: float = 0.9,
    seed: SeedLike = 0,
) -> CooperativeGame:
    """A random cooperative game: a Garnet over ``n_actions ** n_agents`` joint actions.

    The kernel and the uniform [0, 1] rewards are those of
    :func:`instances.tabular.garnet` with ``A = n_actions ** n_agents``, read with one action
    axis per agent; the joint-action size is the knob.

    Examples
    --------
    >>> game = random_cooperative_game(S=4, n_agents=3, n_actions=2)
    >>> game.actions, game.A, game.P.shape
    ((2, 2, 2), 8, (4, 2, 2, 2, 4))
    """
    family = "random_cooperative_game"
    S = _check_int(family, "S", S, 1)
    n_agents = _check_int(family, "n_agents", n_agents, 1)
    n_actions = _check_int(family, "n_actions", n_actions, 1)
    branching = _check_int(family, "branching", branching, 1, S)
    H, gamma = _check_horizon(family, H, gamma)
    joint = garnet(S=S, A=n_actions**n_agents, branching=branching, H=H, gamma=gamma, seed=seed)
    actions = (n_actions,) * n_agents
    P = joint.dense_P()
    P = P[None] if P.ndim == 3 else P  # a discounted kernel has no stage axis
    P = P[0].reshape(S, *actions, S) if P.shape[0] == 1 else P.reshape(H, S, *actions, S)
    R = np.asarray(joint.R)
    R = R.reshape(S, *actions) if H is None else R.reshape(H, S, *actions)
    name = _label(
        family,
        S=S,
        n_agents=n_agents,
        n_actions=n_actions,
        branching=branching,
        **({"H": H} if H else {"gamma": gamma}),
        seed=seed,
    )
    return CooperativeGame(P, R, actions, gamma=gamma, H=H, initial=joint.initial, name=name)
