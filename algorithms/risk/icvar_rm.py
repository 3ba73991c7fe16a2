r"""ICVaR-RM: optimistic iterated-CVaR value iteration with exact iterated-CVaR regret.

Paper
-----
Y. Du, S. Wang, L. Huang, *Provably Efficient Risk-Sensitive Reinforcement Learning: Iterated
CVaR and Worst Path*, ICLR 2023, arXiv:2206.02678. Algorithm 1 (ICVaR-RM), eqs. (i), (ii) and
(1), Theorem 1 (regret upper bound), Theorem 2 (lower bound, Figure 1).

Setting
-------
Episodic MDP with S states, A actions, horizon H, a **stationary** unknown kernel p(s' | s, a)
and **known** deterministic rewards r(s, a) in [0, 1]; risk level alpha in (0, 1]; K episodes.
The iterated-CVaR value of a policy (eq. (i)) and the optimum (eq. (ii)) are::

    Q^pi_h(s, a) = r(s, a) + CVaR^alpha_{s' ~ p(.|s, a)}( V^pi_{h+1}(s') ),
    V^pi_h(s)    = Q^pi_h(s, pi_h(s)),
    Q*_h(s, a)   = r(s, a) + CVaR^alpha_{s' ~ p(.|s, a)}( V*_{h+1}(s') ),
    V*_h(s)      = max_a Q*_h(s, a)

with ``CVaR^alpha(X) = sup_x {x - E[(x - X)^+]/alpha}`` (lower tail, :mod:`mdptheory.risk`).
Regret (eq. (1)): ``R(K) = sum_k V*_1(s_1) - V^{pi_k}_1(s_1)``. Stages are h = 1..H in the
paper and ``h = 0..H-1`` here; ``V[H] = 0`` is the paper's ``V_{H+1} = 0``.

Update (Algorithm 1, episode k)
-------------------------------
With ``delta' = delta / 5``, ``L = log(K H S A / delta')``, visit counts ``n_k(s, a)`` pooled
over all steps of earlier episodes and the empirical kernel ``p̂^k = N_k(s, a, .) / n_k(s, a)``,
for h = H, ..., 1::

    Qbar^k_h(s, a) = min{ r(s, a) + CVaR^alpha_{s' ~ p̂^k(.|s, a)}( Vbar^k_{h+1}(s') )
                          + (H / alpha) sqrt(L / n_k(s, a)),  H }
    Vbar^k_h(s) = max_a Qbar^k_h(s, a),   pi^k_h(s) = argmax_a Qbar^k_h(s, a),   Vbar^k_{H+1} = 0

then play pi^k for one episode and update the counts. An unvisited pair (``n_k = 0``) has an
infinite bonus, so ``Qbar = H`` (the clip), which is what the code sets.

Which code implements which step
--------------------------------
* ``_plan``: the backward pass above. ``Vbar^k_{h+1}`` is sorted **once per stage**
  (``np.argsort``) and every (s, a) walks that order with its counts until the mass
  ``alpha n_k(s, a)`` is covered (:func:`mdptheory.risk.cvar_sorted_row`), so the empirical CVaR
  needs no division by ``n`` and no per-pair sort; the bonus and the clip at H follow.
* ``ICVaRRM._simulate``, step (1): exact ``Q*``, ``V*`` of the true model by iterated-CVaR DP
  (:func:`mdptheory.risk.icvar_dp_kernel`, the regret oracle); ``_episodes``, per episode,
  step (2): ``_plan``; step (3): the exact iterated-CVaR value of the executed policy ``pi^k``
  on the true model (``_evaluate``: :func:`mdptheory.risk.icvar_evaluate_reachable`,
  eq. (i)); step (4): one episode of ``pi^k`` (``act``) and its record (``record_episode``:
  the exact pseudo-regret, the realised regret, the optimism gap); step (5): count updates.
* :func:`icvar_rm_regret_bound`: the order of Theorem 1 with constant 1.

Constants
---------
The paper's bonus ``(H/alpha) sqrt(L/n)`` with ``L = log(KHSA/delta')``, ``delta' = delta/5``,
is the default. ``bonus_scale`` multiplies it: an opt-in, named variant (``constants =
"scaled"`` in the metadata) without the guarantee of Theorem 1. Rewards are the model's mean
rewards ``R`` (stage-dependent means are allowed); with reward noise the learner still plans
with the means (the paper's rewards are known) and only the realised return is noisy. The start
state may be random: the pseudo-regret is then ``rho @ (V*_1 - V^{pi_k}_1)``, the mean over
the start distribution of the paper's per-state regret (each term is non-negative because the
iterated-CVaR optimal policy is optimal from every state).
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
    act,
    check_budget,
    check_episodic_model,
    check_open_unit,
    count_transitions,
    new_log,
    record_episode,
    simulate,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    first_difference,
    greedy_backup,
    reachable_evaluation,
    remember,
    start_value,
)
from mdptheory.risk import (
    check_alpha,
    cvar_sorted_row,
    icvar_dp_kernel,
    icvar_evaluate_reachable,
)
from mdptheory.seeding import SeedLike, as_generator

PAPER = "Du, Wang, Huang (ICLR 2023), arXiv:2206.02678"


def icvar_rm_log_factor(S: int, A: int, H: int, K: int, delta: float) -> float:
    """``L = log(K H S A / delta')`` with ``delta' = delta / 5`` (Algorithm 1, input line).

    Examples
    --------
    >>> round(icvar_rm_log_factor(2, 2, 5, 100, 0.05), 6) == round(math.log(2000 / 0.01), 6)
    True
    """
    delta = check_open_unit(delta, "delta")
    return math.log(K * H * S * A / (delta / 5.0))


def icvar_rm_regret_bound(
    S: int, A: int, H: int, K: int, alpha: float, delta: float, min_visit: float | None = None
) -> float:
    r"""The order of Theorem 1 with its unspecified constant set to 1.

    ``min{1/sqrt(w_min), 1/sqrt(alpha^{H-1})} * H S sqrt(K H A) / alpha * log(K H S A / delta)``,
    where ``w_min = min_{pi, h, s: w_{pi,h}(s) > 0} w_{pi,h}(s)`` is the smallest positive
    probability that a (deterministic) policy visits a state at a step. Without ``min_visit``
    only the ``alpha^{H-1}`` term is used, which can only make the value larger.

    Examples
    --------
    >>> b1 = icvar_rm_regret_bound(4, 2, 3, 1000, 0.5, 0.05)
    >>> b2 = icvar_rm_regret_bound(4, 2, 3, 1000, 0.5, 0.05, min_visit=0.9)
    >>> b2 < b1
    True
    """
    alpha = check_alpha(alpha)
    delta = check_open_unit(delta, "delta")
    factor = 1.0 / math.sqrt(alpha ** (H - 1))
    if min_visit is not None:
        if not (0.0 < min_visit <= 1.0):
            raise ValueError(f"min_visit must lie in (0, 1], got {min_visit!r}")
        factor = min(factor, 1.0 / math.sqrt(min_visit))
    return factor * H * S * math.sqrt(K * H * A) / alpha * math.log(K * H * S * A / delta)


TIE_TOLERANCE = 1e-12
"""Actions whose optimistic Q is within ``TIE_TOLERANCE * H`` of the best count as tied."""


@njit(cache=True)
def _plan(
    R3: np.ndarray,
    counts: np.ndarray,
    visits: np.ndarray,
    alpha: float,
    L: float,
    scale: float,
    Q: np.ndarray,
    V: np.ndarray,
    policy: np.ndarray,
) -> None:
    """One optimistic backward pass of Algorithm 1: overwrite ``Q``, ``V`` and ``policy``."""
    H, S, A = R3.shape
    Hf = float(H)
    bonus_constant = scale * Hf / alpha * math.sqrt(L)  # (H / alpha) sqrt(L), scaled
    for h in range(H - 1, -1, -1):
        next_value = V[h + 1]
        # One sort of Vbar_{h+1} per stage, shared by every (s, a).
        order = np.argsort(next_value, kind="mergesort")
        for s in range(S):
            for a in range(A):
                n = visits[s, a]
                if n == 0.0:
                    q = Hf  # infinite bonus, clipped at H
                else:
                    # Empirical CVaR from the counts: weights N(s, a, .) with total n.
                    risk = cvar_sorted_row(counts[s, a], n, next_value, order, alpha)
                    q = min(R3[h, s, a] + risk + bonus_constant / math.sqrt(n), Hf)
                Q[h, s, a] = q
        # Ties up to rounding go to the smallest action.
        greedy_backup(Q[h], V[h], policy[h], TIE_TOLERANCE * Hf)


class _State(NamedTuple):
    """ICVaR-RM's counts and planning arrays, carried from one episode to the next."""

    counts: np.ndarray  # (1, S, A, S): N_k(s, a, s'), pooled over steps
    visits: np.ndarray  # (1, S, A): n_k(s, a)
    Q: np.ndarray  # (H, S, A): Qbar^k
    V: np.ndarray  # (H + 1, S): Vbar^k, V[H] = 0
    policy: np.ndarray  # (H, S): pi^k
    order: np.ndarray  # (S,): workspace of the exact evaluation
    optimistic_value: np.ndarray  # (K,): rho @ Vbar^k_1


def _start(H: int, S: int, A: int, K: int) -> _State:
    """No data yet: zero counts."""
    return _State(
        np.zeros((1, S, A, S)),
        np.zeros((1, S, A)),
        np.empty((H, S, A)),
        np.zeros((H + 1, S)),
        np.zeros((H, S), dtype=np.int64),
        np.empty(S, dtype=np.int64),
        np.empty(K),
    )


@njit(cache=True)
def _evaluate(
    env: Environment,
    alpha: float,
    policy: np.ndarray,
    evaluation: ReachableEvaluation,
    order: np.ndarray,
) -> None:
    """The exact iterated-CVaR value ``rho @ V^pi_1`` of the executed policy (eq. (i)), kept in
    ``evaluation.value`` with the actions it depends on (those at the reachable states)."""
    value = icvar_evaluate_reachable(
        env.P4, env.R3, alpha, policy, env.initial, evaluation.V, evaluation.reach, order
    )
    remember(policy, value, evaluation)


@njit(cache=True)
def _episodes(
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    state: _State,
    start: int,
    stop: int,
    rng,
    alpha: float,
    L: float,
    scale: float,
) -> None:
    """Episodes ``start..stop-1`` of Algorithm 1: plan, evaluate exactly, act, count."""
    H = env.R3.shape[0]
    for k in range(start, stop):
        # (2) Optimistic iterated-CVaR planning on the empirical model.
        _plan(
            env.R3,
            state.counts[0],
            state.visits[0],
            alpha,
            L,
            scale,
            state.Q,
            state.V,
            state.policy,
        )
        state.optimistic_value[k] = start_value(env.initial, state.V[0])
        # (3) Exact iterated-CVaR value of the executed policy, evaluated again only when it
        # acts differently from the last evaluated one at a state that one reaches (the value
        # depends on nothing else).
        if first_difference(state.policy, evaluation) < H:
            _evaluate(env, alpha, state.policy, evaluation, state.order)
        # (4) Act for one episode.
        states, actions, rewards = act(env, state.policy, rng)
        record_episode(log, k, state.policy, state.Q, evaluation.value[0], states, rewards)
        # (5) Counts pooled over steps (stationary kernel).
        count_transitions(state.counts, state.visits, states, actions)


@dataclass(frozen=True)
class ICVaRRM(EpisodicLearner):
    r"""ICVaR-RM of Du, Wang and Huang (ICLR 2023), Algorithm 1.

    Parameters
    ----------
    alpha : float
        Risk level in (0, 1] of the iterated-CVaR objective (1 is risk-neutral).
    delta : float
        Confidence parameter in (0, 1); Theorem 1 holds with probability ``1 - delta``.
    bonus_scale : float
        Multiplier of the bonus ``(H/alpha) sqrt(L/n)``. 1.0 (default) is the paper's bonus;
        any other value is the named ``"scaled"`` variant, without the paper's guarantee; 0 is
        the greedy learner (an unvisited pair still sits at the clip H), a negative control.
    record_policies : bool
        Keep every executed policy in ``trace.extras["policies"]`` (K, H, S); for small runs.

    Notes
    -----
    ``run`` returns a :class:`~mdptheory.regret.RegretTrace` whose ``pseudo_regret[k]`` is
    ``rho @ (V*_1 - V^{pi_k}_1)`` in **iterated-CVaR** values, computed exactly for the policy
    executed in episode k. ``realised_regret[k]`` is ``V*_1(s_1^k)`` minus the sampled return of
    the episode, as :class:`~mdptheory.regret.RegretTrace` defines it; for ``alpha < 1`` the
    iterated-CVaR value is not an expectation of the return, so it is not an unbiased estimate of
    the pseudo-regret (recorded for completeness only). Extras: ``optimism_gap[k] =
    min_{h,s,a} Qbar^k_h(s, a) - Q*_h(s, a)``, ``optimistic[k]`` (that gap is >= -1e-9 H) and
    ``optimistic_value[k] = rho @ Vbar^k_1``.

    ``run(model, budget, seed)`` takes an :class:`~mdptheory.tabular.EpisodicMDP` with a
    stationary kernel and mean rewards in [0, 1] (K also fixes L = log(KHSA/delta')) and returns
    the exact iterated-CVaR regret trace; it raises ``ValueError`` for a non-episodic model,
    rewards outside [0, 1], a non-stationary kernel, or a budget that is not a positive int.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = EpisodicMDP(P, [[0.0, 0.2], [0.5, 1.0]], H=3, initial=[1.0, 0.0])
    >>> trace = ICVaRRM(alpha=0.5).run(mdp, budget=50, seed=0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((50,), True)
    """

    alpha: float = 0.1
    delta: float = 0.05
    bonus_scale: float = 1.0
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_alpha(self.alpha)
        check_open_unit(self.delta, "delta")
        scale = float(self.bonus_scale)
        if not (math.isfinite(scale) and scale >= 0.0):
            raise ValueError(f"bonus_scale must be a finite number >= 0, got {self.bonus_scale!r}")

    @property
    def constants(self) -> str:
        """``"paper"`` for the paper's bonus, ``"scaled"`` for the opt-in scaled variant,
        ``"greedy"`` for bonus 0 (a negative control: no exploration beyond one visit)."""
        if self.bonus_scale == 0.0:
            return "greedy"
        return "paper" if self.bonus_scale == 1.0 else "scaled"

    @property
    def label(self) -> str:
        """Short name for plots and reports, e.g. ``ICVaR-RM(alpha=0.1)`` or ``... x0.05``."""
        return scaled_label(f"ICVaR-RM(alpha={self.alpha:g})", self.bonus_scale)

    def _simulate(
        self, model, budget: int, seed: SeedLike, exact_regret: bool = True
    ) -> Simulation:
        """The run of :meth:`run` before it becomes a trace; ``exact_regret=False`` skips the
        exact evaluation (``pseudo`` is NaN), which ``bench/online.py`` times against it."""
        env = check_episodic_model(model, "ICVaR-RM")
        if env.P4.shape[0] != 1:
            raise ValueError(
                f"ICVaR-RM needs a stationary kernel (the paper's p(s'|s, a)); the "
                f"model's P has a stage axis of length {env.P4.shape[0]}"
            )
        K = check_budget(budget)
        H, S, A = env.R3.shape
        alpha = float(self.alpha)
        L = math.log(K * H * S * A / (float(self.delta) / 5.0))
        # (1) Regret oracle: the exact iterated-CVaR optimum of the true model.
        Q_star, V_star, _ = icvar_dp_kernel(env.P4, env.R3, alpha)
        log = new_log(env, K, self.record_policies, Q_star, V_star)
        evaluation = reachable_evaluation(env.P4, env.initial, H, exact_regret)
        state = _start(H, S, A, K)
        rng = as_generator(seed)
        scale = float(self.bonus_scale)
        simulate(
            log,
            lambda start, stop: _episodes(
                env, log, evaluation, state, start, stop, rng, alpha, L, scale
            ),
        )
        return Simulation(
            model,
            log,
            {"optimistic_value": state.optimistic_value},
            dict(
                objective=f"iterated CVaR, alpha = {self.alpha:g}",
                optimal_value=log.optimal_value,
                log_factor=L,
                log_factor_formula="L = log(K H S A / delta'), delta' = delta / 5",
                bonus_formula="bonus_scale * (H / alpha) * sqrt(L / n(s, a))",
                paper=PAPER,
                regret_bound_alpha_term=icvar_rm_regret_bound(
                    model.S, model.A, H, K, self.alpha, self.delta
                ),
                realised_regret_note="V*_1(s_1) minus the sampled return; not an unbiased "
                "estimate of iterated-CVaR regret when alpha < 1",
            ),
        )
