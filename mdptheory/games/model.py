"""Cooperative Markov games: N agents, factorised actions, one shared reward.

A cooperative Markov game (Boutilier 1996; Zhao, Yang, Wang, Lee, ICML 2023, Section 2) has a
finite state set, agents ``i = 0..N-1`` with action sets ``A_i`` (``i + 1`` in papers), joint
actions ``a = (a^1, ..., a^N)`` in ``A_1 x ... x A_N``, a kernel ``P(s' | s, a)`` and one reward
``r(s, a)`` that every agent maximises. It is discounted (``gamma``) or episodic (``H``).

Conventions (``DESIGN.md`` section 2, with one action axis per agent)
---------------------------------------------------------------------
* ``P[s, a^1, ..., a^N, s']``, shape (S, A_1, ..., A_N, S); episodic kernels may carry a leading
  stage axis, (H, S, A_1, ..., A_N, S).
* ``R[s, a^1, ..., a^N]`` (episodic: optionally ``R[h, s, ...]``), mean rewards.
* A joint action's flat index is its C-order index, ``numpy.ravel_multi_index(a, actions)``,
  so agent 0's action varies slowest. The exact joint twin (:attr:`CooperativeGame.joint`) is the
  :class:`~mdptheory.tabular.FiniteMDP` or :class:`~mdptheory.tabular.EpisodicMDP` on the flat
  joint actions: every exact planner and evaluator of the library runs on it unchanged.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import (
    DEFAULT_TOL,
    ParameterTypeError,
    as_float_array,
    check_discount,
    check_distributions,
    check_horizon,
    check_int,
    check_memory,
    check_tol,
    dense_bytes,
)
from mdptheory.tabular import EpisodicMDP, FiniteMDP


def check_actions(actions) -> tuple[int, ...]:
    """The per-agent action counts as a tuple of positive ints (at least one agent).

    Examples
    --------
    >>> check_actions([3, 2])
    (3, 2)
    >>> check_actions([3, 0])
    Traceback (most recent call last):
    ...
    ValueError: actions[1] must be a positive int, got 0
    """
    if isinstance(actions, (str, bytes)) or not hasattr(actions, "__len__"):
        raise ParameterTypeError(
            f"actions must be a sequence of per-agent action counts, got {actions!r}"
        )
    if len(actions) == 0:
        raise ValueError("actions is empty: a game needs at least one agent")
    return tuple(check_int(a, f"actions[{i}]", 1) for i, a in enumerate(actions))


class CooperativeGame:
    """A cooperative Markov game, discounted (``gamma``) or episodic (``H``).

    Parameters
    ----------
    P : array_like
        Kernel ``P[s, a^1, ..., a^N, s']``, shape (S, A_1, ..., A_N, S); an episodic game may
        give (H, S, A_1, ..., A_N, S). Rows are distributions within ``tol``.
    R : array_like
        Mean shared rewards, shape (S, A_1, ..., A_N); an episodic game may give (H, S, ...).
    actions : sequence of int
        ``(A_1, ..., A_N)``, the action count of each agent.
    gamma : float, optional
        Discount factor in [0, 1): a discounted game. Exactly one of ``gamma`` and ``H``.
    H : int, optional
        Horizon: an episodic game (stage ``h`` in code is ``h + 1`` in papers).
    initial : array_like, shape (S,), optional
        Start distribution ``rho`` (uniform by default).
    tol : float
        Tolerance on row sums (1e-9).
    name : str, optional
        Label carried into results.

    Attributes
    ----------
    joint : FiniteMDP or EpisodicMDP
        The exact joint twin on the flat joint actions (C order).
    S, N, actions, A, gamma, H, episodic, initial, R, P

    Raises
    ------
    ValueError
        On a wrong shape, a non-finite entry, a negative probability or a row not summing to 1;
        the message names the offending index (in the factored axes) and its value.

    Examples
    --------
    A one-state, two-agent coordination game: matching actions pay 1.

    >>> import numpy as np
    >>> game = CooperativeGame(np.ones((1, 2, 2, 1)), [np.eye(2)], actions=(2, 2), gamma=0.5)
    >>> game.N, game.A, game.joint.A
    (2, 4, 4)
    """

    def __init__(
        self,
        P,
        R,
        actions,
        gamma: float | None = None,
        H: int | None = None,
        initial=None,
        tol: float = DEFAULT_TOL,
        name: str | None = None,
    ) -> None:
        actions = check_actions(actions)
        tol = check_tol(tol, allow_zero=True)
        if (gamma is None) == (H is None):
            raise ValueError(
                "give exactly one of gamma (a discounted game) and H (an episodic game), got "
                f"gamma={gamma!r}, H={H!r}"
            )
        n_agents = len(actions)
        R_array = as_float_array(R, "R", ndim=(1 + n_agents, 2 + n_agents))
        episodic = H is not None
        if episodic:
            H = check_horizon(H)
        else:
            gamma = check_discount(gamma)
        staged = R_array.ndim == 2 + n_agents
        if staged and not episodic:
            raise ValueError(
                f"R has shape {R_array.shape}: a discounted game with actions {actions} takes "
                f"R of shape (S, {', '.join(map(str, actions))})"
            )
        if staged and R_array.shape[0] != H:
            raise ValueError(f"R has shape {R_array.shape}: its stage axis is not H = {H}")
        n_states = R_array.shape[-1 - n_agents]
        if n_states == 0:
            raise ValueError(f"R has shape {R_array.shape}: need at least one state")
        expected_R = ((H,) if staged else ()) + (n_states, *actions)
        if R_array.shape != expected_R:
            raise ValueError(f"R has shape {R_array.shape}, expected {expected_R}")
        n_joint = int(np.prod(actions))
        stages = H if (episodic and np.ndim(P) == 3 + n_agents) else 1
        check_memory(
            dense_bytes(stages, n_states, n_joint, n_states),
            f"CooperativeGame: a kernel P of shape ({stages}, S, A_1..A_N, S)",
            f"S={n_states}, actions={actions}",
        )
        P_array = as_float_array(
            P, "P", ndim=(2 + n_agents, 3 + n_agents) if episodic else 2 + n_agents
        )
        factored = (n_states, *actions, n_states)
        if P_array.shape not in (factored, (H, *factored) if episodic else factored):
            raise ValueError(
                f"P has shape {P_array.shape}, expected {factored}"
                + (f" or {(H, *factored)}" if episodic else "")
            )
        check_distributions(P_array, "P", tol)
        self.actions = actions
        self.N = n_agents
        self.S = n_states
        self.A = n_joint
        self.tol = tol
        self.name = name
        self.episodic = episodic
        lead = P_array.shape[: P_array.ndim - 2 - n_agents]
        flat_P = P_array.reshape(*lead, n_states, n_joint, n_states)
        flat_R = R_array.reshape(*R_array.shape[: R_array.ndim - n_agents], n_joint)
        if episodic:
            self.H = H
            self.gamma = None
            self.joint = EpisodicMDP(flat_P, flat_R, H, initial=initial, tol=tol, name=name)
        else:
            self.H = None
            self.gamma = gamma
            self.joint = FiniteMDP(flat_P, flat_R, gamma, initial=initial, tol=tol, name=name)
        self.initial = self.joint.initial
        self.P = P_array
        self.P.flags.writeable = False
        self.R = R_array
        self.R.flags.writeable = False

    @property
    def lead(self) -> tuple[int, ...]:
        """Leading axes of values and policies: ``(S,)`` discounted, ``(H, S)`` episodic."""
        return (self.H, self.S) if self.episodic else (self.S,)

    def joint_index(self, joint_action) -> int:
        """Flat index of ``(a^1, ..., a^N)`` (C order); ValueError naming a bad component."""
        if len(joint_action) != self.N:
            raise ValueError(f"a joint action has {self.N} components, got {joint_action!r}")
        for i, (a, n) in enumerate(zip(joint_action, self.actions, strict=True)):
            check_int(a, f"joint action component {i}", 0, n - 1)
        return int(np.ravel_multi_index(tuple(int(a) for a in joint_action), self.actions))

    def joint_action(self, index: int) -> tuple[int, ...]:
        """The components ``(a^1, ..., a^N)`` of flat joint action ``index``."""
        index = check_int(index, "joint action index", 0, self.A - 1)
        return tuple(int(a) for a in np.unravel_index(index, self.actions))

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        horizon = f"H={self.H}" if self.episodic else f"gamma={self.gamma}"
        return f"CooperativeGame({label}S={self.S}, N={self.N}, actions={self.actions}, {horizon})"
