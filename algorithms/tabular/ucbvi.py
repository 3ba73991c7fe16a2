r"""UCBVI: optimistic model-based value iteration with Hoeffding or Bernstein-Freedman bonuses.

Paper
-----
M. G. Azar, I. Osband, R. Munos, *Minimax Regret Bounds for Reinforcement Learning*, ICML 2017,
arXiv:1703.05449 (v2). Algorithm 1 (UCBVI), Algorithm 2 (UCB-Q-values), Algorithm 3 (bonus_1,
UCBVI-CH), Algorithm 4 (bonus_2, UCBVI-BF), Theorems 1 and 2 (p. 5).

Setting
-------
Episodic MDP with S states, A actions, horizon H, a **stationary** unknown kernel P(y | x, a)
and **known** deterministic mean rewards R(x, a) in [0, 1]; K episodes, T = KH steps.
Regret(K) = sum_k V*_1(x_{k,1}) - V^{pi_k}_1(x_{k,1}). Stages are h = 1..H in the paper and
``h = 0..H-1`` here; the paper's ``V_{k,H+1} = 0`` is ``V[H] = 0``.

Update (episode k)
------------------
Counts pooled over all steps of all earlier episodes: N_k(x, a, y), N_k(x, a) = sum_y N_k(x, a, y),
P̂_k(y | x, a) = N_k(x, a, y) / N_k(x, a). Backward pass, h = H, ..., 1, with V_{k,H+1} = 0::

    Q_{k,h}(x, a) = H                                                             if N_k(x, a) = 0
    Q_{k,h}(x, a) = min{ Q_{k-1,h}(x, a), H, R(x, a) + P̂_k V_{k,h+1}(x, a) + b_{k,h}(x, a) }
    V_{k,h}(x)    = max_a Q_{k,h}(x, a),        pi_k(x, h) = argmax_a Q_{k,h}(x, a),   Q_{0,h} = H

with L = ln(5 S A T / delta) and N = N_k(x, a), the bonuses are

* UCBVI-CH (Alg. 3):  b = 7 H L / sqrt(N)
* UCBVI-BF (Alg. 4):  b = sqrt(8 L Var_{y ~ P̂}[V_{k,h+1}(y)] / N) + 14 H L / (3 N)
  + sqrt(8 sum_y P̂(y | x, a) min{100^2 H^3 S^2 A L^2 / N'_{k,h+1}(y), H^2} / N),

where N'_{k,h+1}(y) counts earlier episodes that were in state y at step h + 1 (the minimum is
H^2 when that count is 0). The policy pi_k is run for one episode and the counts are updated.

Which code implements which step
--------------------------------
* ``_plan`` : the backward pass above (Alg. 2); the ``N == 0`` branch, the bonus branches
  (Alg. 3 / Alg. 4) and the three-way ``min`` are marked in comments.
* ``_stage_visit_term`` : the vector y -> min{100^2 H^3 S^2 A L^2 / N'_{k,h+1}(y), H^2} of Alg. 4.
* ``UCBVI._simulate``, step (1): exact V* and Q* by backward induction on the true model
  (regret oracle); ``_episodes``, per episode, step (2): ``_plan``; step (3): exact value of the
  executed policy pi_k (``evaluate_deterministic_reachable``, again only from the first stage
  at which pi_k acts differently from the last evaluated policy at a state it reaches); step
  (4): one episode of pi_k (``act``) and its record (``record_episode``: pseudo-regret,
  realised regret, optimism gap); step (5): count updates (Alg. 1, last lines).
* ``ucbvi_regret_bound`` : the explicit bounds of Theorem 1 (CH) and Theorem 2 (BF).

Constants
---------
The paper's constants and log factors are the default. ``bonus_scale`` multiplies the bonus
and is an opt-in, named variant (recorded as ``constants = "scaled"`` in the trace
metadata); it voids the guarantee of Theorems 1 and 2. The log in the bonus is
ln(5SAT/delta) (Algs. 3-4) while the theorems print ln(5HSAT/delta); both are kept as printed.

The one departure is opt-in: ``transitions="per_stage"`` keeps counts per stage (a
non-stationary extension, not the paper's algorithm). Rewards are known, as the paper assumes:
for a model with reward noise the learner plans with the mean rewards ``R``, and only the
realised regret sees the sampled rewards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scaled_label
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    EpisodicLearner,
    Simulation,
    check_budget,
    check_choice,
    check_episodic_model,
    check_open_unit,
    check_positive,
    count_transitions,
    evaluate_and_act,
    simulate,
    start_log,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    greedy_backup,
)
from mdptheory.seeding import SeedLike, as_generator

BONUSES = ("hoeffding", "bernstein")
TRANSITIONS = ("stationary", "per_stage")


def ucbvi_log_factor(S: int, A: int, H: int, K: int, delta: float) -> float:
    """The bonus log factor ``L = ln(5 S A T / delta)``, ``T = K H`` (Algorithms 3 and 4).

    Examples
    --------
    >>> round(ucbvi_log_factor(2, 2, 5, 100, 0.1), 4)   # ln(5 * 2 * 2 * 500 / 0.1)
    11.5129
    """
    return math.log(5.0 * S * A * K * H / delta)


def ucbvi_regret_bound(
    S: int,
    A: int,
    H: int,
    K: int,
    delta: float,
    bonus: Literal["hoeffding", "bernstein"] = "hoeffding",
) -> float:
    """The explicit high-probability regret bound of Azar et al. (2017), Theorems 1 and 2.

    With ``L = ln(5 H S A T / delta)`` and ``T = K H`` (note the extra H compared with the
    bonus's log, as printed):

    * Theorem 1 (UCBVI-CH): ``20 H^{3/2} L sqrt(S A K) + 250 H^2 S^2 A L^2``
    * Theorem 2 (UCBVI-BF): ``30 H L sqrt(S A K) + 2500 H^2 S^2 A L^2 + 4 H^{3/2} sqrt(K L)``

    Each holds with probability at least ``1 - delta`` for rewards in [0, 1].

    Examples
    --------
    >>> ucbvi_regret_bound(5, 2, 4, 1000, 0.05) > 4 * 1000   # vacuous at small K
    True
    """
    check_choice(bonus, "bonus", BONUSES)
    delta = check_open_unit(delta, "delta")
    L = math.log(5.0 * H * S * A * K * H / delta)
    if bonus == "hoeffding":
        return 20.0 * H**1.5 * L * math.sqrt(S * A * K) + 250.0 * H**2 * S**2 * A * L**2
    return (
        30.0 * H * L * math.sqrt(S * A * K)
        + 2500.0 * H**2 * S**2 * A * L**2
        + 4.0 * H**1.5 * math.sqrt(K * L)
    )


@njit(cache=True)
def _stage_visit_term(visits_next: np.ndarray, big: float, H: int, out: np.ndarray) -> None:
    """``out[y] = min{big / N'(y), H^2}`` with ``big = 100^2 H^3 S^2 A L^2`` (Alg. 4, 3rd term)."""
    cap = float(H) * float(H)
    for y in range(visits_next.shape[0]):
        n = visits_next[y]
        out[y] = cap if n == 0.0 else min(big / n, cap)


@njit(cache=True)
def _plan(
    R3: np.ndarray,
    N_sas: np.ndarray,
    N_sa: np.ndarray,
    visits: np.ndarray,
    Q: np.ndarray,
    V: np.ndarray,
    policy: np.ndarray,
    bernstein: bool,
    L: float,
    scale: float,
    per_stage: bool,
    visit_term: np.ndarray,
) -> None:
    """One optimistic backward pass (Alg. 2).

    ``Q`` holds Q_{k-1} on entry and Q_k on exit; ``V`` and ``policy`` are overwritten.
    """
    H, S, A = R3.shape
    Hf = float(H)
    big = 1.0e4 * Hf**3 * S * S * A * L * L
    for h in range(H - 1, -1, -1):
        hc = h if per_stage else 0
        next_value = V[h + 1]
        if bernstein:
            _stage_visit_term(visits[h + 1], big, H, visit_term)
        for s in range(S):
            for a in range(A):
                n = N_sa[hc, s, a]
                if n == 0.0:
                    # Unvisited pair: Q = H (Alg. 2, first branch).
                    q = Hf
                else:
                    counts = N_sas[hc, s, a]
                    mean = 0.0
                    for y in range(S):
                        mean += counts[y] * next_value[y]
                    mean /= n  # P̂_k V_{k,h+1}(x, a)
                    if bernstein:
                        # Alg. 4. Two-pass variance, so rounding never makes it negative.
                        var = 0.0
                        extra = 0.0
                        for y in range(S):
                            d = next_value[y] - mean
                            var += counts[y] * d * d
                            extra += counts[y] * visit_term[y]
                        var /= n
                        extra /= n
                        bonus = (
                            math.sqrt(8.0 * L * var / n)
                            + 14.0 * Hf * L / (3.0 * n)
                            + math.sqrt(8.0 * extra / n)
                        )
                    else:
                        bonus = 7.0 * Hf * L / math.sqrt(n)  # Alg. 3
                    # Three-way minimum of Alg. 2: previous episode's Q, H, optimistic backup.
                    q = min(Q[h, s, a], Hf, R3[h, s, a] + mean + scale * bonus)
                Q[h, s, a] = q
        greedy_backup(Q[h], V[h], policy[h])  # V_{k,h}, pi_k(., h)


class _State(NamedTuple):
    """UCBVI's statistics and planning arrays, carried from one episode to the next."""

    N_sas: np.ndarray  # (1 or H, S, A, S): N_k(x, a, y), pooled unless per stage
    N_sa: np.ndarray  # (1 or H, S, A): N_k(x, a)
    visits: np.ndarray  # (H + 1, S): N'_{k,h}(y), earlier visits to y at step h
    Q: np.ndarray  # (H, S, A): Q_{k-1} on entry to _plan, Q_k after it
    V: np.ndarray  # (H + 1, S), V[H] = 0
    policy: np.ndarray  # (H, S): pi_k
    visit_term: np.ndarray  # (S,): workspace of _stage_visit_term


def _start(H: int, S: int, A: int, per_stage: bool) -> _State:
    """Zero counts and ``Q_{0,h} = H`` (Alg. 1, initialisation)."""
    n_count_stages = H if per_stage else 1
    return _State(
        np.zeros((n_count_stages, S, A, S)),
        np.zeros((n_count_stages, S, A)),
        np.zeros((H + 1, S)),
        np.full((H, S, A), float(H)),
        np.zeros((H + 1, S)),
        np.zeros((H, S), dtype=np.int64),
        np.zeros(S),
    )


@njit(cache=True)
def _episodes(
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    state: _State,
    start: int,
    stop: int,
    rng,
    bernstein: bool,
    L: float,
    scale: float,
    per_stage: bool,
) -> None:
    """Episodes ``start..stop-1`` of UCBVI (Alg. 1): plan, evaluate exactly, act, count."""
    R3 = env.R3
    N_sas, N_sa, visits, Q, V, policy = (
        state.N_sas,
        state.N_sa,
        state.visits,
        state.Q,
        state.V,
        state.policy,
    )
    H = R3.shape[0]
    for k in range(start, stop):
        # (2) Optimistic planning on the empirical model with the bonus.
        _plan(
            R3, N_sas, N_sa, visits, Q, V, policy, bernstein, L, scale, per_stage, state.visit_term
        )
        # (3) Exact value of the executed policy pi_k, evaluated again only where it acts
        # differently from the last evaluated one; (4) act for one episode.
        states, actions = evaluate_and_act(env, log, evaluation, k, Q, policy, rng)
        # (5) Counts from the new transitions (pooled over steps unless per_stage).
        count_transitions(N_sas, N_sa, states, actions)
        for h in range(H + 1):
            visits[h, states[h]] += 1.0


@dataclass(frozen=True)
class UCBVI(EpisodicLearner):
    r"""UCBVI of Azar, Osband and Munos (2017) with the CH or BF bonus.

    Parameters
    ----------
    bonus : {"hoeffding", "bernstein"}
        ``"hoeffding"`` is UCBVI-CH (Alg. 3, ``b = 7 H L / sqrt(N)``); ``"bernstein"`` is
        UCBVI-BF (Alg. 4), both with ``L = ln(5 S A T / delta)``.
    delta : float
        Confidence parameter of the bonus, in (0, 1); Theorems 1 and 2 hold with probability
        ``1 - delta``.
    bonus_scale : float
        Multiplier of the bonus. 1.0 (default) is the paper's bonus; any other value is the
        named "scaled" variant, recorded in the metadata, without the paper's guarantee.
    transitions : {"stationary", "per_stage"}
        ``"stationary"`` (the paper): counts pooled over steps; the model must have a stationary
        kernel. ``"per_stage"``: counts per stage, an extension to non-stationary kernels.
    record_policies : bool
        Keep every executed policy in ``trace.extras["policies"]`` (K, H, S); for small runs.

    Notes
    -----
    ``run`` returns a :class:`~mdptheory.regret.RegretTrace` whose ``pseudo_regret[k]`` is
    ``V*_1(rho) - V^{pi_k}_1(rho)`` computed exactly for the policy executed in episode k,
    and whose ``realised_regret[k]`` is ``V*_1(x_{k,1})`` minus the sampled return. Extras:
    ``optimism_gap[k] = min_{h,x,a} Q_{k,h}(x, a) - Q*_h(x, a)`` and ``optimistic[k]`` (that gap
    is >= -1e-9 H), the event under which Theorems 1 and 2 are proved.

    ``run(model, budget, seed)`` takes an :class:`~mdptheory.tabular.EpisodicMDP` with mean
    rewards in [0, 1] (and a stationary kernel with ``transitions="stationary"``); K also fixes
    T = K H in the log factor. It raises ``ValueError`` for a non-episodic model, rewards outside
    [0, 1], a non-stationary kernel with ``transitions="stationary"``, or a budget that is not a
    positive int.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> R = np.array([[0.0, 0.2], [0.5, 1.0]])
    >>> mdp = EpisodicMDP(P, R, H=3)
    >>> trace = UCBVI(bonus="bernstein").run(mdp, budget=50, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((50,), True)
    """

    bonus: Literal["hoeffding", "bernstein"] = "hoeffding"
    delta: float = 0.05
    bonus_scale: float = 1.0
    transitions: Literal["stationary", "per_stage"] = "stationary"
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_choice(self.bonus, "bonus", BONUSES)
        check_choice(self.transitions, "transitions", TRANSITIONS)
        check_open_unit(self.delta, "delta")
        check_positive("bonus_scale", self.bonus_scale)

    @property
    def constants(self) -> str:
        """``"paper"`` for the paper's bonus, ``"scaled"`` for the opt-in scaled variant."""
        return "paper" if self.bonus_scale == 1.0 else "scaled"

    @property
    def label(self) -> str:
        """Short name for plots and reports, e.g. ``UCBVI-BF`` or ``UCBVI-CH x0.1``."""
        name = scaled_label(
            "UCBVI-CH" if self.bonus == "hoeffding" else "UCBVI-BF", self.bonus_scale
        )
        if self.transitions == "per_stage":
            name += " (per-stage counts)"
        return name

    def _simulate(
        self, model, budget: int, seed: SeedLike, exact_regret: bool = True
    ) -> Simulation:
        """The run of :meth:`run` before it becomes a trace; ``exact_regret=False`` skips the
        exact evaluation (``pseudo`` is NaN), which ``bench/online.py`` times against it."""
        env = check_episodic_model(model, "UCBVI")
        if self.transitions == "stationary" and env.P4.shape[0] != 1:
            raise ValueError(
                f"UCBVI (transitions='stationary') needs a stationary kernel; the "
                f"model's P has a stage axis of length {env.P4.shape[0]}. Use "
                "transitions='per_stage' for the non-stationary extension"
            )
        K = check_budget(budget)
        H, S, A = env.R3.shape
        L = ucbvi_log_factor(S, A, H, K, self.delta)
        per_stage = self.transitions == "per_stage"
        # (1) Regret oracle: exact Q*, V* of the true model.
        log, evaluation = start_log(env, K, self.record_policies, exact_regret)
        state = _start(H, S, A, per_stage)
        rng = as_generator(seed)
        bernstein, scale = self.bonus == "bernstein", float(self.bonus_scale)
        simulate(
            log,
            lambda start, stop: _episodes(
                env, log, evaluation, state, start, stop, rng, bernstein, L, scale, per_stage
            ),
        )
        return Simulation(
            model,
            log,
            {},
            dict(
                log_factor=L,
                log_factor_formula="L = ln(5 S A T / delta), T = K H",
                paper="Azar, Osband, Munos 2017, arXiv:1703.05449",
                regret_bound=ucbvi_regret_bound(model.S, model.A, H, K, self.delta, self.bonus),
            ),
        )
