r"""HF-LSVI: a horizon-free weighted least-squares estimator for linear MDPs (reconstructed).

Paper
-----
Z. Zhang, J. D. Lee, Y. Chen, S. S. Du, *Horizon-Free Regret for Linear Markov Decision
Processes*, ICLR 2024, arXiv:2403.10738. Claim (abstract, read): regret ``O~(poly(d) sqrt K)``
with only polylog dependence on H when every episode's total reward is in [0, 1], obtained by
(1) keeping **multiple weighted least-squares estimators** of the value functions and (2) a
structural lemma bounding the total variation of the inhomogeneous value functions by
``poly(d)``; a summary adds "uniform variance bounds" and doubling-segment horizon
partitioning, and VOFUL confidence sets for the reward. The algorithm box, its weights and its
constants could not be read (``references/theory-wave2.md`` 2.2). What follows is a
**reconstruction** of that structure, not the paper's algorithm: every constant is recorded
``verified=False``. The paper's method is not computationally efficient (confidence sets over
value functions); this one is, and says at which sizes it runs (below).

Setting
-------
Episodic linear MDP with a **stationary** kernel ``P(s'|s,a) = phi(s,a) . mu(s')`` (the
horizon-free setting: a kernel that changes with h makes H a sample-size factor), known rewards
``r_h(s, a)`` (as in LSVI-UCB) with every trajectory's total reward at most 1, so every value is
in [0, 1]. Stages ``h = 0..H-1`` here, ``1..H`` in the paper.

Update (episode k; stages h = H-1..0)
-------------------------------------
Variance levels ``l = 0..L-1`` with ``sigma_l = 2^{-l}`` and ``L = 1 + ceil(log2 H)``, so the
smallest level's ``sigma_{L-1} <= 1/H`` is the weight floor. Pooled over the stages (the kernel
is stationary), level l regresses the **deficit** ``1 - V_{k,h+1}`` (``P V = 1 - P (1 - V)``
since ``P`` sums to 1, so the ridge shrinkage pulls ``P V`` towards its largest value 1 and a
level with little data is optimistic whatever the radius)::

    Sigma_l = lambda_c I + sum_{(i, h') in level l} sigma_l^{-2} phi_{i,h'} phi_{i,h'}^T
    w_{l,h} = Sigma_l^{-1} sum_{(i, h') in level l} sigma_l^{-2} phi_{i,h'} (1 - V_{k,h+1}(s'_i))

and the optimistic backup intersects the L confidence sets (the smallest upper bound wins)::

    U_h(s,a)     = min_l ( 1 - w_{l,h}^T phi + beta ||phi||_{Sigma_l^{-1}} )
    Q_{k,h}(s,a) = min{ r_h(s,a) + [U_h(s,a)]_{[0,1]}, 1 }
    beta = c (sqrt(d iota) + sqrt(lambda d)),  iota = log(L (1 + K H 4^{L-1} / (d lambda)) / p)
    lambda = 1,  lambda_c = c^2 lambda                                   (ridge, hf_ridge)

(``Q_{k,H-1} = r_{H-1}``: the next value is 0, known). The ridge follows the radius: the term
``c sqrt(lambda d) = sqrt(lambda_c d)`` bounds the ridge bias ``lambda_c phi^T Sigma_l^{-1}
theta`` (``||theta|| <= sqrt d``) only for the ridge ``lambda_c``. The deficit target makes an
*empty* level optimistic, but not a level holding a few observations of weight ``4^l``: it
extrapolates the deficit to the directions it has not seen, with a bias up to ``sqrt(lambda_c
d)`` times the width, and the minimum over the levels picks that bound when it is the smallest.
With the scaled radius c = 0.03 and the ridge left at lambda = 1, that bias exceeded the radius
and optimism was lost a few episodes after a level got its first observations (130-450
episodes in runs of 1 000-2 000, docs/variance_aware.md); at ``c = 1`` nothing changes.
The greedy policy of Q acts. After the episode, each observation ``(s_h, a_h, s_{h+1})`` goes
to the level of its **uniform variance bound** (the variance of every stage's next value at
once, since pooled data serve every stage), with ``m_j(h') = [phi^T u_j(h')]_{[0,1]}``::

    v_hat = min{ max_{h'} ( m_2(h') - m_1(h')^2 ) + 3 beta_var ||phi||_{G^{-1}}, 1 }
    level = min{ L - 1, max{ l : v_hat <= 4^{-l} } },   weight sigma_level^{-2} = 4^level

with ``u_1(h')``, ``u_2(h')`` the unweighted pooled ridge regressions (Gram ``G =
lambda_{c_var} I + sum phi phi^T``, the ridge of the radius ``beta_var``) of ``V_{k,h'+1}``
and ``V_{k,h'+1}^2``, and ``beta_var`` the radius at scale ``c_var``; the observation also
enters G. The ``3 beta_var`` slack covers the error of both
regressions (``|a^2 - b^2| <= 2 |a - b|`` on [0, 1]). Since ``sum_h Var V_{h+1} <= 1`` when
returns are in [0, 1] (law of total variance), data land in high levels as the variance
estimates sharpen, and the bonuses carry no polynomial H.

The control ``pooled=False`` (:class:`PerStageHFLSVI`) keeps the same estimators per stage
(Gram matrices indexed by h, variance bound of the own stage only): each stage then sees K
observations instead of K H, and its regret grows with H.

Reconstructed, not read: the level grid, the ``min`` over levels, the deficit target,
``beta`` (a self-normalised bound with the range term of Bernstein's inequality left out),
``lambda = 1`` and ``lambda_c = c^2 lambda``, the ``3 beta_var`` variance slack and the uniform
(max over stages) variance bound. Not implemented: the doubling-segment horizon partitioning
(a prototype charging one bonus per doubling segment was flat in H but lost optimism in almost
every episode; docs/variance_aware.md), the VOFUL reward sets (rewards are known here) and the
paper's confidence sets over value functions (docs/variance_aware.md).

Range-scaled variance bound (variant ``range_scaled=True``, :class:`RangeHFLSVI`)
-------------------------------------------------------------------------------
The slack ``3 beta_var ||phi||_{G^{-1}}`` above is the error of regressing a function with
range [0, 1]. A variance does not change under a shift, and the next values of one stage lie in
``[low_h, low_h + span_h]``, ``low_h = min_s V_{k,h+1}(s)``, ``span_h = max_s V_{k,h+1}(s) -
low_h``: regressing ``V_{k,h+1} - low_h`` (range ``span_h``) and its square (range
``span_h^2``), the noise and the ridge bias of both regressions scale with those ranges, so::

    m_j(h') = [phi^T u_j(h')]_{[0, span_{h'}^j]}   (u_1, u_2: regress V - low, (V - low)^2)
    v_hat   = min{ max_{h'} ( (m_2(h') - m_1(h')^2)^+ + 3 beta_var span_{h'}^2 ||phi||_{G^-1} ),
                   1 }

(``|a^2 - b^2| <= 2 span |a - b|`` on ``[0, span]``). With ``span_h = 1`` and ``low_h = 0``
this is the bound above, bit for bit. The bound, like the first one, holds for the values of
the episode that assigns the level, not for the later values the level's data also serve
(docs/variance_aware.md records where that loses optimism). Reconstructed, not read.

Constants
---------
``c = c_var = 1`` is recorded ``"paper form (c = 1), reconstructed"``; :class:`ScaledHFLSVI`
is the named opt-in variant ``c = c_var = 0.03``; ``c = 0`` is the greedy control (still
optimistic through the deficit prior). :func:`hf_lsvi_burn_in` gives the episodes before the
bonus summed along an episode falls below the value range 1.

Finite-state fast path and per-episode cost
-------------------------------------------
Each regression depends on past data only through ``M_l[s'] = sum sigma_l^{-2} phi 1[s'_i =
s']`` (S, d), so ``w_{l,h} = Sigma_l^{-1} M_l^T V_{h+1}`` costs ``O(S d + d^2)`` whatever k.
``Sigma_l^{-1}``, ``log det`` and the squared widths of all pairs are kept by LSVI-UCB's
weighted rank-one update (:func:`algorithms.linear.lsvi_ucb.absorb_weighted`), with an exact
refactorisation every ``refactor_every`` updates of a matrix. One episode costs
``O(H L (S A d + S d + d^2) + H^2 d)`` time (planning every stage with L + 1 regressions, the
uniform variance bound of H observations over H stages, 2 H rank-one updates ``O(d^2 + S A
d)``) plus the exact evaluation of the executed policy; memory ``O(H L (S A + S d + d^2))``.
Nothing grows with k. Measured at S = 10, A = 3, d = 4 (one core, exact regret included):
about 100 us per episode at H = 8, 0.8 ms at H = 64, 2 ms at H = 128 and 6 ms at H = 300
(``L = 10``), i.e. K = 2 000 episodes in 0.1 s to 12 s; memory is ``O(H L (S A + S d + d^2))``
floats, a few MB at H = 300.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    check_open_unit,
)
from algorithms._validation import check_positive
from algorithms.linear.episodic_run import LinearEpisodicLearner, LinearRun
from algorithms.linear.lsvi_ucb import (
    absorb_weighted,
    check_refactor_every,
    evaluate_and_act,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    greedy_backup,
)
from mdptheory.linear import LinearMDP

PAPER_C = 1.0
"""Scale of the radius at the paper's form of the constant (reconstructed)."""
SCALED_C = 0.03
SCALED_C_VAR = 0.03
"""The named scaled variant (:class:`ScaledHFLSVI`), chosen after pilot runs on
``horizon_free_stationary_simplex(S=10, A=3, H, d=4, seed=0)``, H in (8, 16, 32, 64), K = 2 000,
seeds 0-3, over (c, c_var) in {(0.003, 1), (0.03, 1), (0.1, 1), (0.003, 0.003), (0.03, 0.03),
(0.1, 0.1)}: with c_var = 1 the variance slack keeps every observation in levels 0-1 (weight
at most 4) and the regret grew about linearly in H (slopes 1.0, 0.9); c = c_var = 0.003 lost
optimism and kept a suboptimal policy at H >= 32; c = c_var = 0.03 had the flattest regret
(mean 1.9-2.7 at every H). The radius at c = 1 keeps the bonus saturated for longer than the
budget (:func:`hf_lsvi_burn_in`)."""
HF_LAMBDA = 1.0
"""Ridge parameter lambda of the paper form c = 1 (reconstructed); a radius scaled by c uses
the ridge :func:`hf_ridge` (c) = c^2 lambda, whose bias its term ``c sqrt(lambda d)`` bounds."""
RIDGE_FLOOR = 1e-6
"""Smallest ridge, as a fraction of lambda: keeps every Gram matrix invertible at c -> 0."""
RETURN_TOL = 1e-9
"""Slack on the total-reward assumption (largest trajectory return <= 1 + RETURN_TOL)."""
STATIONARY_TOL = 1e-12
"""Largest ``|mu_h - mu_0|`` accepted as a stationary kernel by the pooled estimator."""


def hf_levels(H: int) -> int:
    """Number of variance levels ``L = 1 + ceil(log2 H)`` (``sigma_{L-1} = 2^{1-L} <= 1/H``).

    Examples
    --------
    >>> hf_levels(1), hf_levels(8), hf_levels(9), hf_levels(300)
    (1, 4, 5, 10)
    """
    return 1 + math.ceil(math.log2(H)) if H > 1 else 1


def hf_ridge(c: float) -> float:
    """The ridge ``lambda_c = max(c^2, RIDGE_FLOOR) lambda`` of estimators whose radius is scaled
    by c.

    Why: ``c sqrt(lambda d) = sqrt(c^2 lambda d)`` is the bound ``sqrt(lambda_c) ||theta||``,
    ``||theta|| <= sqrt d``, on the ridge bias ``lambda_c phi^T Sigma^{-1} theta`` only when the
    ridge is ``lambda_c = c^2 lambda``. With the ridge left at lambda, a level holding a few
    heavily weighted observations extrapolates the deficit to directions it has not seen with a
    bias up to ``sqrt d ||phi||_{Sigma^{-1}}``, which the scaled radius does not cover, and the
    minimum over the levels takes that bound below ``P V`` (optimism lost). ``c = 1`` keeps
    lambda (the paper form is unchanged).

    Examples
    --------
    >>> hf_ridge(1.0), round(hf_ridge(0.03), 6), hf_ridge(0.0)
    (1.0, 0.0009, 1e-06)
    """
    return max(c * c, RIDGE_FLOOR) * HF_LAMBDA


def hf_lsvi_iota(d: int, H: int, K: int, p: float) -> float:
    """``iota = log(L (1 + K H 4^{L-1} / (d lambda)) / p)``: polylog in H (reconstructed).

    Examples
    --------
    >>> iota8, iota64 = hf_lsvi_iota(4, 8, 1000, 0.05), hf_lsvi_iota(4, 64, 1000, 0.05)
    >>> bool(iota64 < 2 * iota8)
    True
    """
    L = hf_levels(H)
    return math.log(L * (1.0 + K * H * 4.0 ** (L - 1) / (d * HF_LAMBDA)) / p)


def hf_lsvi_beta(d: int, H: int, K: int, p: float, c: float = PAPER_C) -> float:
    """``beta = c (sqrt(d iota) + sqrt(lambda d))`` (reconstructed; no polynomial H).

    Examples
    --------
    >>> round(hf_lsvi_beta(4, 8, 1000, 0.05, c=0.0), 6)
    0.0
    """
    return c * (math.sqrt(d * hf_lsvi_iota(d, H, K, p)) + math.sqrt(HF_LAMBDA * d))


def hf_lsvi_burn_in(
    d: int,
    H: int,
    K: int,
    p: float = 0.05,
    c: float = PAPER_C,
    pooled: bool = True,
    ridge: float | None = None,
) -> int:
    """Episodes before the bonus summed along an episode drops below the value range 1.

    Rule: every observation carries at least the level-0 weight 1, so a unit feature direction
    observed by a share 1/d of the data has Gram value ``g >= lambda_c + n_obs / d`` (ridge
    ``lambda_c = ridge`` or :func:`hf_ridge` (c)); the H
    per-stage bonuses ``beta g^{-1/2}`` of an episode sum below 1 once
    ``g >= (H beta)^2``. Pooled, a direction gains ``H / d`` observations per episode, so the
    burn-in is ``ceil(d ((H beta)^2 - lambda_c) / H)``; per stage (``pooled=False``),
    ``1 / d``, so ``ceil(d ((H beta)^2 - lambda_c))``. Higher levels carry larger weights, so
    this is the burn-in at the smallest weight, not a lower bound on it.

    Examples
    --------
    >>> hf_lsvi_burn_in(4, 8, 2000) > 2000                     # c = 1: longer than the run
    True
    >>> hf_lsvi_burn_in(4, 8, 2000, c=SCALED_C)
    3
    """
    beta = hf_lsvi_beta(d, H, K, p, c)
    g = (H * beta) ** 2 - (hf_ridge(c) if ridge is None else ridge)
    if g <= 0.0:
        return 1
    per_episode = H / d if pooled else 1.0 / d
    return max(1, math.ceil(g / per_episode))


# ---------------------------------------------------------------------------------------------
# Compiled kernels
# ---------------------------------------------------------------------------------------------


class HFState(NamedTuple):
    """The estimators' statistics, the plan and workspace, carried between episodes.

    Slots: block ``b`` (0 pooled, h per stage) holds levels ``b (L + 1) + l``, ``l < L``, and
    the unweighted variance-regression Gram ``b (L + 1) + L``."""

    Lambda: np.ndarray  # (H (L + 1), d, d)
    Lambda_inv: np.ndarray  # (H (L + 1), d, d)
    width2: np.ndarray  # (H (L + 1), S A): phi^T Sigma^{-1} phi
    M: np.ndarray  # (H (L + 1), S, d): weighted features aggregated by next state
    log_det: np.ndarray  # (H (L + 1),)
    n_updates: np.ndarray  # (H (L + 1),) int64
    Q: np.ndarray  # (H, S, A)
    V: np.ndarray  # (H + 1, S)
    policy: np.ndarray  # (H, S) int64
    u1: np.ndarray  # (H, d): regression of V_{h+1} on the variance Gram
    u2: np.ndarray  # (H, d): regression of V_{h+1}^2
    w: np.ndarray  # workspace (d,)
    target: np.ndarray  # workspace (d,)
    upper: np.ndarray  # workspace (S A,): smallest upper bound over the levels
    means: np.ndarray  # workspace (S A,)
    V2: np.ndarray  # workspace (S,)
    u: np.ndarray  # workspace (d,)
    z: np.ndarray  # workspace (S A,)
    scaled: np.ndarray  # workspace (d,)
    level: np.ndarray  # (K, H) int64: the level of each observation
    variance: np.ndarray  # (K, H): its uniform variance bound v_hat
    Q_record: np.ndarray  # (K or 0, H, S, A): the acting Q of each episode
    states_record: np.ndarray  # (K or 0, H + 1) int64
    actions_record: np.ndarray  # (K or 0, H) int64
    span: np.ndarray  # (H,): range max - min of V_{h+1} (1 unless range-scaled)
    low: np.ndarray  # (H,): min of V_{h+1}, the centre of the variance regressions (or 0)


@njit(cache=True)
def _block(h: int, pooled: bool) -> int:
    """The statistics block of stage h: one block for every stage when pooled."""
    return 0 if pooled else h


@njit(cache=True)
def _regress(
    st: HFState, slot: int, values: np.ndarray, out: np.ndarray, features: np.ndarray | None
) -> None:
    """``out = Sigma_slot^{-1} M_slot^T values`` and, with ``features``, ``st.means =
    features @ out``. Written as loops: at these sizes (d, S, S A of tens) a BLAS call costs
    more than the arithmetic, and a backward pass makes ``3 (L + 1) H`` of them."""
    M = st.M[slot]
    inv = st.Lambda_inv[slot]
    S, d = M.shape
    for i in range(d):
        acc = 0.0
        for s in range(S):
            acc += values[s] * M[s, i]
        st.target[i] = acc
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += inv[i, j] * st.target[j]
        out[i] = acc
    if features is not None:
        for n in range(features.shape[0]):
            acc = 0.0
            for i in range(d):
                acc += features[n, i] * out[i]
            st.means[n] = acc


@njit(cache=True)
def _plan(
    features: np.ndarray,
    R3: np.ndarray,
    st: HFState,
    beta: float,
    L: int,
    pooled: bool,
    range_scaled: bool,
) -> None:
    """Backward pass: the L level regressions, their smallest upper bound, the clip at 1, the
    greedy policy; and the two variance regressions of every stage (of ``V_{h+1} - low_h``
    and its square, ``low_h = min V_{h+1}`` when ``range_scaled``, else 0)."""
    H, S, A = R3.shape
    for h in range(H - 1, -1, -1):
        base = _block(h, pooled) * (L + 1)
        if h < H - 1:
            for n in range(S * A):
                st.upper[n] = np.inf
            # the deficit 1 - V_{h+1} is regressed: P V = 1 - P (1 - V) as P sums to 1, and
            # the ridge estimate shrinks the deficit towards 0, i.e. P V towards its maximum
            for s in range(S):
                st.V2[s] = 1.0 - st.V[h + 1, s]
            for lv in range(L):
                slot = base + lv
                _regress(st, slot, st.V2, st.w, features)
                for n in range(S * A):
                    # the width is a positive quadratic form: clamp only rounding
                    ub = 1.0 - st.means[n] + beta * math.sqrt(max(st.width2[slot, n], 0.0))
                    if ub < st.upper[n]:
                        st.upper[n] = ub
            vs = base + L
            # the variance is unchanged by a shift: centred at its minimum, V_{h+1} - low lies
            # in [0, span] and both regressions err by at most span (span^2) times the radius
            low = 0.0
            st.span[h] = 1.0
            if range_scaled:
                low = st.V[h + 1].min()
                st.span[h] = st.V[h + 1].max() - low
            st.low[h] = low
            for s in range(S):
                st.V2[s] = st.V[h + 1, s] - low
            _regress(st, vs, st.V2, st.u1[h], None)
            for s in range(S):
                x = st.V[h + 1, s] - low
                st.V2[s] = x * x
            _regress(st, vs, st.V2, st.u2[h], None)
        else:  # V_H = 0 is known: no regression, no bonus
            st.upper[:] = 0.0
            st.u1[h][:] = 0.0
            st.u2[h][:] = 0.0
            st.span[h] = 1.0 if not range_scaled else 0.0
            st.low[h] = 0.0
        for s in range(S):
            for a in range(A):
                nxt = min(max(st.upper[s * A + a], 0.0), 1.0)
                st.Q[h, s, a] = min(R3[h, s, a] + nxt, 1.0)  # values are in [0, 1]
        greedy_backup(st.Q[h], st.V[h], st.policy[h])


@njit(cache=True)
def _variance_bound(
    features: np.ndarray, st: HFState, h: int, n: int, beta: float, L: int, pooled: bool
) -> float:
    """``v_hat`` of the observation of pair n at stage h: the largest estimated next-value
    variance over the stages whose estimators use it, each plus its regressions' slack
    ``3 beta span_{h'}^2 ||phi||_{G^{-1}}`` (``span = 1``: the slack of the range [0, 1])."""
    H = st.u1.shape[0]
    x = features[n]
    lo, hi = (0, H) if pooled else (h, h + 1)
    var = 0.0
    d = x.shape[0]
    vs = _block(h, pooled) * (L + 1) + L
    width = math.sqrt(max(st.width2[vs, n], 0.0))
    for h2 in range(lo, hi):
        # loops, not np.dot: 2 H dot products of length d per observation
        p1 = 0.0
        p2 = 0.0
        for i in range(d):
            p1 += x[i] * st.u1[h2, i]
            p2 += x[i] * st.u2[h2, i]
        sp = st.span[h2]
        m1 = min(max(p1, 0.0), sp)
        m2 = min(max(p2, 0.0), sp * sp)
        # max(., 0) before the slack: with span 1 this is max_h' (m2 - m1^2)^+ + slack as
        # the learner was first written, bit for bit
        v = max(m2 - m1 * m1, 0.0) + 3.0 * beta * (sp * sp) * width
        if v > var:
            var = v
    return min(var, 1.0)


@njit(cache=True)
def _level(v: float, L: int) -> int:
    """The largest level l < L with ``v <= 4^{-l}`` (0 for v >= 1)."""
    if v <= 0.0:
        return L - 1
    lv = math.floor(-0.5 * math.log2(v))
    return min(max(lv, 0), L - 1)


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    st: HFState,
    start: int,
    stop: int,
    rng,
    beta: float,
    beta_var: float,
    L: int,
    pooled: bool,
    refactor_every: int,
    range_scaled: bool,
) -> None:
    """Episodes ``start..stop-1``: plan, evaluate exactly, act, bound the variances, absorb."""
    H = env.R3.shape[0]
    A = env.R3.shape[2]
    for k in range(start, stop):
        _plan(features, env.R3, st, beta, L, pooled, range_scaled)
        states, actions = evaluate_and_act(env, log, evaluation, k, st.Q, st.policy, rng)
        if st.Q_record.shape[0] > 0:
            st.Q_record[k] = st.Q
            st.states_record[k] = states
            st.actions_record[k] = actions
        # every variance bound uses the statistics from before this episode's data
        for h in range(H):
            n = states[h] * A + actions[h]
            v = _variance_bound(features, st, h, n, beta_var, L, pooled)
            st.variance[k, h] = v
            st.level[k, h] = _level(v, L)
        for h in range(H):
            n = states[h] * A + actions[h]
            base = _block(h, pooled) * (L + 1)
            lv = st.level[k, h]
            for slot, weight in ((base + lv, 4.0**lv), (base + L, 1.0)):
                absorb_weighted(
                    st, features, slot, n, states[h + 1], weight, refactor_every, st.scaled
                )


def _start(
    features: np.ndarray,
    H: int,
    S: int,
    A: int,
    K: int,
    L: int,
    ridge: float,
    ridge_var: float,
    record: bool = False,
) -> HFState:
    """Empty statistics: ``Sigma_l = ridge I`` for the levels, ``G = ridge_var I`` for the
    variance regressions (slot ``b (L + 1) + L`` of each block b)."""
    d = features.shape[1]
    n_rec = K if record else 0
    slots = H * (L + 1)
    lam = np.full(slots, ridge)
    lam[L :: L + 1] = ridge_var
    eye = np.eye(d)
    sq = np.einsum("ni,ni->n", features, features)
    return HFState(
        lam[:, None, None] * eye,
        eye / lam[:, None, None],
        sq[None, :] / lam[:, None],
        np.zeros((slots, S, d)),
        d * np.log(lam),
        np.zeros(slots, dtype=np.int64),
        np.empty((H, S, A)),
        np.zeros((H + 1, S)),
        np.zeros((H, S), dtype=np.int64),
        np.zeros((H, d)),
        np.zeros((H, d)),
        np.empty(d),
        np.empty(d),
        np.empty(S * A),
        np.empty(S * A),
        np.empty(S),
        np.empty(d),
        np.empty(S * A),
        np.empty(d),
        np.zeros((K, H), dtype=np.int64),
        np.zeros((K, H)),
        np.empty((n_rec, H, S, A)),
        np.empty((n_rec, H + 1), dtype=np.int64),
        np.empty((n_rec, H), dtype=np.int64),
        np.ones(H),
        np.zeros(H),
    )


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def largest_return(P4: np.ndarray, R3: np.ndarray, initial: np.ndarray) -> float:
    """The largest total reward of a trajectory with positive probability (max-plus backward
    induction over the transition supports).

    Examples
    --------
    >>> P4 = np.ones((1, 2, 1, 2)) / 2
    >>> largest_return(P4, np.full((3, 2, 1), 0.25), np.array([1.0, 0.0]))
    0.75
    """
    H, S, _ = R3.shape
    U = np.zeros(S)
    for h in range(H - 1, -1, -1):
        P = P4[h if P4.shape[0] > 1 else 0]
        U = (R3[h] + np.where(P > 0.0, U[None, None, :], -np.inf).max(axis=2)).max(axis=1)
    return float(U[initial > 0.0].max())


def check_horizon_free(model: LinearMDP, env: Environment, pooled: bool, learner: str) -> None:
    """Refuse a model outside the horizon-free setting: a trajectory whose total reward exceeds
    1, or (pooled estimator) a kernel ``mu_h`` that changes with h."""
    total = largest_return(env.P4, env.R3, env.initial)
    if total > 1.0 + RETURN_TOL:
        raise ValueError(
            f"{learner} needs every trajectory's total reward <= 1 (horizon-free setting), "
            f"the largest is {total!r}; normalise the model, e.g. with "
            "instances.variance_aware.horizon_free"
        )
    if pooled:
        mu = np.asarray(model.mu, dtype=np.float64)
        if mu.ndim == 3 and mu.shape[0] > 1:
            diff = np.abs(mu - mu[:1]).reshape(mu.shape[0], -1).max(axis=1)
            moved = np.flatnonzero(diff > STATIONARY_TOL)
            if moved.size:
                h = int(moved[0])
                raise ValueError(
                    f"{learner} pools the stages and needs a stationary kernel: mu[{h}] differs "
                    f"from mu[0] by {float(diff[h])!r}; use pooled=False (PerStageHFLSVI)"
                )


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HFLSVI(LinearEpisodicLearner):
    r"""Horizon-free weighted LSVI (reconstruction of Zhang, Lee, Chen, Du, ICLR 2024).

    Parameters
    ----------
    c : float
        Scale of ``beta = c (sqrt(d iota) + sqrt(lambda d))``. ``1`` is the paper's form
        (reconstructed, not read); ``0`` removes the bonus (greedy control).
    c_var : float
        Scale of ``beta_var``, the radius in the slack of the uniform variance bound that
        assigns each observation its level (``1``: the paper's form, reconstructed).
    p : float
        Failure probability in (0, 1) (enters iota).
    pooled : bool
        ``True``: one set of level estimators for every stage (stationary kernel). ``False``:
        one set per stage (the control :class:`PerStageHFLSVI`).
    refactor_every : int
        Exact refactorisation of a ``Sigma^{-1}`` after this many rank-one updates of it.
    record_policies : bool
        Keep the executed policies ``policies`` (K, H, S), the acting ``Q`` (K, H, S, A),
        ``states`` (K, H + 1) and ``actions`` (K, H) in ``trace.extras``; for small runs.
    ridge : float, optional
        Ridge of every estimator. ``None`` (default): :func:`hf_ridge` (c) for the levels and
        :func:`hf_ridge` (c_var) for the variance regressions, the ridges whose bias the
        scaled radii bound; a number sets both (``ridge=1.0`` with ``c < 1`` is the earlier
        inconsistent pairing, kept to show its loss of optimism, docs/variance_aware.md).
    range_scaled : bool
        ``True``: the variance regressions are centred at ``min V_{h+1}`` and the slack of the
        uniform variance bound is ``3 beta_var span^2 ||phi||_{G^{-1}}``, ``span = max V_{h+1}
        - min V_{h+1}`` (:class:`RangeHFLSVI`, module notes). ``False`` (default): the slack
        of the range [0, 1], ``3 beta_var ||phi||_{G^{-1}}``.

    Notes
    -----
    One episode costs ``O(H L (S A d + d^2) + H^2 d)`` whatever k, ``L = 1 + ceil(log2 H)``
    (module notes). ``run`` returns a :class:`~mdptheory.regret.RegretTrace` with the exact
    pseudo-regret of the executed greedy policy; extras: ``level`` (K, H), ``variance`` (K, H)
    (the uniform variance bound of each observation), ``optimism_gap``, ``optimistic``;
    metadata: ``beta``, ``iota``, ``n_levels``, ``burn_in``, ``pooled``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> phi = np.eye(2).reshape(2, 1, 2)                  # one action, one-hot states
    >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))     # uniform next state, stationary
    >>> theta = np.tile([0.0, 1.0 / 3.0], (3, 1))         # total reward <= 1
    >>> trace = HFLSVI().run(LinearMDP(phi, mu, theta), budget=20, seed=0)
    >>> trace.pseudo_regret.shape, float(abs(trace.pseudo_regret).max())
    ((20,), 0.0)
    """

    c: float = PAPER_C
    c_var: float = PAPER_C
    p: float = 0.05
    pooled: bool = True
    refactor_every: int = 1000
    record_policies: bool = False
    ridge: float | None = None
    range_scaled: bool = False

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        check_positive("c_var", self.c_var, allow_zero=True)
        check_positive("ridge", self.ridge, allow_none=True)
        check_open_unit(self.p, "p")
        if not isinstance(self.pooled, (bool, np.bool_)):
            raise ValueError(f"pooled must be a bool, got {self.pooled!r}")
        if not isinstance(self.range_scaled, (bool, np.bool_)):
            raise ValueError(f"range_scaled must be a bool, got {self.range_scaled!r}")
        check_refactor_every(self.refactor_every)

    @property
    def constants(self) -> str:
        """``"paper form (c = 1), reconstructed"``, ``"greedy (c = 0)"`` or ``"scaled (...)"``."""
        if self.c == PAPER_C and self.c_var == PAPER_C:
            return "paper form (c = 1), reconstructed"
        tail = "" if self.c_var == PAPER_C else f", c_var = {self.c_var:g}"
        if self.c == 0.0:
            return f"greedy (c = 0{tail})"
        return f"scaled (c = {self.c:g}{tail})"

    @property
    def label(self) -> str:
        """Short name, e.g. ``HF-LSVI`` or ``HF-LSVI c=0.03 c_var=0.03 (per stage)``."""
        name = "HF-LSVI-range" if self.range_scaled else "HF-LSVI"
        if (self.c, self.c_var) != (PAPER_C, PAPER_C):
            name += f" c={self.c:g} c_var={self.c_var:g}"
        if not self.pooled:
            name += " (per stage)"
        return name

    def beta(self, d: int, H: int, K: int) -> float:
        """:func:`hf_lsvi_beta` with this learner's constants."""
        return hf_lsvi_beta(d, H, K, self.p, self.c)

    def ridges(self) -> tuple[float, float]:
        """The ridges ``(lambda_c, lambda_c_var)`` of the level and variance regressions."""
        if self.ridge is not None:
            return float(self.ridge), float(self.ridge)
        return hf_ridge(self.c), hf_ridge(self.c_var)

    def burn_in(self, d: int, H: int, K: int) -> int:
        """:func:`hf_lsvi_burn_in` with this learner's constants."""
        return hf_lsvi_burn_in(d, H, K, self.p, self.c, bool(self.pooled), self.ridges()[0])

    def _learn(self, run: LinearRun) -> Simulation:
        """The estimator over the checked ``run`` (horizon-free model required): the compiled
        episodes and the record."""
        pooled = bool(self.pooled)
        check_horizon_free(run.model, run.env, pooled, type(self).__name__)
        d, H, K = run.d, run.H, run.K
        L = hf_levels(H)
        beta = float(self.beta(d, H, K))
        beta_var = hf_lsvi_beta(d, H, K, self.p, self.c_var)
        ridge, ridge_var = self.ridges()
        st = _start(
            run.features, H, run.S, run.A, K, L, ridge, ridge_var, bool(self.record_policies)
        )
        range_scaled = bool(self.range_scaled)
        run.simulate(
            _episodes,
            (st,),
            (beta, beta_var, L, pooled, int(self.refactor_every), range_scaled),
        )
        extras: dict[str, np.ndarray] = {"level": st.level, "variance": st.variance}
        if self.record_policies:
            extras.update(Q=st.Q_record, states=st.states_record, actions=st.actions_record)
        return run.simulation(
            extras,
            dict(
                c=self.c,
                c_var=self.c_var,
                beta=beta,
                beta_var=beta_var,
                iota=hf_lsvi_iota(d, H, K, self.p),
                beta_formula="beta = c (sqrt(d iota) + sqrt(lambda d)), iota = log(L (1 + K H "
                "4^(L-1) / (d lambda)) / p), L = 1 + ceil(log2 H) [reconstructed, not read]",
                ridge_lambda=ridge,
                ridge_lambda_var=ridge_var,
                ridge_formula="lambda_c = max(c^2, 1e-6) lambda, lambda = 1: the ridge whose "
                "bias the radius term c sqrt(lambda d) bounds (same rule with c_var for the "
                "variance regressions)"
                if self.ridge is None
                else "given",
                range_scaled=range_scaled,
                variance_slack="3 beta_var span^2 ||phi||_G^-1, span = max V_{h+1} - min "
                "V_{h+1}, regressions centred at min V_{h+1} [reconstructed]"
                if range_scaled
                else "3 beta_var ||phi||_G^-1 (range [0, 1]) [reconstructed]",
                n_levels=L,
                weight_floor=4.0 ** (1 - L),
                pooled=pooled,
                clip=1.0,
                burn_in=self.burn_in(d, H, K),
                **run.environment_metadata(),
                paper="Zhang, Lee, Chen, Du (ICLR 2024), arXiv:2403.10738 (structure from the "
                "abstract; estimator reconstructed)",
                verified=False,
            ),
        )


@dataclass(frozen=True)
class ScaledHFLSVI(HFLSVI):
    """HF-LSVI with the named scaled radii ``c = c_var = 0.03`` (see :data:`SCALED_C_VAR`).

    Examples
    --------
    >>> ScaledHFLSVI().constants
    'scaled (c = 0.03, c_var = 0.03)'
    """

    c: float = SCALED_C
    c_var: float = SCALED_C_VAR


@dataclass(frozen=True)
class PerStageHFLSVI(HFLSVI):
    """The control: HF-LSVI's estimators kept per stage instead of pooled, with the scaled
    radii ``c = c_var = 0.03``.

    Examples
    --------
    >>> PerStageHFLSVI().label
    'HF-LSVI c=0.03 c_var=0.03 (per stage)'
    """

    c: float = SCALED_C
    c_var: float = SCALED_C_VAR
    pooled: bool = False


@dataclass(frozen=True)
class RangeHFLSVI(HFLSVI):
    """HF-LSVI with the range-scaled uniform variance bound (``range_scaled=True``) and the
    scaled radii ``c = c_var = 0.03``: the variance regressions are centred at ``min V_{h+1}``
    and their slack is ``3 beta_var span^2 ||phi||_{G^{-1}}`` (module notes, "Range-scaled
    variance bound"; reconstructed).

    Examples
    --------
    >>> RangeHFLSVI().label, RangeHFLSVI().constants
    ('HF-LSVI-range c=0.03 c_var=0.03', 'scaled (c = 0.03, c_var = 0.03)')
    """

    c: float = SCALED_C
    c_var: float = SCALED_C_VAR
    range_scaled: bool = True


@dataclass(frozen=True)
class PerStageRangeHFLSVI(RangeHFLSVI):
    """The control of :class:`RangeHFLSVI`: the same estimators kept per stage.

    Examples
    --------
    >>> PerStageRangeHFLSVI().label
    'HF-LSVI-range c=0.03 c_var=0.03 (per stage)'
    """

    pooled: bool = False
