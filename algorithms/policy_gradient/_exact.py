"""Exact quantities for the exact learners: JAX policy evaluation, numpy optima, step sizes.

JAX side (inside compiled loops, one MDP at a time; ``vmap`` adds the batch axis):

* :func:`policy_evaluation`: ``V^pi = (I - gamma P_pi)^{-1} r_pi`` by one LU factorisation
  (Puterman 1994, Thm 6.1.1), ``Q^pi = R + gamma P V^pi``; with entropy regularisation
  ``r_pi(s) = sum_a pi(a|s) (R(s, a) - tau log pi(a|s))`` gives Mei et al.'s ``V~`` and ``Q~``
  (Mei, Xiao, Szepesvári, Schuurmans, ICML 2020, Section 4), Cen et al.'s ``V_tau`` and
  ``Q_tau``.
* :func:`state_occupancy`: the unnormalised discounted state occupancy
  ``d(s) = sum_t gamma^t Pr(s_t = s | s_0 ~ mu) = ((I - gamma P_pi)^{-T} mu)(s)``, reusing the LU
  factors; ``d = d^pi_mu / (1 - gamma)`` with Mei et al.'s normalised ``d^pi_mu``.

numpy side (once per instance, outside the loop): the optimal values used to measure gaps,
``V*`` by exact policy iteration (:func:`mdptheory.planning.solve`) and the entropy-regularised
optimum ``V*_tau``, ``Q*_tau``, ``pi*_tau`` by soft value iteration followed by soft policy
iteration to machine precision (:func:`soft_optimum`).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import lu_factor, lu_solve
from scipy.special import logsumexp

from mdptheory.planning import solve
from mdptheory.tabular import FiniteMDP


def policy_evaluation(
    logp: jax.Array, P: jax.Array, R: jax.Array, gamma: jax.Array, tau: jax.Array, regularized: bool
):
    """Exact ``V`` (S,), ``Q`` (S, A) and the LU factors of ``I - gamma P_pi`` (JAX).

    ``logp`` is ``log pi`` (S, A); with ``regularized`` the values are the entropy-regularised
    ``V~``, ``Q~`` of Mei et al. (2020), Section 4 (equal to Cen et al.'s ``V_tau``, ``Q_tau``).
    """
    S = R.shape[0]
    p = jnp.exp(logp)
    P_pi = jnp.einsum("sa,sat->st", p, P)
    reward = R - tau * logp if regularized else R
    r_pi = jnp.sum(p * reward, axis=1)
    factors = lu_factor(jnp.eye(S) - gamma * P_pi)
    V = lu_solve(factors, r_pi)
    Q = R + gamma * jnp.einsum("sat,t->sa", P, V)
    return V, Q, factors


def state_occupancy(factors, mu: jax.Array) -> jax.Array:
    """``(I - gamma P_pi)^{-T} mu``: unnormalised discounted state occupancy from ``mu``."""
    return lu_solve(factors, mu, trans=1)


def optimal_values(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray]:
    """``V*`` (exact value of the optimal policy found by policy iteration) and ``pi*`` (int)."""
    solution = solve(mdp, method="policy_iteration")
    return np.asarray(solution.policy_values), np.asarray(solution.policy)


def optimal_values_batch(
    P: np.ndarray, R: np.ndarray, gamma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`optimal_values` of N MDPs at once: ``V*`` (N, S) and ``pi*`` (N, S) int64.

    The policy iteration of :func:`mdptheory.planning.policy_iteration` (start greedy on ``R``,
    exact evaluation by a dense solve, switch an action only when it improves ``Q`` by more than
    ``64 eps`` of the scale), run on the stacked arrays ``P`` (N, S, A, S), ``R`` (N, S, A),
    ``gamma`` (N,) with one batched ``numpy.linalg.solve`` per improvement step, so a batch of a
    thousand small MDPs costs a few batched solves rather than a thousand Python-level solves.
    An instance that is already stable is carried along unchanged.
    """
    N, S, _ = R.shape
    rows = np.arange(N)[:, None]
    states = np.arange(S)[None, :]
    eye = np.eye(S)
    g = np.asarray(gamma, dtype=np.float64)[:, None]
    policy = np.argmax(R, axis=2)
    eps = 64 * np.finfo(float).eps
    for _ in range(10_000):
        P_pi = P[rows, states, policy]  # (N, S, S)
        r_pi = R[rows, states, policy]  # (N, S)
        V = np.linalg.solve(eye - g[:, :, None] * P_pi, r_pi[..., None])[..., 0]
        q = R + g[:, :, None] * np.einsum("nsat,nt->nsa", P, V)
        best = np.argmax(q, axis=2)
        scale = np.abs(V).max(axis=1) + np.abs(R).max(axis=(1, 2)) + 1.0
        improves = q[rows, states, best] > q[rows, states, policy] + eps * scale[:, None]
        if not improves.any():
            break
        policy = np.where(improves, best, policy)
    return V, policy.astype(np.int64)


def soft_optimum(
    P: np.ndarray, R: np.ndarray, gamma: float, tau: float, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entropy-regularised optimum ``(V*_tau (S,), Q*_tau (S, A), log pi*_tau (S, A))``.

    Soft value iteration ``V <- tau log sum_a exp((R + gamma P V)/tau)`` (a gamma-contraction)
    until ``gamma / (1 - gamma) ||V_{k+1} - V_k|| <= 1e-9``, then soft policy iteration (policy
    ``softmax(Q/tau)``, exact evaluation) until the values stop changing, which converges
    quadratically from there. Theory.md 5.1: ``pi*_tau = exp((Q* - V*)/tau)``.
    """
    S = R.shape[0]
    V = np.zeros(S)
    scale = max(1.0, float(np.max(np.abs(R)))) / (1.0 - gamma)
    for _ in range(max_iter):
        Q = R + gamma * np.einsum("sat,t->sa", P, V)
        V_new = tau * logsumexp(Q / tau, axis=1)
        change = float(np.max(np.abs(V_new - V)))
        V = V_new
        if gamma / (1.0 - gamma) * change <= 1e-9 * scale:
            break
    for _ in range(50):
        Q = R + gamma * np.einsum("sat,t->sa", P, V)
        logp = Q / tau - logsumexp(Q / tau, axis=1, keepdims=True)
        p = np.exp(logp)
        P_pi = np.einsum("sa,sat->st", p, P)
        r_pi = np.sum(p * (R - tau * logp), axis=1)
        V_new = np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)
        change = float(np.max(np.abs(V_new - V)))
        V = V_new
        if change <= 1e-15 * scale:
            break
    Q = R + gamma * np.einsum("sat,t->sa", P, V)
    logp = Q / tau - logsumexp(Q / tau, axis=1, keepdims=True)
    return V, Q, logp


def bandit_as_mdp_arrays(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A K-armed bandit as a one-state MDP with gamma = 0: ``P`` (1, K, 1), ``R`` (1, K)."""
    K = means.shape[-1]
    return np.ones((1, K, 1)), np.asarray(means, dtype=np.float64)[None, :]


def reward_span(R: np.ndarray) -> float:
    """``max(1, max R - min R)``: the reward range the papers' step sizes are scaled by.

    Adding a constant to every reward changes neither the gradients nor the NPG updates, so the
    smoothness constants (stated for rewards in [0, 1]) scale with the range of the rewards.
    """
    return max(1.0, float(np.max(R) - np.min(R)))


def pg_paper_step(R: np.ndarray, gamma: float, tau: float, bandit: bool) -> float:
    """The step size of Mei et al. (2020) for exact softmax PG.

    * bandit, ``tau = 0``: ``eta = 2/5`` (Theorem 2; the objective is 5/2-smooth);
    * MDP, ``tau = 0``: ``eta = (1 - gamma)^3 / 8`` (Theorem 4; Lemma 7, 8/(1-gamma)^3-smooth);
    * ``tau > 0``: ``eta = (1 - gamma)^3 / (8 + tau (4 + 8 log A))`` (Theorem 6; Lemma 14), with
      ``gamma = 0`` and ``A = K`` for a bandit.

    Each is divided by :func:`reward_span` when the rewards span more than [0, 1].
    """
    span = reward_span(R)
    A = R.shape[-1]
    if tau > 0:
        return (1.0 - gamma) ** 3 / (8.0 * span + tau * (4.0 + 8.0 * math.log(A)))
    if bandit:
        return 2.0 / (5.0 * span)
    return (1.0 - gamma) ** 3 / (8.0 * span)


def npg_paper_step(R: np.ndarray, gamma: float, tau: float) -> float:
    """Default NPG step size.

    ``tau = 0``: ``eta = (1 - gamma)^2 log A``, the choice after Agarwal et al. (2021), Theorem
    16, that makes the bound ``2 / ((1 - gamma)^2 T)``. ``tau > 0``: ``eta = (1 - gamma) /
    tau``, the largest step of Cen et al. (2022), Theorem 1 (soft policy iteration).
    """
    A = R.shape[-1]
    if tau > 0:
        return (1.0 - gamma) / tau
    return (1.0 - gamma) ** 2 * max(math.log(A), 1e-300)
