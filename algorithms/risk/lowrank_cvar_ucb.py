r"""CVaR-UCB in low-rank MDPs with known features: the discretised CVaR-LSVI planner on ridge
estimates of the kernel, with an elliptical bonus, and exact static-CVaR regret.

Paper
-----
Y. Zhao, W. Zhan, X. Hu, H. Leung, F. Farnia, W. Sun, J. D. Lee, *Provably Efficient CVaR RL
in Low-rank MDPs*, ICLR 2024, arXiv:2311.11965: a UCB-bonus algorithm whose planning oracle is a
discretised LSVI over the budget, with sample complexity ``O~(H^7 A^2 d^4 / (tau^2 eps^2))``
[V: abstract]. Its representation-learning (MLE) step is **replaced by the true features**
here: the learner is told ``phi`` and estimates only the next-state weights. The paper's bonus
constant ``alpha_n`` was not read; the radius below is LSVI-UCB's (``constants`` says which
ran). The full version, with features chosen from a finite candidate set by maximum
likelihood, is not implemented.

Setting
-------
Low-rank (or linear) MDP with known features ``phi(s, a)`` (the same at every stage),
``P_h(s'|s, a) = phi(s, a) . mu_h(s')`` with ``mu`` unknown, a stationary kernel, known
deterministic rewards that are multiples of the grid width ``eta``, risk level ``alpha`` (the
paper's ``tau``), K episodes. Objective and regret as in :mod:`algorithms.risk.cvar_ucbvi`:
``sum_k CVaR* - CVaR^alpha(G^{pi_k})``, exact. Stages ``h = 0..H-1`` here, ``1..H`` there.

Update (episode k)
------------------
With LSVI-UCB's statistics ``Lambda_h = I + sum phi phi^T`` and
``M_h[s'] = sum phi 1[s_{h+1} = s']`` (ridge estimate ``mu_hat_h = Lambda_h^{-1} M_h^T``)::

    W_h(s, j) = max{ 0, min_a [ phi(s, a)^T Lambda_h^{-1} M_h^T W_{h+1}(., j')
                                 - beta ||phi(s, a)||_{Lambda_h^{-1}} ] },   W_H(s, j) = j eta,
    j*_k = argmax_j { j eta - rho . W_0(., j) / alpha },

``j' = max(0, j - r(s, a) / eta)``, ``beta = c d H sqrt(iota)``, ``iota = log(2 d K H / p)``;
play the greedy augmented policy from the budget ``j*_k eta``.

Which code implements which step
--------------------------------
* ``_plan``: the backward pass (one product ``Phi Lambda^{-1} M^T W`` per stage, then the grid
  backup :func:`mdptheory.risk.discretised.shortfall_min_backup`) and the choice of ``j*``.
* The exact evaluation, the rollout and the record are CVaR-UCBVI's
  (:mod:`algorithms.risk.cvar_ucbvi`); the statistics and their update are LSVI-UCB's
  (:mod:`algorithms.linear.lsvi_ucb`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scale_constants, scaled_label
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    EpisodicLearner,
    Simulation,
    check_budget,
    check_open_unit,
    environment,
    record_episode,
    simulate,
)
from algorithms._validation import check_positive, check_unit_rewards
from algorithms.linear.lsvi_ucb import (
    RidgeStatistics,
    absorb_statistics,
    check_refactor_every,
    lsvi_ucb_beta,
    start_statistics,
)
from algorithms.risk.cvar_ucbvi import (
    _evaluate,
    _rollout,
    best_budget,
    check_eta,
    grid_steps,
    static_cvar_log,
)
from mdptheory.risk import budget_grid, check_alpha
from mdptheory.risk.discretised import model_features, shortfall_min_backup
from mdptheory.seeding import SeedLike, as_generator

STATIONARY_TOL = 1e-12
"""Stage kernels that differ by at most this much count as one stationary kernel."""

PAPER = "Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee (ICLR 2024), arXiv:2311.11965"


def stationary_feature_model(model, learner: str) -> tuple[np.ndarray, Environment, object]:
    """``(features (S A, d), environment, finite-state twin)`` of a model a low-rank CVaR
    learner can run on: features that do not change with the stage, rewards in [0, 1],
    deterministic rewards and a stationary kernel (a factorised one is collapsed to one stage
    when its stages agree to :data:`STATIONARY_TOL`); else a ValueError naming ``learner``."""
    stage_features, _, twin = model_features(model)
    if not np.array_equal(stage_features, np.broadcast_to(stage_features[0], stage_features.shape)):
        raise ValueError(
            f"{learner} needs features that do not change with the stage "
            "(phi(s, a), as in a linear MDP)"
        )
    check_unit_rewards(np.asarray(twin.R, dtype=np.float64), learner, "budget grid on [0, H]")
    env = environment(twin)
    if env.P4.shape[0] > 1 and np.abs(env.P4 - env.P4[:1]).max() <= STATIONARY_TOL:
        # A factorised stationary kernel repeats per stage up to rounding of phi . psi.
        env = env._replace(P4=np.ascontiguousarray(env.P4[:1]))
    if env.P4.shape[0] != 1:
        raise ValueError(
            f"{learner} needs a stationary kernel; the model's P has a "
            f"stage axis of length {env.P4.shape[0]}"
        )
    if env.noise_code != 0:
        raise ValueError(
            f"{learner} needs deterministic (known) rewards, got {twin.noise.kind} noise"
        )
    return np.ascontiguousarray(stage_features[0]), env, twin


@njit(cache=True)
def _plan(
    features: np.ndarray,
    M: np.ndarray,
    Lambda_inv: np.ndarray,
    width2: np.ndarray,
    steps: np.ndarray,
    initial: np.ndarray,
    eta: float,
    alpha: float,
    beta: float,
    W: np.ndarray,
    policy: np.ndarray,
    bonus: np.ndarray,
):
    """The optimistic backward pass; returns ``(j*, optimistic value)``."""
    H = policy.shape[0]
    n_pairs = features.shape[0]
    for h in range(H - 1, -1, -1):
        for n in range(n_pairs):
            bonus[n] = beta * math.sqrt(max(width2[h, n], 0.0))
        EW = features @ (Lambda_inv[h] @ (np.ascontiguousarray(M[h].T) @ W[h + 1]))
        shortfall_min_backup(EW, steps[h], bonus, W[h], policy[h])
    return best_budget(W[0], initial, eta, alpha)


class GridRun(NamedTuple):
    """What a low-rank CVaR-UCB run plans with on the budget grid: ``eta``, ``alpha``, the
    reward ``steps``, ``beta``, the log against the exact static-CVaR optimum, the augmented
    values ``W`` and ``policy``, the plan/evaluation buffers ``work``, the per-episode records
    ``budget`` and ``optimistic`` and the placeholder ``no_policy`` of the log."""

    eta: float
    alpha: float
    steps: np.ndarray
    n_grid: int
    beta: float
    log: EpisodeLog
    W: np.ndarray
    policy: np.ndarray
    work: tuple
    budget: np.ndarray
    optimistic: np.ndarray
    no_policy: np.ndarray


def start_grid_run(learner, model, budget) -> tuple[np.ndarray, Environment, GridRun]:
    """Steps before the first episode shared by the low-rank CVaR learners, after checking
    ``model`` (:func:`stationary_feature_model`) and ``budget``: the budget grid,
    ``beta = c d H sqrt(iota)`` (LSVI-UCB's radius), (1) the regret oracle (the exact CVaR
    optimum of the model's finite-state twin) and the buffers. Returns the features (S A, d),
    the environment and the :class:`GridRun`."""
    features, env, twin = stationary_feature_model(model, type(learner).__name__)
    K = check_budget(budget)
    H, S, A = env.R3.shape
    eta, alpha = float(learner.eta), float(learner.alpha)
    steps = grid_steps(env.R3, eta)
    n_grid = budget_grid(H, eta).shape[0]
    n_return = int(steps.max(initial=0)) * H + 1
    beta = lsvi_ucb_beta(features.shape[1], H, K, learner.p, float(learner.c))
    log = static_cvar_log(twin, K, alpha)
    W = np.zeros((H + 1, S, n_grid))
    W[H] = np.arange(n_grid) * eta
    policy = np.zeros((H, S, n_grid), dtype=np.int64)
    work = (
        np.empty(S * A),
        np.empty((S, n_return)),
        np.empty((S, n_return)),
        np.empty(n_return),
        np.arange(n_return, dtype=np.int64),
    )
    no_policy = np.zeros((H, S), dtype=np.int64)
    run = GridRun(
        eta, alpha, steps, n_grid, beta, log, W, policy, work, np.empty(K), np.empty(K), no_policy
    )
    return features, env, run


def grid_metadata(run: GridRun, c: float) -> dict:
    """The metadata every low-rank CVaR run starts with: objective, optimum, grid and bonus."""
    return dict(
        objective=f"static CVaR of the return, alpha = {run.alpha:g}",
        optimal_value=run.log.optimal_value,
        eta=run.eta,
        n_budgets=run.n_grid,
        c=c,
        beta=run.beta,
        beta_formula="beta = c d H sqrt(iota), iota = log(2 d K H / p) "
        "(LSVI-UCB's radius; the paper's alpha_n not read)",
    )


@njit(cache=True)
def evaluate_static_cvar_and_act(env, run, j_star, value, Q, k, rng):
    """Episode ``k`` after the plan ``(j_star, value)``: the exact static CVaR of the augmented
    policy ``run.policy`` from budget ``j_star``, one episode with it, its record (``Q`` is set
    to the optimistic value, so the log's optimism gap is ``value - CVaR*``) and the episode's
    budget and optimistic value in ``run``. Returns the episode's states and actions."""
    P3 = env.P4[0]
    _, mass, nxt, atoms, order = run.work
    eta, steps, policy = run.eta, run.steps, run.policy
    achieved = _evaluate(
        P3, steps, env.initial, policy, j_star, eta, run.alpha, mass, nxt, atoms, order
    )
    states, actions, rewards = _rollout(P3, env.R3, steps, env.initial, policy, j_star, rng)
    Q[:] = value
    record_episode(run.log, k, run.no_policy, Q, achieved, states, rewards)
    run.budget[k] = j_star * eta
    run.optimistic[k] = value
    return states, actions


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    run: GridRun,
    st: RidgeStatistics,
    refactor_every: int,
    start: int,
    stop: int,
    rng,
) -> None:
    for k in range(start, stop):
        j_star, value = _plan(
            features,
            st.M,
            st.Lambda_inv,
            st.width2,
            run.steps,
            env.initial,
            run.eta,
            run.alpha,
            run.beta,
            run.W,
            run.policy,
            run.work[0],
        )
        states, actions = evaluate_static_cvar_and_act(env, run, j_star, value, st.Q, k, rng)
        absorb_statistics(st, features, env.R3, states, actions, refactor_every)


@dataclass(frozen=True)
class GridCVaRRuns(EpisodicLearner):
    """The hyperparameters, ``record_policies``, ``constants`` and ``run`` the low-rank CVaR
    learners share (each adds its own and ``_simulate``). ``run`` returns the exact
    static-CVaR regret trace; it raises ``ValueError`` for a model without known features
    (:class:`LowRankCVaRMLE`: simplex features), features that change with the stage, rewards
    outside [0, 1] or off the grid, reward noise, a non-stationary kernel, or a budget that is
    not a positive int.

    Parameters
    ----------
    alpha : float
        Risk level in (0, 1] (the paper's ``tau``).
    eta : float
        Budget grid width; every reward must be a multiple of it.
    c : float
        Constant of ``beta = c d H sqrt(iota)``: 1 by default, another value the named scaled
        variant, 0 the greedy control.
    """

    alpha: float = 0.1
    eta: float = 0.25
    c: float = 1.0

    def __post_init__(self) -> None:
        check_alpha(self.alpha)
        check_eta(self.eta)
        check_positive("c", self.c, allow_zero=True)

    @property
    def record_policies(self) -> bool:
        """Augmented policies are not kept (the trace keeps the chosen budgets)."""
        return False

    @property
    def constants(self) -> str:
        """``"LSVI-UCB radius (c = 1)"``, ``"greedy (c = 0)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "LSVI-UCB radius (c = 1)", "greedy (c = 0)")


@dataclass(frozen=True)
class LowRankCVaRUCB(GridCVaRRuns):
    r"""CVaR-UCB with known features (Zhao et al., ICLR 2024, MLE step replaced by the true
    features), with exact static-CVaR regret.

    Parameters
    ----------
    alpha, eta, c
        As :class:`GridCVaRRuns`.
    p : float
        Failure probability in (0, 1) (enters iota).
    refactor_every : int
        Exact refactorisation of ``Lambda_h^{-1}`` after this many rank-one updates.

    Notes
    -----
    ``run(model, budget, seed)`` takes a :class:`~mdptheory.linear.LinearMDP`, a
    :class:`~mdptheory.linear.LowRankMDP` whose features do not change with the stage, or an
    :class:`~mdptheory.tabular.EpisodicMDP` (one-hot features). Extras: ``budget[k]`` (the
    initial budget), ``optimistic_value``, ``optimism_gap`` (``value_k - CVaR*``).

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> trace = LowRankCVaRUCB(alpha=0.1, eta=0.5, c=0.01).run(safe_vs_risky_route(), 50, 0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((50,), True)
    """

    p: float = 0.05
    refactor_every: int = 1000

    def __post_init__(self) -> None:
        super().__post_init__()
        check_open_unit(self.p, "p")
        check_refactor_every(self.refactor_every)

    @property
    def label(self) -> str:
        """E.g. ``CVaR-UCB(alpha=0.1)`` or ``CVaR-UCB(alpha=0.1) c=0.01``."""
        return scaled_label(f"CVaR-UCB(alpha={self.alpha:g})", self.c, mark="c=")

    def _simulate(self, model, budget: int, seed: SeedLike) -> Simulation:
        features, env, run = start_grid_run(self, model, budget)
        H, S, A = env.R3.shape
        state, _ = start_statistics(features, H, S, A, run.budget.shape[0], False)
        rng = as_generator(seed)
        refactor_every = int(self.refactor_every)
        simulate(
            run.log,
            lambda start, stop: _episodes(
                features, env, run, state, refactor_every, start, stop, rng
            ),
        )
        return Simulation(
            model,
            run.log,
            {"budget": run.budget, "optimistic_value": run.optimistic},
            dict(
                **grid_metadata(run, self.c),
                features="known (the MLE step replaced by the true features)",
                paper=PAPER,
            ),
        )
