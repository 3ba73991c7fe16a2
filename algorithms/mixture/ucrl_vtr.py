r"""UCRL-VTR: optimistic planning with value-targeted regression on linear mixture MDPs.

Paper
-----
A. Ayoub, Z. Jia, C. Szepesvári, M. Wang, L. F. Yang, *Model-Based Reinforcement Learning with
Value-Targeted Regression*, ICML 2020, arXiv:2006.01107. Algorithm 1 (UCRL-VTR, episodic),
Theorem 1 (confidence set, "pick beta_k as in Eq. (6)"), the regret bound
``O~(d sqrt(H^3 T))``.

Setting
-------
Episodic, time-homogeneous linear mixture MDP (:class:`mdptheory.linear_mixture.
LinearMixtureMDP`): ``P(s'|s, a) = <phi(s'|s, a), theta>`` with known basis ``phi`` and
unknown ``theta``, ``||theta|| <= B``; known mean rewards in [0, 1] per step; K episodes,
``T = K H``. Stages are h = 1..H in the paper and ``h = 0..H-1`` here.

Update (episode k)
------------------
With the value features ``x_V(s, a) = sum_{s'} phi(s'|s, a) V(s')``::

    theta_k = M_k^{-1} b_k,   M_k = lambda I + sum x x^T,   b_k = sum x y            (VTR)
    Q_{k,h}(s, a) = min{ H, r_h(s, a) + <x_{V_{k,h+1}}(s, a), theta_k>
                             + sqrt(beta_k) ||x_{V_{k,h+1}}(s, a)||_{M_k^{-1}} }       (optimism)
    V_{k,h}(s) = max_a Q_{k,h}(s, a),   V_{k,H+1} = 0

then act greedily in Q_k for one episode and, for every step h, add the regression pair
``x = x_{V_{k,h+1}}(s_h, a_h)``, ``y = V_{k,h+1}(s_{h+1})`` (``E[y | past] = <x, theta>``).

Confidence radius (Theorem 1 via the self-normalised bound of Abbasi-Yadkori, Pál, Szepesvári
2011, Theorem 2), with ``n = (k - 1) H`` regression pairs before episode k, targets in [0, H]
(so the noise is H/2 sub-Gaussian) and ``||x|| <= L = H F`` (``F`` the basis's
:attr:`~mdptheory.linear_mixture.LinearMixtureAssumptions.feature_bound`)::

    sqrt(beta_k) = (H / 2) sqrt(2 log(1 / delta) + d log(1 + n L^2 / (lambda d)))
                   + sqrt(lambda) B

The formulas of Eq. (6) were not rendered in the text read (``theory-wave2.md`` 7.4, [S]): the
radius above is the self-normalised bound the paper's Theorem 1 instantiates, with lambda = 1;
it is labelled unverified in the checks.

Complexity
----------
Per episode O(H (d S^2 A + S A d^2)) for planning (value features of every (s, a), then the
width ``x^T M^{-1} x``) and O(H d^2) for the H Sherman-Morrison updates; ``M^{-1}`` is
recomputed exactly every ``refactor_every`` updates. The cost is the same at every k.

Which code implements which step
--------------------------------
* ``value_features``: ``x_V(s, a)`` for every pair.
* ``plan_optimistic``: the optimistic backward pass above (the ``min{H, ...}`` is marked).
* ``_episodes``: per episode, (2) ``theta_k = M^{-1} b`` and planning, (3) exact value of the
  executed policy (``evaluate_deterministic_reachable``), (4) one episode (``act``) and its
  record (``record_episode``), (5) the regression pairs enter ``M`` and ``b``
  (``sherman_morrison_update``).
* ``ucrl_vtr_radius``: ``sqrt(beta_k)``.

Constants and variants
----------------------
lambda = 1, delta = 0.05 and the radius above are the defaults (``constants = "paper (c =
1)"``). ``c`` multiplies ``sqrt(beta_k)``: any other c > 0 is the named variant ``"scaled (c =
...)"``, and ``c = 0`` is the greedy control (:class:`GreedyVTR`), recorded as ``"greedy (c =
0)"``. ``B`` defaults to the model's ``||theta||`` (the paper assumes a known bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scale_constants
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    EpisodicLearner,
    Simulation,
    act,
    check_budget,
    check_open_unit,
    check_positive,
    environment,
    record_episode,
    simulate,
    start_log,
)
from algorithms._validation import check_no_bonus, check_unit_rewards
from algorithms.linear.lsvi_ucb import check_refactor_every, sherman_morrison_update
from mdptheory._kernels import (
    ReachableEvaluation,
    evaluate_deterministic_reachable,
    first_difference,
    greedy_backup,
)
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.seeding import SeedLike, as_generator

PAPER_C = 1.0
LAMBDA = 1.0
"""Ridge parameter lambda of the regression (the paper's choice, as recalled)."""


def ucrl_vtr_radius(
    d: int, H: int, n: np.ndarray | float, delta: float, B: float, L: float, lam: float = LAMBDA
) -> np.ndarray | float:
    """``sqrt(beta)`` after ``n`` regression pairs (module notes; Theorem 1, Eq. (6)).

    Examples
    --------
    >>> r0 = ucrl_vtr_radius(4, 5, 0, 0.05, B=1.0, L=10.0)
    >>> round(float(r0), 6) == round(2.5 * math.sqrt(2 * math.log(20)) + 1.0, 6)
    True
    """
    n = np.asarray(n, dtype=np.float64)
    inside = 2.0 * math.log(1.0 / delta) + d * np.log1p(n * L * L / (lam * d))
    out = 0.5 * H * np.sqrt(inside) + math.sqrt(lam) * B
    return float(out) if out.ndim == 0 else out


def ucrl_vtr_regret_bound(d: int, H: int, K: int, delta: float, B: float, L: float) -> float:
    """``2 sqrt(beta_K) sqrt(2 d T log(1 + T L^2 / (lambda d))) + H sqrt(2 T log(1/delta))``.

    The order ``O~(d sqrt(H^3 T))`` of the paper's regret bound, in the form its proof takes
    (elliptical potential over the ``T = K H`` regression pairs, each term at most ``H``, plus
    the martingale term); constants as recalled, not read. Reported, never judged.

    Examples
    --------
    >>> ucrl_vtr_regret_bound(4, 5, 1000, 0.05, 1.0, 10.0) > 5 * 1000   # vacuous at small K
    True
    """
    T = K * H
    radius = ucrl_vtr_radius(d, H, T, delta, B, L)
    potential = 2.0 * d * T * math.log1p(T * L * L / (LAMBDA * d))
    return 2.0 * radius * math.sqrt(potential) + H * math.sqrt(2.0 * T * math.log(1.0 / delta))


# ---------------------------------------------------------------------------------------------
# Compiled kernels
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def value_features(basis2: np.ndarray, V: np.ndarray, out: np.ndarray) -> None:
    """``out[r, i] = sum_{s'} basis2[i, r, s'] V[s']`` for every pair ``r = s A + a``.

    ``basis2`` is the basis as (d, S A, S); entries that are zero add nothing, and a sparse
    basis (the tabular embedding) is skipped entry by entry.
    """
    d, n_pairs, S = basis2.shape
    for r in range(n_pairs):
        for i in range(d):
            acc = 0.0
            row = basis2[i, r]
            for t in range(S):
                w = row[t]
                if w != 0.0:
                    acc += w * V[t]
            out[r, i] = acc


@njit(cache=True)
def width(M_inv: np.ndarray, x: np.ndarray) -> float:
    """``||x||_{M^{-1}} = sqrt(x^T M^{-1} x)`` (0 when rounding makes it negative)."""
    d = x.shape[0]
    total = 0.0
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += M_inv[i, j] * x[j]
        total += x[i] * acc
    return math.sqrt(total) if total > 0.0 else 0.0


@njit(cache=True)
def plan_optimistic(
    basis2: np.ndarray,
    R3: np.ndarray,
    theta_hat: np.ndarray,
    M_inv: np.ndarray,
    radius: float,
    clip: float,
    X: np.ndarray,
    Q: np.ndarray,
    V: np.ndarray,
    policy: np.ndarray,
) -> None:
    """The optimistic backward pass: ``X[h]`` (S A, d) the value features of ``V[h + 1]``,
    ``Q[h] = min{clip, R + <X, theta> + radius ||X||_{M^{-1}}}``, ``V[h]``, ``policy[h]``."""
    H, S, A = R3.shape
    d = theta_hat.shape[0]
    for h in range(H - 1, -1, -1):
        value_features(basis2, V[h + 1], X[h])
        for s in range(S):
            for a in range(A):
                x = X[h, s * A + a]
                mean = 0.0
                for i in range(d):
                    mean += x[i] * theta_hat[i]
                bonus = radius * width(M_inv, x) if radius > 0.0 else 0.0
                Q[h, s, a] = min(clip, R3[h, s, a] + mean + bonus)  # clip at H, as printed
        greedy_backup(Q[h], V[h], policy[h])


@njit(cache=True)
def absorb_pair(
    M: np.ndarray,
    M_inv: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    y: float,
    u: np.ndarray,
    n_updates: np.ndarray,
    refactor_every: int,
) -> None:
    """Add the regression pair (x, y): ``M += x x^T`` (and its inverse by Sherman-Morrison,
    exactly refactorised every ``refactor_every`` updates), ``b += x y``."""
    d = x.shape[0]
    for i in range(d):
        b[i] += x[i] * y
        for j in range(d):
            M[i, j] += x[i] * x[j]
    n_updates[0] += 1
    if n_updates[0] % refactor_every == 0:
        inv = np.linalg.inv(M)
        for i in range(d):
            for j in range(d):
                M_inv[i, j] = 0.5 * (inv[i, j] + inv[j, i])
    else:
        sherman_morrison_update(M_inv, x, u)


class VTRStatistics(NamedTuple):
    """The regression statistics and planning arrays of a value-targeted learner."""

    M: np.ndarray  # (d, d): lambda I + sum x x^T
    M_inv: np.ndarray  # (d, d)
    b: np.ndarray  # (d,): sum x y
    theta_hat: np.ndarray  # (d,)
    u: np.ndarray  # (d,): Sherman-Morrison workspace
    n_updates: np.ndarray  # (1,) int64
    X: np.ndarray  # (H, S A, d): value features of V[h + 1]
    Q: np.ndarray  # (H, S, A)
    V: np.ndarray  # (H + 1, S), V[H] = 0
    policy: np.ndarray  # (H, S)


def start_vtr_statistics(d: int, H: int, S: int, A: int, lam: float = LAMBDA) -> VTRStatistics:
    """``M = lambda I``, ``b = 0`` and empty planning arrays."""
    return VTRStatistics(
        lam * np.eye(d),
        np.eye(d) / lam,
        np.zeros(d),
        np.zeros(d),
        np.zeros(d),
        np.zeros(1, dtype=np.int64),
        np.zeros((H, S * A, d)),
        np.zeros((H, S, A)),
        np.zeros((H + 1, S)),
        np.zeros((H, S), dtype=np.int64),
    )


@njit(cache=True)
def solve_theta(state: VTRStatistics) -> None:
    """``theta_hat = M^{-1} b``."""
    d = state.b.shape[0]
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += state.M_inv[i, j] * state.b[j]
        state.theta_hat[i] = acc


@njit(cache=True)
def _episodes(
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    state: VTRStatistics,
    basis2: np.ndarray,
    radii: np.ndarray,
    theta: np.ndarray,
    theta_error: np.ndarray,
    visited: np.ndarray,
    taken: np.ndarray,
    start: int,
    stop: int,
    rng,
    refactor_every: int,
) -> None:
    """Episodes ``start..stop-1`` of UCRL-VTR (Algorithm 1); ``visited`` (K, H + 1) and
    ``taken`` (K, H) keep the trajectories when they have K rows."""
    P4, R3, initial = env.P4, env.R3, env.initial
    H, _, A = R3.shape
    d = theta.shape[0]
    clip = float(H)
    diff = np.empty(d)
    for k in range(start, stop):
        # (2) Value-targeted regression estimate and optimistic planning.
        solve_theta(state)
        for i in range(d):
            diff[i] = state.theta_hat[i] - theta[i]
        # ||theta_k - theta||_{M_k} (records only: the learner never reads theta).
        quad = 0.0
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += state.M[i, j] * diff[j]
            quad += diff[i] * acc
        theta_error[k] = math.sqrt(max(quad, 0.0))
        plan_optimistic(
            basis2,
            R3,
            state.theta_hat,
            state.M_inv,
            radii[k],
            clip,
            state.X,
            state.Q,
            state.V,
            state.policy,
        )
        # (3) Exact value of the executed policy.
        first = first_difference(state.policy, evaluation)
        if first < H:
            evaluate_deterministic_reachable(P4, R3, state.policy, initial, evaluation, first)
        # (4) One episode.
        states, actions, rewards = act(env, state.policy, rng)
        record_episode(log, k, state.policy, state.Q, evaluation.value[0], states, rewards)
        if visited.shape[0] > 0:
            visited[k] = states
            taken[k] = actions
        # (5) The H regression pairs (x_{V_{h+1}}(s_h, a_h), V_{h+1}(s_{h+1})).
        for h in range(H):
            x = state.X[h, states[h] * A + actions[h]]
            absorb_pair(
                state.M,
                state.M_inv,
                state.b,
                x,
                state.V[h + 1, states[h + 1]],
                state.u,
                state.n_updates,
                refactor_every,
            )


def check_mixture_model(model: object, learner: str) -> tuple[np.ndarray, Environment]:
    """``(basis2, environment)`` of a homogeneous linear mixture MDP with rewards in [0, 1]."""
    if not isinstance(model, LinearMixtureMDP):
        raise ValueError(
            f"{learner} needs a LinearMixtureMDP, got {type(model).__name__}: {model!r}"
        )
    if not model.homogeneous:
        raise ValueError(
            f"{learner} needs a time-homogeneous model (one theta); {model!r} has "
            f"theta per stage, shape {model.theta.shape}"
        )
    check_unit_rewards(np.asarray(model.R, dtype=np.float64), learner, "clip at H and regret bound")
    basis2 = np.ascontiguousarray(model.basis.reshape(model.d, model.S * model.A, model.S))
    return basis2, environment(model.tabular())


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UCRLVTR(EpisodicLearner):
    r"""UCRL-VTR (Ayoub et al., ICML 2020, Algorithm 1) with exact per-episode regret.

    Parameters
    ----------
    c : float
        Multiplier of the confidence radius ``sqrt(beta_k)``. ``c = 1`` (default) is the
        radius of the module notes (``constants = "paper (c = 1)"``); any other c > 0 is the
        named variant ``"scaled (c = ...)"``; ``c = 0`` is the greedy control.
    delta : float
        Confidence parameter in (0, 1).
    theta_bound : float or None
        The known bound ``B >= ||theta||``; None uses the model's ``||theta||``.
    refactor_every : int
        Exact recomputation of ``M^{-1}`` after this many rank-one updates.
    record_policies : bool
        Keep the executed policies ``policies`` (K, H, S) and the trajectories ``states``
        (K, H + 1), ``actions`` (K, H) in ``trace.extras``; for small runs and tests.

    Notes
    -----
    ``pseudo_regret[k] = V*_1(rho) - V^{pi_k}_1(rho)`` exactly on the tabular twin. Extras:
    ``radius[k]`` (``c sqrt(beta_k)``), ``theta_error[k] = ||theta_k - theta||_{M_k}`` and
    ``in_confidence_set[k]`` (``theta_error <= sqrt(beta_k)``, Theorem 1's event),
    ``optimism_gap`` and ``optimistic`` as for every episodic learner. Per-episode cost
    O(H (d S^2 A + S A d^2)).

    ``run(model, budget, seed)`` raises ``ValueError`` for a model that is not a homogeneous
    LinearMixtureMDP, rewards outside [0, 1], or a budget that is not a positive int.

    Examples
    --------
    >>> from instances.linear_mixture import random_linear_mixture_mdp
    >>> mdp = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, rewards="per_step", seed=0)
    >>> trace = UCRLVTR().run(mdp, budget=30, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.extras["in_confidence_set"].all())
    ((30,), True)
    """

    c: float = PAPER_C
    delta: float = 0.05
    theta_bound: float | None = None
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        check_open_unit(self.delta, "delta")
        if self.theta_bound is not None:
            check_positive("theta_bound", self.theta_bound)
        check_refactor_every(self.refactor_every)

    @property
    def constants(self) -> str:
        """``"paper (c = 1)"``, ``"greedy (c = 0)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "paper (c = 1)", "greedy (c = 0)", PAPER_C)

    @property
    def label(self) -> str:
        """``UCRL-VTR``, ``UCRL-VTR c=0.1`` or ``greedy VTR``."""
        if self.c == 0.0:
            return "greedy VTR"
        return "UCRL-VTR" if self.c == PAPER_C else f"UCRL-VTR c={self.c:g}"

    def radius_constants(self, model: LinearMixtureMDP) -> tuple[float, float]:
        """``(B, L)``: the bound on ``||theta||`` and on ``||x_V||`` (``H`` times the basis's
        feature bound)."""
        assumptions = model.assumptions()
        B = self.theta_bound if self.theta_bound is not None else assumptions.theta_norm
        return float(B), float(model.H * assumptions.feature_bound)

    def radii(self, model: LinearMixtureMDP, K: int, scaled: bool = True) -> np.ndarray:
        """``c sqrt(beta_k)`` (or ``sqrt(beta_k)`` when not ``scaled``) for k = 0..K-1, with
        ``k H`` regression pairs before episode k."""
        B, L = self.radius_constants(model)
        n = np.arange(K, dtype=np.float64) * model.H
        radius = ucrl_vtr_radius(model.d, model.H, n, self.delta, B, L)
        return self.c * radius if scaled else radius

    def _simulate(self, model, budget: int, seed: SeedLike, exact_regret: bool = True):
        basis2, env = check_mixture_model(model, type(self).__name__)
        K = check_budget(budget)
        H, S, A = env.R3.shape
        log, evaluation = start_log(env, K, self.record_policies, exact_regret)
        state = start_vtr_statistics(model.d, H, S, A)
        radii = np.ascontiguousarray(self.radii(model, K))
        theta = np.ascontiguousarray(model.theta[0])
        theta_error = np.zeros(K)
        kept = K if self.record_policies else 0
        visited = np.zeros((kept, H + 1), dtype=np.int64)
        taken = np.zeros((kept, H), dtype=np.int64)
        rng = as_generator(seed)
        every = int(self.refactor_every)
        simulate(
            log,
            lambda start, stop: _episodes(
                env,
                log,
                evaluation,
                state,
                basis2,
                radii,
                theta,
                theta_error,
                visited,
                taken,
                start,
                stop,
                rng,
                every,
            ),
        )
        B, L = self.radius_constants(model)
        recorded = {"states": visited, "actions": taken} if self.record_policies else {}
        return Simulation(
            model,
            log,
            {
                **recorded,
                "radius": radii,
                "theta_error": theta_error,
                "in_confidence_set": theta_error <= self.radii(model, K, scaled=False),
                "theta_hat": state.theta_hat.copy(),
            },
            dict(
                c=self.c,
                c_default=PAPER_C,
                ridge_lambda=LAMBDA,
                theta_bound=B,
                value_feature_bound=L,
                radius_formula="sqrt(beta_k) = (H/2) sqrt(2 log(1/delta) + d log(1 + n L^2 / "
                "(lambda d))) + sqrt(lambda) B, n = (k - 1) H",
                clip=float(H),
                paper="Ayoub, Jia, Szepesvari, Wang, Yang (ICML 2020), arXiv:2006.01107, Alg. 1",
                regret_bound=ucrl_vtr_regret_bound(model.d, H, K, self.delta, B, L),
            ),
        )


@dataclass(frozen=True)
class GreedyVTR(UCRLVTR):
    """Value-targeted regression without optimism (c = 0): the control for UCRL-VTR.

    Examples
    --------
    >>> GreedyVTR().label, GreedyVTR().constants
    ('greedy VTR', 'greedy (c = 0)')
    """

    c: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_no_bonus("GreedyVTR", self.c, "bonus", "UCRLVTR")
