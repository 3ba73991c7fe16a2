"""Tabular instance families: Garnet, RiverSwim, chain / combination lock, gridworld, DeepSea.

Every builder returns a :class:`mdptheory.FiniteMDP` (discounted, when ``H`` is ``None``) or a
:class:`mdptheory.EpisodicMDP` (finite horizon ``H``), with a ``name`` such as
``"river_swim(S=6,H=20)"``. Random families take ``seed`` and draw through
:func:`mdptheory.seeding.as_generator`: the same seed gives the same arrays, bit for bit.
Bad parameters raise ``ValueError`` naming the parameter, what is accepted and the value given.

Stages are ``h = 0..H-1`` in code (``1..H`` in papers). Episodic instances built here are
stationary: one kernel and one reward table shared by every stage.

Sources
-------
* Garnet: T. Archibald, K. McKinnon, L. Thomas, "On the generation of Markov decision
  processes", J. Operational Research Society 46 (1995).
* RiverSwim: A. Strehl, M. Littman, "An analysis of model-based interval estimation for Markov
  decision processes", JCSS 74 (2008); probabilities as in I. Osband, D. Russo, B. Van Roy,
  "(More) efficient reinforcement learning via posterior sampling", NeurIPS 2013.
* Combination lock: S. Whitehead, "Complexity and cooperation in Q-learning", ICML 1991;
  S. Koenig, R. Simmons, "Complexity analysis of real-time reinforcement learning", AAAI 1993.
* DeepSea: I. Osband, J. Aslanides, A. Cassirer, "Randomized prior functions for deep
  reinforcement learning", NeurIPS 2018; I. Osband et al., "Behaviour Suite for Reinforcement
  Learning" (bsuite), ICLR 2020.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from mdptheory._validation import ParameterTypeError, check_memory, check_real, dense_bytes
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, FiniteMDP, RewardNoise

__all__ = [
    "DEFAULT_MAP",
    "GRID_ACTIONS",
    "GridLayout",
    "chain",
    "combination_lock",
    "combination_lock_code",
    "deep_sea",
    "deep_sea_action_mapping",
    "garnet",
    "grid_shortest_path",
    "gridworld",
    "gridworld_layout",
    "river_swim",
]


# ---------------------------------------------------------------------------------------------
# Parameter checks shared by the families (also used by instances.risk)
# ---------------------------------------------------------------------------------------------


def _check_int(family: str, name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int in ``[minimum, maximum]`` or raise naming it."""
    bound = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterTypeError(f"{family}: {name} must be an int {bound}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{family}: {name} must be an int {bound}, got {value!r}")
    return int(value)


def _check_float(
    family: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in the stated interval or raise naming the family
    and the parameter (:func:`mdptheory._validation.check_real`)."""
    return check_real(
        value,
        f"{family}: {name}",
        low,
        high,
        low_open,
        high_open,
        outside="must be a finite number in",
    )


def _check_horizon(family: str, H: Any, gamma: Any) -> tuple[int | None, float | None]:
    """Episodic when ``H`` is given (``gamma`` unused), discounted otherwise."""
    if H is None:
        return None, _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    if gamma is not None:
        # Unused by the episodic version, but a value no model accepts is still refused.
        _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    return _check_int(family, "H", H, 1), None


def _check_size(family: str, S: int, A: int, H: int | None, parameters: str) -> None:
    """Refuse a family whose dense kernel (S, A, S) (built here, then copied by the model) and
    rewards would exceed the memory limit, before anything is allocated."""
    check_memory(
        2 * dense_bytes(S, A, S) + dense_bytes(H or 1, S, A),
        f"{family}: a dense kernel P of shape (S, A, S) = ({S}, {A}, {S})",
        parameters,
    )


def _check_noise(family: str, noise: Any) -> RewardNoise:
    try:
        return RewardNoise.parse(noise)
    except ValueError as error:
        raise ValueError(
            f"{family}: noise must be 'deterministic', 'bernoulli' or "
            f"('gaussian', sigma), got {noise!r} ({error})"
        ) from error


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return format(value, "g")
    if isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return type(value).__name__
    if isinstance(value, RewardNoise):
        return value.kind if value.kind != "gaussian" else f"gaussian:{value.sigma:g}"
    return str(value)


def _label(family: str, **params: Any) -> str:
    """``family(k=v,...)`` with the parameters that define the instance, in the given order."""
    inner = ",".join(f"{key}={_format_value(value)}" for key, value in params.items())
    return f"{family}({inner})"


def _build(
    P, R, H: int | None, gamma: float | None, initial: np.ndarray, noise: RewardNoise, name: str
) -> FiniteMDP | EpisodicMDP:
    if H is None:
        return FiniteMDP(P, R, gamma=gamma, initial=initial, noise=noise, name=name)
    return EpisodicMDP(P, R, H=H, initial=initial, noise=noise, name=name)


def _one_hot(size: int, index: int) -> np.ndarray:
    vector = np.zeros(size)
    vector[index] = 1.0
    return vector


# ---------------------------------------------------------------------------------------------
# Garnet
# ---------------------------------------------------------------------------------------------


def _uniform_subsets(rng: np.random.Generator, n: int, rows: int, size: int) -> np.ndarray:
    """``rows`` independent uniform ``size``-subsets of ``0..n-1`` (Floyd's algorithm).

    Vectorised over rows; costs O(rows * size**2) instead of the O(rows * n) of shuffling,
    so a sparse Garnet with large S never builds an (S, A, S) array.
    """
    chosen = np.empty((rows, size), dtype=np.int64)
    for k, j in enumerate(range(n - size, n)):
        t = rng.integers(0, j + 1, size=rows)
        clash = (chosen[:, :k] == t[:, None]).any(axis=1)
        chosen[:, k] = np.where(clash, j, t)
    return chosen


def garnet(
    S: int = 20,
    A: int = 4,
    branching: int = 3,
    H: int | None = None,
    gamma: float = 0.9,
    seed: SeedLike = 0,
    noise: str = "deterministic",
    sparse: bool = False,
) -> FiniteMDP | EpisodicMDP:
    """Random Garnet MDP ``Garnet(S, A, b)`` (Archibald, McKinnon and Thomas, 1995).

    For every pair ``(s, a)``, ``branching`` distinct next states are drawn uniformly without
    replacement; their probabilities are the gaps between ``branching - 1`` sorted uniform cut
    points of [0, 1]. Mean rewards ``R[s, a]`` are uniform on [0, 1]. The initial distribution
    is uniform.

    Parameters
    ----------
    S, A : int
        Numbers of states (>= 1) and actions (>= 1).
    branching : int
        Next states per pair, ``1 <= branching <= S``.
    H : int, optional
        Horizon; when given the result is a stationary :class:`~mdptheory.EpisodicMDP` and
        ``gamma`` is unused.
    gamma : float
        Discount factor in [0, 1) for the discounted instance.
    seed : int, SeedSequence or Generator
        Randomness for the kernel and rewards.
    noise : str
        Reward noise: ``"deterministic"`` or ``"bernoulli"`` (means lie in [0, 1]).
    sparse : bool
        Store the kernel as a sparse (S*A, S) matrix (``branching`` non-zeros a row).

    Returns
    -------
    FiniteMDP or EpisodicMDP

    Examples
    --------
    >>> mdp = garnet(S=5, A=2, branching=2, seed=1)
    >>> mdp.name, mdp.S, mdp.A, int((mdp.P > 0).sum(axis=2).max())
    ('garnet(S=5,A=2,branching=2,gamma=0.9,seed=1)', 5, 2, 2)
    """
    family = "garnet"
    S = _check_int(family, "S", S, 1)
    A = _check_int(family, "A", A, 1)
    branching = _check_int(family, "branching", branching, 1, S)
    H, gamma = _check_horizon(family, H, gamma)
    reward_noise = _check_noise(family, noise)
    if not isinstance(sparse, (bool, np.bool_)):
        raise ValueError(f"{family}: sparse must be True or False, got {sparse!r}")
    if not sparse:
        _check_size(
            family,
            S,
            A,
            H,
            f"S={S} (A={A}, sparse=False; sparse=True stores only "
            f"the {branching} successors of each pair)",
        )
    rng = as_generator(seed)
    successors = _uniform_subsets(rng, S, S * A, branching).reshape(S, A, branching)
    cuts = np.sort(rng.random((S, A, branching - 1)), axis=2)
    edges = np.concatenate([np.zeros((S, A, 1)), cuts, np.ones((S, A, 1))], axis=2)
    weights = np.diff(edges, axis=2)
    R = rng.random((S, A))
    if sparse:
        rows = np.repeat(np.arange(S * A), branching)
        P = sp.csr_array((weights.ravel(), (rows, successors.ravel())), shape=(S * A, S))
    else:
        P = np.zeros((S, A, S))
        np.put_along_axis(P, successors, weights, axis=2)
    horizon = {"H": H} if H is not None else {"gamma": gamma}
    extras = {"noise": reward_noise} if reward_noise.kind != "deterministic" else {}
    name = _label(family, S=S, A=A, branching=branching, **horizon, seed=seed, **extras)
    return _build(P, R, H, gamma, np.full(S, 1.0 / S), reward_noise, name)


# ---------------------------------------------------------------------------------------------
# RiverSwim
# ---------------------------------------------------------------------------------------------

RIVER_LEFT, RIVER_RIGHT = 0, 1


def river_swim(
    S: int = 6,
    H: int | None = None,
    gamma: float = 0.95,
    small_reward: float = 0.005,
    large_reward: float = 1.0,
    noise: str = "deterministic",
) -> FiniteMDP | EpisodicMDP:
    """RiverSwim (Strehl and Littman, 2008), with the probabilities of Osband et al. (2013).

    States ``0..S-1`` lie along a river; the swimmer starts at the left bank, state 0.
    Action 0 (``left``, with the current) always moves one state left (state 0 stays).
    Action 1 (``right``, against the current):

    ==================  ===========  ==========  ============
    state               move left    stay        move right
    ==================  ===========  ==========  ============
    0 (left bank)       --           0.4         0.6
    1..S-2 (river)      0.05         0.6         0.35
    S-1 (right bank)    0.4          0.6         --
    ==================  ===========  ==========  ============

    Rewards: ``small_reward`` (0.005) for ``left`` in state 0, ``large_reward`` (1) for
    ``right`` in state ``S-1``, 0 elsewhere. The myopic policy collects the small reward; the
    optimal one swims right when the horizon or discount is long enough (e.g. ``S = 6`` with
    ``gamma = 0.95`` or ``H >= 20``).

    Parameters
    ----------
    S : int
        Number of states, >= 2.
    H : int, optional
        Horizon of the episodic version; ``gamma`` is then unused.
    gamma : float
        Discount factor in [0, 1) of the discounted version.
    small_reward, large_reward : float
        Rewards at the two banks, ``0 <= small_reward < large_reward``.
    noise : str
        ``"deterministic"`` or ``"bernoulli"`` (needs both rewards in [0, 1]).

    Examples
    --------
    >>> mdp = river_swim(S=6, H=20)
    >>> mdp.name, mdp.S, mdp.A, float(mdp.P[0, 3, 1, 4])
    ('river_swim(S=6,H=20)', 6, 2, 0.35)
    """
    family = "river_swim"
    S = _check_int(family, "S", S, 2)
    H, gamma = _check_horizon(family, H, gamma)
    small_reward = _check_float(family, "small_reward", small_reward, 0.0)
    large_reward = _check_float(family, "large_reward", large_reward, 0.0)
    if not small_reward < large_reward:
        raise ValueError(
            f"{family}: need small_reward < large_reward, got "
            f"small_reward={small_reward!r}, large_reward={large_reward!r}"
        )
    reward_noise = _check_noise(family, noise)
    _check_size(family, S, 2, H, f"S={S}")
    P = np.zeros((S, 2, S))
    states = np.arange(S)
    P[states, RIVER_LEFT, np.maximum(states - 1, 0)] = 1.0
    P[0, RIVER_RIGHT, 0] = 0.4
    P[0, RIVER_RIGHT, 1] = 0.6
    middle = states[1:-1]
    P[middle, RIVER_RIGHT, middle - 1] = 0.05
    P[middle, RIVER_RIGHT, middle] = 0.6
    P[middle, RIVER_RIGHT, middle + 1] = 0.35
    P[S - 1, RIVER_RIGHT, S - 2] = 0.4
    P[S - 1, RIVER_RIGHT, S - 1] = 0.6
    R = np.zeros((S, 2))
    R[0, RIVER_LEFT] = small_reward
    R[S - 1, RIVER_RIGHT] = large_reward
    horizon = {"H": H} if H is not None else {"gamma": gamma}
    extras: dict[str, Any] = {}
    if (small_reward, large_reward) != (0.005, 1.0):
        extras.update(small_reward=small_reward, large_reward=large_reward)
    if reward_noise.kind != "deterministic":
        extras["noise"] = reward_noise
    name = _label(family, S=S, **horizon, **extras)
    return _build(P, R, H, gamma, _one_hot(S, 0), reward_noise, name)


# ---------------------------------------------------------------------------------------------
# Combination lock and chain
# ---------------------------------------------------------------------------------------------


def combination_lock_code(S: int, A: int, seed: SeedLike = 0) -> np.ndarray:
    """The correct action at each lock state ``0..S-2`` of :func:`combination_lock`.

    Examples
    --------
    >>> combination_lock_code(5, 3, seed=0).shape
    (4,)
    """
    family = "combination_lock"
    S = _check_int(family, "S", S, 2)
    A = _check_int(family, "A", A, 2)
    return as_generator(seed).integers(A, size=S - 1).astype(np.int64)


def _lock(
    code: np.ndarray,
    S: int,
    A: int,
    H: int | None,
    gamma: float | None,
    noise: RewardNoise,
    name: str,
) -> FiniteMDP | EpisodicMDP:
    _check_size(name.split("(")[0], S, A, H, f"S={S} (A={A})")
    goal = S - 1
    P = np.zeros((S, A, S))
    P[:goal, :, 0] = 1.0  # a wrong action resets the lock
    lock_states = np.arange(goal)
    P[lock_states, code, 0] = 0.0
    P[lock_states, code, lock_states + 1] = 1.0
    P[goal, :, goal] = 1.0
    R = np.zeros((S, A))
    R[goal - 1, code[goal - 1]] = 1.0  # the reward is paid once, as the lock opens
    return _build(P, R, H, gamma, _one_hot(S, 0), noise, name)


def combination_lock(
    S: int = 10,
    A: int = 2,
    H: int | None = None,
    gamma: float = 0.9,
    seed: SeedLike = 0,
    noise: str = "deterministic",
) -> FiniteMDP | EpisodicMDP:
    """Combination lock: one action sequence out of ``A**(S-1)`` opens it.

    Lock states ``0..S-2`` and an absorbing open state ``S-1``; the start is state 0. In lock
    state ``i`` the correct action ``code[i]`` (drawn uniformly from ``seed``, see
    :func:`combination_lock_code`) moves to ``i + 1``; every other action resets to state 0.
    The correct action in state ``S-2`` pays reward 1 (the lock opens); nothing else pays.
    A uniformly random policy opens the lock with probability about ``A**-(S-1)`` per try,
    so undirected exploration needs exponentially many episodes (Whitehead 1991; Koenig and
    Simmons 1993).

    Optimum in closed form: discounted, ``V*(i) = gamma**(S-2-i)`` on lock states and
    ``V*(S-1) = 0``; episodic, ``V*_h(i) = 1`` if ``S-1-i <= H-h`` else 0.

    Parameters
    ----------
    S : int
        Number of states including the open state, >= 2.
    A : int
        Number of actions, >= 2.
    H : int, optional
        Horizon (episodic); ``gamma`` is then unused. ``H < S-1`` is allowed (V* is then 0).
    gamma : float
        Discount factor in [0, 1).
    seed : int, SeedSequence or Generator
        Draws the code.
    noise : str
        ``"deterministic"`` or ``"bernoulli"``.

    Examples
    --------
    >>> mdp = combination_lock(S=4, A=3, H=5, seed=2)
    >>> mdp.name
    'combination_lock(S=4,A=3,H=5,seed=2)'
    """
    family = "combination_lock"
    S = _check_int(family, "S", S, 2)
    A = _check_int(family, "A", A, 2)
    H, gamma = _check_horizon(family, H, gamma)
    reward_noise = _check_noise(family, noise)
    code = combination_lock_code(S, A, seed)
    horizon = {"H": H} if H is not None else {"gamma": gamma}
    extras = {"noise": reward_noise} if reward_noise.kind != "deterministic" else {}
    name = _label(family, S=S, A=A, **horizon, seed=seed, **extras)
    return _lock(code, S, A, H, gamma, reward_noise, name)


def chain(
    S: int = 10, H: int | None = None, gamma: float = 0.9, noise: str = "deterministic"
) -> FiniteMDP | EpisodicMDP:
    """The deterministic chain: a combination lock with two actions whose code is all 1.

    Action 1 (``right``) moves from state ``i`` to ``i + 1``; action 0 resets to state 0.
    Reward 1 for ``right`` in state ``S-2``; state ``S-1`` is absorbing. The optimum is that of
    :func:`combination_lock`: ``V*(0) = gamma**(S-2)`` discounted, ``1`` episodic when
    ``H >= S-1``. Unlike the lock, a learner that prefers action 1 solves it at once; it is
    the baseline against which the randomised code is hard.

    Examples
    --------
    >>> mdp = chain(S=5)
    >>> mdp.name, float(mdp.P[3, 1, 4]), float(mdp.P[3, 0, 0])
    ('chain(S=5,gamma=0.9)', 1.0, 1.0)
    """
    family = "chain"
    S = _check_int(family, "S", S, 2)
    H, gamma = _check_horizon(family, H, gamma)
    reward_noise = _check_noise(family, noise)
    horizon = {"H": H} if H is not None else {"gamma": gamma}
    extras = {"noise": reward_noise} if reward_noise.kind != "deterministic" else {}
    name = _label(family, S=S, **horizon, **extras)
    return _lock(np.ones(S - 1, dtype=np.int64), S, 2, H, gamma, reward_noise, name)


# ---------------------------------------------------------------------------------------------
# Gridworld
# ---------------------------------------------------------------------------------------------

DEFAULT_MAP = """\
#######
#S....#
#.##..#
#..X#.#
#....G#
#######"""
"""The default gridworld: two routes of 7 moves from S to G, the lower one passing the trap."""

GRID_ACTIONS = ("up", "right", "down", "left")
"""Action names of :func:`gridworld`, in index order."""

_MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
_GRID_CHARS = {"#": "wall", "S": "start", "G": "goal", ".": "free", "X": "trap"}


@dataclass(frozen=True)
class GridLayout:
    """The states of a gridworld map.

    Non-wall cells are states ``0..n_cells-1`` in row-major order; state ``n_cells`` is the
    absorbing ``terminal`` state entered after a goal or trap (it has no cell).

    Attributes
    ----------
    rows, cols : int
        Map size.
    cells : tuple of (row, col)
        ``cells[s]`` for every non-terminal state ``s``.
    start : int
        The state of 'S'.
    goals, traps : tuple of int
        States of the 'G' and 'X' cells.
    terminal : int
        The absorbing terminal state, ``len(cells)``.
    lines : tuple of str
        The map, one string per row.
    """

    rows: int
    cols: int
    cells: tuple[tuple[int, int], ...]
    start: int
    goals: tuple[int, ...]
    traps: tuple[int, ...]
    terminal: int
    lines: tuple[str, ...]

    @property
    def n_states(self) -> int:
        """Number of MDP states, ``len(cells) + 1``."""
        return len(self.cells) + 1

    def state(self, row: int, col: int) -> int:
        """The state of cell ``(row, col)``; raises ``ValueError`` for a wall or off-map cell."""
        for s, cell in enumerate(self.cells):
            if cell == (row, col):
                return s
        raise ValueError(
            f"cell ({row}, {col}) is not a free cell of this map "
            f"({self.rows} rows x {self.cols} cols)"
        )

    def cell(self, state: int) -> tuple[int, int] | None:
        """``(row, col)`` of ``state``, or ``None`` for the terminal state."""
        if not (0 <= state < self.n_states):
            raise ValueError(f"state {state} is outside 0..{self.n_states - 1}")
        return None if state == self.terminal else self.cells[state]

    def render(self, values: np.ndarray | None = None, policy: np.ndarray | None = None) -> str:
        """ASCII picture: the map, with policy arrows (``^ > v <``) on free cells and start,
        or a table of ``values`` (one number per cell) when given."""
        grid = [list(line) for line in self.lines]
        if policy is not None:
            arrows = "^>v<"
            for s, (r, c) in enumerate(self.cells):
                if grid[r][c] in ".S":
                    grid[r][c] = arrows[int(policy[s])]
        if values is None:
            return "\n".join("".join(row) for row in grid)
        width = max(len(f"{float(v):.3f}") for v in values[: len(self.cells)])
        table = []
        for r in range(self.rows):
            entries = []
            for c in range(self.cols):
                if grid[r][c] == "#":
                    entries.append("#" * width)
                else:
                    entries.append(f"{float(values[self.state(r, c)]):>{width}.3f}")
            table.append(" ".join(entries))
        return "\n".join(table)


def gridworld_layout(text_map: str = DEFAULT_MAP) -> GridLayout:
    """Parse a gridworld map (see :func:`gridworld`) into its :class:`GridLayout`.

    Rows are separated by newlines or by ``/`` (handy on a command line); blank leading and
    trailing lines and surrounding spaces are ignored.

    Examples
    --------
    >>> layout = gridworld_layout("S.G")
    >>> layout.cells, layout.start, layout.goals, layout.terminal
    (((0, 0), (0, 1), (0, 2)), 0, (2,), 3)
    """
    if not isinstance(text_map, str):
        raise ValueError(f"gridworld: text_map must be a str, got {text_map!r}")
    lines = tuple(line.strip() for line in text_map.replace("/", "\n").strip().splitlines())
    lines = tuple(line for line in lines if line)
    if not lines:
        raise ValueError("gridworld: text_map is empty")
    widths = {len(line) for line in lines}
    if len(widths) != 1:
        lengths = [len(line) for line in lines]
        raise ValueError(
            f"gridworld: every map row must have the same length, got row lengths {lengths}"
        )
    cells: list[tuple[int, int]] = []
    starts: list[int] = []
    goals: list[int] = []
    traps: list[int] = []
    for r, line in enumerate(lines):
        for c, char in enumerate(line):
            if char not in _GRID_CHARS:
                accepted = ", ".join(f"{k!r} ({v})" for k, v in _GRID_CHARS.items())
                raise ValueError(
                    f"gridworld: map character {char!r} at row {r}, col {c} is not "
                    f"one of {accepted}"
                )
            if char == "#":
                continue
            state = len(cells)
            cells.append((r, c))
            if char == "S":
                starts.append(state)
            elif char == "G":
                goals.append(state)
            elif char == "X":
                traps.append(state)
    if len(starts) != 1:
        raise ValueError(f"gridworld: the map needs exactly one 'S', found {len(starts)}")
    if not goals:
        raise ValueError("gridworld: the map needs at least one 'G', found none")
    return GridLayout(
        rows=len(lines),
        cols=widths.pop(),
        cells=tuple(cells),
        start=starts[0],
        goals=tuple(goals),
        traps=tuple(traps),
        terminal=len(cells),
        lines=lines,
    )


def gridworld(
    text_map: str = DEFAULT_MAP,
    slip: float = 0.1,
    H: int | None = None,
    gamma: float = 0.95,
    step_cost: float = 0.01,
    goal_reward: float = 1.0,
    trap_reward: float = -1.0,
) -> FiniteMDP | EpisodicMDP:
    """A gridworld from a text map, with slippery moves.

    Map characters: ``'#'`` wall, ``'S'`` start (exactly one), ``'G'`` goal (at least one),
    ``'X'`` trap, ``'.'`` free. Actions ``0..3`` are up, right, down, left
    (:data:`GRID_ACTIONS`). A move goes in the intended direction with probability
    ``1 - slip`` and in each of the three other directions with probability ``slip / 3``;
    a move into a wall or off the map leaves the agent in place.

    Rewards: each action on a free or start cell costs ``step_cost``; any action on a goal
    (trap) cell pays ``goal_reward`` (``trap_reward``) and moves to the absorbing terminal
    state, which pays 0. States are numbered as in :func:`gridworld_layout`, which maps them
    back to ``(row, col)``.

    With ``slip = 0`` the optimum is ``goal_reward - step_cost * d`` in the episodic version
    (``d`` the length of a shortest path to a goal, ``H >= d + 1``).

    Parameters
    ----------
    text_map : str
        The map; rows separated by newlines or ``/``.
    slip : float
        Probability of moving in a uniformly random other direction, in [0, 1].
    H : int, optional
        Horizon (episodic); ``gamma`` is then unused.
    gamma : float
        Discount factor in [0, 1).
    step_cost : float
        Cost of each action off the goal and trap cells, >= 0.
    goal_reward, trap_reward : float
        Paid on the goal and trap cells.

    Examples
    --------
    >>> mdp = gridworld("S.G", slip=0.0, H=4)
    >>> mdp.S, mdp.A, float(mdp.R[0, 2, 0])
    (4, 4, 1.0)
    """
    family = "gridworld"
    layout = gridworld_layout(text_map)
    slip = _check_float(family, "slip", slip, 0.0, 1.0)
    H, gamma = _check_horizon(family, H, gamma)
    step_cost = _check_float(family, "step_cost", step_cost, 0.0)
    goal_reward = _check_float(family, "goal_reward", goal_reward)
    trap_reward = _check_float(family, "trap_reward", trap_reward)
    n_states = layout.n_states
    _check_size(family, n_states, 4, H, f"text_map ({n_states} cells)")
    terminal = layout.terminal
    P = np.zeros((n_states, 4, n_states))
    R = np.zeros((n_states, 4))
    ends = set(layout.goals) | set(layout.traps)
    for s, (r, c) in enumerate(layout.cells):
        if s in ends:
            P[s, :, terminal] = 1.0
            R[s, :] = goal_reward if s in layout.goals else trap_reward
            continue
        R[s, :] = -step_cost
        # landing cell of each of the four directions
        landing = np.empty(4, dtype=np.int64)
        for direction, (dr, dc) in enumerate(_MOVES):
            rr, cc = r + dr, c + dc
            inside = 0 <= rr < layout.rows and 0 <= cc < layout.cols
            landing[direction] = (
                layout.state(rr, cc) if inside and layout.lines[rr][cc] != "#" else s
            )
        for action in range(4):
            for direction in range(4):
                weight = 1.0 - slip if direction == action else slip / 3.0
                P[s, action, landing[direction]] += weight
    P[terminal, :, terminal] = 1.0
    horizon = {"H": H} if H is not None else {"gamma": gamma}
    map_label = "default" if text_map == DEFAULT_MAP else "/".join(layout.lines)
    extras: dict[str, Any] = {}
    if (step_cost, goal_reward, trap_reward) != (0.01, 1.0, -1.0):
        extras.update(step_cost=step_cost, goal_reward=goal_reward, trap_reward=trap_reward)
    name = _label(family, map=map_label, slip=slip, **horizon, **extras)
    return _build(P, R, H, gamma, _one_hot(n_states, layout.start), RewardNoise(), name)


def grid_shortest_path(layout: GridLayout) -> int | None:
    """Number of moves of a shortest wall-avoiding path from start to a goal (BFS), or ``None``.

    Trap cells are never stepping stones, since an action on a trap ends the episode.

    Examples
    --------
    >>> grid_shortest_path(gridworld_layout())
    7
    """
    goals = {layout.cells[g] for g in layout.goals}
    start = layout.cells[layout.start]
    seen = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) in goals:
            return seen[(r, c)]
        if layout.lines[r][c] == "X":
            continue
        for dr, dc in _MOVES:
            rr, cc = r + dr, c + dc
            if (
                0 <= rr < layout.rows
                and 0 <= cc < layout.cols
                and layout.lines[rr][cc] != "#"
                and (rr, cc) not in seen
            ):
                seen[(rr, cc)] = seen[(r, c)] + 1
                queue.append((rr, cc))
    return None


# ---------------------------------------------------------------------------------------------
# DeepSea
# ---------------------------------------------------------------------------------------------


def deep_sea_action_mapping(N: int, seed: SeedLike = 0) -> np.ndarray:
    """``mapping[row, col]``: the action index that means ``right`` in that cell of
    :func:`deep_sea` (the other index means ``left``).

    Examples
    --------
    >>> deep_sea_action_mapping(3, seed=0).shape
    (3, 3)
    """
    N = _check_int("deep_sea", "N", N, 1)
    return as_generator(seed).integers(2, size=(N, N)).astype(np.int64)


def deep_sea(
    N: int = 10, move_cost: float | None = None, stochastic: bool = False, seed: SeedLike = 0
) -> EpisodicMDP:
    """DeepSea (Osband et al. 2018; bsuite, Osband et al. 2020): an N x N deep-exploration grid.

    The agent starts in the top-left cell ``(0, 0)`` and descends one row per step, so the
    horizon is ``H = N``. In each cell one action moves right (column + 1, capped at N-1) and
    the other moves left (column - 1, floored at 0); which index means ``right`` is drawn per
    cell from ``seed`` (:func:`deep_sea_action_mapping`). Each ``right`` costs ``move_cost``;
    ``right`` in the bottom-right cell ``(N-1, N-1)`` also pays 1. Only the all-right path
    reaches it, so the optimum is ``V* = max(0, 1 - N * move_cost)`` (0.99 with the default
    ``move_cost = 0.01 / N``), against 0 for always-left.

    With ``stochastic=True`` a ``right`` fails with probability ``1/N`` (the column stays), as
    in bsuite's stochastic variant. Once off the diagonal the reward is out of reach and the
    optimal agent stops paying for ``right``, so with ``q = 1 - 1/N`` the optimum is
    ``max(0, q**(N-1) - move_cost * (1 - q**N) / (1 - q))``, a little above bsuite's
    ``q**(N-1) - N * move_cost`` (the return of always-right). bsuite's extra N(0, 1) reward
    noise at the bottom corners is not modelled (reward noise here is one model per MDP).

    States are ``row * N + col``. The kernel from the last row returns to ``(0, 0)``; with
    ``H = N`` it is never used.

    Parameters
    ----------
    N : int
        Grid size and horizon, >= 1.
    move_cost : float, optional
        Cost of one ``right`` move, >= 0; ``None`` means ``0.01 / N``.
    stochastic : bool
        Windy variant where ``right`` fails with probability ``1/N``.
    seed : int, SeedSequence or Generator
        Draws the per-cell action mapping.

    Examples
    --------
    >>> mdp = deep_sea(N=4, seed=0)
    >>> mdp.name, mdp.S, mdp.H
    ('deep_sea(N=4,seed=0)', 16, 4)
    """
    family = "deep_sea"
    N = _check_int(family, "N", N, 1)
    _check_size(family, N * N, 2, N, f"N={N} (S = N^2 = {N * N})")
    cost = 0.01 / N if move_cost is None else _check_float(family, "move_cost", move_cost, 0.0)
    if not isinstance(stochastic, (bool, np.bool_)):
        raise ValueError(f"{family}: stochastic must be True or False, got {stochastic!r}")
    right_action = deep_sea_action_mapping(N, seed)
    S = N * N
    P = np.zeros((S, 2, S))
    R = np.zeros((S, 2))
    fail = 1.0 / N if stochastic else 0.0
    for row in range(N):
        next_row = row + 1 if row + 1 < N else None
        for col in range(N):
            s = row * N + col
            a_right = right_action[row, col]
            a_left = 1 - a_right
            left_col, right_col = max(col - 1, 0), min(col + 1, N - 1)
            if next_row is None:
                P[s, :, 0] = 1.0
            else:
                P[s, a_left, next_row * N + left_col] = 1.0
                P[s, a_right, next_row * N + right_col] += 1.0 - fail
                P[s, a_right, next_row * N + col] += fail
            R[s, a_right] = -cost
            if row == N - 1 and col == N - 1:
                R[s, a_right] += 1.0
    params: dict[str, Any] = {"N": N}
    if move_cost is not None:
        params["move_cost"] = cost
    if stochastic:
        params["stochastic"] = True
    name = _label(family, **params, seed=seed)
    return EpisodicMDP(P, R, H=N, initial=_one_hot(S, 0), name=name)
