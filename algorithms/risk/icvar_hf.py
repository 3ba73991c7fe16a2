r"""ICVaR-HF: iterated-CVaR RL from trajectory preferences (reconstructed), with exact
iterated-CVaR regret.

Paper
-----
Y. Chen, Y. Du, P. Hu, S. Wang, D. Wu, L. Huang, *Provably Efficient Iterated CVaR
Reinforcement Learning with Function Approximation and Human Feedback*, ICLR 2024,
arXiv:2307.02842. ICVaR-HF: regret ``O~(sqrt(K H^3 alpha^-(H+1)) (sqrt(H D_P) +
sqrt(D_R / m)))`` with general function classes for the kernel (``D_P``) and the reward
(``D_R``) [S: a review summary, ``docs/theory.md`` 6.4]. **The algorithm was not read.** What
follows is a reconstruction from that summary and from ICVaR-L (:mod:`algorithms.risk.icvar_l`):
the learner never sees a reward, only which of two trajectories a Bradley-Terry labeller
prefers; it fits the reward by maximum likelihood, adds an elliptical bonus to it, and plans
with ICVaR-L's optimistic iterated-CVaR backup on linear features.

Setting
-------
A linear MDP with known features ``phi(s, a)`` (``||phi|| <= 1``), unknown kernel
``P_h(s'|s, a) = phi(s, a) . mu_h(s')`` and unknown reward ``r_h(s, a) = phi(s, a) . theta_h``
in [0, 1]. A trajectory ``tau`` has the stage-stacked feature ``x(tau) = (phi(s_0, a_0), ...,
phi(s_{H-1}, a_{H-1}))`` (``D = H d``) and return ``x(tau) . theta*``. After episode ``k >= 1``
the labeller compares ``tau_k`` with ``tau_{k-1}`` and prefers ``tau_k`` with probability
``sigma(x(tau_k) . theta* - x(tau_{k-1}) . theta*)`` (Bradley-Terry on returns).

Update (episode k)
------------------
1. Reward: ``theta_hat`` is the ridge Bradley-Terry MLE (weight ``lam_r``) on every comparison so
   far, refitted after each new one (Newton from the previous fit; identical differences
   ``z = x(tau_k) - x(tau_{k-1})`` are pooled, which leaves the likelihood unchanged), and
   ``Sigma = lam_r I + sum z z^T``. The optimistic reward is
   ``rbar_h(s, a) = clip(phi(s, a) . theta_hat_h + beta_r ||e_h (x) phi(s, a)||_{Sigma^-1}, 0, 1)``
   with ``beta_r = c_r sqrt(D log(2 K / p))`` (the radius of a linear confidence set; the
   Bradley-Terry curvature factor is left out) [reconstructed].
2. Kernel and plan: ICVaR-L's backward pass (:func:`algorithms.risk.icvar_l._plan`) with
   ``rbar`` in place of the known reward, LSVI-UCB's ridge statistics and
   ``beta = c d H sqrt(iota)``.
3. Execute ``pi_k``; record its exact iterated-CVaR value on the true model; ask for the
   comparison with the previous trajectory; absorb the transitions (rewards unobserved).

Constants and variants
----------------------
``c = c_r = 1`` is the default (``constants = "reconstructed (c = 1)"``); another ``c`` is the
named scaled variant (``c_r`` scales the reward bonus separately, 1 by default). Regret:
``pseudo_regret[k] = rho @ (V*_1 - V^{pi_k}_1)`` in iterated-CVaR values of the true rewards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from algorithms._constants import scaled_label
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    check_open_unit,
    simulate,
)
from algorithms._validation import check_positive
from algorithms.linear.lsvi_ucb import (
    RidgeStatistics,
    absorb_statistics,
    check_refactor_every,
    lsvi_ucb_iota,
    sherman_morrison_update,
)
from algorithms.risk.icvar_l import PAPER, LinearICVaRRuns, Workspace, plan_and_act, start_run
from mdptheory.risk import check_alpha
from mdptheory.seeding import SeedLike

NEWTON_TOL = 1e-10
"""Newton stops at a gradient max-norm below this times the number of comparisons."""


def icvar_hf_reward_beta(D: int, K: int, p: float, c_r: float = 1.0) -> float:
    """``beta_r = c_r sqrt(D log(2 K / p))`` (reconstructed).

    Examples
    --------
    >>> round(icvar_hf_reward_beta(4, 100, 0.05), 6) == round(math.sqrt(4 * math.log(4000)), 6)
    True
    """
    return c_r * math.sqrt(D * math.log(2.0 * K / p))


@njit(cache=True)
def _softplus(t: float) -> float:
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


@njit(cache=True)
def _bt_objective(theta, Z, ones, totals, n, lam, value_only):
    """Ridge Bradley-Terry negative log-likelihood of ``n`` pooled differences ``Z[m]``, each
    compared ``totals[m]`` times and preferred ``ones[m]`` times; its gradient and Hessian
    unless ``value_only`` (differences of stacked one-hot features are sparse: zeros skipped)."""
    D = theta.shape[0]
    value = 0.5 * lam * np.dot(theta, theta)
    grad = lam * theta.copy()
    hess = lam * np.eye(D)
    for m in range(n):
        t = np.dot(Z[m], theta)
        value += totals[m] * _softplus(t) - ones[m] * t
        if value_only:
            continue
        p = 1.0 / (1.0 + math.exp(-t))
        g = totals[m] * p - ones[m]
        w = totals[m] * p * (1.0 - p)
        for i in range(D):
            zi = Z[m, i]
            if zi == 0.0:
                continue
            grad[i] += g * zi
            for j in range(D):
                hess[i, j] += w * zi * Z[m, j]
    return value, grad, hess


@njit(cache=True)
def bt_fit(theta, Z, ones, totals, n, lam):
    """The ridge Bradley-Terry MLE by Newton's method with Armijo backtracking, from ``theta``
    (the objective is strictly convex: a unique minimiser). Stops when the gradient's max-norm
    is below ``NEWTON_TOL`` times the number of comparisons, or when the step stops decreasing
    the objective beyond its rounding (the Armijo test allows ``1e-14 |value|``)."""
    value, grad, hess = _bt_objective(theta, Z, ones, totals, n, lam, False)
    tol = NEWTON_TOL * max(float(totals[:n].sum()), 1.0)
    for _ in range(100):
        if np.max(np.abs(grad)) <= tol:
            break
        step = -np.linalg.solve(hess, grad)
        slope = np.dot(grad, step)
        if -slope <= 1e-30:
            break
        t = 1.0
        trial = theta + step
        while t >= 1e-12:
            trial = theta + t * step
            trial_value = _bt_objective(trial, Z, ones, totals, n, lam, True)[0]
            if trial_value <= value + 1e-4 * t * slope + 1e-14 * abs(value):
                break
            t *= 0.5
        if t < 1e-12:
            break
        theta = trial
        value, grad, hess = _bt_objective(theta, Z, ones, totals, n, lam, False)
    return theta


@njit(cache=True)
def _pool(Z, ones, totals, n, z, label):
    """Add the comparison ``(z, label)`` to the pooled differences; returns the new count."""
    for m in range(n):
        if np.array_equal(Z[m], z):
            ones[m] += label
            totals[m] += 1.0
            return n
    Z[n] = z
    ones[n] = label
    totals[n] = 1.0
    return n + 1


@njit(cache=True)
def add_comparison(Z, ones, totals, counters, z, label, Sigma_inv, u, theta_hat, lam_r):
    """Record one comparison: pool ``(z, label)``, count it (``counters`` = pooled differences,
    comparisons), add ``z z^T`` to ``Sigma`` and refit ``theta_hat`` in place."""
    counters[0] = _pool(Z, ones, totals, counters[0], z, label)
    counters[1] += 1
    sherman_morrison_update(Sigma_inv, z, u)
    if counters[1] > 0:  # refit on every comparison so far
        theta_hat[:] = bt_fit(theta_hat, Z, ones, totals, counters[0], lam_r)


@njit(cache=True)
def _optimistic_reward(features, theta_hat, Sigma_inv, beta_r, out):
    """``rbar_h(s, a) = clip(phi . theta_hat_h + beta_r ||e_h (x) phi||_{Sigma^-1}, 0, 1)``."""
    H, S, A = out.shape
    d = features.shape[1]
    for h in range(H):
        block = np.ascontiguousarray(Sigma_inv[h * d : (h + 1) * d, h * d : (h + 1) * d])
        weights = theta_hat[h * d : (h + 1) * d]
        for s in range(S):
            for a in range(A):
                f = features[s * A + a]
                width = math.sqrt(max(np.dot(f, block @ f), 0.0))
                r = np.dot(f, weights) + beta_r * width
                out[h, s, a] = min(max(r, 0.0), 1.0)


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    state: RidgeStatistics,
    work: Workspace,
    theta_star: np.ndarray,
    theta_hat: np.ndarray,
    Sigma_inv: np.ndarray,
    Z: np.ndarray,
    ones: np.ndarray,
    totals: np.ndarray,
    counters: np.ndarray,
    x_prev: np.ndarray,
    rbar: np.ndarray,
    zeros: np.ndarray,
    start: int,
    stop: int,
    rng,
    beta: float,
    beta_r: float,
    alpha: float,
    lam_r: float,
    refactor_every: int,
) -> None:
    H, _, A = env.R3.shape
    d = features.shape[1]
    D = H * d
    x = np.empty(D)
    u = np.empty(D)
    for k in range(start, stop):
        # (1) optimistic reward from the preference fit, (2) ICVaR-L's optimistic plan on it,
        # (3) exact iterated-CVaR value of pi_k under the true rewards; one episode.
        _optimistic_reward(features, theta_hat, Sigma_inv, beta_r, rbar)
        states, actions = plan_and_act(features, rbar, env, log, state, work, k, rng, beta, alpha)
        for h in range(H):
            x[h * d : (h + 1) * d] = features[states[h] * A + actions[h]]
        if k > 0:  # the labeller compares tau_k with tau_{k-1}
            z = x - x_prev
            p = 1.0 / (1.0 + math.exp(-np.dot(z, theta_star)))
            label = 1.0 if rng.random() < p else 0.0
            add_comparison(Z, ones, totals, counters, z, label, Sigma_inv, u, theta_hat, lam_r)
        x_prev[:] = x
        absorb_statistics(state, features, zeros, states, actions, refactor_every)


@dataclass(frozen=True)
class ICVaRHF(LinearICVaRRuns):
    r"""ICVaR-HF (Chen et al., ICLR 2024; reconstructed): ICVaR-L's plan on a reward fitted to
    trajectory preferences, with exact iterated-CVaR regret.

    Parameters
    ----------
    alpha : float
        Risk level in (0, 1].
    c : float
        Constant of the kernel bonus ``beta = c d H sqrt(iota)`` (1 by default; another value is
        the named scaled variant, 0 the greedy control).
    c_r : float
        Constant of the reward bonus ``beta_r = c_r sqrt(D log(2 K / p))`` (1 by default).
    lam_r : float
        Ridge weight of the Bradley-Terry MLE and of ``Sigma``.
    p : float
        Failure probability in (0, 1).
    refactor_every : int
        Exact refactorisation of ``Lambda_h^{-1}`` after this many rank-one updates.
    record_policies : bool
        Keep the executed policies in ``trace.extras["policies"]``.

    Notes
    -----
    ``run(model, budget, seed)`` takes a :class:`~mdptheory.linear.LinearMDP` (or an
    :class:`~mdptheory.tabular.EpisodicMDP`, read with one-hot features). Extras:
    ``theta_hat`` (the final fit, ``(H, d)``) and ``comparisons`` (K - 1). The learner sees the
    labels only; the trace's regret uses the true rewards.

    Examples
    --------
    >>> from instances.risk import safe_vs_risky_route
    >>> trace = ICVaRHF(alpha=0.1, c=0.003, c_r=0.1).run(safe_vs_risky_route(), 200, 0)
    >>> trace.pseudo_regret.shape, bool(trace.pseudo_regret.min() >= -1e-12)
    ((200,), True)
    """

    alpha: float = 0.1
    c: float = 1.0
    c_r: float = 1.0
    lam_r: float = 1.0
    p: float = 0.05
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_alpha(self.alpha)
        check_positive("c", self.c, allow_zero=True)
        check_positive("c_r", self.c_r, allow_zero=True)
        check_positive("lam_r", self.lam_r)
        check_open_unit(self.p, "p")
        check_refactor_every(self.refactor_every)

    @property
    def label(self) -> str:
        """E.g. ``ICVaR-HF(alpha=0.1)`` or ``ICVaR-HF(alpha=0.1) c=0.003``."""
        return scaled_label(f"ICVaR-HF(alpha={self.alpha:g})", self.c, mark="c=")

    def _simulate(self, model, budget: int, seed: SeedLike) -> Simulation:
        run = start_run(self, model, budget, seed, "ICVaRHF")
        linear, features, env, K, beta, log, state, rng, work = run
        H, S, A = env.R3.shape
        d = features.shape[1]
        D = H * d
        alpha = float(self.alpha)
        beta_r = icvar_hf_reward_beta(D, K, self.p, self.c_r)
        theta_star = np.ascontiguousarray(np.asarray(linear.theta, dtype=np.float64).ravel())
        lam_r = float(self.lam_r)
        theta_hat = np.zeros(D)
        Sigma_inv = np.eye(D) / lam_r
        Z, ones, totals = np.empty((K, D)), np.zeros(K), np.zeros(K)
        counters = np.zeros(2, dtype=np.int64)  # pooled differences, comparisons
        x_prev, rbar, zeros = np.zeros(D), np.empty((H, S, A)), np.zeros((H, S, A))
        refactor_every = int(self.refactor_every)
        simulate(
            log,
            lambda start, stop: _episodes(
                features,
                env,
                log,
                state,
                work,
                theta_star,
                theta_hat,
                Sigma_inv,
                Z,
                ones,
                totals,
                counters,
                x_prev,
                rbar,
                zeros,
                start,
                stop,
                rng,
                beta,
                beta_r,
                alpha,
                lam_r,
                refactor_every,
            ),
        )
        return Simulation(
            model,
            log,
            {"theta_hat": theta_hat.reshape(H, d).copy()},
            dict(
                objective=f"iterated CVaR, alpha = {alpha:g}",
                optimal_value=log.optimal_value,
                feedback="trajectory preferences, Bradley-Terry on returns, tau_k vs tau_{k-1}",
                comparisons=int(counters[1]),
                pooled_differences=int(counters[0]),
                c=self.c,
                c_r=self.c_r,
                beta=beta,
                beta_r=beta_r,
                iota=lsvi_ucb_iota(d, H, K, self.p),
                beta_formula="beta = c d H sqrt(iota) (ICVaR-L's, reconstructed)",
                reward_bonus_formula="beta_r ||e_h (x) phi||_{Sigma^-1}, beta_r = c_r sqrt(D "
                "log(2 K / p)), D = H d (reconstructed)",
                paper=PAPER,
                update="reconstruction (ICVaR-L's plan on a Bradley-Terry reward fit), not the "
                "paper's ICVaR-HF, which was not read",
            ),
        )
