"""Gymnasium adapter: run any :class:`~mdptheory.FiniteMDP` or :class:`~mdptheory.EpisodicMDP`
as a ``gymnasium.Env``.

Gymnasium is an optional extra (``pip install 'mdptheory[gym]'``); importing this module
without it raises ``ImportError`` saying so.

Observation and action spaces are ``Discrete(S)`` and ``Discrete(A)``. Randomness (initial
state, next states, reward noise) comes from the ``np_random`` generator that
``reset(seed=...)`` seeds through Gymnasium, so a seeded reset replays the same episode.

* Episodic MDP: the episode is truncated after ``H`` steps (``truncated=True``); the stage
  ``h`` of the next decision is in ``info["stage"]``, since the observation is the state only.
* Discounted MDP: the episode never ends by itself; with ``terminate_on_absorbing=True`` it
  terminates on entering a state that is absorbing with zero reward under every action (after
  which every return is 0, so ending there changes no value). ``max_steps`` truncates it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from mdptheory.tabular import EpisodicMDP, FiniteMDP

try:
    import gymnasium
    from gymnasium import spaces
except ImportError as error:  # optional extra: say which one
    raise ImportError(
        "instances.gym needs gymnasium, an optional extra of mdptheory: "
        "pip install 'mdptheory[gym]' (or pip install gymnasium)"
    ) from error

__all__ = ["MDPEnv", "absorbing_states"]


def absorbing_states(mdp: FiniteMDP | EpisodicMDP) -> np.ndarray:
    """States that every action keeps in place with probability 1 and reward 0, at every stage.

    Examples
    --------
    >>> from instances.tabular import chain
    >>> absorbing_states(chain(S=4)).tolist()  # the open lock
    [3]
    """
    S, A = mdp.S, mdp.A
    episodic = isinstance(mdp, EpisodicMDP)
    zero_reward = np.all(mdp.R == 0.0, axis=(0, 2) if episodic else 1)
    stays = np.ones(S, dtype=bool)
    for M in _stage_matrices(mdp):
        # entry (s*A + a, s): probability that action a keeps the process in s
        rows = np.arange(S * A)
        self_loop = np.asarray(M[rows, rows // A]).reshape(S, A)
        stays &= np.all(self_loop == 1.0, axis=1)
    return np.flatnonzero(stays & zero_reward)


def _stage_matrices(mdp: FiniteMDP | EpisodicMDP) -> list:
    """The distinct (S*A, S) kernels: one when stationary or discounted, else one per stage."""
    if isinstance(mdp, FiniteMDP):
        return [mdp.P_matrix()]
    return [mdp.P_matrix(h) for h in range(1 if mdp.stationary else mdp.H)]


class MDPEnv(gymnasium.Env):
    """A ``gymnasium.Env`` that samples from an exact tabular MDP.

    Parameters
    ----------
    mdp : FiniteMDP or EpisodicMDP
        The model; rewards are drawn around ``mdp.R`` by ``mdp.noise``.
    terminate_on_absorbing : bool
        End the episode (``terminated=True``) on entering a zero-reward absorbing state
        (see :func:`absorbing_states`).
    max_steps : int, optional
        Truncate after this many steps (discounted MDPs; an episodic MDP truncates at ``H``
        and accepts only ``max_steps=None``).

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> env = MDPEnv(river_swim(H=5))
    >>> state, info = env.reset(seed=0)
    >>> int(state), info["stage"]
    (0, 0)
    >>> state, reward, terminated, truncated, info = env.step(0)
    >>> int(state), reward, terminated, truncated
    (0, 0.005, False, False)
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        mdp: FiniteMDP | EpisodicMDP,
        terminate_on_absorbing: bool = False,
        max_steps: int | None = None,
    ) -> None:
        if not isinstance(mdp, (FiniteMDP, EpisodicMDP)):
            raise ValueError(f"MDPEnv needs a FiniteMDP or EpisodicMDP, got {type(mdp).__name__}")
        if not isinstance(terminate_on_absorbing, (bool, np.bool_)):
            raise ValueError(
                f"terminate_on_absorbing must be True or False, got {terminate_on_absorbing!r}"
            )
        self.episodic = isinstance(mdp, EpisodicMDP)
        if max_steps is not None:
            if self.episodic:
                raise ValueError(
                    f"max_steps is for discounted MDPs; this episodic MDP "
                    f"truncates at H = {mdp.H}, got max_steps={max_steps!r}"
                )
            if (
                isinstance(max_steps, (bool, np.bool_))
                or not isinstance(max_steps, (int, np.integer))
                or max_steps < 1
            ):
                raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
        self.mdp = mdp
        self.max_steps = self.mdp.H if self.episodic else max_steps
        self.terminal = np.zeros(mdp.S, dtype=bool)
        if terminate_on_absorbing:
            self.terminal[absorbing_states(mdp)] = True
        self.observation_space = spaces.Discrete(mdp.S)
        self.action_space = spaces.Discrete(mdp.A)
        # kernels kept as (S*A, S) matrices, dense or CSR, so a sparse model stays sparse
        self._kernels = _stage_matrices(mdp)
        self._state = 0
        self._t = 0

    def _draw(self, probabilities: np.ndarray, support: np.ndarray | None = None) -> int:
        """Inverse-CDF draw; ``support`` maps positions to states (CSR rows)."""
        cdf = np.cumsum(probabilities)
        index = int(np.searchsorted(cdf, self.np_random.random(), side="right"))
        if index >= cdf.shape[0]:
            # rounding left the total just below 1: fall on the last positive entry
            index = int(np.flatnonzero(probabilities > 0)[-1])
        return index if support is None else int(support[index])

    def _next_state(self, M, row: int) -> int:
        if sp.issparse(M):
            start, stop = M.indptr[row], M.indptr[row + 1]
            return self._draw(M.data[start:stop], M.indices[start:stop])
        return self._draw(M[row])

    def _reward(self, mean: float) -> float:
        noise = self.mdp.noise
        if noise.kind == "deterministic":
            return float(mean)
        if noise.kind == "bernoulli":
            return float(self.np_random.random() < mean)
        return float(mean + noise.sigma * self.np_random.standard_normal())

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.int64, dict[str, Any]]:
        """Start an episode from a state drawn from ``mdp.initial``."""
        super().reset(seed=seed)
        self._state = self._draw(self.mdp.initial)
        self._t = 0
        return np.int64(self._state), {"stage": 0}

    def step(self, action: int) -> tuple[np.int64, float, bool, bool, dict[str, Any]]:
        """Take ``action``; returns ``(state, reward, terminated, truncated, info)``."""
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an int in 0..{self.mdp.A - 1}, got {action!r}")
        if self.max_steps is not None and self._t >= self.max_steps:
            raise ValueError(f"the episode ended after {self._t} steps; call reset()")
        a = int(action)
        h = self._t
        R = self.mdp.R[h] if self.episodic else self.mdp.R
        reward = self._reward(R[self._state, a])
        M = self._kernels[h if len(self._kernels) > 1 else 0]
        self._state = self._next_state(M, self._state * self.mdp.A + a)
        self._t += 1
        terminated = bool(self.terminal[self._state])
        truncated = self.max_steps is not None and self._t >= self.max_steps and not terminated
        return np.int64(self._state), reward, terminated, truncated, {"stage": self._t}
