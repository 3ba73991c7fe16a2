r"""LSVI-UCB: least-squares value iteration with a UCB bonus on linear MDPs.

Paper
-----
C. Jin, Z. Yang, Z. Wang, M. I. Jordan, *Provably Efficient Reinforcement Learning with Linear
Function Approximation*, COLT 2020, arXiv:1907.05388. Algorithm 1 (LSVI-UCB), Assumption A
(linear MDP), Theorem 3.1 (regret), Theorem 3.2 (misspecified linear MDP), Lemma B.2 (norm of
the weights), Lemmas D.1 and D.2 (elliptical potentials).
Rare switching: T. Wang, D. Zhou, Q. Gu, *Provably Efficient Reinforcement Learning with
Linear Function Approximation under Adaptivity Constraints*, NeurIPS 2021 (LSVI-UCB-RareSwitch).

Setting
-------
Episodic MDP with H stages and known feature map ``phi(x, a) in R^d``, ``||phi|| <= 1``
(Assumption A): ``P_h(. | x, a) = <phi(x, a), mu_h(.)>`` and ``r_h(x, a) = <phi(x, a),
theta_h>``. The reward function r_h is **known** and used directly (as in the paper); the
transitions are learned. K episodes, T = K H steps, Regret(K) = sum_k V*_1(x_1^k) -
V^{pi_k}_1(x_1^k). Stages are h = 1..H in the paper and ``h = 0..H-1`` here; the paper's
``Q_{H+1} = 0`` is ``V[H] = 0``.

Update (Algorithm 1, episode k)
-------------------------------
Line numbers L1-L8 of Algorithm 1 as printed; with ``phi_h^tau = phi(x_h^tau, a_h^tau)`` from the
episodes tau < k::

    L1  for k = 1..K:   L2  receive x_1^k;   L3  for h = H, ..., 1:
    L4      Lambda_h = sum_{tau<k} phi_h^tau (phi_h^tau)^T + lambda I,               lambda = 1
    L5      w_h      = Lambda_h^{-1} sum_{tau<k} phi_h^tau [r_h(x_h^tau, a_h^tau)
                                                           + max_a Q_{h+1}(x_{h+1}^tau, a)]
    L6      Q_h(x,a) = min{ w_h^T phi(x,a) + beta [phi(x,a)^T Lambda_h^{-1} phi(x,a)]^{1/2}, H }
    L7  for h = 1..H:
    L8      take a_h^k = argmax_a Q_h(x_h^k, a), observe x_{h+1}^k   (the same Q plans and acts)

with ``beta = c d H sqrt(iota)``, ``iota = log(2 d T / p)`` (Theorem 3.1). The clip is at H (not
H - h + 1), exactly as printed.

Finite-state fast path (why an episode costs the same at every k)
-----------------------------------------------------------------
The state space of every model here is finite, so the regression target of L5 depends on
past data only through::

    b_h      = sum_{tau<k} phi_h^tau r_h(x_h^tau, a_h^tau)                       (d,)
    M_h[s']  = sum_{tau<k} phi_h^tau 1[x_{h+1}^tau = s']                         (S, d)

and ``sum_tau phi_h^tau max_a Q_{h+1}(x_{h+1}^tau, a) = M_h^T V_{h+1}``. Hence
``w_h = Lambda_h^{-1} (b_h + M_h^T V_{h+1})``: O(S d + d^2) per stage, whatever k is.
``Lambda_h^{-1}`` is kept by Sherman-Morrison; the squared widths ``phi(x,a)^T Lambda_h^{-1}
phi(x,a)`` of all (x, a) are kept too, and a rank-one update changes them by
``-(phi(x,a)^T u)^2 / (1 + phi^T u)``, ``u = Lambda_h^{-1} phi``: O(S A d) per stage. Every
``refactor_every`` updates of a stage, ``Lambda_h^{-1}``, the widths and ``log det Lambda_h``
are recomputed exactly from ``Lambda_h`` so rounding in the rank-one updates cannot drift.
Planning therefore costs O(H (S d + S A d)) per episode and an update O(H (d^2 + S A d)); the
O(H S A d^2) of recomputing every width is paid only at a refactorisation.

Which code implements which step
--------------------------------
* ``plan_optimistic``: L3-L6 and the greedy policy used by L8: ``target = b_h + M_h^T V_{h+1}`` (L5
  numerator), ``w = Lambda_inv_h target`` (L5), the ``min(..., H)`` line (L6), the argmax (L8,
  and ``V_h = max_a Q_h`` inside L5 of the next stage).
* ``absorb_episode``: the data of episode k enter L4 and L5 for episode k + 1 (Sherman-Morrison
  on ``Lambda_inv_h``, the width update, ``b_h``, ``M_h``, ``log det Lambda_h``).
* ``_refactor``: the exact recomputation from ``Lambda_h``.
* ``LSVIUCB._simulate``: (1) regret oracle V*, Q* by backward induction on the true model;
  ``start_statistics``: lambda I and empty statistics; ``_episodes``, per episode: (2) replan (every
  episode, or only when some ``det Lambda_h`` has doubled since the last replan in the
  rare-switching variant), (3) exact value of the executed greedy policy
  (``evaluate_deterministic_reachable``, again only from the first stage at which the policy
  acts differently from the last evaluated one at a state it reaches), (4) one episode of it
  (``act``) and its record (``record_episode``: pseudo-regret, realised regret, optimism
  gap), (5) ``absorb_episode``.

Constants and variants
----------------------
* lambda = 1 (the paper's choice) and ``p = 0.05`` by default.
* ``c``: Theorem 3.1 only says "an absolute constant c". The default ``c = 1`` is recorded as
  ``constants = "paper (c = 1)"``; any other ``c > 0`` is the opt-in variant
  ``"scaled (c = ...)"``. With c = 1 the bonus keeps Q at the clip H until a direction has been
  seen about (beta / H)^2 = d^2 iota times, so regret is linear for a long burn-in (see
  ``docs/lsvi_ucb.md``).
* :class:`LSVI` is the control without bonus (beta = 0, still clipped at H).
* ``switching="rare"`` (class :class:`RareSwitchLSVIUCB`): replan only in episodes where
  ``det Lambda_h > 2 det Lambda_h^{last replan}`` for some h, otherwise act with the Q of the
  last replan (Wang, Zhou, Gu 2021, with their threshold eta = 2). The statistics are updated
  every episode. The same beta formula is used (their analysis has its own constant).
* ``true_mdp``: features come from the :class:`~mdptheory.linear.LinearMDP`; transitions,
  rewards (the known r_h) and the regret oracle come from ``true_mdp`` when given (a
  misspecified model, Theorem 3.2 / Assumption B), from ``model.tabular()`` otherwise. The
  paper's misspecified algorithm uses an episode-dependent bonus; here the bonus is unchanged,
  so a misspecification experiment measures Algorithm 1 as is.
* Reward noise only affects the sampled rewards (realised regret): the learner uses the known
  mean reward r_h, as in the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal, NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scale_constants
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    check_choice,
    check_open_unit,
    evaluate_and_act,
)
from algorithms._validation import (
    check_no_bonus,
    check_positive,
    check_refactor_every,
)
from algorithms.linear.episodic_run import LinearEpisodicLearner, LinearRun
from mdptheory._kernels import (
    ReachableEvaluation,
    cholesky_inverse,
    greedy_backup,
    matvec_into,
)

LAMBDA = 1.0
"""Ridge parameter lambda of Algorithm 1 (the paper sets lambda = 1)."""

PAPER_C = 1.0
"""Default constant c in beta = c d H sqrt(iota); the paper leaves its absolute constant open."""

SWITCHING = ("every_episode", "rare")
SWITCH_FACTOR = 2.0
"""Rare switching replans when det(Lambda_h) exceeds this factor times its value at the last
replan, for some h (eta = 2 in Wang, Zhou, Gu 2021)."""


def lsvi_ucb_iota(d: int, H: int, K: int, p: float) -> float:
    """``iota = log(2 d T / p)`` with ``T = K H`` (Theorem 3.1).

    Examples
    --------
    >>> round(lsvi_ucb_iota(4, 5, 1000, 0.05), 6) == round(math.log(2 * 4 * 5000 / 0.05), 6)
    True
    """
    return math.log(2.0 * d * K * H / p)


def lsvi_ucb_beta(d: int, H: int, K: int, p: float, c: float = PAPER_C) -> float:
    """Bonus multiplier ``beta = c d H sqrt(iota)`` of Theorem 3.1.

    Examples
    --------
    >>> beta = lsvi_ucb_beta(4, 5, 1000, 0.05)
    >>> round(beta / (4 * 5), 6) == round(math.sqrt(lsvi_ucb_iota(4, 5, 1000, 0.05)), 6)
    True
    """
    return c * d * H * math.sqrt(lsvi_ucb_iota(d, H, K, p))


def lsvi_ucb_regret_bound(d: int, H: int, K: int, p: float, C: float = 1.0) -> float:
    """Right-hand side of Theorem 3.1, ``C sqrt(d^3 H^3 T iota^2)``, ``T = K H``.

    The paper's C is an unspecified absolute constant; ``C = 1`` gives the order of the bound.

    Examples
    --------
    >>> lsvi_ucb_regret_bound(4, 5, 1000, 0.05) > 5 * 1000   # vacuous: above the trivial H K
    True
    """
    T = K * H
    return C * math.sqrt(d**3 * H**3 * T) * lsvi_ucb_iota(d, H, K, p)


def nonvacuous_episodes(d: int, H: int, p: float, C: float = 1.0) -> int:
    """Smallest K at which Theorem 3.1's bound drops below the trivial bound ``H K``.

    ``C sqrt(d^3 H^3 K H) iota <= H K``  iff  ``K >= C^2 d^3 H^2 iota(K)^2``; iota grows with K,
    so the fixed point is found by iteration.

    Examples
    --------
    >>> K = nonvacuous_episodes(4, 5, 0.05)
    >>> bool(lsvi_ucb_regret_bound(4, 5, K, 0.05) <= 5 * K)
    True
    >>> bool(lsvi_ucb_regret_bound(4, 5, K - 1, 0.05) > 5 * (K - 1))
    True
    """
    K = 1.0
    for _ in range(200):
        new = C * C * d**3 * H * H * lsvi_ucb_iota(d, H, max(int(K), 1), p) ** 2
        if abs(new - K) < 0.5:
            break
        K = new
    K_int = max(math.ceil(K), 1)
    # Step onto the exact crossing (the fixed point above is within a few episodes of it).
    while lsvi_ucb_regret_bound(d, H, K_int, p, C) > H * K_int:
        K_int += 1
    while K_int > 1 and lsvi_ucb_regret_bound(d, H, K_int - 1, p, C) <= H * (K_int - 1):
        K_int -= 1
    return K_int


# ---------------------------------------------------------------------------------------------
# Compiled kernels
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def sherman_morrison_update(Lambda_inv: np.ndarray, x: np.ndarray, u: np.ndarray) -> float:
    """Replace ``Lambda_inv`` by ``(Lambda + x x^T)^{-1}`` in place.

    On return ``u`` holds ``Lambda^{-1} x`` (of the matrix before the update) and the function
    returns ``1 + x^T Lambda^{-1} x``; ``log`` of it is the increment of ``log det Lambda``
    (matrix determinant lemma).
    """
    d = x.shape[0]
    matvec_into(Lambda_inv, x, u)
    denominator = 1.0 + np.dot(x, u)
    for i in range(d):
        ui = u[i] / denominator
        for j in range(d):
            Lambda_inv[i, j] -= ui * u[j]
    return denominator


@njit(cache=True)
def _refactor(
    Lambda: np.ndarray, Lambda_inv: np.ndarray, features: np.ndarray, width2: np.ndarray
) -> float:
    """Exact ``Lambda^{-1}`` (into ``Lambda_inv``), all squared widths; return ``log det``."""
    d = Lambda.shape[0]
    inv, log_det = cholesky_inverse(Lambda)
    for i in range(d):
        for j in range(d):
            Lambda_inv[i, j] = 0.5 * (inv[i, j] + inv[j, i])
    n_pairs = features.shape[0]
    for n in range(n_pairs):
        v = Lambda_inv @ features[n]
        width2[n] = np.dot(features[n], v)
    return log_det


@njit(cache=True)
def plan_optimistic(
    features: np.ndarray,
    R3: np.ndarray,
    b: np.ndarray,
    M: np.ndarray,
    Lambda_inv: np.ndarray,
    width2: np.ndarray,
    beta: float,
    Q: np.ndarray,
    V: np.ndarray,
    policy: np.ndarray,
    w: np.ndarray,
    target: np.ndarray,
    means: np.ndarray,
) -> None:
    """Algorithm 1, L3-L6, and the greedy policy of L8 (overwrites Q, V, policy and w)."""
    H, S, A = R3.shape
    Hf = float(H)
    for h in range(H - 1, -1, -1):
        # L5 numerator: b_h + M_h^T V_{h+1} (V_{H+1} = 0), then w_h = Lambda_h^{-1} (...).
        # Matrix-vector products go to BLAS (gemv): the sizes are fixed, only k-independent.
        if h < H - 1:
            np.dot(V[h + 1], M[h], target)
            target += b[h]
        else:
            target[:] = b[h]
        np.dot(Lambda_inv[h], target, w[h])
        np.dot(features, w[h], means)  # w_h^T phi(x, a) for every pair
        for s in range(S):
            for a in range(A):
                n = s * A + a
                # L6: the width is clamped at 0 only against rounding of the rank-one
                # updates (it is a positive quadratic form).
                q = means[n] + beta * math.sqrt(max(width2[h, n], 0.0))
                if q > Hf:
                    q = Hf
                Q[h, s, a] = q
        greedy_backup(Q[h], V[h], policy[h])  # V_h = max_a Q_h, the argmax of L8


class RidgeBlocks(NamedTuple):
    """The arrays a rank-one update of L4, L5 writes, as :class:`RidgeStatistics` names them
    (any statistics with these fields serve in its place)."""

    Lambda: np.ndarray  # (blocks, d, d)
    Lambda_inv: np.ndarray  # (blocks, d, d)
    width2: np.ndarray  # (blocks, S A)
    M: np.ndarray  # (blocks, S, d)
    log_det: np.ndarray  # (blocks,)
    n_updates: np.ndarray  # (blocks,) int64
    u: np.ndarray  # workspace (d,)
    z: np.ndarray  # workspace (S A,)


@njit(cache=True)
def absorb_weighted(
    st: RidgeBlocks,
    features: np.ndarray,
    h: int,
    n: int,
    s_next: int,
    weight: float,
    refactor_every: int,
    scaled: np.ndarray,
) -> float:
    """Add ``weight phi phi^T`` (pair ``n``) to block ``h`` of the ridge statistics ``st``,
    ``weight phi`` to row ``s_next`` of ``M_h``; return ``weight phi^T Lambda_h^{-1} phi``
    before the update.

    ``st`` is a :class:`RidgeBlocks` or any NamedTuple with its fields (a learner's own
    statistics, whose block ``h`` may be a stage or a slot). The rank-one step of L4, L5 with a
    regression weight (``weight = 1`` is LSVI-UCB's update, bit for bit: every product with
    1.0 is exact; LSVI-UCB++ passes ``sigma_bar^{-2}``). ``scaled`` is a (d,) workspace for
    ``sqrt(weight) phi``.
    """
    Lambda, Lambda_inv, width2, M, log_det = st.Lambda, st.Lambda_inv, st.width2, st.M, st.log_det
    n_updates, u, z = st.n_updates, st.u, st.z
    d = features.shape[1]
    n_pairs = features.shape[0]
    x = features[n]
    root = math.sqrt(weight)
    for i in range(d):
        scaled[i] = x[i] * root
    denominator = sherman_morrison_update(Lambda_inv[h], scaled, u)
    log_det[h] += math.log(denominator)
    # Widths: phi^T (Lambda + x x^T)^{-1} phi = phi^T Lambda^{-1} phi - (phi^T u)^2 / denom.
    np.dot(features, u, z)
    row = width2[h]
    for m in range(n_pairs):
        row[m] -= z[m] * z[m] / denominator
    for i in range(d):
        xi = scaled[i]
        for j in range(d):
            Lambda[h, i, j] += xi * scaled[j]
        M[h, s_next, i] += weight * x[i]  # aggregated by next state
    n_updates[h] += 1
    if n_updates[h] % refactor_every == 0:
        log_det[h] = _refactor(Lambda[h], Lambda_inv[h], features, width2[h])
    return denominator - 1.0


@njit(cache=True)
def absorb_episode(
    features: np.ndarray,
    R3: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    Lambda: np.ndarray,
    Lambda_inv: np.ndarray,
    width2: np.ndarray,
    b: np.ndarray,
    M: np.ndarray,
    log_det: np.ndarray,
    n_updates: np.ndarray,
    refactor_every: int,
    u: np.ndarray,
    z: np.ndarray,
    potential: np.ndarray,
) -> None:
    """Add episode k's data to every stage's statistics (rank-one updates of L4, L5)."""
    H, _, A = R3.shape
    d = features.shape[1]
    scaled = np.empty(d)
    blocks = RidgeBlocks(Lambda, Lambda_inv, width2, M, log_det, n_updates, u, z)
    for h in range(H):
        s = states[h]
        a = actions[h]
        n = s * A + a
        x = features[n]
        reward = R3[h, s, a]  # known reward r_h (L5)
        for i in range(d):
            b[h, i] += x[i] * reward
        # phi^T Lambda_h^{-1} phi before the update
        potential[h] = absorb_weighted(
            blocks, features, h, n, states[h + 1], 1.0, refactor_every, scaled
        )


class RidgeStatistics(NamedTuple):
    """LSVI-UCB's statistics (L4, L5), its plan and workspace, carried between episodes."""

    Lambda: np.ndarray  # (H, d, d): Lambda_h
    Lambda_inv: np.ndarray  # (H, d, d): its inverse, by Sherman-Morrison
    width2: np.ndarray  # (H, S A): phi(x, a)^T Lambda_h^{-1} phi(x, a)
    b: np.ndarray  # (H, d): sum phi r
    M: np.ndarray  # (H, S, d): sum phi 1[x' = s']
    log_det: np.ndarray  # (H,): log det Lambda_h
    log_det_at_plan: np.ndarray  # (H,): its value at the last replan
    n_updates: np.ndarray  # (H,) int64: rank-one updates since the start
    Q: np.ndarray  # (H, S, A): the Q that plans and acts
    V: np.ndarray  # (H + 1, S)
    w: np.ndarray  # (H, d)
    policy: np.ndarray  # (H, S)
    u: np.ndarray  # workspace (d,)
    z: np.ndarray  # workspace (S A,)
    target: np.ndarray  # workspace (d,)
    means: np.ndarray  # workspace (S A,)
    potential: np.ndarray  # (H,): phi^T Lambda^{-1} phi of the last episode
    replanned: np.ndarray  # (K,) bool
    w_norm_max: np.ndarray  # (K,): max_h ||w_h|| of the acting plan


@njit(cache=True)
def absorb_statistics(st, features, R3, states, actions, refactor_every) -> None:
    """:func:`absorb_episode` of one episode (its ``states`` and ``actions``, rewards ``R3``)
    into the :class:`RidgeStatistics` ``st`` (or statistics with its fields)."""
    absorb_episode(
        features,
        R3,
        states,
        actions,
        st.Lambda,
        st.Lambda_inv,
        st.width2,
        st.b,
        st.M,
        st.log_det,
        st.n_updates,
        refactor_every,
        st.u,
        st.z,
        st.potential,
    )


class _Records(NamedTuple):
    """Per-episode records kept with ``record_policies`` (otherwise of length 0)."""

    Q: np.ndarray  # (K, H, S, A)
    w: np.ndarray  # (K, H, d)
    width2: np.ndarray  # (K, H, S A)
    states: np.ndarray  # (K, H + 1)
    actions: np.ndarray  # (K, H)
    potential: np.ndarray  # (K, H)


@njit(cache=True)
def start_statistics(
    features: np.ndarray, H: int, S: int, A: int, K: int, record: bool, lam: float = LAMBDA
):
    """Lambda_h = lam I (LSVI-UCB's lambda = 1 by default), no data, and the record arrays
    (empty unless ``record``)."""
    d = features.shape[1]
    n_pairs = S * A
    Lambda = np.zeros((H, d, d))
    Lambda_inv = np.zeros((H, d, d))
    for h in range(H):
        for i in range(d):
            Lambda[h, i, i] = lam
            Lambda_inv[h, i, i] = 1.0 / lam
    width2 = np.empty((H, n_pairs))
    for h in range(H):
        for n in range(n_pairs):
            width2[h, n] = np.dot(features[n], features[n]) / lam
    log_det = np.full(H, d * math.log(lam))
    state = RidgeStatistics(
        Lambda,
        Lambda_inv,
        width2,
        np.zeros((H, d)),
        np.zeros((H, S, d)),
        log_det,
        log_det.copy(),
        np.zeros(H, dtype=np.int64),
        np.empty((H, S, A)),
        np.zeros((H + 1, S)),
        np.zeros((H, d)),
        np.zeros((H, S), dtype=np.int64),
        np.empty(d),
        np.empty(n_pairs),
        np.empty(d),
        np.empty(n_pairs),
        np.empty(H),
        np.zeros(K, dtype=np.bool_),
        np.empty(K),
    )
    n_rec = K if record else 0
    records = _Records(
        np.empty((n_rec, H, S, A)),
        np.empty((n_rec, H, d)),
        np.empty((n_rec, H, n_pairs)),
        np.empty((n_rec, H + 1), dtype=np.int64),
        np.empty((n_rec, H), dtype=np.int64),
        np.empty((n_rec, H)),
    )
    return state, records


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    state: RidgeStatistics,
    records: _Records,
    start: int,
    stop: int,
    rng,
    beta: float,
    rare: bool,
    refactor_every: int,
) -> None:
    """Episodes ``start..stop-1`` of Algorithm 1 (L1-L8): replan, evaluate exactly, act,
    absorb the episode's data."""
    H = env.R3.shape[0]
    log_switch = math.log(SWITCH_FACTOR)
    recording = records.Q.shape[0] > 0
    for k in range(start, stop):
        # (2) Replan: every episode, or (rare switching) when some det(Lambda_h) has doubled.
        plan = True
        if rare and k > 0:
            plan = False
            for h in range(H):
                if state.log_det[h] - state.log_det_at_plan[h] > log_switch:
                    plan = True
                    break
        if plan:
            plan_optimistic(
                features,
                env.R3,
                state.b,
                state.M,
                state.Lambda_inv,
                state.width2,
                beta,
                state.Q,
                state.V,
                state.policy,
                state.w,
                state.target,
                state.means,
            )
            state.log_det_at_plan[:] = state.log_det
            state.replanned[k] = True
            largest = 0.0
            for h in range(H):
                largest = max(largest, math.sqrt(np.dot(state.w[h], state.w[h])))
            state.w_norm_max[k] = largest
        else:
            state.w_norm_max[k] = state.w_norm_max[k - 1]
        # (3) Exact value of the greedy policy pi_k, evaluated again only where it acts
        # differently from the last evaluated one.
        # (4) Act greedily with the same (clipped) Q for one episode.
        states, actions = evaluate_and_act(env, log, evaluation, k, state.Q, state.policy, rng)
        if recording:
            records.Q[k] = state.Q
            records.w[k] = state.w
            records.width2[k] = state.width2
            records.states[k] = states
            records.actions[k] = actions
        # (5) The episode's data enter Lambda_h, b_h and M_h.
        absorb_statistics(state, features, env.R3, states, actions, refactor_every)
        if recording:
            records.potential[k] = state.potential


def lsvi_ucb_bonus_metadata(c: float, beta: float, d: int, H: int, K: int, p: float) -> dict:
    """The bonus of a run of LSVI-UCB (or a learner with its bonus), for its metadata: ``c``
    and the paper's, ``beta``, ``iota`` and the formula, and the ridge ``lambda``.

    Examples
    --------
    >>> meta = lsvi_ucb_bonus_metadata(1.0, 2.0, d=2, H=3, K=10, p=0.05)
    >>> meta["c_default"], meta["ridge_lambda"], round(meta["iota"], 4)
    (1.0, 1.0, 7.7832)
    """
    return dict(
        c=c,
        c_default=PAPER_C,
        beta=beta,
        iota=lsvi_ucb_iota(d, H, K, p),
        beta_formula="beta = c d H sqrt(iota), iota = log(2 d T / p), T = K H",
        ridge_lambda=LAMBDA,
    )


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LSVIUCB(LinearEpisodicLearner):
    r"""LSVI-UCB (Jin, Yang, Wang, Jordan 2020, Algorithm 1) with exact per-episode regret.

    Parameters
    ----------
    c : float
        Constant in ``beta = c d H sqrt(iota)``, ``iota = log(2 d T / p)`` (Theorem 3.1). The
        paper leaves the absolute constant unspecified; ``c = 1`` is the default (recorded as
        ``constants = "paper (c = 1)"``), any other value is the opt-in, named variant
        ``"scaled (c = ...)"``. ``c = 0`` is least-squares VI without bonus (see :class:`LSVI`).
    p : float
        Failure probability in (0, 1) of Theorem 3.1 (enters iota).
    switching : {"every_episode", "rare"}
        ``"every_episode"`` is Algorithm 1. ``"rare"`` replans only when ``det Lambda_h`` has
        doubled since the last replan for some h (Wang, Zhou, Gu 2021).
    refactor_every : int
        Exact refactorisation of ``Lambda_h^{-1}`` after this many rank-one updates of stage h.
    record_policies : bool
        Keep the executed policies ``policies`` (K, H, S), as every episodic learner does, and
        with them per-episode ``Q`` (K, H, S, A), ``w`` (K, H, d), squared widths ``width2``
        (K, H, S*A), ``states`` (K, H + 1), ``actions`` (K, H), the elliptical potentials
        ``potential[k, h] = phi_h^{k T} (Lambda_h^k)^{-1} phi_h^k`` (K, H) and the final
        ``Lambda``, ``Lambda_inv`` (H, d, d) in ``trace.extras``; for small runs and checks.
        ``Q`` and ``w`` are those the episode acted with (with rare switching, those of the last
        replan); ``width2`` belongs to the statistics at the start of the episode.

    Notes
    -----
    ``run`` returns a :class:`~mdptheory.regret.RegretTrace`: ``pseudo_regret[k] =
    V*_1(rho) - V^{pi_k}_1(rho)`` for the greedy policy pi_k executed in episode k, evaluated
    exactly on the tabular twin; ``realised_regret[k] = V*_1(x_1^k)`` minus the sampled
    return. Extras: ``optimism_gap[k] = min_{h,x,a} Q^k_h(x, a) - Q*_h(x, a)``,
    ``optimistic[k]`` (that gap >= -1e-9 H), ``replanned[k]`` and ``w_norm_max[k] =
    max_h ||w_h^k||`` (Lemma B.2 bounds it by ``2 H sqrt(d k / lambda)``, k 1-based).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> phi = np.eye(2).reshape(2, 1, 2)                  # one action, one-hot states
    >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))     # uniform next state
    >>> theta = np.tile([0.0, 1.0], (3, 1))
    >>> trace = LSVIUCB(c=0.01).run(LinearMDP(phi, mu, theta), budget=20, seed=0)
    >>> trace.pseudo_regret.shape, float(abs(trace.pseudo_regret).max())
    ((20,), 0.0)
    """

    accepts_misspecified_pair: ClassVar[bool] = True

    c: float = PAPER_C
    p: float = 0.05
    switching: Literal["every_episode", "rare"] = "every_episode"
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        check_open_unit(self.p, "p")
        check_choice(self.switching, "switching", SWITCHING)
        check_refactor_every(self.refactor_every)

    @property
    def constants(self) -> str:
        """``"paper (c = 1)"``, ``"no bonus (LSVI)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "paper (c = 1)", "no bonus (LSVI)", PAPER_C)

    @property
    def label(self) -> str:
        """Short name for plots and reports, e.g. ``LSVI-UCB`` or ``LSVI-UCB c=0.01``."""
        name = "LSVI" if self.c == 0.0 else "LSVI-UCB"
        if self.c not in (0.0, PAPER_C):
            name += f" c={self.c:g}"
        if self.switching == "rare":
            name += " (rare switching)"
        return name

    def beta(self, d: int, H: int, K: int) -> float:
        """``beta = c d H sqrt(log(2 d K H / p))`` for this learner."""
        return lsvi_ucb_beta(d, H, K, self.p, self.c)

    def _learn(self, run: LinearRun) -> Simulation:
        """Algorithm 1 over the checked ``run``: statistics, compiled episodes, record."""
        d, H, K = run.d, run.H, run.K
        beta = float(self.beta(d, H, K))
        state, records = start_statistics(
            run.features, H, run.S, run.A, K, bool(self.record_policies)
        )
        run.simulate(
            _episodes,
            (state, records),
            (beta, self.switching == "rare", int(self.refactor_every)),
        )
        extras: dict[str, np.ndarray] = {
            "replanned": state.replanned,
            "w_norm_max": state.w_norm_max,
        }
        if self.record_policies:
            extras.update(
                Q=records.Q,
                w=records.w,
                width2=records.width2,
                states=records.states,
                actions=records.actions,
                potential=records.potential,
                Lambda=state.Lambda,
                Lambda_inv=state.Lambda_inv,
                log_det=state.log_det,
            )
        return run.simulation(
            extras,
            dict(
                **lsvi_ucb_bonus_metadata(self.c, beta, d, H, K, self.p),
                clip=float(H),
                switching=self.switching,
                n_replans=int(state.replanned.sum()),
                **run.environment_metadata(),
                paper="Jin, Yang, Wang, Jordan (COLT 2020), arXiv:1907.05388, Algorithm 1",
                regret_bound_C1=lsvi_ucb_regret_bound(d, H, K, self.p),
            ),
        )


@dataclass(frozen=True)
class LSVI(LSVIUCB):
    """Least-squares value iteration without bonus (beta = 0): the control for LSVI-UCB.

    Algorithm 1 with the bonus term removed; Q is still clipped at H and the same Q plans and
    acts. Without optimism it can lock onto a suboptimal policy (linear regret).

    Examples
    --------
    >>> LSVI().label, LSVI().constants
    ('LSVI', 'no bonus (LSVI)')
    """

    c: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_no_bonus("LSVI", self.c, "bonus", "LSVIUCB")


@dataclass(frozen=True)
class RareSwitchLSVIUCB(LSVIUCB):
    """LSVI-UCB with rare policy switching (Wang, Zhou, Gu 2021): replan when det doubles.

    Same as :class:`LSVIUCB` with ``switching="rare"``: the statistics are updated every
    episode, but Q (and so the policy) is recomputed only in episodes where
    ``det Lambda_h > 2 det Lambda_h^{last}`` for some stage h. The number of replans is at most
    ``1 + H d log2(1 + K / (d lambda))`` (``trace.extras["replanned"]``).

    Examples
    --------
    >>> RareSwitchLSVIUCB(c=0.01).label
    'LSVI-UCB c=0.01 (rare switching)'
    """

    switching: Literal["every_episode", "rare"] = "rare"


def max_rare_switches(d: int, H: int, K: int) -> int:
    """Bound on the replans of the rare-switching variant: ``1 + H d log2(1 + K / (d lambda))``.

    Each replan after the first needs some stage's ``log det Lambda_h`` to grow by ``log 2``,
    and ``log det Lambda_h - d log lambda <= d log(1 + K / (d lambda))`` (AM-GM on the
    eigenvalues, ``||phi|| <= 1``).

    Examples
    --------
    >>> max_rare_switches(4, 5, 1000)
    160
    """
    return 1 + math.floor(H * d * math.log2(1.0 + K / (d * LAMBDA)))
