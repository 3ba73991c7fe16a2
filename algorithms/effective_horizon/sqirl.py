r"""SQIRL, tabular: shallow Q-iteration via reinforcement learning.

Paper
-----
C. Laidlaw, B. Zhu, S. Russell, A. Dragan, *The Effective Horizon Explains Deep RL Performance
in Stochastic Environments*, ICLR 2024 (arXiv:2312.08369): SQIRL alternates random exploration
with a regression of the random policy's Q-function and a few steps of fitted Q iteration, then
acts greedily; its sample complexity is exponential only in the effective horizon. The
stage-by-stage loop below is how ``references/theory-wave2.md`` section 6.2 restates it (the
abstract and the authors' README were read, [V]/[S]); the tabular regression (a sample mean per
stage, state and action) is the natural instance of the paper's regression oracle.

Setting
-------
Episodic MDP, S states, A actions, horizon H (stages ``h = 0..H-1`` here, ``1..H`` in the
paper), rewards sampled around means in [0, 1]. Hyperparameters: the lookahead ``k`` and the
number ``m`` of episodes per stage; the run uses ``H m`` episodes.

Algorithm
---------
For each stage ``i = 0..H-1``, with the policy already learned for the stages before ``i``:

1. Run ``m`` episodes: the learned policy at stages ``< i``, uniformly random actions from
   stage ``i`` on.
2. Regress the random policy's Q at the frontier ``f = min(i + k - 1, H - 1)``:
   :math:`\hat Q_f(s, a)` is the mean return-to-go from ``(f, s, a)`` over the episodes.
3. Fitted Q iteration back to stage ``i``: for ``j = f - 1, ..., i``,
   :math:`\hat Q_j(s, a)` is the mean of :math:`r_j + \max_{a'} \hat Q_{j+1}(s_{j+1}, a')`
   over the episodes at ``(j, s, a)``. So :math:`\hat Q_i` estimates
   :math:`(\mathcal{T}^{k-1} Q^{\pi_{rand}})_i = Q^k_i`.
4. :math:`\pi_i(s) = \arg\max_a \hat Q_i(s, a)`, ties broken uniformly at random.

A pair never visited gets :math:`\hat Q = 0` (the regression has no data). With exact
regressions the policy is a greedy policy of :math:`Q^k`, optimal exactly when the MDP is
k-QVI-solvable (:func:`mdptheory.diagnostics.effective_horizon.effective_horizon`).

Which code implements which step
--------------------------------
``_run``: the loop over stages ``i``; ``_collect`` step 1 (one compiled rollout per episode);
``_regress`` steps 2 and 3 from the stored trajectories (a pass over the episodes per stage of
the window, so a stage costs ``O(m k)`` beyond the rollouts); ``_greedy`` step 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms._episodic import check_episodic_model
from algorithms._validation import check_budget
from mdptheory._kernels import draw_reward, sample_categorical, stage_index
from mdptheory._validation import ParameterTypeError
from mdptheory.evaluation import evaluate
from mdptheory.planning import backward_induction
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

TIE_TOL = 1e-9
"""Estimates within this of the maximum are ties (broken uniformly at random)."""


@dataclass(frozen=True)
class SQIRLResult:
    """What one SQIRL run returns.

    Attributes
    ----------
    policy : ndarray of int64, shape (H, S)
        The learned deterministic policy.
    episodes : int
        Episodes used, ``H m``.
    value, optimal_value : float
        Exact ``V^pi_1(rho)`` of the policy and ``V*_1(rho)``.
    """

    policy: np.ndarray
    episodes: int
    value: float
    optimal_value: float

    @property
    def gap(self) -> float:
        """``V*_1(rho) - V^pi_1(rho)``."""
        return self.optimal_value - self.value

    def optimal(self, atol: float = 1e-9) -> bool:
        """Whether the policy is optimal from the start distribution, within ``atol``."""
        return self.gap <= atol


@njit(cache=True)
def _collect(P4, R3, noise_code, sigma, initial, policy, stage, m, rng, states, actions, rewards):
    """Step 1: ``m`` episodes, ``policy`` before ``stage``, uniform actions from it on."""
    H, _, A = R3.shape
    for e in range(m):
        s = sample_categorical(initial, rng.random())
        for h in range(H):
            if h < stage:
                a = policy[h, s]
            else:
                a = rng.integers(0, A)
            states[e, h] = s
            actions[e, h] = a
            rewards[e, h] = draw_reward(R3[h, s, a], noise_code, sigma, rng)
            s = sample_categorical(P4[stage_index(P4, h), s, a], rng.random())
        states[e, H] = s


@njit(cache=True)
def _regress(states, actions, rewards, stage, frontier, S, A):
    """Steps 2 and 3: the estimate of ``Q_stage`` (S, A) from the stored episodes."""
    m, H = actions.shape
    sums = np.zeros((S, A))
    counts = np.zeros((S, A))
    # step 2: mean return-to-go at the frontier
    for e in range(m):
        total = 0.0
        for h in range(frontier, H):
            total += rewards[e, h]
        sums[states[e, frontier], actions[e, frontier]] += total
        counts[states[e, frontier], actions[e, frontier]] += 1.0
    Q = np.zeros((S, A))
    for s in range(S):
        for a in range(A):
            if counts[s, a] > 0:
                Q[s, a] = sums[s, a] / counts[s, a]
    # step 3: fitted Q iteration from the frontier back to the stage
    for j in range(frontier - 1, stage - 1, -1):
        best_next = np.empty(S)
        for s in range(S):
            best_next[s] = Q[s].max()
        sums[:, :] = 0.0
        counts[:, :] = 0.0
        for e in range(m):
            s = states[e, j]
            a = actions[e, j]
            sums[s, a] += rewards[e, j] + best_next[states[e, j + 1]]
            counts[s, a] += 1.0
        for s in range(S):
            for a in range(A):
                Q[s, a] = sums[s, a] / counts[s, a] if counts[s, a] > 0 else 0.0
    return Q


@njit(cache=True)
def _greedy(Q, rng, tie_tol):
    """Step 4: argmax per state, ties uniformly at random."""
    S, A = Q.shape
    out = np.empty(S, dtype=np.int64)
    for s in range(S):
        top = Q[s].max()
        n_ties = 0
        for a in range(A):
            if Q[s, a] >= top - tie_tol:
                n_ties += 1
        pick = rng.integers(0, n_ties)
        for a in range(A):
            if Q[s, a] >= top - tie_tol:
                if pick == 0:
                    out[s] = a
                    break
                pick -= 1
    return out


@njit(cache=True)
def _run(P4, R3, noise_code, sigma, initial, k, m, rng):
    H, S, A = R3.shape
    policy = np.zeros((H, S), dtype=np.int64)
    states = np.empty((m, H + 1), dtype=np.int64)
    actions = np.empty((m, H), dtype=np.int64)
    rewards = np.empty((m, H))
    for stage in range(H):
        _collect(
            P4, R3, noise_code, sigma, initial, policy, stage, m, rng, states, actions, rewards
        )
        frontier = min(stage + k - 1, H - 1)
        Q = _regress(states, actions, rewards, stage, frontier, S, A)
        policy[stage] = _greedy(Q, rng, TIE_TOL)
    return policy


@dataclass(frozen=True)
class SQIRL:
    """SQIRL with lookahead ``k`` and ``episodes_per_stage`` random episodes per stage.

    Parameters
    ----------
    k : int
        Regress ``Q^{pi_rand}`` at stage ``i + k - 1`` and run ``k - 1`` fitted-Q steps back to
        stage ``i`` (``k >= 1``; ``k >= H`` is full fitted Q iteration).
    episodes_per_stage : int
        ``m``, episodes collected for each of the H stages.

    Examples
    --------
    On a lure with ``k* = 2`` (:func:`instances.structure.effective_horizon_lure`), a lookahead
    of 2 finds the optimal policy and a lookahead of 1 takes the lure:

    >>> from instances.structure import effective_horizon_lure
    >>> mdp = effective_horizon_lure(H=6, k_star=2, A=2)
    >>> SQIRL(k=2, episodes_per_stage=200).learn(mdp, seed=0).optimal()
    True
    >>> SQIRL(k=1, episodes_per_stage=200).learn(mdp, seed=0).optimal()
    False
    """

    k: int
    episodes_per_stage: int

    def __post_init__(self) -> None:
        for name in ("k", "episodes_per_stage"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise ParameterTypeError(f"SQIRL: {name} must be an int >= 1, got {value!r}")
            if value < 1:
                raise ValueError(f"SQIRL: {name} must be an int >= 1, got {value!r}")

    def learn(self, model: EpisodicMDP, seed: SeedLike = 0) -> SQIRLResult:
        """Run SQIRL on ``model`` and evaluate the learned policy exactly."""
        P4, R3, initial, noise_code, sigma = check_episodic_model(model, "SQIRL")
        m = int(self.episodes_per_stage)
        check_budget(
            m * model.H,
            "episodes of SQIRL (H x episodes_per_stage)",
            bytes_per_step=8 * (3 * model.H + 1) / model.H,
        )
        policy = _run(P4, R3, noise_code, sigma, initial, int(self.k), m, as_generator(seed))
        optimal = float(initial @ backward_induction(model).values[0])
        value = float(initial @ evaluate(model, policy)[0])
        return SQIRLResult(policy=policy, episodes=m * model.H, value=value, optimal_value=optimal)


__all__ = ["SQIRL", "SQIRLResult"]
