"""Average-reward instances: communicating families with known diameter D and bias span.

Every builder returns a :class:`mdptheory.FiniteMDP`; the average-reward tools
(:mod:`mdptheory.average_reward`) and learners (:mod:`algorithms.average_reward`) ignore its
``gamma``, which only serves ``mdptheory solve`` with the discounted objective. Rewards lie in
[0, 1], as UCRL2's and TSDE's analyses assume.

Families
--------
* **RiverSwim**: the catalogue's :func:`instances.tabular.river_swim` (without ``H``) is the
  chain of Strehl and Littman (2008) with the probabilities of Osband, Russo and Van Roy
  (2013), the model those papers and the average-reward literature use; it is not repeated
  here. For ``S = 6``: ``rho* = 0.4286``, ``sp(h*) = 6.310``, ``D = 14.72`` (from the left bank
  to the right bank), all computed exactly by :func:`mdptheory.average_reward.summary`.
* :func:`ucrl2_lower_bound`: the two-state blocks of the UCRL2 lower bound (Jaksch, Ortner and
  Auer 2010, section 6) with their ``delta`` and ``epsilon``, joined by an A-ary tree.
  Closed forms below.
* :func:`communicating_garnet`: a Garnet conditioned to be communicating (rejection sampling).
* :func:`average_gridworld`: an open n x n grid whose goal pays 1 and returns the agent to
  the start; ``D = 2 (n - 1) / (1 - slip)``, so ``size`` and ``slip`` are the D knobs.

Sources
-------
* T. Jaksch, R. Ortner, P. Auer, "Near-optimal regret bounds for reinforcement learning",
  JMLR 11 (2010): Definition 1 (diameter), section 6 (lower bound). The composite's tree and
  the rule that picks ``epsilon`` from ``T`` are written here from the reference notes
  (``theory-wave2.md`` section 1.2, tagged [M]); the paper's own construction was not re-read.
* T. Archibald, K. McKinnon, L. Thomas, J. Operational Research Society 46 (1995) (Garnet).
"""

from __future__ import annotations

import math

import numpy as np

from instances.tabular import _check_float, _check_int, _check_noise, _check_size, _label, garnet
from mdptheory.planning import is_communicating
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import FiniteMDP

__all__ = [
    "average_gridworld",
    "communicating_garnet",
    "lower_bound_epsilon",
    "lower_bound_layout",
    "ucrl2_lower_bound",
]


# ---------------------------------------------------------------------------------------------
# The UCRL2 lower-bound blocks
# ---------------------------------------------------------------------------------------------


def lower_bound_layout(A: int, depth: int) -> tuple[int, int, int]:
    """``(internal, blocks, S)`` of :func:`ucrl2_lower_bound`: tree nodes, blocks ``A^depth``
    and the number of states ``internal + 2 blocks``.

    Examples
    --------
    >>> lower_bound_layout(2, 0), lower_bound_layout(2, 2), lower_bound_layout(3, 1)
    ((0, 1, 2), (3, 4, 11), (1, 3, 7))
    """
    blocks = A**depth
    internal = (blocks - 1) // (A - 1) if depth > 0 else 0
    return internal, blocks, internal + 2 * blocks


def lower_bound_epsilon(delta: float, arms: int, T: int, c: float = 1.0) -> float:
    """``epsilon = min(delta, c sqrt(delta arms / T))``: the hidden advantage tuned to ``T``.

    With ``arms`` (block, action) pairs each tried about ``T / (2 arms)`` times as a
    Bernoulli(``delta``) draw, the better pair's extra ``epsilon`` is then at the edge of what
    the draws can reveal (information ``epsilon^2 / delta`` per draw), which gives regret of
    order ``sqrt(arms T / delta)``. Derived here (tag [D]); the paper's constant is not
    verified, so ``c`` is explicit.

    Examples
    --------
    >>> round(lower_bound_epsilon(0.1, 4, 10_000), 6)
    0.006325
    """
    delta = _check_float("lower_bound_epsilon", "delta", delta, 0.0, 0.5, low_open=True)
    arms = _check_int("lower_bound_epsilon", "arms", arms, 1)
    T = _check_int("lower_bound_epsilon", "T", T, 1)
    c = _check_float("lower_bound_epsilon", "c", c, 0.0, low_open=True)
    return min(delta, c * math.sqrt(delta * arms / T))


def ucrl2_lower_bound(
    A: int = 2,
    depth: int = 0,
    delta: float = 0.1,
    epsilon: float = 0.05,
    seed: SeedLike = 0,
    gamma: float = 0.99,
) -> FiniteMDP:
    """Two-state blocks of the UCRL2 lower bound (Jaksch et al. 2010, section 6), joined by a tree.

    Each block ``b`` has a state ``s0_b`` (reward 0) and ``s1_b`` (reward 1, every action).
    From ``s0_b`` every action moves to ``s1_b`` with probability ``delta`` and otherwise stays,
    except one hidden pair ``(b*, a*)``, drawn from ``seed``, which moves with
    ``delta + epsilon``. From ``s1_b`` every action returns with probability ``delta`` to the
    root of a complete A-ary tree of ``depth`` levels whose action ``a`` leads deterministically
    to child ``a``; its leaves are the ``A^depth`` states ``s0_b``. With ``depth = 0`` there is
    no tree: the two-state MDP, ``s1`` returning to ``s0``.

    States: the tree's internal nodes first (breadth-first, root 0), then ``s0_b, s1_b`` for
    each block in order. Closed forms (``L = depth``, ``e_b = epsilon`` for ``b = b*``, else 0)::

        rho*   = (1 / delta) / (L + 1 / (delta + epsilon) + 1 / delta)
        D      = 1 / delta,   sp(h*) = 1 / (2 delta + epsilon)                   (L = 0)
        2 / delta + L  <=  D  <=  3 / delta + 2 L - 1                           (L >= 1)

    (for ``L >= 1`` the longest trips start inside the tree or at some ``s0_b`` and end at
    another block's ``s1``: down to a leaf, out through that block, back to the root, down
    again, then wait; :func:`mdptheory.average_reward.diameter` gives D exactly).

    The paper sets ``delta = 4 / D`` and ``epsilon`` of order ``sqrt(delta S A / T)``
    (:func:`lower_bound_epsilon`); its Theorem 5 needs ``S, A >= 10``, far beyond what a check
    can run, so these instances serve to check that regret grows with ``D`` and with the number
    of hidden pairs, not the constant 0.015.

    Parameters
    ----------
    A : int
        Actions, >= 2.
    depth : int
        Tree depth, >= 0; ``A^depth`` blocks.
    delta, epsilon : float
        ``0 < delta``, ``0 <= epsilon``, ``delta + epsilon <= 1``.
    seed : int, SeedSequence or Generator
        Draws the hidden pair.
    gamma : float
        Discount of the discounted view only.

    Examples
    --------
    >>> mdp = ucrl2_lower_bound(A=2, depth=0, delta=0.1, epsilon=0.05, seed=3)
    >>> mdp.name, mdp.S, mdp.P[0, :, 1].round(2).tolist()
    ('ucrl2_lower_bound(A=2,depth=0,delta=0.1,epsilon=0.05,seed=3)', 2, [0.1, 0.15])
    """
    family = "ucrl2_lower_bound"
    A = _check_int(family, "A", A, 2)
    depth = _check_int(family, "depth", depth, 0)
    delta = _check_float(family, "delta", delta, 0.0, 1.0, low_open=True)
    epsilon = _check_float(family, "epsilon", epsilon, 0.0, 1.0)
    if delta + epsilon > 1.0:
        raise ValueError(
            f"{family}: need delta + epsilon <= 1, got delta={delta!r}, epsilon={epsilon!r}"
        )
    gamma = _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    internal, blocks, S = lower_bound_layout(A, depth)
    _check_size(family, S, A, None, f"A={A}, depth={depth}")
    rng = as_generator(seed)
    special_block = int(rng.integers(blocks))
    special_action = int(rng.integers(A))
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    for node in range(internal):
        for a in range(A):
            child = A * node + 1 + a  # breadth-first numbering of the complete tree
            leaf = child - internal
            P[node, a, child if leaf < 0 else internal + 2 * leaf] = 1.0
    root = 0 if depth > 0 else None
    for b in range(blocks):
        s0, s1 = internal + 2 * b, internal + 2 * b + 1
        for a in range(A):
            move = delta + (epsilon if (b, a) == (special_block, special_action) else 0.0)
            P[s0, a, s1] = move
            P[s0, a, s0] = 1.0 - move
        back = s0 if root is None else root
        P[s1, :, back] = delta
        P[s1, :, s1] = 1.0 - delta
        R[s1, :] = 1.0
    name = _label(family, A=A, depth=depth, delta=delta, epsilon=epsilon, seed=seed)
    initial = np.zeros(S)
    initial[0] = 1.0
    return FiniteMDP(P, R, gamma=gamma, initial=initial, name=name)


# ---------------------------------------------------------------------------------------------
# Communicating Garnet
# ---------------------------------------------------------------------------------------------


def communicating_garnet(
    S: int = 10,
    A: int = 3,
    branching: int = 3,
    seed: SeedLike = 0,
    max_tries: int = 1000,
    noise: str = "deterministic",
    gamma: float = 0.99,
) -> FiniteMDP:
    """A Garnet MDP (Archibald et al. 1995) conditioned to be communicating.

    Draws :func:`instances.tabular.garnet` models from one stream seeded by ``seed`` until one is
    communicating (its union transition graph is strongly connected): an exact sample of the
    Garnet law conditioned on that event. Raises ``ValueError`` after ``max_tries`` draws.

    Examples
    --------
    >>> mdp = communicating_garnet(S=6, A=2, branching=2, seed=1)
    >>> from mdptheory.planning import is_communicating
    >>> mdp.name, is_communicating(mdp)
    ('communicating_garnet(S=6,A=2,branching=2,seed=1)', True)
    """
    family = "communicating_garnet"
    S = _check_int(family, "S", S, 1)
    A = _check_int(family, "A", A, 1)
    branching = _check_int(family, "branching", branching, 1, S)
    max_tries = _check_int(family, "max_tries", max_tries, 1)
    reward_noise = _check_noise(family, noise)
    gamma = _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    rng = as_generator(seed)
    for _ in range(max_tries):
        draw = garnet(S=S, A=A, branching=branching, gamma=gamma, seed=rng, noise=noise)
        if is_communicating(draw):
            extras = {"noise": reward_noise} if reward_noise.kind != "deterministic" else {}
            name = _label(family, S=S, A=A, branching=branching, seed=seed, **extras)
            return FiniteMDP(
                draw.P, draw.R, gamma=gamma, initial=draw.initial, noise=reward_noise, name=name
            )
    raise ValueError(
        f"{family}: no communicating Garnet(S={S}, A={A}, branching={branching}) in "
        f"{max_tries} draws; raise branching or max_tries"
    )


# ---------------------------------------------------------------------------------------------
# Gridworld with a diameter knob
# ---------------------------------------------------------------------------------------------

_GRID_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left


def average_gridworld(size: int = 5, slip: float = 0.1, gamma: float = 0.99) -> FiniteMDP:
    """An open ``size x size`` grid; the goal pays 1 and sends the agent back to the start.

    States are cells in row-major order; the start is the top-left cell (state 0), the goal the
    bottom-right one (state ``size^2 - 1``). Actions 0..3 move up, right, down, left with
    probability ``1 - slip`` and otherwise leave the agent in place; a move into the border
    stays. At the goal every action pays 1 and moves to the start. Closed forms::

        D    = 2 (size - 1) / (1 - slip)              (start to goal, or corner to corner)
        rho* = 1 / (1 + 2 (size - 1) / (1 - slip))

    so ``size`` and ``slip`` set D. Needs ``size >= 2``.

    Examples
    --------
    >>> mdp = average_gridworld(size=3, slip=0.2)
    >>> mdp.name, mdp.S, float(mdp.P[0, 1, 1]), float(mdp.P[8, 0, 0])
    ('average_gridworld(size=3,slip=0.2)', 9, 0.8, 1.0)
    """
    family = "average_gridworld"
    size = _check_int(family, "size", size, 2)
    slip = _check_float(family, "slip", slip, 0.0, 1.0, high_open=True)
    gamma = _check_float(family, "gamma", gamma, 0.0, 1.0, high_open=True)
    S = size * size
    _check_size(family, S, 4, None, f"size={size}")
    P = np.zeros((S, 4, S))
    R = np.zeros((S, 4))
    goal = S - 1
    for s in range(S):
        row, col = divmod(s, size)
        for a, (dr, dc) in enumerate(_GRID_MOVES):
            if s == goal:
                P[s, a, 0] = 1.0
                R[s, a] = 1.0
                continue
            r2, c2 = row + dr, col + dc
            if 0 <= r2 < size and 0 <= c2 < size:
                P[s, a, r2 * size + c2] += 1.0 - slip
                P[s, a, s] += slip
            else:
                P[s, a, s] = 1.0
    initial = np.zeros(S)
    initial[0] = 1.0
    return FiniteMDP(P, R, gamma=gamma, initial=initial, name=_label(family, size=size, slip=slip))
