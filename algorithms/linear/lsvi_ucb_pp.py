r"""LSVI-UCB++: variance-weighted LSVI with rare switching on linear MDPs.

Paper
-----
J. He, H. Zhao, D. Zhou, Q. Gu, *Nearly Minimax Optimal Reinforcement Learning for Linear
Markov Decision Processes*, ICML 2023, arXiv:2212.06132, Algorithm 1 (LSVI-UCB++), regret
``O~(d sqrt(H^3 K))``. The algorithm is read from its line-by-line restatement as Algorithm 4
of the hybrid-RL paper (HYRULE, "Hybrid RL Breaks Sample Size Barriers in Linear MDPs"), which
reports that the printed weight floor ``max{sigma, H, ...}`` must read ``sqrt(H)`` for the
proofs to hold (they use ``sigma_bar^{-1} <= 1/sqrt(H)`` after eqs. D.7 and D.22). See
``references/theory-wave2.md`` 2.1 ([S] for the algorithm, [V] for the rate only).

Update (Algorithm 1, episode k; stages h = H..1 in the paper, ``H-1..0`` here)
-------------------------------------------------------------------------------
::

    Sigma_{k,h} = lambda I + sum_{i<k} sigma_bar_{i,h}^{-2} phi_{i,h} phi_{i,h}^T     lambda = 1/H^2
    w_hat   = Sigma^{-1} sum_i sigma_bar^{-2} phi_{i,h} V_{k,h+1}(s^i_{h+1})        (optimistic)
    w_check = Sigma^{-1} sum_i sigma_bar^{-2} phi_{i,h} Vc_{k,h+1}(s^i_{h+1})       (pessimistic)
    w_tilde = Sigma^{-1} sum_i sigma_bar^{-2} phi_{i,h} V_{k,h+1}^2(s^i_{h+1})      (2nd moment)
    if exists h': det Sigma_{k,h'} >= 2 det Sigma_{k_last,h'}:     (rare switching, k_last <- k)
        Q_{k,h}  = min{ r_h + w_hat^T phi + beta ||phi||_{Sigma^{-1}},  Q_{k-1,h}, H }
        Qc_{k,h} = max{ r_h + w_check^T phi - beta_bar ||phi||_{Sigma^{-1}}, Qc_{k-1,h}, 0 }
    else Q_{k,h} = Q_{k-1,h},  Qc_{k,h} = Qc_{k-1,h}
    V = max_a Q, Vc = max_a Qc; act greedily on Q;  Q_0 = H, Qc_0 = 0.

Variance weight after visiting (s^k_h, a^k_h), with ``w = ||phi||_{Sigma_{k,h}^{-1}}``::

    sigma     = sqrt( [Vbar V_{k,h+1}](s,a) + E + D + H )
    [Vbar V]  = [phi^T w_tilde]_{[0,H^2]} - ([phi^T w_hat]_{[0,H]})^2
    E         = min{ beta_tilde w, H^2 } + min{ 2 H beta_bar w, H^2 }
    D         = min{ 4 d^3 H^2 (w_hat^T phi - w_check^T phi + 2 beta_bar w), d^3 H^3 }
    sigma_bar = max{ sigma, floor, 2 d^3 H^2 sqrt(w) }            floor = sqrt(H) (corrected)
    Sigma_{k+1,h} = Sigma_{k,h} + sigma_bar^{-2} phi phi^T

The rewards ``r_h`` are known (as in LSVI-UCB), so only the next value is regressed. The
switch is decided once per episode, before the backward pass (the printed loop sets k_last
inside it, which read literally would stop the remaining stages from switching). The printed
``[Vbar V] + E + D + H`` can be negative when the two clipped regressions disagree; sigma is
then 0 and sigma_bar its floor.

Constants (``constants`` in the trace)
--------------------------------------
* ``lambda = 1/H^2`` [M]; ``p`` (the paper's delta) = 0.05.
* Radii, with ``L = log(d H K / (p lambda))`` (theory.md 1.3: the form of a third-party
  implementation, [S]; the paper states them as ``O~(.)``, so the log factors are **not
  verified**): ``beta = c (H sqrt(d lambda) + sqrt(d) L)``, ``beta_bar = c (H sqrt(d lambda)
  + sqrt(d^3 H^2) L)``, ``beta_tilde = c (H^2 sqrt(d lambda) + sqrt(d^3 H^4) L)``.
* ``c_var`` multiplies the two ``d^3 H^2`` coefficients (of D and of the weight term).
* ``c = c_var = 1`` is the paper (``"paper (c = 1)"``); :class:`ScaledLSVIUCBPP` is the named
  opt-in variant ``c = 0.03, c_var = 1e-4`` (``"scaled (c = 0.03, c_var = 0.0001)"``), whose
  burn-in fits a laptop budget; ``c = 0`` is the greedy control.
* ``floor``: ``"sqrt_h"`` (default, the corrected ``sqrt(H)``) or ``"h"`` (as printed).
* Burn-in: with ``Sigma = lambda I`` the width is ``||phi|| / sqrt(lambda) = H`` and
  ``sigma_bar >= 2 d^3 H^{5/2}``, so early data are down-weighted by about
  ``1/(4 d^6 H^5)``; :func:`lsvi_ucb_pp_burn_in` integrates the weight formulas along one
  feature direction (see ``docs/variance_aware.md``).

Finite-state fast path and per-episode cost
-------------------------------------------
The three regressions share one Gram matrix and depend on the past data only through
``M_h[s'] = sum_i sigma_bar_{i,h}^{-2} phi_{i,h} 1[s^i_{h+1} = s']`` (S, d), so
``w_hat = Sigma^{-1} M_h^T V_{h+1}`` (likewise for ``Vc`` and ``V^2``): O(S d + d^2) per stage,
whatever k. ``Sigma_h^{-1}``, ``log det Sigma_h`` and the squared widths of all (s, a) are kept
by the weighted rank-one update :func:`algorithms.linear.lsvi_ucb.absorb_weighted` (LSVI-UCB's
statistics, :func:`~algorithms.linear.lsvi_ucb.start_statistics` with ``lam = 1/H^2``), with an
exact refactorisation every ``refactor_every`` updates. One episode costs
``O(H (S d + d^2 + S A d))``: the three regressions, the width update, and (in a switching
episode) ``Q`` and ``Qc`` for every pair, plus the exact evaluation of the executed policy on
the stages where it changed. Nothing grows with k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    check_choice,
    check_open_unit,
)
from algorithms._validation import check_positive
from algorithms.linear.episodic_run import LinearEpisodicLearner, LinearRun
from algorithms.linear.lsvi_ucb import (
    RidgeStatistics,
    absorb_weighted,
    check_refactor_every,
    evaluate_and_act,
    start_statistics,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    greedy_backup,
)

PAPER_C = 1.0
"""Scale of the three radii at the paper's constants."""
PAPER_C_VAR = 1.0
"""Scale of the ``d^3 H^2`` coefficients of D and of the weight term at the paper's constants."""
SCALED_C = 0.03
SCALED_C_VAR = 1e-4
"""The named scaled variant (:class:`ScaledLSVIUCBPP`). Chosen after a pilot on
``simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)``, seed 0, K = 2e5: c = 0.01 lost
optimism (Q_{k,h} < Q*_h somewhere) and, Q being monotone in k, never regained it, so its
regret stayed linear; c = 0.03 is the smallest value of the grid (1, 0.3, 0.1, 0.03, 0.01)
that kept optimism, with burn-in (until="regret") below K / 10 at d <= 4, H <= 5, K = 2e4."""
FLOORS = ("sqrt_h", "h")
SWITCH_FACTOR = 2.0
"""Replan when det Sigma_h >= 2 det Sigma_h at the last replan for some h (Algorithm 1)."""
BURN_IN_UNTIL = ("regret", "floor")
FLOOR_FACTOR = 2.0
"""``until="floor"`` ends when ``sigma_bar^2 <= FLOOR_FACTOR floor^2`` (half the full weight)."""


def pp_lambda(H: int) -> float:
    """``lambda = 1/H^2`` (He et al. 2023).

    Examples
    --------
    >>> pp_lambda(4)
    0.0625
    """
    return 1.0 / (H * H)


def lsvi_ucb_pp_log(d: int, H: int, K: int, p: float) -> float:
    """``L = log(d H K / (p lambda))`` with ``lambda = 1/H^2`` (the log factor of the radii).

    Examples
    --------
    >>> round(lsvi_ucb_pp_log(4, 5, 1000, 0.05), 6) == round(math.log(4 * 5 * 1000 * 25 / 0.05), 6)
    True
    """
    return math.log(d * H * K / (p * pp_lambda(H)))


def lsvi_ucb_pp_radii(
    d: int, H: int, K: int, p: float, c: float = PAPER_C
) -> tuple[float, float, float]:
    """``(beta, beta_bar, beta_tilde)`` scaled by ``c``; see the module notes ([S], logs not
    verified against the paper).

    Examples
    --------
    >>> b, bb, bt = lsvi_ucb_pp_radii(4, 5, 1000, 0.05)
    >>> b < bb < bt
    True
    """
    lam = pp_lambda(H)
    L = lsvi_ucb_pp_log(d, H, K, p)
    base = math.sqrt(d * lam)
    return (
        c * (H * base + math.sqrt(d) * L),
        c * (H * base + math.sqrt(d**3 * H**2) * L),
        c * (H * H * base + math.sqrt(d**3 * H**4) * L),
    )


def floor_value(floor: str, H: int) -> float:
    """The weight floor: ``sqrt(H)`` (``"sqrt_h"``, corrected) or ``H`` (``"h"``, printed)."""
    return math.sqrt(H) if floor == "sqrt_h" else float(H)


def _min_sigma_bar2(
    g: np.ndarray, d: int, H: int, radii: tuple[float, float, float], c_var: float, f: float
) -> np.ndarray:
    """Smallest ``sigma_bar^2`` the weight formula allows at Gram value g along a unit feature
    direction (width ``g^{-1/2}``): zero variance estimate and ``w_hat = w_check``."""
    _, beta_bar, beta_tilde = radii
    w = g**-0.5
    H2 = float(H * H)
    sigma2 = (
        np.minimum(beta_tilde * w, H2)
        + np.minimum(2 * H * beta_bar * w, H2)
        + np.minimum(8 * c_var * d**3 * H2 * beta_bar * w, float(d**3 * H**3))
        + H
    )
    weight_term = 4 * c_var**2 * d**6 * H**4 * w
    return np.maximum.reduce([sigma2, np.full(g.shape, f * f), weight_term])


def lsvi_ucb_pp_burn_in(
    d: int,
    H: int,
    K: int,
    p: float = 0.05,
    c: float = PAPER_C,
    c_var: float = PAPER_C_VAR,
    floor: str = "sqrt_h",
    until: str = "regret",
) -> int:
    """Episodes before LSVI-UCB++ leaves its burn-in, from its weight and bonus formulas alone.

    Along one unit feature direction observed once per episode, the Gram value g grows by
    ``1 / sigma_bar^2`` per observation, so the observations needed to reach ``g*`` are
    ``int_lambda^{g*} sigma_bar^2(g) dg`` with the smallest ``sigma_bar^2`` the formulas allow
    at width ``g^{-1/2}`` (zero variance estimate, ``w_hat = w_check``: a lower bound). Targets:

    * ``until="regret"``: the per-stage bonus ``2 beta g^{-1/2}`` below 1, ``g* = 4 beta^2``
      (the rule LSVI-UCB's burn-in uses);
    * ``until="floor"``: ``sigma_bar^2 <= 2 floor^2``, so the data carry at least half their
      full weight ``1/floor^2`` (``sigma^2`` itself contains ``+H``, so with the ``sqrt(H)``
      floor the weight reaches ``1/floor^2`` only as the widths vanish).

    The result is ``d`` times the observations per direction (the integral is evaluated on a
    geometric grid of 4001 points, trapezoid rule in ``log g``).

    Examples
    --------
    >>> lsvi_ucb_pp_burn_in(4, 5, 20_000) > 10**9              # paper constants
    True
    >>> lsvi_ucb_pp_burn_in(4, 5, 20_000, c=SCALED_C, c_var=SCALED_C_VAR)
    1796
    """
    check_choice(until, "until", BURN_IN_UNTIL)
    check_choice(floor, "floor", FLOORS)
    lam = pp_lambda(H)
    radii = lsvi_ucb_pp_radii(d, H, K, p, c)
    f = floor_value(floor, H)
    if until == "regret":
        target = 4.0 * radii[0] ** 2
    else:
        # the largest g at which some term of sigma_bar^2 is still above f^2
        hi = 1e300
        g = np.geomspace(lam, hi, 20001)
        above = _min_sigma_bar2(g, d, H, radii, c_var, f) > FLOOR_FACTOR * f * f
        target = float(g[np.flatnonzero(above)[-1] + 1]) if above.any() else lam
    if target <= lam:
        return 0
    g = np.geomspace(lam, target, 4001)
    integrand = _min_sigma_bar2(g, d, H, radii, c_var, f) * g  # d g = g d log g
    per_direction = float(np.sum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(np.log(g))))
    return int(d * math.ceil(per_direction))


def max_pp_switches(d: int, H: int, K: int, floor: str = "sqrt_h") -> int:
    """Bound on LSVI-UCB++'s replans: ``H d log2(1 + K / (d floor^2 lambda))``.

    Each replan needs ``det Sigma_h`` to double at some h since the last one (the first, from
    ``lambda I``); the weights are at most ``1 / floor^2`` and ``||phi|| <= 1``, so
    ``tr Sigma_{K,h} <= d lambda + K / floor^2`` and, by AM-GM,
    ``log2 det Sigma_{K,h} / det(lambda I) <= d log2(1 + K / (d floor^2 lambda))``.

    Examples
    --------
    >>> max_pp_switches(4, 5, 1000)
    205
    """
    f = floor_value(floor, H)
    return math.floor(H * d * math.log2(1.0 + K / (d * f * f * pp_lambda(H))))


# ---------------------------------------------------------------------------------------------
# Compiled kernels
# ---------------------------------------------------------------------------------------------


class PessimisticPlan(NamedTuple):
    """LSVI-UCB++'s pessimistic estimate, the other two regressions and the weights."""

    Qc: np.ndarray  # (H, S, A): Q-check, monotone non-decreasing in k
    Vc: np.ndarray  # (H + 1, S)
    w_check: np.ndarray  # (H, d)
    w_tilde: np.ndarray  # (H, d): second-moment regression
    V2: np.ndarray  # workspace (S,): V_{h+1}^2
    scaled: np.ndarray  # workspace (d,)
    sigma_bar: np.ndarray  # (K, H): the weight of each observation
    Qc_record: np.ndarray  # (K or 0, H, S, A)
    states_record: np.ndarray  # (K or 0, H + 1) int64
    actions_record: np.ndarray  # (K or 0, H) int64


class PlanRecords(NamedTuple):
    """At each replan (``record_policies`` only): the optimistic regressions the new plan was
    built from. Kept apart from :class:`PessimisticPlan`, which every per-stage kernel receives,
    so that recording adds nothing to those calls."""

    episodes: np.ndarray  # (K or 0,) int64: the replanning episodes, in order
    w_hat: np.ndarray  # (K or 0, H, d): w_hat_{k,h} of each replan
    Lambda: np.ndarray  # (K or 0, H, d, d): Sigma_{k,h} of each replan
    V: np.ndarray  # (K or 0, H + 1, S): V_{k,h} after each replan (V_{k,h+1} targets w_hat)
    count: np.ndarray  # (1,) int64: replans recorded so far


@njit(cache=True)
def _regressions(st: RidgeStatistics, pp: PessimisticPlan, h: int) -> None:
    """w_hat, w_check, w_tilde of stage h from ``M_h`` and the next-stage values."""
    H = st.Q.shape[0]
    if h < H - 1:
        for s in range(pp.V2.shape[0]):
            pp.V2[s] = st.V[h + 1, s] * st.V[h + 1, s]
        np.dot(st.V[h + 1], st.M[h], st.target)
        np.dot(st.Lambda_inv[h], st.target, st.w[h])
        np.dot(pp.Vc[h + 1], st.M[h], st.target)
        np.dot(st.Lambda_inv[h], st.target, pp.w_check[h])
        np.dot(pp.V2, st.M[h], st.target)
        np.dot(st.Lambda_inv[h], st.target, pp.w_tilde[h])
    else:  # V_{H+1} = 0
        st.w[h][:] = 0.0
        pp.w_check[h][:] = 0.0
        pp.w_tilde[h][:] = 0.0


@njit(cache=True)
def _replan_stage(
    features: np.ndarray,
    R3: np.ndarray,
    st: RidgeStatistics,
    pp: PessimisticPlan,
    h: int,
    beta: float,
    beta_bar: float,
) -> None:
    """Lines 10-11: the monotone optimistic and pessimistic Q of stage h for every pair."""
    _, S, A = R3.shape
    Hf = float(R3.shape[0])
    np.dot(features, st.w[h], st.means)
    for s in range(S):
        for a in range(A):
            n = s * A + a
            width = math.sqrt(max(st.width2[h, n], 0.0))  # clamp: rounding only
            q = R3[h, s, a] + st.means[n] + beta * width
            q = min(q, st.Q[h, s, a], Hf)
            st.Q[h, s, a] = q
    np.dot(features, pp.w_check[h], st.means)
    for s in range(S):
        best = -np.inf
        for a in range(A):
            n = s * A + a
            width = math.sqrt(max(st.width2[h, n], 0.0))
            q = R3[h, s, a] + st.means[n] - beta_bar * width
            q = max(q, pp.Qc[h, s, a], 0.0)
            pp.Qc[h, s, a] = q
            if q > best:
                best = q
        pp.Vc[h, s] = best


@njit(cache=True)
def _sigma_bar(
    features: np.ndarray,
    st: RidgeStatistics,
    pp: PessimisticPlan,
    h: int,
    n: int,
    H: int,
    beta_bar: float,
    beta_tilde: float,
    var_coef: float,
    floor: float,
) -> float:
    """Line 16-17: the weight ``sigma_bar`` of the observation of pair n at stage h."""
    d = features.shape[1]
    Hf = float(H)
    x = features[n]
    width = math.sqrt(max(st.width2[h, n], 0.0))
    first = min(max(np.dot(x, st.w[h]), 0.0), Hf)
    second = min(max(np.dot(x, pp.w_tilde[h]), 0.0), Hf * Hf)
    variance = second - first * first
    E = min(beta_tilde * width, Hf * Hf) + min(2.0 * Hf * beta_bar * width, Hf * Hf)
    gap = np.dot(x, st.w[h]) - np.dot(x, pp.w_check[h])
    D = min(2.0 * var_coef * (gap + 2.0 * beta_bar * width), float(d) ** 3 * Hf**3)
    sigma = math.sqrt(max(variance + E + D + Hf, 0.0))
    return max(sigma, floor, var_coef * math.sqrt(width))


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    st: RidgeStatistics,
    pp: PessimisticPlan,
    Q_record: np.ndarray,
    plans: PlanRecords,
    start: int,
    stop: int,
    rng,
    beta: float,
    beta_bar: float,
    beta_tilde: float,
    var_coef: float,
    floor: float,
    refactor_every: int,
) -> None:
    """Episodes ``start..stop-1`` of Algorithm 1: regressions, rare switch, exact evaluation,
    act, variance weights and weighted update."""
    H = env.R3.shape[0]
    A = env.R3.shape[2]
    log_switch = math.log(SWITCH_FACTOR)
    for k in range(start, stop):
        switch = False
        for h in range(H):
            if st.log_det[h] - st.log_det_at_plan[h] >= log_switch:
                switch = True
                break
        for h in range(H - 1, -1, -1):
            _regressions(st, pp, h)
            if switch:
                _replan_stage(features, env.R3, st, pp, h, beta, beta_bar)
                greedy_backup(st.Q[h], st.V[h], st.policy[h])
        if switch:
            st.log_det_at_plan[:] = st.log_det
            if plans.episodes.shape[0] > 0:
                # w_hat_{k,h} regressed V_{k,h+1}, final once stage h+1 was replanned above;
                # Sigma changes only after the episode
                i = plans.count[0]
                plans.episodes[i] = k
                plans.w_hat[i] = st.w
                plans.Lambda[i] = st.Lambda
                plans.V[i] = st.V
                plans.count[0] = i + 1
        st.replanned[k] = switch
        states, actions = evaluate_and_act(env, log, evaluation, k, st.Q, st.policy, rng)
        if Q_record.shape[0] > 0:
            Q_record[k] = st.Q
            pp.Qc_record[k] = pp.Qc
            pp.states_record[k] = states
            pp.actions_record[k] = actions
        for h in range(H):
            n = states[h] * A + actions[h]
            sb = _sigma_bar(features, st, pp, h, n, H, beta_bar, beta_tilde, var_coef, floor)
            pp.sigma_bar[k, h] = sb
            weight = 1.0 / (sb * sb)
            st.potential[h] = absorb_weighted(
                st, features, h, n, states[h + 1], weight, refactor_every, pp.scaled
            )


def _start(features: np.ndarray, H: int, S: int, A: int, K: int, record: bool):
    d = features.shape[1]
    st, _ = start_statistics(features, H, S, A, K, False, pp_lambda(H))
    st.Q[:] = float(H)  # Q_0 = H
    st.V[:H] = float(H)
    st.V[H] = 0.0
    st.policy[:] = 0  # greedy in Q_0 = H: the first action
    n_rec = K if record else 0
    pp = PessimisticPlan(
        np.zeros((H, S, A)),
        np.zeros((H + 1, S)),
        np.zeros((H, d)),
        np.zeros((H, d)),
        np.empty(S),
        np.empty(d),
        np.empty((K, H)),
        np.empty((n_rec, H, S, A)),
        np.empty((n_rec, H + 1), dtype=np.int64),
        np.empty((n_rec, H), dtype=np.int64),
    )
    plans = PlanRecords(
        np.empty(n_rec, dtype=np.int64),  # at most one replan per episode
        np.empty((n_rec, H, d)),
        np.empty((n_rec, H, d, d)),  # untouched rows are never committed to memory
        np.empty((n_rec, H + 1, S)),
        np.zeros(1, dtype=np.int64),
    )
    return st, pp, np.empty((n_rec, H, S, A)), plans


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LSVIUCBPP(LinearEpisodicLearner):
    r"""LSVI-UCB++ (He, Zhao, Zhou, Gu, ICML 2023, Algorithm 1) with exact per-episode regret.

    Parameters
    ----------
    c : float
        Scale of the radii ``beta, beta_bar, beta_tilde`` (see the module notes). ``1`` is the
        paper; ``0`` removes every bonus (the greedy control).
    c_var : float
        Scale of the ``d^3 H^2`` coefficients in D and in the weight term ``2 d^3 H^2
        ||phi||^{1/2}``; ``1`` is the paper.
    p : float
        Failure probability in (0, 1) (the paper's delta; enters the log factor L).
    floor : {"sqrt_h", "h"}
        Weight floor of ``sigma_bar``: ``sqrt(H)`` (default, the correction reported by the
        HYRULE authors) or ``H`` (as printed in He et al. 2023).
    refactor_every : int
        Exact refactorisation of ``Sigma_h^{-1}`` after this many rank-one updates of stage h.
    record_policies : bool
        Keep ``policies`` (K, H, S) and, per episode, the acting ``Q`` and the pessimistic
        ``Q_check`` (K, H, S, A), ``states`` (K, H + 1), ``actions`` (K, H), the final
        ``Lambda`` (H, d, d) and ``log_det`` (H,) in ``trace.extras``, and at each of the n
        replanning episodes (``plan_episodes`` (n,)) the optimistic regression it planned
        with: ``plan_w_hat`` (n, H, d), the weighted Gram matrices ``plan_Lambda``
        (n, H, d, d) and the values ``plan_V`` (n, H + 1, S), ``plan_V[i, h + 1]`` being the
        target ``V_{k,h+1}`` of ``plan_w_hat[i, h]``; for small runs and checks.

    Notes
    -----
    One episode costs ``O(H (S d + d^2 + S A d))`` time whatever k (module notes), and
    memory ``O(H (S d + S A + d^2))`` besides the model. ``run`` returns a
    :class:`~mdptheory.regret.RegretTrace` with the exact pseudo-regret of the executed
    greedy policy and the realised regret; extras: ``replanned`` (K,), ``sigma_bar`` (K, H),
    ``optimism_gap``, ``optimistic``; metadata: the radii, ``lambda``, the floor, the burn-in
    (``burn_in_regret``, ``burn_in_floor``) and the number of replans.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> phi = np.eye(2).reshape(2, 1, 2)                  # one action, one-hot states
    >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))     # uniform next state
    >>> theta = np.tile([0.0, 1.0], (3, 1))
    >>> trace = LSVIUCBPP().run(LinearMDP(phi, mu, theta), budget=20, seed=0)
    >>> trace.pseudo_regret.shape, float(abs(trace.pseudo_regret).max())
    ((20,), 0.0)
    """

    c: float = PAPER_C
    c_var: float = PAPER_C_VAR
    p: float = 0.05
    floor: Literal["sqrt_h", "h"] = "sqrt_h"
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        check_positive("c_var", self.c_var, allow_zero=True)
        check_open_unit(self.p, "p")
        check_choice(self.floor, "floor", FLOORS)
        check_refactor_every(self.refactor_every)

    @property
    def constants(self) -> str:
        """``"paper (c = 1)"``, ``"greedy (c = 0)"`` or ``"scaled (c = ..., c_var = ...)"``."""
        if self.c == PAPER_C and self.c_var == PAPER_C_VAR:
            return "paper (c = 1)"
        if self.c == 0.0:
            return f"greedy (c = 0, c_var = {self.c_var:g})"
        return f"scaled (c = {self.c:g}, c_var = {self.c_var:g})"

    @property
    def label(self) -> str:
        """Short name, e.g. ``LSVI-UCB++`` or ``LSVI-UCB++ c=0.03 c_var=0.0001``."""
        name = "LSVI-UCB++"
        if (self.c, self.c_var) != (PAPER_C, PAPER_C_VAR):
            name += f" c={self.c:g} c_var={self.c_var:g}"
        if self.floor == "h":
            name += " (floor H)"
        return name

    def radii(self, d: int, H: int, K: int) -> tuple[float, float, float]:
        """``(beta, beta_bar, beta_tilde)`` of this learner."""
        return lsvi_ucb_pp_radii(d, H, K, self.p, self.c)

    def burn_in(self, d: int, H: int, K: int, until: str = "regret") -> int:
        """:func:`lsvi_ucb_pp_burn_in` with this learner's constants."""
        return lsvi_ucb_pp_burn_in(d, H, K, self.p, self.c, self.c_var, self.floor, until)

    def _learn(self, run: LinearRun) -> Simulation:
        """Algorithm 1 over the checked ``run``: radii, statistics, compiled episodes, record."""
        d, H, K = run.d, run.H, run.K
        beta, beta_bar, beta_tilde = self.radii(d, H, K)
        var_coef = 2.0 * self.c_var * d**3 * H * H  # 2 d^3 H^2 (D carries 4 = 2 * 2)
        floor = floor_value(self.floor, H)
        st, pp, Q_record, plans = _start(
            run.features, H, run.S, run.A, K, bool(self.record_policies)
        )
        run.simulate(
            _episodes,
            (st, pp, Q_record, plans),
            (beta, beta_bar, beta_tilde, var_coef, floor, int(self.refactor_every)),
        )
        extras: dict[str, np.ndarray] = {"replanned": st.replanned, "sigma_bar": pp.sigma_bar}
        if self.record_policies:
            n_plans = int(plans.count[0])
            extras.update(
                Q=Q_record,
                Q_check=pp.Qc_record,
                states=pp.states_record,
                actions=pp.actions_record,
                Lambda=st.Lambda,
                log_det=st.log_det,
                plan_episodes=plans.episodes[:n_plans].copy(),
                plan_w_hat=plans.w_hat[:n_plans].copy(),
                plan_Lambda=plans.Lambda[:n_plans].copy(),
                plan_V=plans.V[:n_plans].copy(),
            )
        return run.simulation(
            extras,
            dict(
                c=self.c,
                c_var=self.c_var,
                beta=beta,
                beta_bar=beta_bar,
                beta_tilde=beta_tilde,
                log_factor=lsvi_ucb_pp_log(d, H, K, self.p),
                radii_formula="beta = c (H sqrt(d lambda) + sqrt(d) L), beta_bar = c (H "
                "sqrt(d lambda) + sqrt(d^3 H^2) L), beta_tilde = c (H^2 sqrt(d lambda) + "
                "sqrt(d^3 H^4) L), L = log(d H K / (p lambda)) [S, logs not verified]",
                ridge_lambda=pp_lambda(H),
                floor=self.floor,
                floor_value=floor,
                floor_note="printed max{sigma, H, ...} (He et al. 2023); sqrt(H) needed by "
                "the proofs (HYRULE, Algorithm 4 and its typo report)",
                burn_in_regret=self.burn_in(d, H, K, "regret"),
                burn_in_floor=self.burn_in(d, H, K, "floor"),
                n_replans=int(st.replanned.sum()),
                max_replans=max_pp_switches(d, H, K, self.floor),
                **run.environment_metadata(),
                paper="He, Zhao, Zhou, Gu (ICML 2023), arXiv:2212.06132, Algorithm 1",
            ),
        )


@dataclass(frozen=True)
class ScaledLSVIUCBPP(LSVIUCBPP):
    """LSVI-UCB++ with the named scaled constants ``c = 0.03``, ``c_var = 1e-4``.

    The paper's constants keep early data down-weighted by about ``1/(4 d^6 H^5)`` and the
    bonus saturated far beyond any laptop budget (:func:`lsvi_ucb_pp_burn_in`); this opt-in
    variant shrinks the radii by ``c`` and the ``d^3 H^2`` coefficients by ``c_var`` and is
    recorded as ``"scaled (c = 0.03, c_var = 0.0001)"``.

    Examples
    --------
    >>> ScaledLSVIUCBPP().constants
    'scaled (c = 0.03, c_var = 0.0001)'
    """

    c: float = SCALED_C
    c_var: float = SCALED_C_VAR
