r"""CVaR-UCBVI: optimistic value iteration on the budget-augmented MDP, with exact static-CVaR
regret.

Paper
-----
K. Wang, N. Kallus, W. Sun, *Near-Minimax-Optimal Risk-Sensitive Reinforcement Learning with
CVaR*, ICML 2023, arXiv:2302.03201: a bonus-driven value iteration on the MDP augmented with the
budget, made computable by discretising rewards; regret ``O~(sqrt(SAK/tau))`` under a
continuity assumption and ``O~(tau^-1 sqrt(SAK))`` in general (normalised returns), lower bound
``Omega(sqrt(SAK/tau))`` [V: abstract]. Their Bernstein bonus and constants were **not** read;
this learner is the CVaR-UCBVI *type* with a Hoeffding bonus (UCBVI-CH, Azar, Osband, Munos
2017, on the augmented state) [D/M], labelled as such in the metadata.

Setting
-------
Episodic MDP, S states, A actions, horizon H, a **stationary** unknown kernel ``p(s'|s, a)``,
**known** deterministic rewards ``r(s, a)`` in [0, 1] that are multiples of a grid width
``eta`` (the reward discretisation of the paper, here a requirement on the instance, so the
budget grid is exact), risk level ``alpha`` (the paper's ``tau``), K episodes. Objective: the
static CVaR of the total return ``G``,
``CVaR^alpha(G) = max_b {b - E[(b - G)^+]/alpha}`` (Rockafellar-Uryasev), over policies of the
augmented state ``(s, c)``, ``c`` the budget left (Bauerle and Ott 2011). Regret:
``sum_k CVaR* - CVaR^alpha(G^{pi_k})``, both exact (:func:`mdptheory.risk.static_cvar_optimum`
and the exact return law of the executed augmented policy). Stages are ``h = 0..H-1`` here and
``1..H`` in the paper.

Update (episode k)
------------------
With counts ``n(s, a)``, ``N(s, a, s')`` pooled over the steps of earlier episodes,
``p̂ = N / n``, the budget grid ``j eta``, ``j = 0..M``, ``M = ceil(H / eta)``, the budget
step ``u(s, a) = r(s, a) / eta`` and ``L = log(2 S A H K (M + 1) / delta)``::

    W_H(s, j) = j eta,
    W_h(s, j) = max{ 0, min_a [ p̂(.|s, a) . W_{h+1}(., max(0, j - u(s, a)))
                                 - c H sqrt(L / n(s, a)) ] }          (unvisited pair: 0),
    j*_k = argmax_j { j eta - rho . W_0(., j) / alpha }                (optimistic value)

and play ``a_h = pi_h(s_h, j_h)`` (the argmin above) from ``j_0 = j*_k``, with
``j_{h+1} = max(0, j_h - u(s_h, a_h))``. ``W`` is a lower (optimistic) estimate of the
minimal expected shortfall, so the value is an upper estimate of ``CVaR*``.

Which code implements which step
--------------------------------
* ``_plan``: the backward pass (``p̂ W_{h+1}`` by one matrix product per stage, then the shared
  grid backup :func:`mdptheory.risk.discretised.shortfall_min_backup` with the bonus) and the
  choice of ``j*``.
* ``_evaluate``: the exact law of ``G`` under the executed augmented policy (forward over
  ``(s, return so far)`` on the grid) and its CVaR (:func:`mdptheory.risk.cvar_sorted_row`).
* ``_rollout``: one episode of the augmented policy; ``count_transitions`` updates the counts.
* ``_episodes``: per episode (2) plan, (3) evaluate, (4) roll out and record
  (:func:`algorithms._episodic.record_episode`: pseudo-regret ``CVaR* - CVaR(G^{pi_k})``,
  realised ``CVaR* - G_k``, optimism gap ``value_k - CVaR*``), (5) update the counts.

Constants
---------
``bonus_scale = 1`` is the Hoeffding bonus above (default, ``constants = "hoeffding"``); any
other value is the named variant ``"scaled"``; ``0`` is the greedy control (``"greedy"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scaled_label
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    EpisodicLearner,
    Simulation,
    check_budget,
    check_episodic_model,
    check_open_unit,
    count_transitions,
    record_episode,
    simulate,
)
from mdptheory._kernels import sample_categorical
from mdptheory.risk import check_alpha, cvar_sorted_row, static_cvar_optimum
from mdptheory.risk.discretised import GRID_TOL, budget_grid, shortfall_min_backup
from mdptheory.seeding import SeedLike, as_generator

PAPER = "Wang, Kallus, Sun (ICML 2023), arXiv:2302.03201"


def cvar_ucbvi_log_factor(S: int, A: int, H: int, K: int, n_grid: int, delta: float) -> float:
    """``L = log(2 S A H K (M + 1) / delta)``: a union over pairs, stages, episodes and grid
    budgets [D].

    Examples
    --------
    >>> round(cvar_ucbvi_log_factor(2, 2, 3, 100, 7, 0.05), 6) == round(math.log(2 * 12 * 100
    ...                                                                  * 7 / 0.05), 6)
    True
    """
    delta = check_open_unit(delta, "delta")
    return math.log(2.0 * S * A * H * K * n_grid / delta)


def static_cvar_regret_order(S: int, A: int, K: int, alpha: float) -> float:
    """``sqrt(S A K / alpha)``: the minimax order of Wang, Kallus, Sun (normalised returns,
    without H and log factors) [V: abstract].

    Examples
    --------
    >>> static_cvar_regret_order(2, 2, 100, 0.25)
    40.0
    """
    return math.sqrt(S * A * K / check_alpha(alpha))


def grid_steps(R3: np.ndarray, eta: float) -> np.ndarray:
    """``r / eta`` as ints, refusing a reward that is not a multiple of ``eta`` (naming it)."""
    units = R3 / eta
    nearest = np.round(units)
    off = np.abs(units - nearest) > GRID_TOL
    if off.any():
        h, s, a = (int(i) for i in np.argwhere(off)[0])
        raise ValueError(
            f"R[{h}, {s}, {a}] = {float(R3[h, s, a])!r} is not a multiple of eta = "
            f"{eta!r}; CVaR-UCBVI needs rewards on the budget grid (the paper's "
            f"reward discretisation)"
        )
    return nearest.astype(np.int64)


@njit(cache=True)
def _plan(
    counts: np.ndarray,
    visits: np.ndarray,
    steps: np.ndarray,
    initial: np.ndarray,
    eta: float,
    alpha: float,
    bonus_constant: float,
    W: np.ndarray,
    policy: np.ndarray,
    EW: np.ndarray,
    bonus: np.ndarray,
    P_hat: np.ndarray,
):
    """The optimistic backward pass; returns ``(j*, optimistic value)``."""
    H, S, _ = policy.shape
    A = steps.shape[2]
    for s in range(S):
        for a in range(A):
            n = visits[s, a]
            row = s * A + a
            if n == 0.0:
                bonus[row] = 0.0
                for t in range(S):
                    P_hat[row, t] = 0.0  # unvisited: expected shortfall 0
            else:
                bonus[row] = bonus_constant / math.sqrt(n)
                for t in range(S):
                    P_hat[row, t] = counts[s, a, t] / n
    for h in range(H - 1, -1, -1):
        np.dot(P_hat, W[h + 1], EW)
        shortfall_min_backup(EW, steps[h], bonus, W[h], policy[h])
    return best_budget(W[0], initial, eta, alpha)


@njit(cache=True)
def best_budget(W0: np.ndarray, initial: np.ndarray, eta: float, alpha: float):
    """``(j*, value)``: the grid budget maximising ``j eta - rho . W_0(., j) / alpha`` (the
    Rockafellar-Uryasev objective on the grid) and that maximum; ties to the smallest ``j``."""
    S, n_grid = W0.shape
    best = -np.inf
    best_j = 0
    for j in range(n_grid):
        shortfall = 0.0
        for s in range(S):
            shortfall += initial[s] * W0[s, j]
        value = j * eta - shortfall / alpha
        if value > best:
            best = value
            best_j = j
    return best_j, best


def static_cvar_log(model, K: int, alpha: float) -> EpisodeLog:
    """The episode log of a static-CVaR learner: its regret oracle is the exact static CVaR
    optimum of ``model`` (augmented DP, no grid), stored where a risk-neutral log keeps V*."""
    H, S, A = model.H, model.S, model.A
    optimum = static_cvar_optimum(model, alpha).value
    return EpisodeLog(
        np.empty(K),
        np.empty(K),
        np.empty(K),
        np.empty(K),
        np.zeros((0, H, S), dtype=np.int64),
        np.full((H, S, A), optimum),
        np.full((H + 1, S), optimum),
        float(optimum),
    )


def check_eta(eta: float) -> float:
    """The budget grid width as a finite float > 0 (``ValueError`` naming it otherwise)."""
    value = float(eta)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    return value


@njit(cache=True)
def _evaluate(
    P3: np.ndarray,
    steps: np.ndarray,
    initial: np.ndarray,
    policy: np.ndarray,
    j_start: int,
    eta: float,
    alpha: float,
    mass: np.ndarray,
    nxt: np.ndarray,
    atoms: np.ndarray,
    order: np.ndarray,
) -> float:
    """Exact ``CVaR^alpha`` of the return of the augmented policy started at budget ``j*``.

    ``mass[s, g]``: probability of state ``s`` with return so far ``g eta``; the budget is
    ``max(0, j* - g)`` because every reward is a multiple of ``eta``.
    """
    H, S, _ = policy.shape
    n_return = mass.shape[1]
    mass[:] = 0.0
    for s in range(S):
        mass[s, 0] = initial[s]
    for h in range(H):
        nxt[:] = 0.0
        for s in range(S):
            for g in range(n_return):
                m = mass[s, g]
                if m == 0.0:
                    continue
                j = j_start - g
                if j < 0:
                    j = 0
                a = policy[h, s, j]
                g_next = g + steps[h, s, a]
                for t in range(S):
                    p = P3[s, a, t]
                    if p > 0.0:
                        nxt[t, g_next] += m * p
        mass[:] = nxt
    for g in range(n_return):
        total = 0.0
        for s in range(S):
            total += mass[s, g]
        atoms[g] = total
    returns = np.arange(n_return) * eta
    return cvar_sorted_row(atoms, 1.0, returns, order, alpha)


@njit(cache=True)
def _rollout(
    P3: np.ndarray,
    R3: np.ndarray,
    steps: np.ndarray,
    initial: np.ndarray,
    policy: np.ndarray,
    j_start: int,
    rng,
):
    H = policy.shape[0]
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    rewards = np.empty(H)
    s = sample_categorical(initial, rng.random())
    j = j_start
    for h in range(H):
        a = policy[h, s, j]
        states[h] = s
        actions[h] = a
        rewards[h] = R3[h, s, a]
        j = j - steps[h, s, a]
        if j < 0:
            j = 0
        s = sample_categorical(P3[s, a], rng.random())
    states[H] = s
    return states, actions, rewards


class _State(NamedTuple):
    counts: np.ndarray  # (1, S, A, S)
    visits: np.ndarray  # (1, S, A)
    W: np.ndarray  # (H + 1, S, M + 1)
    policy: np.ndarray  # (H, S, M + 1)
    EW: np.ndarray  # (S A, M + 1)
    bonus: np.ndarray  # (S A,)
    P_hat: np.ndarray  # (S A, S)
    mass: np.ndarray  # (S, n_return)
    nxt: np.ndarray
    atoms: np.ndarray  # (n_return,)
    order: np.ndarray
    Q: np.ndarray  # (H, S, A): the optimistic value, for the optimism gap
    no_policy: np.ndarray  # (H, S): unused (policies are augmented)
    budget: np.ndarray  # (K,) chosen initial budget j* eta
    optimistic_value: np.ndarray  # (K,)


@njit(cache=True)
def _episodes(
    env: Environment,
    log: EpisodeLog,
    st: _State,
    steps: np.ndarray,
    eta: float,
    alpha: float,
    bonus_constant: float,
    start: int,
    stop: int,
    rng,
) -> None:
    P3 = env.P4[0]
    for k in range(start, stop):
        j_star, value = _plan(
            st.counts[0],
            st.visits[0],
            steps,
            env.initial,
            eta,
            alpha,
            bonus_constant,
            st.W,
            st.policy,
            st.EW,
            st.bonus,
            st.P_hat,
        )
        achieved = _evaluate(
            P3,
            steps,
            env.initial,
            st.policy,
            j_star,
            eta,
            alpha,
            st.mass,
            st.nxt,
            st.atoms,
            st.order,
        )
        states, actions, rewards = _rollout(P3, env.R3, steps, env.initial, st.policy, j_star, rng)
        st.Q[:] = value
        record_episode(log, k, st.no_policy, st.Q, achieved, states, rewards)
        st.budget[k] = j_star * eta
        st.optimistic_value[k] = value
        count_transitions(st.counts, st.visits, states, actions)


@dataclass(frozen=True)
class CVaRUCBVI(EpisodicLearner):
    r"""CVaR-UCBVI-type learner (Wang, Kallus, Sun, ICML 2023) with exact static-CVaR regret.

    Parameters
    ----------
    alpha : float
        Risk level in (0, 1] (the paper's ``tau``).
    eta : float
        Budget grid width; every reward must be a multiple of it.
    delta : float
        Confidence parameter in (0, 1) (enters ``L``).
    bonus_scale : float
        Multiplier ``c`` of the Hoeffding bonus ``H sqrt(L / n)``: 1 (default), another value
        (the named ``"scaled"`` variant), 0 (the greedy control).

    Notes
    -----
    ``pseudo_regret[k] = CVaR* - CVaR^alpha(G^{pi_k})``, exact; ``realised_regret[k] = CVaR* -
    G_k`` (the sampled return; not an unbiased estimate of the CVaR regret). Extras:
    ``optimism_gap[k] = value_k - CVaR*`` (the optimistic value minus the optimum),
    ``optimistic``, ``budget[k]`` (the initial budget ``j*_k eta``) and ``optimistic_value``.

    ``run(model, budget, seed)`` returns the exact static-CVaR regret trace; it raises
    ``ValueError`` for a model that is not episodic, rewards outside [0, 1], reward noise, a
    non-stationary kernel, a reward that is not a multiple of ``eta``, or a budget that is not a
    positive int.

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> trace = CVaRUCBVI(alpha=0.1, eta=0.5).run(safe_vs_risky_route(H=3), budget=200, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((200,), True)
    """

    alpha: float = 0.1
    eta: float = 0.25
    delta: float = 0.05
    bonus_scale: float = 1.0

    def __post_init__(self) -> None:
        check_alpha(self.alpha)
        check_eta(self.eta)
        check_open_unit(self.delta, "delta")
        scale = float(self.bonus_scale)
        if not (math.isfinite(scale) and scale >= 0.0):
            raise ValueError(f"bonus_scale must be a finite number >= 0, got {self.bonus_scale!r}")

    @property
    def record_policies(self) -> bool:
        """Augmented policies are not kept (the trace keeps the chosen budgets)."""
        return False

    @property
    def constants(self) -> str:
        """``"hoeffding"`` (c = 1), ``"scaled"`` or ``"greedy"`` (c = 0, the control)."""
        if self.bonus_scale == 0.0:
            return "greedy"
        return "hoeffding" if self.bonus_scale == 1.0 else "scaled"

    @property
    def label(self) -> str:
        """E.g. ``CVaR-UCBVI(alpha=0.1)`` or ``CVaR-UCBVI(alpha=0.1) x0.1``."""
        return scaled_label(f"CVaR-UCBVI(alpha={self.alpha:g})", self.bonus_scale)

    def _simulate(self, model, budget: int, seed: SeedLike) -> Simulation:
        env = check_episodic_model(model, "CVaR-UCBVI")
        if env.P4.shape[0] != 1:
            raise ValueError(
                f"CVaR-UCBVI needs a stationary kernel; the model's P has a stage "
                f"axis of length {env.P4.shape[0]}"
            )
        if env.noise_code != 0:
            raise ValueError(
                f"CVaR-UCBVI needs deterministic (known) rewards, got {model.noise.kind} noise"
            )
        K = check_budget(budget)
        H, S, A = env.R3.shape
        eta, alpha = float(self.eta), float(self.alpha)
        steps = grid_steps(env.R3, eta)
        n_grid = budget_grid(H, eta).shape[0]
        n_return = int(steps.max(initial=0)) * H + 1
        L = cvar_ucbvi_log_factor(S, A, H, K, n_grid, self.delta)
        log = static_cvar_log(model, K, alpha)  # (1) regret oracle: the exact CVaR optimum
        st = _State(
            np.zeros((1, S, A, S)),
            np.zeros((1, S, A)),
            np.zeros((H + 1, S, n_grid)),
            np.zeros((H, S, n_grid), dtype=np.int64),
            np.empty((S * A, n_grid)),
            np.empty(S * A),
            np.empty((S * A, S)),
            np.empty((S, n_return)),
            np.empty((S, n_return)),
            np.empty(n_return),
            np.arange(n_return, dtype=np.int64),
            np.empty((H, S, A)),
            np.zeros((H, S), dtype=np.int64),
            np.empty(K),
            np.empty(K),
        )
        for j in range(n_grid):
            st.W[H, :, j] = j * eta
        rng = as_generator(seed)
        bonus_constant = float(self.bonus_scale) * H * math.sqrt(L)
        simulate(
            log,
            lambda start, stop: _episodes(
                env, log, st, steps, eta, alpha, bonus_constant, start, stop, rng
            ),
        )
        return Simulation(
            model,
            log,
            {"budget": st.budget, "optimistic_value": st.optimistic_value},
            dict(
                objective=f"static CVaR of the return, alpha = {alpha:g}",
                optimal_value=log.optimal_value,
                eta=eta,
                n_budgets=n_grid,
                log_factor=L,
                log_factor_formula="L = log(2 S A H K (M + 1) / delta)",
                bonus_formula="bonus_scale * H * sqrt(L / n(s, a)) (Hoeffding, on the augmented "
                "state; the paper's Bernstein bonus is not reproduced)",
                paper=PAPER,
                regret_order=static_cvar_regret_order(S, A, K, alpha),
                realised_regret_note="CVaR* minus the sampled return; not an unbiased estimate "
                "of the CVaR regret when alpha < 1",
            ),
        )
