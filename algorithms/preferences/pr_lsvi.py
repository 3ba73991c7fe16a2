r"""PR-LSVI: randomised preference-based RL in a linear MDP with randomised active queries.

Paper
-----
R. Wu, W. Sun. "Making RL with Preference-based Feedback Efficient via Randomization". ICLR
2024, arXiv:2310.14554. Only the abstract and the introduction's start were read: preferences
over trajectory pairs in a linear MDP, a randomised algorithm with near-optimal worst-case
regret in polynomial time, and a randomised active-learning procedure with a near-optimal
regret-versus-queries trade-off. **Everything below is reconstructed** from the project's
references (theory-wave2.md 4.4, tag [M], low confidence): the reward is sampled from a Gaussian
around the regularised MLE, value targets are perturbed as in RLSVI, and a query is made only
when the reward-difference uncertainty exceeds a threshold ``eps``, for regret of order
``O~(eps K + poly(d, H) sqrt(K))`` with ``O~(d^2 / eps^2)`` queries. The comparator
trajectory, the clip and the perturbation scales are choices of this module, not read in the
paper.

Setting
-------
A :class:`~mdptheory.linear.LinearMDP` (``phi`` (S, A, d), ``mu``, ``theta`` (H, d)) whose
rewards are **not** observed. A trajectory ``tau = (s_0, a_0, ..., s_{H-1}, a_{H-1})`` has the
stage-stacked feature ``x(tau) = (phi(s_0, a_0), ..., phi(s_{H-1}, a_{H-1})) in R^{H d}``, so
its return is ``r*(tau) = x(tau)^T theta*`` with ``theta* = vec(theta)``. A query on ``(tau^0,
tau^1)`` returns ``o = 1`` with probability ``sigma(r*(tau^1) - r*(tau^0))`` (Bradley–Terry on
returns).

Algorithm (episode k, stages h = 0..H-1 here, 1..H in the paper)
------------------------------------------------------------------
1. Reward: ``theta_hat`` = ridge-regularised BT MLE on the queried pairs (``lam_r``),
   ``Sigma = lam_r I + sum_{queried} z z^T``; sample ``theta_tilde = theta_hat + sigma_r
   Sigma^{-1/2} xi`` (covariance ``sigma_r^2 Sigma^{-1}``).
2. Transitions (RLSVI-style): with the LSVI ridge statistics of every executed episode
   (:func:`algorithms.linear.lsvi_ucb.absorb_episode`: ``Lambda_h = lam I + sum phi phi^T``,
   ``M_h[s'] = sum phi 1[x' = s']``), for h = H-1..0::

       w_h = Lambda_h^{-1} M_h^T V_{h+1} + sigma_p Lambda_h^{-1/2} xi_h
       Q_h(s, a) = clip(phi(s, a)^T (theta_tilde_h + w_h), 0, H - h),   V_h = max_a Q_h

   ``pi_k`` is greedy in ``Q``.
3. Execute ``pi_k`` for one episode: ``tau^1 = tau_k``. The comparator ``tau^0``:

   * ``comparator="previous"`` (default): the previous episode's trajectory ``tau_{k-1}`` (none
     in episode 0);
   * ``comparator="greedy-mle"``: a trajectory of the policy greedy in the unperturbed estimate
     (step 2 with ``theta_hat`` for ``theta_tilde`` and ``sigma_p = 0``), rolled out in the same
     episode after ``tau_k``: the sampled policy is compared with the exploiting one, as in
     dueling-style PbRL where one of the two policies exploits. Reconstructed like the rest: the
     paper's comparator was not read. Its transitions do not enter the LSVI statistics; its
     exact regret is ``extras["comparator_regret"]`` (a pair's regret is the mean of both).
4. Query rule on ``z = x(tau^1) - x(tau^0)``:

   * ``"threshold"``: query iff ``|z|_{Sigma^{-1}} > eps``;
   * ``"sampled"`` (the randomised rule, reconstructed): draw a second, independent
     ``theta_tilde'`` as in step 1 and query iff ``|(theta_tilde - theta_tilde')^T z| > eps``
     (two posterior-like samples disagree about the preference by more than eps);
   * ``"always"``: every episode (the control of the query checks).

   A queried pair enters the MLE and ``Sigma``.
5. The episode's transitions enter ``Lambda_h``, ``M_h``.

Regret is exact: ``pseudo_regret[k] = V*_1(rho) - V^{pi_k}_1(rho)`` by backward induction on the
tabular twin; ``realised_regret[k] = V*_1(rho)`` minus the episode's sampled return (the learner
never sees it).

Query-count bound (derived here, exact): every query with the ``"threshold"`` rule has
``|z|^2_{Sigma^{-1}} > eps^2`` and only queries update ``Sigma``, so the elliptical potential
lemma gives ``N min(1, eps^2) <= 2 D log(1 + N L^2 / (D lam_r))`` with ``D = H d`` and ``L =
max |z|``: :func:`query_bound`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from algorithms._validation import check_positive
from algorithms.linear.lsvi_ucb import absorb_episode, sherman_morrison_update, start_statistics
from algorithms.preferences.maxinp import _sigmoid
from mdptheory._kernels import (
    backward_induction_kernel,
    evaluate_deterministic_kernel,
    greedy_backup,
    rollout_episode,
)
from mdptheory._validation import check_int, check_real
from mdptheory.linear import LinearMDP
from mdptheory.regret import RegretTrace, trace_metadata
from mdptheory.seeding import SeedLike, as_generator

__all__ = ["PRLSVI", "query_bound", "trajectory_features"]

QUERY_RULES = ("threshold", "sampled", "always")
COMPARATORS = ("previous", "greedy-mle")
_COMPARATOR_CODE = {name: i for i, name in enumerate(COMPARATORS)}
_QUERY_CODE = {name: i for i, name in enumerate(QUERY_RULES)}
NEWTON_TOL = 1e-10
"""Newton stops at a gradient max-norm below this times the number of queries."""


def trajectory_features(phi: np.ndarray, states, actions) -> np.ndarray:
    """``x(tau)`` (H d,): the stage-stacked features of one trajectory.

    Examples
    --------
    >>> phi = np.eye(2).reshape(2, 1, 2)
    >>> trajectory_features(phi, [0, 1, 1], [0, 0]).tolist()
    [1.0, 0.0, 0.0, 1.0]
    """
    states = np.asarray(states)
    actions = np.asarray(actions)
    return np.concatenate([phi[states[h], actions[h]] for h in range(actions.shape[0])])


def query_bound(n_queries: int, D: int, L: float, lam: float, eps: float) -> bool:
    """Whether ``n_queries`` threshold queries are allowed by the elliptical potential lemma:
    ``N min(1, eps^2) <= 2 D log(1 + N L^2 / (D lam))`` (module docstring).

    Examples
    --------
    >>> query_bound(10, 4, 2.0, 1.0, 0.5), query_bound(10_000, 4, 2.0, 1.0, 0.5)
    (True, False)
    """
    N = float(n_queries)
    return N * min(1.0, eps * eps) <= 2.0 * D * math.log1p(N * L * L / (D * lam)) + 1e-9


@njit(cache=True)
def _reward_mle(theta, Z, O, n, lam):
    """Ridge BT MLE on the first ``n`` queried differences ``Z`` with labels ``O``: warm-started
    Newton with Armijo backtracking."""
    D = theta.shape[0]

    def evaluate(th):
        value = 0.5 * lam * np.dot(th, th)
        grad = lam * th.copy()
        hess = lam * np.eye(D)
        for m in range(n):
            dot = 0.0
            for i in range(D):
                dot += Z[m, i] * th[i]
            s = (2.0 * O[m] - 1.0) * dot
            value += math.log1p(math.exp(-abs(s))) + max(-s, 0.0)
            p = _sigmoid(dot)
            g = p - O[m]
            c = p * (1.0 - p)
            for i in range(D):
                zi = Z[m, i]
                if zi == 0.0:
                    continue  # one-hot and stacked features are sparse
                grad[i] += g * zi
                for j in range(D):
                    hess[i, j] += c * zi * Z[m, j]
        return value, grad, hess

    value, grad, hess = evaluate(theta)
    tol = NEWTON_TOL * max(float(n), 1.0)
    for _ in range(100):
        if np.max(np.abs(grad)) <= tol:
            break
        step = -np.linalg.solve(hess, grad)
        slope = np.dot(grad, step)
        t = 1.0
        while True:
            trial = theta + t * step
            trial_value = evaluate(trial)[0]
            if trial_value <= value + 1e-4 * t * slope + 1e-14 * abs(value) or t < 1e-12:
                break
            t *= 0.5
        theta = trial
        value, grad, hess = evaluate(theta)
    return theta


@njit(cache=True)
def _lsvi(state, features, theta, sigma_p, Q, V, policy, target, rng):
    """Step 2: LSVI on the transition statistics of ``state`` with the stacked reward
    parameter ``theta`` (H d,), each stage's weight perturbed by ``sigma_p Lambda_h^{-1/2}
    xi`` when ``sigma_p > 0`` (no draw otherwise), Q clipped to ``[0, H - h]``; fills ``Q``,
    ``V`` and the greedy ``policy``. ``target`` (d,) is scratch."""
    H, S, A = Q.shape
    d = features.shape[1]
    for h in range(H - 1, -1, -1):
        if h < H - 1:
            np.dot(V[h + 1], state.M[h], target)
        else:
            target[:] = 0.0
        w = state.Lambda_inv[h] @ target
        if sigma_p > 0.0:
            chol = np.linalg.cholesky(state.Lambda_inv[h])
            w += sigma_p * (chol @ rng.standard_normal(d))
        w += theta[h * d : (h + 1) * d]
        cap = float(H - h)
        for s in range(S):
            for a in range(A):
                q = np.dot(features[s * A + a], w)
                Q[h, s, a] = min(max(q, 0.0), cap)
        greedy_backup(Q[h], V[h], policy[h])


@njit(cache=True)
def _pr_lsvi_kernel(
    features, P4, R3, initial, theta_star, K, eps, rule, sigma_r, sigma_p, lam_r, rng, comparator=0
):
    """One run: per-episode exact regret, realised regret, queried flag, uncertainty, the final
    MLE and the comparator policy's exact regret (NaN with ``comparator = 0``, the previous
    trajectory; ``1`` is the greedy-MLE comparator)."""
    H, S, A = R3.shape
    d = features.shape[1]
    D = H * d
    _, V_star, _ = backward_induction_kernel(P4, R3)
    v_star = np.dot(initial, V_star[0])
    state, _ = start_statistics(features, H, S, A, K, False)
    zeros = np.zeros((H, S, A))
    pseudo = np.empty(K)
    realised = np.empty(K)
    queried = np.zeros(K, dtype=np.bool_)
    uncertainty = np.full(K, np.nan)
    Z = np.empty((K, D))
    O = np.empty(K)
    n = 0
    Sigma_inv = np.eye(D) / lam_r
    theta_hat = np.zeros(D)
    u = np.empty(D)
    x_prev = np.zeros(D)
    x = np.empty(D)
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    policy = np.empty((H, S), dtype=np.int64)
    target = np.empty(d)
    comparator_regret = np.full(K, np.nan)
    Q0 = np.empty((H, S, A))
    V0 = np.zeros((H + 1, S))
    policy0 = np.empty((H, S), dtype=np.int64)
    for k in range(K):
        # 1. reward sample around the MLE
        chol_sigma = np.linalg.cholesky(Sigma_inv)
        theta_tilde = theta_hat + sigma_r * (chol_sigma @ rng.standard_normal(D))
        # 2. perturbed LSVI on the transition statistics
        _lsvi(state, features, theta_tilde, sigma_p, Q, V, policy, target, rng)
        # exact value of the executed policy
        value = evaluate_deterministic_kernel(P4, R3, policy)
        pseudo[k] = v_star - np.dot(initial, value[0])
        # 3. execute
        states, actions, rewards = rollout_episode(P4, R3, 0, 0.0, initial, policy, rng)
        realised[k] = v_star - rewards.sum()
        for h in range(H):
            x[h * d : (h + 1) * d] = features[states[h] * A + actions[h]]
        if comparator == 1:
            # 3'. the comparator: greedy in the unperturbed MLE reward and LSVI estimate
            _lsvi(state, features, theta_hat, 0.0, Q0, V0, policy0, target, rng)
            value0 = evaluate_deterministic_kernel(P4, R3, policy0)
            comparator_regret[k] = v_star - np.dot(initial, value0[0])
            states0, actions0, _ = rollout_episode(P4, R3, 0, 0.0, initial, policy0, rng)
            for h in range(H):
                x_prev[h * d : (h + 1) * d] = features[states0[h] * A + actions0[h]]
        # 4. query rule on z = x(tau_k) - x(tau^0)
        if k > 0 or comparator == 1:
            z = x - x_prev
            width = math.sqrt(max(np.dot(z, Sigma_inv @ z), 0.0))
            uncertainty[k] = width
            ask = False
            if rule == 2:
                ask = True
            elif rule == 0:
                ask = width > eps
            else:
                other = theta_hat + sigma_r * (chol_sigma @ rng.standard_normal(D))
                ask = abs(np.dot(theta_tilde - other, z)) > eps
            if ask:
                p = _sigmoid(np.dot(z, theta_star))
                label = 1.0 if rng.random() < p else 0.0
                Z[n] = z
                O[n] = label
                n += 1
                queried[k] = True
                sherman_morrison_update(Sigma_inv, z, u)
                theta_hat = _reward_mle(theta_hat, Z, O, n, lam_r)
        x_prev[:] = x
        # 5. transitions enter the LSVI statistics (rewards unobserved: zeros)
        absorb_episode(
            features,
            zeros,
            states,
            actions,
            state.Lambda,
            state.Lambda_inv,
            state.width2,
            state.b,
            state.M,
            state.log_det,
            state.n_updates,
            1000,
            state.u,
            state.z,
            state.potential,
        )
    return pseudo, realised, queried, uncertainty, theta_hat, comparator_regret


@dataclass(frozen=True)
class PRLSVI:
    """PR-LSVI (Wu and Sun, ICLR 2024; reconstructed, see the module docstring).

    Parameters
    ----------
    eps : float
        Query threshold (>= 0); ``eps = 0`` queries whenever the two trajectories differ.
    query : {"threshold", "sampled", "always"}
        The query rule (module docstring, step 4).
    sigma_r, sigma_p : float
        Scales of the reward and value perturbations (>= 0; 0 removes that randomisation, the
        control). Defaults 0.5: choices of this module (on the lock instance 1 explores for
        thousands of episodes, 0.3 often never leaves the lure); the paper's values are not
        verified.
    lam_r : float
        Ridge weight of the reward MLE and of ``Sigma``.
    comparator : {"previous", "greedy-mle"}
        The trajectory ``tau^0`` each query compares with (module docstring, step 3); the
        default keeps the numbers of earlier versions bit for bit.

    ``run(model, budget, seed)`` returns a :class:`~mdptheory.regret.RegretTrace` with exact
    per-episode regret; extras ``queried`` (1.0 when episode k queried), ``queries`` (their
    running count), ``uncertainty`` (``|z|_{Sigma^{-1}}`` before the decision, NaN in
    episode 0) and ``theta_hat`` (the final MLE, H d).

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> mdp = simplex_feature_linear_mdp(S=4, A=2, H=2, d=2, seed=0)
    >>> trace = PRLSVI(eps=0.5).run(mdp, budget=200, seed=0)
    >>> trace.pseudo_regret.shape, int(trace.extras["queries"][-1]) < 200
    ((200,), True)
    """

    eps: float = 0.1
    query: str = "threshold"
    sigma_r: float = 0.5
    sigma_p: float = 0.5
    lam_r: float = 1.0
    comparator: str = "previous"

    def __post_init__(self) -> None:
        check_real(self.eps, "eps", 0.0)
        if self.comparator not in COMPARATORS:
            raise ValueError(f"comparator must be one of {COMPARATORS}, got {self.comparator!r}")
        check_positive("sigma_r", self.sigma_r, allow_zero=True)
        check_positive("sigma_p", self.sigma_p, allow_zero=True)
        check_real(self.lam_r, "lam_r", 0.0, low_open=True)
        if self.query not in QUERY_RULES:
            raise ValueError(f"query must be one of {QUERY_RULES}, got {self.query!r}")

    @property
    def constants(self) -> str:
        """Perturbation scales and rule: all reconstructed, none verified in the paper."""
        comparator = "" if self.comparator == "previous" else f", {self.comparator} comparator"
        return (
            f"reconstructed (sigma_r = {self.sigma_r:g}, sigma_p = {self.sigma_p:g}, "
            f"{self.query} queries, eps = {self.eps:g}{comparator})"
        )

    @property
    def label(self) -> str:
        if self.sigma_r == 0.0 and self.sigma_p == 0.0:
            return f"greedy PbRL-LSVI eps={self.eps:g}"
        if self.query == "always":
            return "PR-LSVI (query every episode)"
        return f"PR-LSVI eps={self.eps:g}"

    def run(self, model: Any, budget: int, seed: SeedLike = 0) -> RegretTrace:
        """Run ``budget`` episodes on a linear MDP (its exact tabular twin is the environment).

        Raises
        ------
        ValueError
            For a model that is not a LinearMDP, a feature of norm > 1 or a budget that is
            not a positive int.
        """
        if not isinstance(model, LinearMDP):
            raise ValueError(f"PR-LSVI needs a LinearMDP, got {type(model).__name__}")
        K = check_int(budget, "budget", 1)
        phi = np.ascontiguousarray(model.phi, dtype=np.float64)
        S, A, d = phi.shape
        norms = np.linalg.norm(phi, axis=2)
        if (norms > 1.0 + 1e-9).any():
            s, a = np.unravel_index(int(np.argmax(norms)), norms.shape)
            raise ValueError(f"||phi[{s}, {a}]|| is {float(norms[s, a])!r} > 1")
        env = model.tabular()
        P4 = np.ascontiguousarray(env.dense_P(), dtype=np.float64)
        R3 = np.ascontiguousarray(np.broadcast_to(env.R, (env.H, S, A)), dtype=np.float64)
        theta_star = np.ascontiguousarray(model.theta, dtype=np.float64).reshape(-1)
        start = time.perf_counter()
        pseudo, realised, queried, width, theta_hat, comparator_regret = _pr_lsvi_kernel(
            np.ascontiguousarray(phi.reshape(S * A, d)),
            P4,
            R3,
            np.ascontiguousarray(env.initial, dtype=np.float64),
            theta_star,
            K,
            float(self.eps),
            _QUERY_CODE[self.query],
            float(self.sigma_r),
            float(self.sigma_p),
            float(self.lam_r),
            as_generator(seed),
            _COMPARATOR_CODE[self.comparator],
        )
        elapsed = time.perf_counter() - start
        meta = trace_metadata(
            self,
            model,
            seed,
            K,
            label=self.label,
            constants=self.constants,
            paper="Wu and Sun (ICLR 2024), arXiv:2310.14554 (reconstructed)",
            n_queries=int(queried.sum()),
            feature_dim=int(env.H * d),
        )
        extras = {
            "queried": queried.astype(np.float64),
            "queries": np.cumsum(queried).astype(np.float64),
            "uncertainty": width,
            "theta_hat": theta_hat,
        }
        if self.comparator != "previous":
            extras["comparator_regret"] = comparator_regret
        return RegretTrace(pseudo, realised, np.full(K, elapsed / K), meta, extras)
