r"""ICVaR-L: optimistic iterated-CVaR value iteration with linear features, with exact
iterated-CVaR regret.

Paper
-----
Y. Chen, Y. Du, P. Hu, S. Wang, D. Wu, L. Huang, *Provably Efficient Iterated CVaR
Reinforcement Learning with Function Approximation and Human Feedback*, ICLR 2024,
arXiv:2307.02842. ICVaR-L: regret ``O~(sqrt(alpha^-(H+1) (d^2 H^4 + d H^6) K))``, lower bound
``Omega(sqrt(alpha^-(H-1) d^2 K))`` [V: abstract and a review summary, docs/theory.md 6.4]. The
paper's Algorithm 1 was **not** read: the update below is the reconstruction of
``theory.md`` 6.4 from the stated techniques (ridge regression on CVaR-adapted features, an
approximation of the CVaR operator) [D/M], on linear-MDP features as in LSVI-UCB; its bonus
radius is LSVI-UCB's with the constant ``c`` (``constants`` says which ran).

Setting
-------
Linear MDP (Jin et al. 2020, Assumption A): ``P_h(s'|s, a) = phi(s, a) . mu_h(s')`` with known
features, ``||phi|| <= 1``, known rewards ``r_h(s, a)`` in [0, 1]; risk level ``alpha``;
K episodes. The iterated-CVaR values (Du, Wang, Huang 2023, eq. (i)-(ii)) and regret
``sum_k V*_1(rho) - V^{pi_k}_1(rho)`` are exact on the finite-state twin. Stages
``h = 0..H-1`` here, ``1..H`` in the paper.

Update (episode k, h = H-1, ..., 0)
-----------------------------------
With ``Lambda_h = lambda I + sum_{tau<k} phi_h^tau phi_h^tau^T`` (``lambda = 1``) and the
candidate thresholds ``x`` in the atoms of ``Vbar_{h+1}`` and ``H``::

    E_h(s, a; x) = phi(s, a)^T Lambda_h^{-1} sum_{tau<k} phi_h^tau (x - Vbar_{h+1}(s_{h+1}^tau))^+
                                        (ridge estimate of E_{s'}[(x - Vbar_{h+1}(s'))^+])
    Qbar_h(s, a) = min{ r_h(s, a) + max_x { x - (E_h(s, a; x) - beta ||phi(s, a)||_{Lambda_h^-1})
                                                / alpha },  H }
    Vbar_h = max_a Qbar_h,   pi^k_h = argmax_a Qbar_h,   Vbar_H = 0

with ``beta = c d H sqrt(iota)``, ``iota = log(2 d T / p)``, ``T = K H`` (LSVI-UCB's radius; the
CVaR operator is ``1/alpha``-Lipschitz in the expectation, hence the ``beta / alpha`` bonus).
The max over ``x`` is over every kink of the estimated objective and the endpoint ``H``, so it
is the exact maximum over ``[0, H]``: the paper's epsilon-net with ``epsilon -> 0``
(:mod:`mdptheory.risk.linear_icvar`). ``phi_h^tau (x - V(s'))^+`` summed over the data is
``M_h^T (x - V)^+`` with ``M_h[s'] = sum_tau phi_h^tau 1[s_{h+1}^tau = s']``: the finite-state
aggregation of LSVI-UCB, so a plan costs the same at every k.

Which code implements which step
--------------------------------
* ``_plan``: the backward pass (:func:`mdptheory.risk.linear_icvar.sup_form_candidates` and
  :func:`~mdptheory.risk.linear_icvar.sup_form_cvar` with the regression estimate).
* LSVI-UCB's statistics and their update (``Lambda_h^{-1}`` by Sherman-Morrison, the widths,
  ``M_h``) are :mod:`algorithms.linear.lsvi_ucb`'s own ``start_statistics`` and ``absorb_episode``.
* ``start_run``: the model read as a linear MDP, (1) the regret oracle, the statistics.
* ``plan_and_act``: (2) plan, (3) exact iterated-CVaR value of ``pi^k`` on the twin
  (:func:`mdptheory.risk.icvar_evaluate_reachable`), (4) one episode and its record;
  ``_episodes`` adds (5) absorb (:func:`algorithms.linear.lsvi_ucb.absorb_statistics`).

Constants and variants
----------------------
``c = 1`` is the default (``constants = "reconstructed (c = 1)"``); any other ``c > 0`` is the
named ``"scaled (c = ...)"`` variant; ``c = 0`` is the greedy control.
:class:`RiskNeutralLSVIUCB` is not here: the risk-neutral control is
:class:`algorithms.linear.LSVIUCB` itself, whose regret the checks measure in iterated CVaR.
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
    act,
    check_budget,
    check_open_unit,
    new_log,
    record_episode,
    simulate,
)
from algorithms._validation import check_positive
from algorithms.linear.episodic_run import check_linear_models
from algorithms.linear.lsvi_ucb import (
    RidgeStatistics,
    absorb_statistics,
    check_refactor_every,
    lsvi_ucb_beta,
    lsvi_ucb_iota,
    start_statistics,
)
from mdptheory._kernels import greedy_backup
from mdptheory.linear import LinearMDP
from mdptheory.risk import check_alpha, icvar_dp_kernel, icvar_evaluate_reachable
from mdptheory.risk.linear_icvar import sup_form_candidates, sup_form_cvar
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, model_keywords

PAPER = "Chen, Du, Hu, Wang, Wu, Huang (ICLR 2024), arXiv:2307.02842"


def icvar_l_beta(d: int, H: int, K: int, p: float, c: float = 1.0) -> float:
    """``beta = c d H sqrt(log(2 d K H / p))`` (LSVI-UCB's radius; the paper's not verified).

    Examples
    --------
    >>> round(icvar_l_beta(4, 3, 100, 0.05), 6) == round(12 * math.sqrt(math.log(2 * 4 * 300
    ...                                                                      / 0.05)), 6)
    True
    """
    return lsvi_ucb_beta(d, H, K, p, c)


def icvar_l_regret_order(d: int, H: int, K: int, alpha: float) -> float:
    """``sqrt(alpha^-(H+1) (d^2 H^4 + d H^6) K)``, the order of ICVaR-L's regret [V: abstract].

    Examples
    --------
    >>> round(icvar_l_regret_order(2, 2, 100, 1.0), 6) == round(math.sqrt((64 + 128) * 100), 6)
    True
    """
    alpha = check_alpha(alpha)
    return math.sqrt(alpha ** (-(H + 1)) * (d * d * H**4 + d * H**6) * K)


@njit(cache=True)
def _plan(
    features: np.ndarray,
    R3: np.ndarray,
    M: np.ndarray,
    Lambda_inv: np.ndarray,
    width2: np.ndarray,
    beta: float,
    alpha: float,
    Q: np.ndarray,
    V: np.ndarray,
    policy: np.ndarray,
    bonus: np.ndarray,
    backup: np.ndarray,
) -> None:
    """The optimistic backward pass (overwrites Q, V, policy)."""
    H, S, A = R3.shape
    Hf = float(H)
    for h in range(H - 1, -1, -1):
        xs, Pos = sup_form_candidates(V[h + 1], Hf)
        # sum_tau phi^tau (x - V(s'^tau))^+ = M_h^T (x - V)^+, then phi^T Lambda^{-1} (...).
        weights = Lambda_inv[h] @ (np.ascontiguousarray(M[h].T) @ Pos)  # (d, S + 1)
        E = features @ weights  # (S A, S + 1)
        for n in range(S * A):
            bonus[n] = beta * math.sqrt(max(width2[h, n], 0.0))
        sup_form_cvar(E, xs, alpha, bonus, backup)
        for s in range(S):
            for a in range(A):
                q = R3[h, s, a] + backup[s * A + a]
                Q[h, s, a] = q if q < Hf else Hf
        greedy_backup(Q[h], V[h], policy[h])


class Workspace(NamedTuple):
    """Per-run buffers of ICVaR-L's plan (``bonus``, ``backup``: S A) and of the exact
    iterated-CVaR evaluation of its policy (``V_eval``, ``reach``, ``order``)."""

    bonus: np.ndarray
    backup: np.ndarray
    V_eval: np.ndarray
    reach: np.ndarray
    order: np.ndarray


class RunStart(NamedTuple):
    """What every ICVaR-L-type run starts from: the linear model read, its features and
    environment, ``K``, ``beta``, the log against the iterated-CVaR optimum, LSVI-UCB's
    statistics, the generator and the :class:`Workspace`."""

    linear: LinearMDP
    features: np.ndarray
    env: Environment
    K: int
    beta: float
    log: EpisodeLog
    state: RidgeStatistics
    rng: np.random.Generator
    work: Workspace


def start_run(learner, model, budget: int, seed: SeedLike, name: str) -> RunStart:
    """Steps before the first episode of ICVaR-L (or a learner planning as it does):
    ``model`` read as a linear MDP (one-hot features for an EpisodicMDP), ``K``, ``beta``,
    (1) the regret oracle (the exact iterated-CVaR optimum of the twin) and its log, LSVI-UCB's
    statistics, the generator and the buffers."""
    linear = _one_hot_linear(model) if isinstance(model, EpisodicMDP) else model
    features, env, _ = check_linear_models(linear, None, name)
    K = check_budget(budget)
    H, S, A = env.R3.shape
    d = features.shape[1]
    alpha = float(learner.alpha)
    beta = icvar_l_beta(d, H, K, learner.p, learner.c)
    Q_star, V_star, _ = icvar_dp_kernel(env.P4, env.R3, alpha)
    log = new_log(env, K, learner.record_policies, Q_star, V_star)
    state, _ = start_statistics(features, H, S, A, K, False)
    rng = as_generator(seed)
    work = Workspace(
        np.empty(S * A),
        np.empty(S * A),
        np.zeros((H + 1, S)),
        np.zeros((H, S), dtype=np.bool_),
        np.empty(S, dtype=np.int64),
    )
    return RunStart(linear, features, env, K, beta, log, state, rng, work)


@njit(cache=True)
def plan_and_act(features, R3, env, log, state, work, k, rng, beta, alpha):
    """Episode ``k`` up to its data: (2) the optimistic plan on the rewards ``R3``, (3) the
    exact iterated-CVaR value of ``pi^k`` on the twin (true rewards), (4) one episode and its
    record. Returns the episode's states and actions."""
    _plan(
        features,
        R3,
        state.M,
        state.Lambda_inv,
        state.width2,
        beta,
        alpha,
        state.Q,
        state.V,
        state.policy,
        work.bonus,
        work.backup,
    )
    value = icvar_evaluate_reachable(
        env.P4, env.R3, alpha, state.policy, env.initial, work.V_eval, work.reach, work.order
    )
    states, actions, rewards = act(env, state.policy, rng)
    record_episode(log, k, state.policy, state.Q, value, states, rewards)
    return states, actions


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    state: RidgeStatistics,
    work: Workspace,
    start: int,
    stop: int,
    rng,
    beta: float,
    alpha: float,
    refactor_every: int,
) -> None:
    for k in range(start, stop):
        states, actions = plan_and_act(features, env.R3, env, log, state, work, k, rng, beta, alpha)
        absorb_statistics(state, features, env.R3, states, actions, refactor_every)


class LinearICVaRRuns(EpisodicLearner):
    """``constants`` and ``run`` of the learners that plan as ICVaR-L does (a frozen dataclass
    with ``c`` and ``_simulate``). ``run`` returns the exact iterated-CVaR regret trace; it
    raises ``ValueError`` for a model that is neither a LinearMDP nor an EpisodicMDP, a feature
    of norm > 1, rewards outside [0, 1] or a budget that is not a positive int."""

    c: float

    @property
    def constants(self) -> str:
        """``"reconstructed (c = 1)"``, ``"greedy (c = 0)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "reconstructed (c = 1)", "greedy (c = 0)")


@dataclass(frozen=True)
class ICVaRL(LinearICVaRRuns):
    r"""ICVaR-L (Chen et al., ICLR 2024; reconstructed update) with exact iterated-CVaR regret.

    Parameters
    ----------
    alpha : float
        Risk level in (0, 1] of the iterated-CVaR objective.
    c : float
        Constant of ``beta = c d H sqrt(iota)``: 1 by default, another value is the named
        scaled variant, 0 the greedy control.
    p : float
        Failure probability in (0, 1) (enters iota).
    refactor_every : int
        Exact refactorisation of ``Lambda_h^{-1}`` after this many rank-one updates.
    record_policies : bool
        Keep the executed policies (K, H, S) in ``trace.extras["policies"]``.

    Notes
    -----
    ``run(model, budget, seed)`` takes a :class:`~mdptheory.linear.LinearMDP` (or an
    :class:`~mdptheory.tabular.EpisodicMDP`, read with one-hot features, ``d = S A``).
    ``pseudo_regret[k] = rho @ (V*_1 - V^{pi_k}_1)`` in iterated-CVaR values, exact on the
    twin; ``optimism_gap[k] = min_{h,s,a} Qbar^k_h - Q*_h``.

    Examples
    --------
    >>> from instances.linear import tabular_as_linear
    >>> from instances.risk import safe_vs_risky_route
    >>> trace = ICVaRL(alpha=0.1, c=0.05).run(tabular_as_linear(safe_vs_risky_route()), 100, 0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((100,), True)
    """

    alpha: float = 0.1
    c: float = 1.0
    p: float = 0.05
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_alpha(self.alpha)
        check_positive("c", self.c, allow_zero=True)
        check_open_unit(self.p, "p")
        check_refactor_every(self.refactor_every)

    @property
    def label(self) -> str:
        """E.g. ``ICVaR-L(alpha=0.1)`` or ``ICVaR-L(alpha=0.1) c=0.05``."""
        return scaled_label(f"ICVaR-L(alpha={self.alpha:g})", self.c, mark="c=")

    def _simulate(self, model, budget: int, seed: SeedLike) -> Simulation:
        features, env, K, beta, log, state, rng, work = start_run(
            self, model, budget, seed, "ICVaRL"
        )[1:]
        H, d = env.R3.shape[0], features.shape[1]
        alpha = float(self.alpha)
        refactor_every = int(self.refactor_every)
        simulate(
            log,
            lambda start, stop: _episodes(
                features, env, log, state, work, start, stop, rng, beta, alpha, refactor_every
            ),
        )
        return Simulation(
            model,
            log,
            {},
            dict(
                objective=f"iterated CVaR, alpha = {alpha:g}",
                optimal_value=log.optimal_value,
                c=self.c,
                beta=beta,
                iota=lsvi_ucb_iota(d, H, K, self.p),
                beta_formula="beta = c d H sqrt(iota), iota = log(2 d T / p), T = K H (LSVI-UCB's "
                "radius; the paper's not verified)",
                bonus_formula="(beta / alpha) ||phi(s, a)||_{Lambda_h^-1} inside the CVaR sup form",
                ridge_lambda=1.0,
                clip=float(H),
                features="one-hot (d = S A)"
                if isinstance(model, EpisodicMDP)
                else "the LinearMDP's phi",
                paper=PAPER,
                update="reconstruction (docs/theory.md 6.4), not the printed Algorithm 1",
                regret_order=icvar_l_regret_order(d, H, K, alpha),
            ),
        )


def _one_hot_linear(mdp: EpisodicMDP) -> LinearMDP:
    """An episodic MDP read as a linear MDP with one-hot features (Jin et al. 2020, Ex. 2.1)."""
    H, S, A = mdp.H, mdp.S, mdp.A
    phi = np.eye(S * A).reshape(S, A, S * A)
    P = np.broadcast_to(np.asarray(mdp.dense_P()).reshape(-1, S, A, S), (H, S, A, S))
    mu = np.ascontiguousarray(P.reshape(H, S * A, S).transpose(0, 2, 1))
    theta = np.asarray(mdp.R, dtype=np.float64).reshape(H, S * A)
    return LinearMDP(phi, mu, theta, **model_keywords(mdp))
