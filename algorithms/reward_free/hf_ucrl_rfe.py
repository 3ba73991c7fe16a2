r"""HF-UCRL-RFE: horizon-free reward-free exploration with HOME-weighted regression.

Paper
-----
J. Zhang, W. Zhang, Q. Gu, *Optimal Horizon-Free Reward-Free Exploration for Linear Mixture
MDPs*, ICML 2023, arXiv:2303.10165. Claim [read: abstract]: with total reward at most 1,
``O~(d^2 eps^-2)`` exploration episodes give an eps-optimal policy for every reward, with a
matching ``Omega(d^2 eps^-2)`` lower bound. Ingredients [read: abstract]: uncertainty-weighted
value-targeted regression, an exploration-driven pseudo-reward, the high-order moment estimator
(HOME) of Zhou and Gu (NeurIPS 2022, arXiv:2205.11507).

The algorithm boxes of neither paper were read. What follows is **reconstructed** from those
ingredients: the learner is labelled so, and its checks are ``verified=False``.

Setting
-------
A time-homogeneous linear mixture MDP (:class:`mdptheory.linear_mixture.LinearMixtureMDP`),
``P(s'|s, a) = <phi(s'|s, a), theta>``; no reward is seen while exploring; every planning
reward has total at most 1, so every value lies in [0, 1]. Stages are ``h = 1..H`` in the paper
and ``h = 0..H-1`` here.

Exploration (episode k)
-----------------------
With ``theta_k = theta_{k,0}`` and ``Sigma_k = Sigma_{k,0}`` the order-0 HOME estimate
(:mod:`algorithms.reward_free._moments`), the radius ``beta_k`` (:func:`~algorithms.
reward_free._moments.home_radius`), the Gram blocks ``G(s, a) = sum_j phi(j|s, a) phi(j|s,
a)^T`` and the value features ``x_U(s, a)``::

    u_k(s, a) = min{1, c beta_k sqrt(tr(Sigma_k^{-1} G(s, a)))} / H      (pseudo-reward)
    U_{k,h}(s, a) = min{1, u_k(s, a) + <x_{U_{k,h+1}}(s, a), theta_k>
                           + c beta_k ||x_{U_{k,h+1}}(s, a)||_{Sigma_k^{-1}}}    (values in [0, 1])
    U_{k,H} = 0,

then one episode greedy in U_k. The pseudo-reward is the width of the model's uncertainty over
**every** value function in [0, 1]^S (``sqrt(tr(Sigma^-1 G))`` bounds
``||x_V||_{Sigma^-1}`` for all of them up to ``sqrt(S)``): large where some planning reward
could still be mis-estimated; divided by H it is a reward of the planning class (total at most
1), where at 1 per step U would sit at its clip in every state.

Each step ``(s_h, a_h, s_{h+1})`` then enters the M weighted regressions of HOME twice, with the
weights ``1 / sigma_m^2`` computed from the estimates of the episodes before k (the inverses and
estimates are refreshed once per episode):

1. on the powers ``U_{k,h+1}^(2^m)`` (the exploration value, as in value-targeted regression);
2. on the **uncertainty-directed target** ``W_{k,h}`` in {0, 1}^S (:func:`directed_target`):
   the vertex of [0, 1]^S, rounded from the top generalised eigenvector of
   ``G(s_h, a_h) z = lambda Sigma_k z``, whose value feature ``x_W(s_h, a_h)`` is least known.
   ``W`` is fixed by ``(s_h, a_h)`` and the estimates before episode k, not by ``s_{h+1}``, so
   ``E[W(s_{h+1})] = <x_W, theta>`` and the sample is unbiased; being binary, its powers are
   itself and HOME's variance bound is ``p (1 - p)`` plus the error terms.

Why the second target (reconstructed; the paper's box was not read): the pseudo-reward measures
the uncertainty along every direction of ``Phi(s, a)``, but regression on U alone adds data only
along ``x_U``. Where two next states have the same exploration value, e.g. the absorbing good and
bad states of :func:`instances.linear_mixture.reward_free_lower_bound` (same Gram block, same
pseudo-reward, same continuation, so ``U(good) = U(bad)`` at every stage), ``x_U`` has no
component along the directions that separate them: those directions are never learned, the
pseudo-reward along them never shrinks, and planning for the indicator of good or of bad stays
wrong however long the exploration (planning error 0.394 at d = 4, H = 5 without the second
target). The directed target puts data where the pseudo-reward says the uncertainty is.

Planning phase
--------------
For each battery reward: backward induction on ``P_hat = sum_i theta_{K,0,i} P_i`` with every
``Q`` clipped to [0, 1] (:func:`algorithms.reward_free.battery.plan_batch`).

Complexity
----------
Per episode O(M d^3 + H (d S^2 A + S A d^2) + H (d^3 + d S) + H M (d S + d^2)): the M
refreshes, the backward pass (value features and their widths for every pair), the directed
targets (one d x d eigenproblem per step) and the HOME updates. The same at every k.

Constants (reconstructed, see :mod:`~algorithms.reward_free._moments`)
-----------------------------------------------------------------------
lambda = 1, delta = 0.1, ``alpha = 1/sqrt(K H)``, ``gamma = d^(-1/4)``, ``M = ceil(log2(4 K
H))``, ``beta_k`` of :func:`~algorithms.reward_free._moments.home_radius` (about 2 000 at d = 4,
H = 5, K = 10^4): with it every pseudo-reward sits at its clip for any affordable K (the
burn-in of :func:`burn_in` is beyond the budget). In the named variant ``c = 0.001`` (``c beta``
about 2) every pseudo-reward sits at its clip 1/H as well. The checks run ``c = 1e-4``
(``c beta`` about 0.2). ``c = 0`` is the control: no pseudo-reward and no bonus, U = 0, the
greedy policy plays action 0 forever, so only the directions that action's features span are
learned (the directed targets then add data along them alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import Environment, act, environment
from algorithms.mixture.ucrl_vtr import value_features
from algorithms.reward_free._moments import (
    home_add,
    home_orders,
    home_radius,
    home_refresh,
    home_variances,
    mixture_gram_blocks,
    moment_features,
    quadratic_form,
    trace_widths,
)
from algorithms.reward_free._phases import (
    ExplorationParameters,
    Phases,
    homogeneous_mixture_twin,
)
from mdptheory._kernels import greedy_backup
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.seeding import SeedLike, as_generator

LAMBDA = 1.0

__all__ = ["HFUCRLRFE", "Weighted", "burn_in", "directed_target", "start_weighted"]


class _Home(NamedTuple):
    Sigma: np.ndarray  # (M, d, d)
    Sigma_inv: np.ndarray  # (M, d, d)
    b: np.ndarray  # (M, d)
    theta: np.ndarray  # (M, d)
    X: np.ndarray  # (M, d) features of one sample
    y: np.ndarray  # (M,)
    sigma2: np.ndarray  # (M,)
    pseudo: np.ndarray  # (S A,) pseudo-reward widths sqrt(tr(Sigma_0^-1 G))
    features: np.ndarray  # (S A, d) value features of U_{h+1}
    U: np.ndarray  # (H + 1, S)
    Q: np.ndarray  # (H, S, A)
    policy: np.ndarray  # (H, S)
    target: np.ndarray  # (S,) the uncertainty-directed target W of one step


@njit(cache=True)
def _widths(home, G: np.ndarray) -> None:
    """The pseudo-reward widths ``sqrt(tr(Sigma_0^{-1} G(s, a)))``."""
    trace_widths(home.Sigma_inv[0], G, home.pseudo)


@njit(cache=True)
def _plan(home, basis2: np.ndarray, radius: float, S: int, A: int) -> None:
    """The exploration values U (module notes) and the greedy policy."""
    H = home.Q.shape[0]
    d = home.theta.shape[1]
    theta = home.theta[0]
    inv = home.Sigma_inv[0]
    for h in range(H - 1, -1, -1):
        value_features(basis2, home.U[h + 1], home.features)
        for s in range(S):
            for a in range(A):
                r = s * A + a
                x = home.features[r]
                mean = 0.0
                for i in range(d):
                    mean += x[i] * theta[i]
                quad = quadratic_form(inv, x)
                width = math.sqrt(quad) if quad > 0.0 else 0.0
                # The pseudo-reward is a reward of the planning class (total at most 1), so at
                # most 1/H per step: at 1 per step U sits at its clip 1, x_U carries no
                # information about theta and the regression learns nothing.
                pseudo = min(1.0, radius * home.pseudo[r]) / H
                q = pseudo + mean + radius * width
                home.Q[h, s, a] = min(1.0, max(0.0, q))  # horizon-free range [0, 1]
        greedy_backup(home.Q[h], home.U[h], home.policy[h])


@njit(cache=True)
def directed_target(
    basis2: np.ndarray, r: int, G: np.ndarray, inv: np.ndarray, out: np.ndarray
) -> float:
    """The target ``W`` in {0, 1}^S whose value feature is least known at pair ``r``.

    Over unit vectors ``V``, ``||x_V||_{Sigma^-1}`` with ``x_V = Phi V`` (``Phi = basis2[:,
    r]``, d x S) is largest at ``V = Phi^T z``, ``z`` the top generalised eigenvector of
    ``G z = lambda Sigma z`` (``G = Phi Phi^T``), computed as ``z = C u`` with ``C C^T =
    Sigma^-1`` and ``u`` the top eigenvector of ``C^T G C``. The width is convex in V, so its
    maximum over [0, 1]^S is at a vertex; ``W`` rounds ``v = Phi^T z`` to the wider of
    ``1[v > 0]`` and ``1[v < 0]`` (the first on a tie). Writes ``W`` into ``out`` (S,) and
    returns ``||x_W||_{Sigma^-1}``. Cost O(d^3 + d S).

    Parameters
    ----------
    basis2 : ndarray, shape (d, S A, S)
        The basis kernels, one row per pair.
    r : int
        The pair ``s A + a``.
    G : ndarray, shape (d, d)
        ``Phi Phi^T`` of that pair.
    inv : ndarray, shape (d, d)
        ``Sigma^-1``, symmetric positive definite.
    out : ndarray, shape (S,)
        Receives ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> basis2 = np.array([[[0.5, 0.5]], [[1.0, -1.0]]])   # d = 2, one pair, S = 2
    >>> G = basis2[:, 0] @ basis2[:, 0].T
    >>> W = np.zeros(2)
    >>> width = directed_target(basis2, 0, G, np.diag([0.01, 1.0]), W)   # direction 1 unknown
    >>> W.tolist(), round(width, 4)
    ([1.0, 0.0], 1.0012)
    """
    d = inv.shape[0]
    S = out.shape[0]
    C = np.linalg.cholesky(inv)
    CT = np.ascontiguousarray(C.T)
    _, vectors = np.linalg.eigh(CT @ G @ C)
    z = C @ np.ascontiguousarray(vectors[:, d - 1])
    v = np.zeros(S)
    for t in range(S):
        for i in range(d):
            v[t] += basis2[i, r, t] * z[i]
    best, best_sign = -1.0, 1.0
    x = np.zeros(d)
    for sign in (1.0, -1.0):
        x[:] = 0.0
        for t in range(S):
            if sign * v[t] > 0.0:
                for i in range(d):
                    x[i] += basis2[i, r, t]
        width = quadratic_form(inv, x)
        if width > best:
            best, best_sign = width, sign
    for t in range(S):
        out[t] = 1.0 if best_sign * v[t] > 0.0 else 0.0
    return math.sqrt(best) if best > 0.0 else 0.0


@njit(cache=True)
def _explore(env, home, basis2, G, radii, c, alpha, gamma, start: int, stop: int, rng) -> None:
    H, S, A = env.R3.shape
    for k in range(start, stop):
        home_refresh(home.Sigma, home.Sigma_inv, home.b, home.theta)
        _widths(home, G)
        _plan(home, basis2, c * radii[k], S, A)
        states, actions, _ = act(env, home.policy, rng)
        for h in range(H):
            r = states[h] * A + actions[h]
            moment_features(basis2, r, home.U[h + 1], states[h + 1], home.X, home.y)
            home_variances(
                home.X, home.theta, home.Sigma_inv, c * radii[k], alpha, gamma, home.sigma2
            )
            home_add(home.Sigma, home.b, home.X, home.y, home.sigma2)
            # The second regression target: the value function whose feature at (s_h, a_h) is
            # least known. It depends on (s_h, a_h) and the estimates of the episodes before k,
            # never on s_{h+1}, so E[W(s_{h+1})] = <x_W, theta> and the sample is unbiased.
            directed_target(basis2, r, G[r], home.Sigma_inv[0], home.target)
            moment_features(basis2, r, home.target, states[h + 1], home.X, home.y)
            home_variances(
                home.X, home.theta, home.Sigma_inv, c * radii[k], alpha, gamma, home.sigma2
            )
            home_add(home.Sigma, home.b, home.X, home.y, home.sigma2)


class Weighted(NamedTuple):
    """What the compiled exploration loop takes: the true model, the basis as (d, S A, S), the
    Gram blocks ``G`` (S A, d, d), the radii ``beta_k``, ``alpha``, ``gamma`` and the HOME
    statistics."""

    env: Environment
    basis2: np.ndarray
    G: np.ndarray
    radii: np.ndarray
    alpha: float
    gamma: float
    home: _Home


def constants(model: LinearMixtureMDP, K: int) -> tuple[float, float, int]:
    """``alpha = 1/sqrt(K H)``, ``gamma = d^(-1/4)`` and ``M`` (reconstructed)."""
    return 1.0 / math.sqrt(K * model.H), model.d**-0.25, home_orders(K, model.H)


def radii(model: LinearMixtureMDP, K: int, delta: float) -> np.ndarray:
    """``beta_k`` for k = 0..K-1 (after ``k H`` weighted samples)."""
    alpha, gamma, _ = constants(model, K)
    B = model.assumptions().theta_norm
    n = np.arange(K) * float(model.H)
    return np.ascontiguousarray(home_radius(model.d, n, delta, B, alpha, gamma, model.H, LAMBDA))


def burn_in(model: LinearMixtureMDP, K: int, delta: float, c: float) -> int:
    """Episodes before the scaled pseudo-reward can leave its clip 1, from the formula alone:
    the first k with ``c beta_k sqrt(d / (lambda + k))`` below 1, where ``sqrt(d / k)`` is the
    width after k unit-weight episodes spread evenly over d directions; ``K + 1`` when none
    within the budget (the run is then vacuous). ``c = 0`` has no burn-in.

    Examples
    --------
    >>> from instances.linear_mixture import random_linear_mixture_mdp
    >>> m = random_linear_mixture_mdp(S=6, A=3, H=5, d=4, seed=0)
    >>> burn_in(m, 10_000, 0.1, 1.0)                     # the paper's radius: never
    10001
    >>> 0 < burn_in(m, 10_000, 0.1, 0.001) < 100
    True
    """
    if c == 0.0:
        return 0
    beta = radii(model, K, delta)
    k = np.arange(K)
    below = np.flatnonzero(c * beta * np.sqrt(model.d / (LAMBDA + k)) < 1.0)
    return int(below[0]) if below.size else K + 1


def start_weighted(model: LinearMixtureMDP, K: int, delta: float) -> Weighted:
    """``Sigma_m = lambda I``, ``b_m = 0`` and the fixed arrays of a K-episode run."""
    H, S, A, d = model.H, model.S, model.A, model.d
    alpha, gamma, M = constants(model, K)
    basis2, G = mixture_gram_blocks(model)
    home = _Home(
        np.repeat(LAMBDA * np.eye(d)[None], M, axis=0),
        np.repeat(np.eye(d)[None] / LAMBDA, M, axis=0),
        np.zeros((M, d)),
        np.zeros((M, d)),
        np.zeros((M, d)),
        np.zeros(M),
        np.ones(M),
        np.zeros(S * A),
        np.zeros((S * A, d)),
        np.zeros((H + 1, S)),
        np.zeros((H, S, A)),
        np.zeros((H, S), dtype=np.int64),
        np.zeros(S),
    )
    return Weighted(
        environment(model.tabular()), basis2, G, radii(model, K, delta), alpha, gamma, home
    )


@dataclass(frozen=True)
class HFUCRLRFE(ExplorationParameters):
    """HF-UCRL-RFE: reward-free exploration with HOME-weighted regression (module notes).

    Parameters
    ----------
    c : float
        Multiplier of ``beta_k`` in the pseudo-reward, the bonus and the HOME error terms; 1 is
        the reconstructed constant, 1e-4 the variant the checks run, 0 the control.
    delta : float
        Confidence parameter in (0, 1) of ``beta_k``.
    n_random_rewards, battery_seed : int
        The planning battery (as for :class:`~algorithms.reward_free.RFExpress`).

    Notes
    -----
    Returns a :class:`~mdptheory.regret.ConvergenceTrace` whose ``gap`` is the worst exact
    planning sub-optimality over the battery at 12 checkpoints; extras as for
    :class:`~algorithms.reward_free.RFExpress`, plus per checkpoint ``theta_error``
    (``||theta_{k,0} - theta||_2``) and ``gram_trace`` (``tr(Sigma_{k,0})``, which grows with
    the weights ``1 / sigma_0^2`` the samples received).

    Examples
    --------
    >>> from instances.linear_mixture import random_linear_mixture_mdp
    >>> model = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=0)
    >>> trace = HFUCRLRFE(c=0.001).run(model, budget=200, seed=0)
    >>> float(trace.extras["iteration"][-1]), trace.gap.shape
    (200.0, (12,))
    """

    short_name: ClassVar[str] = "HF-UCRL-RFE"
    control_name: ClassVar[str] = "mixture exploration without bonus"
    paper_constants: ClassVar[str] = "reconstructed (c = 1)"
    control_constants: ClassVar[str] = "no pseudo-reward, no bonus (c = 0)"

    def _phases(self, model, budget: int, seed: SeedLike) -> Phases:
        """The :class:`Phases` of HF-UCRL-RFE: directed exploration, the HOME estimate."""
        twin, K = homogeneous_mixture_twin(model, budget, type(self).__name__)
        env, basis2, G, beta, alpha, gamma, home = start_weighted(model, K, self.delta)
        rng = as_generator(seed)
        c = float(self.c)
        theta = model.theta[0]

        def estimate() -> np.ndarray:
            home_refresh(home.Sigma, home.Sigma_inv, home.b, home.theta)
            return np.tensordot(home.theta[0], model.basis, axes=1)

        def measured() -> dict[str, float]:
            return {
                "theta_error": float(np.linalg.norm(home.theta[0] - theta)),
                "gram_trace": float(np.trace(home.Sigma[0])),
            }

        return Phases(
            twin,
            lambda start, stop: _explore(
                env, home, basis2, G, beta, c, alpha, gamma, start, stop, rng
            ),
            estimate,
            (0.0, 1.0),
            measured,
            dict(
                paper="reconstructed after Zhang, Zhang, Gu (ICML 2023), arXiv:2303.10165, and "
                "Zhou, Gu (NeurIPS 2022), arXiv:2205.11507 (algorithm boxes not read)",
                radius_formula="12 sqrt(d log(1 + n/(alpha^2 d lambda)) iota) + 30 iota/gamma^2 "
                "+ sqrt(lambda) B",
                ridge_lambda=LAMBDA,
                orders=int(home.theta.shape[0]),
                alpha=alpha,
                gamma=gamma,
                burn_in=burn_in(model, K, self.delta, c),
                implemented="HOME-weighted VTR on the powers of U and on the uncertainty-directed "
                "target W, trace-width pseudo-reward, values in [0, 1]",
            ),
        )
