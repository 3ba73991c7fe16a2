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
* ``_run``, step (1): exact ``Q*``, ``V*`` of the true model by iterated-CVaR DP
  (:func:`mdptheory.risk.icvar_dp_kernel`, the regret oracle); step (2): ``_plan``; step (3):
  the exact iterated-CVaR value of the executed policy ``pi^k`` on the true model
  (:func:`mdptheory.risk.icvar_evaluate_reachable`, eq. (i)) and the exact pseudo-regret; step
  (4): one episode of ``pi^k`` (``rollout_episode``); step (5): count updates.
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

import numpy as np
from numba import njit

from algorithms._episodic import (
    check_budget,
    check_episodic_model,
    check_open_unit,
    chunk_length,
    clock,
    optimism_gap,
    spread_chunk_time,
)
from mdptheory._kernels import greedy_backup, policy_changed, rollout_episode, start_value
from mdptheory.regret import RegretTrace, trace_metadata
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


def icvar_rm_regret_bound(S: int, A: int, H: int, K: int, alpha: float, delta: float,
                          min_visit: float | None = None) -> float:
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
def _plan(R3: np.ndarray, counts: np.ndarray, visits: np.ndarray, alpha: float, L: float,
          scale: float, Q: np.ndarray, V: np.ndarray, policy: np.ndarray) -> None:
    """One optimistic backward pass of Algorithm 1: overwrite ``Q``, ``V`` and ``policy``."""
    H, S, A = R3.shape
    Hf = float(H)
    bonus_constant = scale * Hf / alpha * math.sqrt(L)      # (H / alpha) sqrt(L), scaled
    for h in range(H - 1, -1, -1):
        next_value = V[h + 1]
        # One sort of Vbar_{h+1} per stage, shared by every (s, a).
        order = np.argsort(next_value, kind="mergesort")
        for s in range(S):
            for a in range(A):
                n = visits[s, a]
                if n == 0.0:
                    q = Hf                                   # infinite bonus, clipped at H
                else:
                    # Empirical CVaR from the counts: weights N(s, a, .) with total n.
                    risk = cvar_sorted_row(counts[s, a], n, next_value, order, alpha)
                    q = min(R3[h, s, a] + risk + bonus_constant / math.sqrt(n), Hf)
                Q[h, s, a] = q
        # Ties up to rounding go to the smallest action.
        greedy_backup(Q[h], V[h], policy[h], TIE_TOLERANCE * Hf)


@njit(cache=True)
def _run(P4: np.ndarray, R3: np.ndarray, noise_code: int, sigma: float, initial: np.ndarray,
         n_episodes: int, alpha: float, delta: float, scale: float, record_policies: bool,
         chunk: int, rng, exact_regret: bool):
    """The whole ICVaR-RM run: K episodes of planning, exact evaluation, acting and counting.

    ``exact_regret=False`` skips step (3) (``pseudo`` is NaN): the same loop without the regret
    oracle's work, which ``bench/online.py`` times against the full run.
    """
    H, S, A = R3.shape
    K = n_episodes
    L = math.log(K * H * S * A / (delta / 5.0))

    # (1) Regret oracle: the exact iterated-CVaR optimum of the true model.
    Q_star, V_star, _ = icvar_dp_kernel(P4, R3, alpha)
    v_star_start = start_value(initial, V_star[0])

    counts = np.zeros((S, A, S))
    visits = np.zeros((S, A))
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    policy = np.zeros((H, S), dtype=np.int64)
    evaluated = np.full((H, S), -1, dtype=np.int64)     # the policy value_pi belongs to
    V_pi = np.zeros((H + 1, S))
    reachable = np.zeros((H, S), dtype=np.bool_)
    order = np.empty(S, dtype=np.int64)
    value_pi = 0.0

    pseudo = np.empty(K)
    realised = np.empty(K)
    episode_time = np.empty(K)
    gaps = np.empty(K)
    optimistic_value = np.empty(K)
    policies = np.zeros((K if record_policies else 0, H, S), dtype=np.int64)

    chunk_start = 0
    t0 = clock()
    for k in range(K):
        # (2) Optimistic iterated-CVaR planning on the empirical model.
        _plan(R3, counts, visits, alpha, L, scale, Q, V, policy)
        gaps[k] = optimism_gap(Q, Q_star)
        optimistic_value[k] = start_value(initial, V[0])
        if record_policies:
            policies[k] = policy
        # (3) Exact iterated-CVaR value of the executed policy and its pseudo-regret, evaluated
        # again only when an action changed (an identical policy has the identical value).
        if exact_regret:
            if policy_changed(policy, evaluated):
                value_pi = icvar_evaluate_reachable(P4, R3, alpha, policy, initial, V_pi,
                                                    reachable, order)
            pseudo[k] = v_star_start - value_pi
        else:
            pseudo[k] = np.nan
        # (4) Act for one episode.
        states, actions, rewards = rollout_episode(P4, R3, noise_code, sigma, initial, policy,
                                                   rng)
        realised[k] = V_star[0, states[0]] - rewards.sum()
        # (5) Counts pooled over steps (stationary kernel).
        for h in range(H):
            counts[states[h], actions[h], states[h + 1]] += 1.0
            visits[states[h], actions[h]] += 1.0
        if k + 1 - chunk_start == chunk or k == K - 1:
            t1 = clock()
            spread_chunk_time(episode_time, chunk_start, k + 1, t1 - t0)
            chunk_start = k + 1
            t0 = t1
    return pseudo, realised, episode_time, gaps, optimistic_value, policies, L, v_star_start


@dataclass(frozen=True)
class ICVaRRM:
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
            raise ValueError(f"bonus_scale must be a finite number >= 0, got "
                             f"{self.bonus_scale!r}")

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
        name = f"ICVaR-RM(alpha={self.alpha:g})"
        if self.bonus_scale != 1.0:
            name += f" x{self.bonus_scale:g}"
        return name

    def run(self, model, budget: int, seed: SeedLike) -> RegretTrace:
        """Run ``budget`` episodes on ``model`` and return the exact iterated-CVaR regret trace.

        Parameters
        ----------
        model : EpisodicMDP
            Stationary kernel, mean rewards in [0, 1].
        budget : int
            Number of episodes K (also fixes L = log(KHSA/delta')).
        seed : int, SeedSequence or Generator

        Raises
        ------
        ValueError
            For a non-episodic model, rewards outside [0, 1], a non-stationary kernel, or a
            budget that is not a positive int.
        """
        P4, R3, initial, noise_code, sigma = check_episodic_model(model, "ICVaR-RM")
        if P4.shape[0] != 1:
            raise ValueError(f"ICVaR-RM needs a stationary kernel (the paper's p(s'|s, a)); the "
                             f"model's P has a stage axis of length {P4.shape[0]}")
        K = check_budget(budget)
        rng = as_generator(seed)
        pseudo, realised, times, gaps, optimistic_value, policies, L, v_star = _run(
            P4, R3, noise_code, sigma, initial, K, float(self.alpha), float(self.delta),
            float(self.bonus_scale), bool(self.record_policies), chunk_length(K), rng, True)
        H = R3.shape[0]
        extras: dict[str, np.ndarray] = {"optimism_gap": gaps,
                                         "optimistic": gaps >= -1e-9 * H,
                                         "optimistic_value": optimistic_value}
        if self.record_policies:
            extras["policies"] = policies
        metadata = trace_metadata(
            self, model, seed, K, label=self.label, constants=self.constants,
            objective=f"iterated CVaR, alpha = {self.alpha:g}", optimal_value=v_star,
            log_factor=L, log_factor_formula="L = log(K H S A / delta'), delta' = delta / 5",
            bonus_formula="bonus_scale * (H / alpha) * sqrt(L / n(s, a))", paper=PAPER,
            regret_bound_alpha_term=icvar_rm_regret_bound(model.S, model.A, H, K, self.alpha,
                                                          self.delta),
            realised_regret_note="V*_1(s_1) minus the sampled return; not an unbiased "
                                 "estimate of iterated-CVaR regret when alpha < 1")
        return RegretTrace(pseudo, realised, times, metadata, extras)
