r"""PEVI: pessimistic value iteration for offline RL, linear and tabular, with exact sub-optimality.

Paper
-----
Y. Jin, Z. Yang, Z. Wang, *Is Pessimism Provably Efficient for Offline RL?*, ICML 2021,
arXiv:2012.15085. Algorithm 1 (PEVI, general), Algorithm 2 (PEVI for linear MDPs), the general
sub-optimality bound (cited as Theorem 4.2: on the event that the penalties are
xi-uncertainty quantifiers, ``SubOpt <= 2 sum_h E_{pi*}[Gamma_h]``) and its linear
specialisation with ``lambda = 1``, ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``.
The statement numbers are as recalled and not verified against the published text;
``docs/offline.md`` says what could and could not be verified.

Setting
-------
Episodic MDP, H stages, finite S and A, rewards in [0, 1]. A fixed dataset of K trajectories
(or any log with at least one transition per stage) collected by a behaviour the learner does
not know. Linear MDP (Jin et al. 2020, Assumption A): ``P_h(s'|s, a) = phi(s, a) . mu_h(s')``,
``r_h(s, a) = phi(s, a) . theta_h``, ``||phi|| <= 1``. The learner sees ``phi`` and the data,
never ``mu`` or ``theta``; rewards are learned from the logged ones. Sub-optimality
``SubOpt(pi; rho) = V*_1(rho) - V^pi_1(rho)``. **Stages**: the paper's ``h = 1..H`` are
``h = 0..H-1`` here, so the paper's clip ``H - h + 1`` is ``H - h`` in code and
``V_hat_{H+1} = 0`` is ``V[H] = 0``.

Update (Algorithm 2, for h = H, ..., 1; step labels ours)
---------------------------------------------------------
::

    (a) Lambda_h  = sum_tau phi_h^tau (phi_h^tau)^T + lambda I
    (b) w_h       = Lambda_h^{-1} sum_tau phi_h^tau ( r_h^tau + V_hat_{h+1}(x_{h+1}^tau) )
    (c) Gamma_h   = beta ( phi(x, a)^T Lambda_h^{-1} phi(x, a) )^{1/2}
    (d) Q_bar_h   = phi(x, a)^T w_h - Gamma_h(x, a)
    (e) Q_hat_h   = min{ Q_bar_h, H - h + 1 }^+
    (f) pi_hat_h  = argmax_a Q_hat_h(x, a)          (g) V_hat_h = max_a Q_hat_h(x, a)

with ``phi_h^tau = phi(x_h^tau, a_h^tau)``. The bound the result reports is the right-hand side
``2 beta sum_h E_{pi*}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]``, computed exactly from pi*'s
occupancy on the tabular twin.

Finite-state aggregation (why fitting is O(n + H S A d^2))
----------------------------------------------------------
On a finite state space the data enter (a) and (b) only through the counts of
:meth:`~algorithms.offline.datasets.OfflineDataset.aggregate`: with ``Phi`` the (S A, d)
feature matrix, ``N_h`` the visit counts, ``R_h`` the reward sums and ``C_h`` the sparse
(S A, S) next-state counts,

    Lambda_h = Phi^T diag(N_h) Phi + lambda I,     sum_tau phi_tau (r_tau + V(x'_tau)) =
    Phi^T (R_h + C_h V).

Aggregation is one ``bincount`` (O(n)); a fit then costs O(H (S A d^2 + d^3 + nnz(C_h))) and
never loops over samples. :func:`pevi_curves` computes the fits for every prefix of a log in one
compiled call (rank-one additions to ``Lambda_h``, next-state-aggregated targets), so a whole
sub-optimality-versus-n curve costs one pass over the data plus one fit per grid point.

Which code implements which step
--------------------------------
* ``_linear_estimates``: (a) ``gram = Phi^T (N_h Phi) + lam I``; the squared widths
  ``phi^T Lambda_h^{-1} phi`` used by (c).
* ``_backward``: per stage, the target of (b) ``Phi^T (R_h + C_h V_hat_{h+1})`` (tabular: no
  ``Phi``), ``w_h`` by the Cholesky factor (b), ``Gamma_h`` (c), ``Q_bar`` (d), the clip to
  ``[0, H - h]`` (e, code stages) and ``V_hat_h = max_a Q_hat_h`` (g).
* ``_finish``: the first maximiser of ``Q_hat`` (f), exact ``V^{pi_hat}``
  (:func:`mdptheory._kernels.evaluate_deterministic_kernel`), ``V*`` and pi*
  (:func:`mdptheory._kernels.backward_induction_kernel`), the bound from pi*'s exact
  occupancy, and the good event ``|phi^T w_h - (r_h + P_h V_hat_{h+1})| <= Gamma_h`` for
  every (h, s, a), checked against the true model.
* ``_linear_prefix_kernel`` / ``_tabular_prefix_kernel``: the same steps inside one ``@njit``
  loop over the grid of prefixes (``_greedy_stage`` is (d)-(g) for one stage,
  ``_evaluate_and_check`` the exact evaluation, the good event and pessimism).
* ``PEVI.run``: the ``mdptheory run`` protocol (collect, then :func:`pevi_curves` on every
  prefix); ``PEVI.expected_bound``: the bound at ``E[Lambda_h]``, exactly.

Algorithms and constants
------------------------
* :class:`PEVI`: Algorithm 2. ``lambda = 1`` and ``xi = 0.05`` by default. The paper's c is an
  unspecified absolute constant; ``c = 1`` is the default (``penalty_variant = "paper
  (c = 1)"``) and any other ``c > 0`` is the named tuned scaling ``"scaled (c = ...)"``.
  :data:`TUNED_C` is the scaling the checks and docs use.
* :class:`GreedyLSVI`: the control, the same regression with ``beta = 0`` (still clipped to
  ``[0, H - h + 1]``): greedy least-squares value iteration.
* :class:`TabularPEVI`: Jin et al.'s tabular specialisation (Algorithm 2 with one-hot features,
  ``d = S A``): ``Lambda_h`` is diagonal with entries ``N_h(s, a) + lambda``, so
  ``phi^T w_h = (R_h(s, a) + sum_s' N_h(s, a, s') V_hat(s')) / (N_h(s, a) + lambda)`` and the
  count-based penalty is ``Gamma_h = beta / sqrt(N_h(s, a) + lambda)``, ``beta = c S A H
  sqrt(zeta)``. It equals :class:`PEVI` on ``instances.linear.tabular_as_linear`` up to
  rounding (tested) at O(H S A S) per fit. (Rashidinejad et al.'s VI-LCB, NeurIPS 2021, uses a
  penalty of the same ``1 / sqrt(N)`` form with its own constants and data splitting; that
  variant is not implemented here.) ``c = 0`` gives greedy tabular VI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.linalg
from numba import njit

from algorithms._validation import check_budget, check_positive
from algorithms.offline.datasets import (
    Behaviour,
    OfflineDataset,
    TransitionCounts,
    collect,
    epsilon_optimal_behaviour,
    partial_coverage_behaviour,
    tabular_twin,
    uniform_behaviour,
)
from mdptheory._kernels import backward_induction_kernel, evaluate_deterministic_kernel
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.regret import ConvergenceTrace, trace_metadata
from mdptheory.seeding import SeedLike
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "LAMBDA",
    "PAPER_C",
    "PEVI",
    "TUNED_C",
    "XI",
    "GreedyLSVI",
    "OfflineCurves",
    "PEVIResult",
    "TabularPEVI",
    "pevi_beta",
    "pevi_curves",
    "pevi_zeta",
]

LAMBDA = 1.0
"""Ridge parameter lambda (the paper's choice)."""

PAPER_C = 1.0
"""Default c in ``beta = c d H sqrt(zeta)``: the paper only says "an absolute constant"."""

TUNED_C = 0.05
"""The named tuned scaling used by the checks and docs: ``beta = 0.05 d H sqrt(zeta)``.

With ``c = 1`` the penalty keeps every ``Q_hat`` at 0 until a direction has about
``(beta / H)^2 = d^2 zeta`` samples (hundreds of thousands of episodes for d = 4, H = 5), so the
paper constant is checked where it is informative (the bound and the good event) and the rates
are measured with this scaling."""

XI = 0.05
"""Default confidence parameter xi (failure probability of the good event)."""

FEATURE_NORM_TOL = 1e-9
EVENT_TOL = 1e-9
"""Rounding allowance, times H, in the good-event and pessimism comparisons."""


def pevi_zeta(d: int, H: int, K: float, xi: float) -> float:
    """``zeta = log(2 d H K / xi)`` (linear-MDP theorem of Jin et al. 2021).

    Examples
    --------
    >>> round(pevi_zeta(4, 5, 1000, 0.05), 6) == round(math.log(2 * 4 * 5 * 1000 / 0.05), 6)
    True
    """
    return math.log(2.0 * d * H * K / xi)


def pevi_beta(d: int, H: int, K: float, xi: float = XI, c: float = PAPER_C) -> float:
    """``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``.

    Examples
    --------
    >>> round(pevi_beta(4, 5, 1000, 0.05) / 20, 6) == round(math.sqrt(pevi_zeta(4, 5, 1000,
    ...                                                                          0.05)), 6)
    True
    """
    return c * d * H * math.sqrt(pevi_zeta(d, H, K, xi))


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PEVIResult:
    """What a PEVI (or greedy control) fit returns, with exact quantities from the twin.

    Attributes
    ----------
    method : str
        ``"PEVI"``, ``"PEVI c=..."``, ``"greedy LSVI"``, ``"PEVI-tabular"``, ...
    policy : ndarray of int64, shape (H, S)
        The output policy pi_hat (first maximiser of ``Q_hat``).
    V_hat : ndarray, shape (H, S)
        ``V_hat_h`` (code stage h = paper stage h + 1).
    Q_hat : ndarray, shape (H, S, A)
        The clipped pessimistic ``Q_hat_h`` of step (e).
    estimate : ndarray, shape (H, S, A)
        ``phi^T w_h``, the regression estimate of ``(B_h V_hat_{h+1})(s, a)`` before penalty
        and clip.
    penalty : ndarray, shape (H, S, A)
        ``Gamma_h(s, a) = beta ||phi(s, a)||_{Lambda_h^{-1}}``.
    widths : ndarray, shape (H, S, A)
        ``||phi(s, a)||_{Lambda_h^{-1}}`` (tabular: ``1 / sqrt(N_h(s, a) + lambda)``).
    weights : ndarray, shape (H, d), or None
        ``w_h`` (None for the tabular algorithm).
    gram : ndarray, shape (H, d, d), or None
        ``Lambda_h`` (None for the tabular algorithm, where it is ``diag(N_h + lambda)``).
    beta, lam, c, xi, zeta : float
        The penalty multiplier and the constants it came from.
    n_episodes : float
        K used in zeta.
    policy_values : ndarray, shape (H, S)
        Exact ``V^{pi_hat}_h`` on the twin.
    optimal_values : ndarray, shape (H, S)
        ``V*_h``.
    optimal_policy : ndarray of int64, shape (H, S)
        The pi* used by the bound (ties to the smallest action).
    value, optimal_value, estimated_value : float
        ``V^{pi_hat}_1(rho)``, ``V*_1(rho)`` and ``V_hat_1(rho)``.
    suboptimality : float
        ``V*_1(rho) - V^{pi_hat}_1(rho)``, exact.
    uncertainty : ndarray, shape (H,)
        ``E_{pi*}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]`` per stage, exact.
    bound : float
        ``2 beta sum_h uncertainty[h]`` (0 for the greedy control, which has no guarantee).
    event_margin : float
        ``min_{h,s,a} Gamma_h - |phi^T w_h - (r_h + P_h V_hat_{h+1})|``: the good event (the
        penalty is an uncertainty quantifier for this very data set) holds when it is >= 0
        (up to ``EVENT_TOL * H`` of rounding).
    good_event : bool
    pessimistic : bool
        ``V_hat_h(s) <= V^{pi_hat}_h(s)`` for every h and s (up to rounding). Implied by the
        good event (induction over h), whatever the data.
    """

    method: str
    policy: np.ndarray
    V_hat: np.ndarray
    Q_hat: np.ndarray
    estimate: np.ndarray
    penalty: np.ndarray
    widths: np.ndarray
    weights: np.ndarray | None
    gram: np.ndarray | None
    beta: float
    lam: float
    c: float
    xi: float
    zeta: float
    n_episodes: float
    policy_values: np.ndarray
    optimal_values: np.ndarray
    optimal_policy: np.ndarray
    value: float
    optimal_value: float
    estimated_value: float
    suboptimality: float
    uncertainty: np.ndarray
    bound: float
    event_margin: float
    good_event: bool
    pessimistic: bool
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("policy", "V_hat", "Q_hat", "estimate", "penalty", "widths", "weights",
                     "gram", "policy_values", "optimal_values", "optimal_policy",
                     "uncertainty"):
            array = getattr(self, name)
            if array is not None:
                array.flags.writeable = False

    @property
    def below_bound(self) -> bool:
        """``suboptimality <= bound`` (the theorem's inequality for this data set)."""
        return self.suboptimality <= self.bound


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check_rewards(mdp: EpisodicMDP, learner: str) -> None:
    R = mdp.R
    bad = (R < 0.0) | (R > 1.0)
    if bad.any():
        h, s, a = np.unravel_index(int(np.flatnonzero(bad)[0]), R.shape)
        raise ValueError(f"R[{h}, {s}, {a}] is {float(R[h, s, a])!r}, outside [0, 1]; "
                         f"{learner}'s clip to [0, H - h + 1] and its bound assume rewards in "
                         "[0, 1]")


def _check_linear_model(model: Any, learner: str) -> tuple[LinearMDP, np.ndarray]:
    if not isinstance(model, LinearMDP):
        raise ValueError(f"{learner} needs a LinearMDP (features phi), got "
                         f"{type(model).__name__}: {model!r}")
    norms = np.linalg.norm(model.phi, axis=2)
    if (norms > 1.0 + FEATURE_NORM_TOL).any():
        s, a = np.unravel_index(int(np.argmax(norms)), norms.shape)
        raise ValueError(f"||phi[{s}, {a}]|| is {float(norms[s, a])!r} > 1; the linear MDP of "
                         "Jin et al. needs ||phi(x, a)|| <= 1")
    _check_rewards(model.tabular(), learner)
    features = np.ascontiguousarray(model.phi.reshape(model.S * model.A, model.d))
    return model, features


def _statistics(mdp: EpisodicMDP, data: OfflineDataset | TransitionCounts) -> TransitionCounts:
    if isinstance(data, OfflineDataset):
        stats = data.aggregate()
    elif isinstance(data, TransitionCounts):
        stats = data
    else:
        raise ValueError(f"data must be an OfflineDataset or TransitionCounts, got "
                         f"{type(data).__name__}")
    if (stats.S, stats.A, stats.H) != (mdp.S, mdp.A, mdp.H):
        raise ValueError(f"the data are for (S, A, H) = {(stats.S, stats.A, stats.H)}, the "
                         f"model has {(mdp.S, mdp.A, mdp.H)}")
    return stats


def _optimal(mdp: EpisodicMDP) -> np.ndarray:
    """pi* of the twin (ties to the smallest action), the comparator of every bound here."""
    _, _, policy = backward_induction_kernel(np.ascontiguousarray(mdp.dense_P()),
                                             np.ascontiguousarray(mdp.R))
    return policy


# ---------------------------------------------------------------------------------------------
# The fit (numpy, aggregated)
# ---------------------------------------------------------------------------------------------


def _linear_estimates(features: np.ndarray, stats: TransitionCounts, lam: float):
    """Step (a) and the squared widths: ``gram`` (H, d, d), its Cholesky factors, widths2."""
    d = features.shape[1]
    counts = stats.counts.reshape(stats.H, -1)
    # Phi^T diag(N_h) Phi for every stage: one batched BLAS product, O(H S A d^2).
    gram = np.matmul(features.T[None], counts[:, :, None] * features[None]) + lam * np.eye(d)
    gram = 0.5 * (gram + gram.transpose(0, 2, 1))
    chol = np.linalg.cholesky(gram)
    # ||phi||^2_{Lambda^{-1}} = ||L^{-1} phi||^2 with L the Cholesky factor: inverting the
    # triangular d x d factors once (batched) is far cheaper than S A right-hand sides.
    solved = np.matmul(np.linalg.inv(chol), features.T[None])
    widths2 = (solved ** 2).sum(axis=1)
    return gram, chol, widths2


def _backward(stats: TransitionCounts, beta: float, lam: float, features: np.ndarray | None,
              chol: np.ndarray | None, widths2: np.ndarray):
    """Steps (b)-(g) for h = H-1..0 (code stages); tabular when ``features`` is None."""
    S, A, H = stats.S, stats.A, stats.H
    d = 0 if features is None else features.shape[1]
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S * A))
    estimate = np.empty((H, S * A))
    weights = None if features is None else np.empty((H, d))
    widths = np.sqrt(widths2)
    counts = stats.counts.reshape(H, -1)
    rewards = stats.reward_sums.reshape(H, -1)
    for h in range(H - 1, -1, -1):
        # (b): sum_tau phi_tau (r_tau + V(x'_tau)) = Phi^T (R_h + C_h V_{h+1}); C_h is sparse.
        y = rewards[h] + stats.stage_block(h) @ V[h + 1]
        if features is None:
            estimate[h] = y / (counts[h] + lam)
        else:
            w = scipy.linalg.cho_solve((chol[h], True), features.T @ y)
            weights[h] = w
            estimate[h] = features @ w
        # (c)-(e): penalty, then the clip to [0, H - h + 1] (paper stage h + 1 -> H - h here).
        Q[h] = np.clip(estimate[h] - beta * widths[h], 0.0, float(H - h))
        # (f)-(g): first maximiser and its value.
        V[h] = Q[h].reshape(S, A).max(axis=1)
    return (V, Q.reshape(H, S, A), estimate.reshape(H, S, A), widths.reshape(H, S, A),
            weights)


def _finish(method: str, mdp: EpisodicMDP, V: np.ndarray, Q: np.ndarray, estimate: np.ndarray,
            widths: np.ndarray, weights, gram, beta: float, lam: float, c: float, xi: float,
            zeta: float, n_episodes: float, metadata: dict[str, Any]) -> PEVIResult:
    """Exact evaluation on the twin, the bound from pi*'s occupancy, the good event."""
    H = mdp.H
    P4 = np.ascontiguousarray(mdp.dense_P())
    R3 = np.ascontiguousarray(mdp.R)
    rho = np.asarray(mdp.initial)
    policy = np.argmax(Q, axis=2).astype(np.int64)
    V_pi = evaluate_deterministic_kernel(P4, R3, policy)
    _, V_star, pi_star = backward_induction_kernel(P4, R3)
    d_star = occupancy(mdp, pi_star)
    uncertainty = (d_star * widths).sum(axis=(1, 2))
    bellman = np.stack([mdp.R[h] + mdp.expect(V[h + 1], h) for h in range(H)])
    penalty = beta * widths
    margin = float((penalty - np.abs(estimate - bellman)).min())
    tol = EVENT_TOL * H
    value = float(rho @ V_pi[0])
    optimal_value = float(rho @ V_star[0])
    return PEVIResult(
        method=method, policy=policy, V_hat=V[:H].copy(), Q_hat=Q, estimate=estimate,
        penalty=penalty, widths=widths, weights=weights, gram=gram, beta=beta, lam=lam, c=c,
        xi=xi, zeta=zeta, n_episodes=n_episodes, policy_values=V_pi[:H].copy(),
        optimal_values=V_star[:H].copy(), optimal_policy=pi_star, value=value,
        optimal_value=optimal_value, estimated_value=float(rho @ V[0]),
        suboptimality=optimal_value - value, uncertainty=uncertainty,
        bound=float(2.0 * beta * uncertainty.sum()), event_margin=margin,
        good_event=margin >= -tol, pessimistic=bool((V[:H] <= V_pi[:H] + tol).all()),
        metadata=metadata)


# ---------------------------------------------------------------------------------------------
# Curves over prefixes of a log (compiled)
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _evaluate_and_check(P4, R3, initial, V, Q_est, widths, beta, policy, v_star_start, tol):
    """Exact sub-optimality of ``policy``, ``V_hat_1(rho)``, the good event and pessimism."""
    H, S, A = R3.shape
    V_pi = evaluate_deterministic_kernel(P4, R3, policy)
    subopt = v_star_start - np.dot(initial, V_pi[0])
    event = True
    pessimistic = True
    for h in range(H):
        hp = h if P4.shape[0] > 1 else 0
        for s in range(S):
            if V[h, s] > V_pi[h, s] + tol:
                pessimistic = False
            for a in range(A):
                n = s * A + a
                target = R3[h, s, a] + np.dot(P4[hp, s, a], V[h + 1])
                if abs(Q_est[h, n] - target) > beta * widths[h, n] + tol:
                    event = False
    return subopt, np.dot(initial, V[0]), event, pessimistic


@njit(cache=True)
def _greedy_stage(means, widths_h, beta, clip, S, A, Q_row, V_row, policy_row):
    for s in range(S):
        best = -np.inf
        best_a = 0
        for a in range(A):
            n = s * A + a
            q = means[n] - beta * widths_h[n]
            if q > clip:
                q = clip
            if q < 0.0:
                q = 0.0
            Q_row[n] = q
            if q > best:
                best = q
                best_a = a
        V_row[s] = best
        policy_row[s] = best_a


@njit(cache=True)
def _linear_prefix_kernel(features, P4, R3, initial, stage, state, action, reward, next_state,
                          ends, betas, lam, occ_star, v_star_start, tol):
    """PEVI on every prefix ``rows[:ends[g]]`` for every ``betas[g, j]``; see ``pevi_curves``."""
    n_pairs, d = features.shape
    H, S, A = R3.shape
    G = ends.shape[0]
    B = betas.shape[1]
    gram = np.zeros((H, d, d))
    for h in range(H):
        for i in range(d):
            gram[h, i, i] = lam
    b = np.zeros((H, d))
    M = np.zeros((H, S, d))
    inv = np.empty((H, d, d))
    widths = np.empty((H, n_pairs))
    subopt = np.empty((G, B))
    v_hat = np.empty((G, B))
    event = np.zeros((G, B), dtype=np.bool_)
    pessimistic = np.zeros((G, B), dtype=np.bool_)
    uncertainty = np.empty((G, H))
    V = np.zeros((H + 1, S))
    Q = np.empty((H, n_pairs))
    means_all = np.empty((H, n_pairs))
    policy = np.empty((H, S), dtype=np.int64)
    target = np.empty(d)
    start = 0
    for g in range(G):
        # (a), (b): absorb the new rows (rank-one additions, targets aggregated by next state).
        for t in range(start, ends[g]):
            h = stage[t]
            x = features[state[t] * A + action[t]]
            r = reward[t]
            sp = next_state[t]
            for i in range(d):
                xi = x[i]
                for j in range(d):
                    gram[h, i, j] += xi * x[j]
                b[h, i] += xi * r
                M[h, sp, i] += xi
        start = ends[g]
        for h in range(H):
            inv[h] = np.linalg.inv(gram[h])
            proj = features @ inv[h]
            total = 0.0
            for n in range(n_pairs):
                w2 = np.dot(proj[n], features[n])
                widths[h, n] = math.sqrt(w2 if w2 > 0.0 else 0.0)
                total += occ_star[h, n] * widths[h, n]
            uncertainty[g, h] = total
        for j in range(B):
            beta = betas[g, j]
            V[H, :] = 0.0
            for h in range(H - 1, -1, -1):
                target[:] = b[h]
                for s in range(S):
                    v = V[h + 1, s]
                    if v != 0.0:
                        for i in range(d):
                            target[i] += v * M[h, s, i]
                w = inv[h] @ target
                means_all[h] = features @ w
                _greedy_stage(means_all[h], widths[h], beta, float(H - h), S, A, Q[h], V[h],
                              policy[h])
            out = _evaluate_and_check(P4, R3, initial, V, means_all, widths, beta, policy,
                                      v_star_start, tol)
            subopt[g, j] = out[0]
            v_hat[g, j] = out[1]
            event[g, j] = out[2]
            pessimistic[g, j] = out[3]
    return subopt, v_hat, event, pessimistic, uncertainty


@njit(cache=True)
def _tabular_prefix_kernel(P4, R3, initial, stage, state, action, reward, next_state, ends,
                           betas, lam, occ_star, v_star_start, tol):
    """As :func:`_linear_prefix_kernel` for one-hot features (diagonal Lambda_h)."""
    H, S, A = R3.shape
    n_pairs = S * A
    G = ends.shape[0]
    B = betas.shape[1]
    N = np.zeros((H, n_pairs))
    Rsum = np.zeros((H, n_pairs))
    C = np.zeros((H, n_pairs, S))
    widths = np.empty((H, n_pairs))
    subopt = np.empty((G, B))
    v_hat = np.empty((G, B))
    event = np.zeros((G, B), dtype=np.bool_)
    pessimistic = np.zeros((G, B), dtype=np.bool_)
    uncertainty = np.empty((G, H))
    V = np.zeros((H + 1, S))
    Q = np.empty((H, n_pairs))
    means_all = np.empty((H, n_pairs))
    policy = np.empty((H, S), dtype=np.int64)
    start = 0
    for g in range(G):
        for t in range(start, ends[g]):
            h = stage[t]
            n = state[t] * A + action[t]
            N[h, n] += 1.0
            Rsum[h, n] += reward[t]
            C[h, n, next_state[t]] += 1.0
        start = ends[g]
        for h in range(H):
            total = 0.0
            for n in range(n_pairs):
                widths[h, n] = 1.0 / math.sqrt(N[h, n] + lam)
                total += occ_star[h, n] * widths[h, n]
            uncertainty[g, h] = total
        for j in range(B):
            beta = betas[g, j]
            V[H, :] = 0.0
            for h in range(H - 1, -1, -1):
                for n in range(n_pairs):
                    means_all[h, n] = (Rsum[h, n] + np.dot(C[h, n], V[h + 1])) / (N[h, n] + lam)
                _greedy_stage(means_all[h], widths[h], beta, float(H - h), S, A, Q[h], V[h],
                              policy[h])
            out = _evaluate_and_check(P4, R3, initial, V, means_all, widths, beta, policy,
                                      v_star_start, tol)
            subopt[g, j] = out[0]
            v_hat[g, j] = out[1]
            event[g, j] = out[2]
            pessimistic[g, j] = out[3]
    return subopt, v_hat, event, pessimistic, uncertainty


@dataclass(frozen=True)
class OfflineCurves:
    """Sub-optimality and bound of several penalty levels on the prefixes of one log.

    Attributes
    ----------
    n_episodes : ndarray of int64, shape (G,)
        The prefix sizes (episodes ``0..n-1`` of the log).
    labels : tuple of str
        One per learner (column).
    betas : ndarray, shape (G, B)
        The penalty multiplier of each learner at each prefix (zeta uses K = n).
    suboptimality : ndarray, shape (G, B)
        Exact ``V*_1(rho) - V^{pi_hat}_1(rho)``.
    estimated_value : ndarray, shape (G, B)
        ``V_hat_1(rho)``.
    good_event, pessimistic : ndarray of bool, shape (G, B)
        As in :class:`PEVIResult`.
    uncertainty : ndarray, shape (G, H)
        ``E_{pi*} ||phi(s_h, a_h)||_{Lambda_h^{-1}}`` per stage (the same for every learner).
    bound : ndarray, shape (G, B)
        ``2 betas sum_h uncertainty``.
    """

    n_episodes: np.ndarray
    labels: tuple[str, ...]
    betas: np.ndarray
    suboptimality: np.ndarray
    estimated_value: np.ndarray
    good_event: np.ndarray
    pessimistic: np.ndarray
    uncertainty: np.ndarray
    bound: np.ndarray


def pevi_curves(model: LinearMDP | EpisodicMDP, data: OfflineDataset, grid,
                learners: tuple[PEVI | TabularPEVI, ...]) -> OfflineCurves:
    """Fit every learner on every prefix ``episodes 0..n-1`` of ``data``, ``n`` in ``grid``.

    One compiled pass: the statistics of each prefix are the previous ones plus the new rows,
    so the whole curve costs one pass over the log plus one fit per grid point (for each
    learner). At a grid point the result equals ``learner.fit(model,
    data.first_episodes(n))`` up to rounding (tested). All learners must be of the same kind
    (all linear, or all tabular); a linear learner needs a :class:`LinearMDP`.

    Parameters
    ----------
    model : LinearMDP or EpisodicMDP
    data : OfflineDataset
        With episode indices (collected logs have them).
    grid : array_like of int
        Increasing prefix sizes in ``1..data.n_episodes``.
    learners : tuple of PEVI / TabularPEVI
        E.g. ``(PEVI(c=TUNED_C), GreedyLSVI())`` for paired curves on the same data.

    Returns
    -------
    OfflineCurves

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> from algorithms.offline.datasets import collect
    >>> phi = np.eye(2).reshape(1, 2, 2)                 # one state, two actions, d = 2
    >>> model = LinearMDP(phi, np.ones((2, 1, 2)), theta=[[0.2, 0.8], [0.2, 0.8]])
    >>> data = collect(model, "uniform", n_episodes=400, seed=0)
    >>> curves = pevi_curves(model, data, [4, 400], (PEVI(c=0.05), GreedyLSVI()))
    >>> curves.labels, curves.suboptimality[-1].tolist()
    (('PEVI c=0.05', 'greedy LSVI'), [0.0, 0.0])
    """
    if not learners:
        raise ValueError("pevi_curves needs at least one learner")
    kinds = {type(learner).tabular for learner in learners}
    if len(kinds) != 1:
        raise ValueError("pevi_curves needs learners of one kind (all linear or all tabular)")
    tabular = kinds.pop()
    if not isinstance(data, OfflineDataset) or data.episode is None:
        raise ValueError("pevi_curves needs an OfflineDataset with episode indices")
    mdp = tabular_twin(model)
    if tabular:
        _check_rewards(mdp, "TabularPEVI")
        d = mdp.S * mdp.A
        features = None
    else:
        _, features = _check_linear_model(model, "PEVI")
        d = features.shape[1]
    if (data.S, data.A, data.H) != (mdp.S, mdp.A, mdp.H):
        raise ValueError(f"the data are for (S, A, H) = {(data.S, data.A, data.H)}, the model "
                         f"has {(mdp.S, mdp.A, mdp.H)}")
    grid = np.asarray(grid)
    if grid.ndim != 1 or grid.size == 0 or not np.issubdtype(grid.dtype, np.integer):
        raise ValueError(f"grid must be a non-empty 1-d array of ints, got {grid!r}")
    if (grid < 1).any() or (np.diff(grid) <= 0).any():
        raise ValueError(f"grid must be strictly increasing and >= 1, got {grid.tolist()}")
    order = np.argsort(data.episode, kind="stable")
    episodes = data.episode[order]
    ends = np.searchsorted(episodes, grid, side="left").astype(np.int64)
    if ends[-1] == 0 or grid[-1] > episodes[-1] + 1:
        raise ValueError(f"grid ends at n = {int(grid[-1])} but the log holds episodes "
                         f"0..{int(episodes[-1])}")
    H = mdp.H
    lam = learners[0].lam
    if any(learner.lam != lam for learner in learners):
        raise ValueError("pevi_curves needs learners with the same lam (they share Lambda_h)")
    betas = np.array([[learner._beta(d, H, float(n)) for learner in learners] for n in grid],
                     dtype=np.float64).reshape(grid.size, len(learners))
    P4 = np.ascontiguousarray(mdp.dense_P())
    R3 = np.ascontiguousarray(mdp.R)
    initial = np.ascontiguousarray(mdp.initial)
    _, V_star, pi_star = backward_induction_kernel(P4, R3)
    occ_star = np.ascontiguousarray(occupancy(mdp, pi_star).reshape(H, -1))
    v_star_start = float(initial @ V_star[0])
    columns = [np.ascontiguousarray(getattr(data, name)[order])
               for name in ("stage", "state", "action", "reward", "next_state")]
    tol = EVENT_TOL * H
    if tabular:
        out = _tabular_prefix_kernel(P4, R3, initial, *columns, ends, betas, float(lam),
                                     occ_star, v_star_start, tol)
    else:
        out = _linear_prefix_kernel(features, P4, R3, initial, *columns, ends, betas,
                                    float(lam), occ_star, v_star_start, tol)
    subopt, v_hat, event, pessimistic, uncertainty = out
    bound = 2.0 * betas * uncertainty.sum(axis=1)[:, None]
    return OfflineCurves(grid.astype(np.int64), tuple(learner.label for learner in learners),
                         betas, subopt, v_hat, event, pessimistic, uncertainty, bound)


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


BEHAVIOURS = ("uniform", "epsilon_optimal")


@dataclass(frozen=True)
class PEVI:
    r"""PEVI for linear MDPs (Jin, Yang, Wang, ICML 2021, Algorithm 2).

    Parameters
    ----------
    c : float
        Constant in ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``. ``c = 1`` is the
        default (``"paper (c = 1)"``; the paper leaves its absolute constant open); any other
        value is the named scaling ``"scaled (c = ...)"``, e.g. :data:`TUNED_C`. ``c = 0`` is
        the greedy control (:class:`GreedyLSVI`).
    xi : float
        Confidence parameter in (0, 1).
    lam : float
        Ridge parameter lambda > 0 (the paper's is 1).
    behaviour : {"uniform", "epsilon_optimal"}
        Only used by :meth:`run`: the behaviour that collects its data set (uniform over
        actions by default; ``"epsilon_optimal"`` is ``(1 - epsilon) pi* + epsilon uniform``).
    epsilon : float
        Mixture weight of ``"epsilon_optimal"``.
    exclude : str
        Only used by :meth:`run`: ``(h, s, a)`` triples the behaviour never takes, written
        ``"h,s,a;h,s,a"`` (command line: ``--hp exclude=0,0,2``), giving partial coverage
        (:func:`~algorithms.offline.datasets.partial_coverage_behaviour`). Empty: full coverage.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> from algorithms.offline.datasets import collect
    >>> phi = np.eye(2).reshape(1, 2, 2)                 # one state, two actions, d = 2
    >>> model = LinearMDP(phi, np.ones((2, 1, 2)), theta=[[0.2, 0.8], [0.2, 0.8]])
    >>> data = collect(model, "uniform", n_episodes=400, seed=0)
    >>> result = PEVI(c=0.05).fit(model, data)
    >>> result.policy.tolist(), result.suboptimality, result.good_event
    ([[1], [1]], 0.0, True)
    """

    c: float = PAPER_C
    xi: float = XI
    lam: float = LAMBDA
    behaviour: Literal["uniform", "epsilon_optimal"] = "uniform"
    epsilon: float = 0.5
    exclude: str = ""

    tabular = False
    name = "PEVI"
    control_name = "greedy LSVI"

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        xi = float(self.xi)
        if not (0.0 < xi < 1.0):
            raise ValueError(f"xi must lie in (0, 1), got {self.xi!r}")
        check_positive("lam", self.lam)
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {list(BEHAVIOURS)}, got "
                             f"{self.behaviour!r}")
        if not (0.0 <= float(self.epsilon) <= 1.0):
            raise ValueError(f"epsilon must lie in [0, 1], got {self.epsilon!r}")
        self.excluded_triples()

    @property
    def penalty_variant(self) -> str:
        """``"paper (c = 1)"``, ``"none (greedy control)"`` or ``"scaled (c = ...)"``."""
        if self.c == PAPER_C:
            return "paper (c = 1)"
        if self.c == 0.0:
            return "none (greedy control)"
        return f"scaled (c = {self.c:g})"

    @property
    def label(self) -> str:
        """Short name for plots: ``PEVI``, ``PEVI c=0.05`` or the control's name."""
        if self.c == 0.0:
            return self.control_name
        if self.c == PAPER_C:
            return self.name
        return f"{self.name} c={self.c:g}"

    def _beta(self, d: int, H: int, K: float) -> float:
        return pevi_beta(d, H, K, self.xi, self.c)

    def beta(self, model: LinearMDP, n_episodes: float) -> float:
        """``beta = c d H sqrt(log(2 d H K / xi))`` for this model and ``K = n_episodes``."""
        return self._beta(model.d, model.H, float(n_episodes))

    def fit(self, model: LinearMDP, data: OfflineDataset | TransitionCounts) -> PEVIResult:
        """Algorithm 2 on ``data``; exact sub-optimality and bound from the model's twin.

        Parameters
        ----------
        model : LinearMDP
            Supplies the features (``||phi|| <= 1`` required) and, through ``.tabular()``,
            the exact evaluation of the output policy. The fit never reads ``mu`` or
            ``theta``.
        data : OfflineDataset or TransitionCounts
            A log, or its (possibly population) counts. ``K = data.n_episodes`` enters zeta.

        Returns
        -------
        PEVIResult

        Raises
        ------
        ValueError
            For a model that is not a LinearMDP, a feature of norm > 1, a mean reward outside
            [0, 1], or data of another (S, A, H).
        """
        model, features = _check_linear_model(model, type(self).__name__)
        mdp = model.tabular()
        stats = _statistics(mdp, data)
        K = stats.n_episodes
        beta = self._beta(model.d, model.H, K)
        gram, chol, widths2 = _linear_estimates(features, stats, self.lam)
        V, Q, estimate, widths, weights = _backward(stats, beta, self.lam, features, chol,
                                                    widths2)
        metadata = {"paper": "Jin, Yang, Wang (ICML 2021), arXiv:2012.15085, Algorithm 2",
                    "penalty_variant": self.penalty_variant,
                    "beta_formula": "beta = c d H sqrt(zeta), zeta = log(2 d H K / xi)",
                    "clip": "[0, H - h + 1] (paper stages), [0, H - h] (code stages)"}
        return _finish(self.label, mdp, V, Q, estimate, widths, weights, gram, beta, self.lam,
                       float(self.c), float(self.xi), pevi_zeta(model.d, model.H, K, self.xi),
                       K, metadata)

    def excluded_triples(self) -> list[tuple[int, int, int]]:
        """The ``(h, s, a)`` triples of :attr:`exclude`."""
        triples = []
        for part in filter(None, (p.strip() for p in self.exclude.split(";"))):
            fields = part.split(",")
            try:
                triple = tuple(int(f) for f in fields)
            except ValueError:
                triple = ()
            if len(triple) != 3:
                raise ValueError(f"exclude entry {part!r} is not 'h,s,a' (three integers); "
                                 "separate entries with ';'")
            triples.append(triple)
        return triples

    def _collection_behaviour(self, model: Any) -> Behaviour:
        if self.behaviour == "uniform":
            base = uniform_behaviour(model)
        else:
            base = epsilon_optimal_behaviour(model, self.epsilon)
        excluded = self.excluded_triples()
        if excluded:
            return partial_coverage_behaviour(model, excluded, base=base)
        return base

    def expected_bound(self, model: Any, n_episodes) -> np.ndarray:
        """The bound at the expected Gram matrix of :meth:`run`'s behaviour, for each n given.

        ``2 beta(n) sum_h E_{pi*} ||phi(s_h, a_h)||_{(n Sigma_h + lambda I)^{-1}}`` with
        ``Sigma_h = E_mu[phi phi^T]`` at stage h (tabular: ``1 / sqrt(n d^mu_h(s, a) +
        lambda)``): the value the data-dependent bound concentrates around (a plug-in, not a
        bound on the expectation). Exact, from the occupancies of pi* and the behaviour.
        """
        n = np.atleast_1d(np.asarray(n_episodes, dtype=np.float64))
        if (n <= 0).any() or not np.isfinite(n).all():
            raise ValueError(f"n_episodes must be finite and > 0, got {n_episodes!r}")
        mdp = tabular_twin(model)
        d_star = occupancy(mdp, _optimal(mdp)).reshape(mdp.H, -1)
        d_mu = occupancy(mdp, self._collection_behaviour(model).policy).reshape(mdp.H, -1)
        if self.tabular:
            widths = 1.0 / np.sqrt(n[:, None, None] * d_mu[None] + self.lam)
            dim = mdp.S * mdp.A
        else:
            model, features = _check_linear_model(model, type(self).__name__)
            dim = model.d
            widths = np.empty((n.size, mdp.H, features.shape[0]))
            for h in range(mdp.H):
                # n Sigma_h + lam I = U (n D + lam) U^T, so every n costs one division.
                sigma = features.T @ (d_mu[h, :, None] * features)
                eigval, eigvec = np.linalg.eigh(0.5 * (sigma + sigma.T))
                coords = (features @ eigvec) ** 2
                widths[:, h] = np.sqrt(coords @ (1.0 / (n[None, :] * np.maximum(eigval, 0.0)
                                                        [:, None] + self.lam))).T
        uncertainty = (widths * d_star[None]).sum(axis=(1, 2))
        betas = np.array([self._beta(dim, mdp.H, float(k)) for k in n])
        return 2.0 * betas * uncertainty

    def reference_curve(self, model: Any, budget: int) -> tuple[str, np.ndarray] | None:
        """``mdptheory run``'s theory line: :meth:`expected_bound` for n = 1..budget (None for
        the greedy control, which has no bound)."""
        if self.c == 0.0:
            return None
        return (f"bound at E[Lambda] ({self.penalty_variant})",
                self.expected_bound(model, np.arange(1, int(budget) + 1)))

    def run(self, model: Any, budget: int, seed: SeedLike) -> ConvergenceTrace:
        """Collect ``budget`` episodes with the default behaviour and fit on every prefix.

        The learner protocol of ``mdptheory run``: the data set is ``budget`` episodes of
        :attr:`behaviour` (uniform by default), and ``gap[n - 1]`` is the exact
        sub-optimality of this learner fitted on the first ``n`` episodes, ``n = 1..budget``
        (one compiled pass, :func:`pevi_curves`). ``extras`` hold, on the same prefixes (paired
        data): ``greedy_gap`` (the greedy control), ``bound`` (``2 beta sum_h E_{pi*}||phi||``),
        ``beta``, ``estimated_value`` (``V_hat_1(rho)``), ``good_event``, ``pessimistic`` and
        ``n_episodes``. Cost: one fit per prefix, O(budget H (S A d^2 + d^3 + S^2 A)).

        Raises
        ------
        ValueError
            As :meth:`fit`, or for a budget that is not a positive int.
        """
        budget = check_budget(budget, "number of episodes")
        behaviour = self._collection_behaviour(model)
        data = collect(model, behaviour, budget, seed)
        control = type(self)(c=0.0, xi=self.xi, lam=self.lam)
        learners = (self,) if self.c == 0.0 else (self, control)
        grid = np.arange(1, budget + 1)
        curves = pevi_curves(model, data, grid, learners)
        extras = {"greedy_gap": curves.suboptimality[:, -1], "bound": curves.bound[:, 0],
                  "beta": curves.betas[:, 0], "estimated_value": curves.estimated_value[:, 0],
                  "good_event": curves.good_event[:, 0], "pessimistic": curves.pessimistic[:, 0],
                  "n_episodes": grid}
        metadata = trace_metadata(
            self, model, seed, budget, label=self.label, penalty_variant=self.penalty_variant,
            behaviour=behaviour.name, quantity="sub-optimality V*_1(rho) - V^pi_hat_1(rho) "
                                              "after n = t episodes of data",
            paper="Jin, Yang, Wang (ICML 2021), arXiv:2012.15085")
        return ConvergenceTrace(curves.suboptimality[:, 0], extras, metadata)


@dataclass(frozen=True)
class GreedyLSVI(PEVI):
    """Greedy least-squares value iteration from offline data: PEVI without penalty.

    The control of the offline checks: Algorithm 2 with ``beta = 0`` (still clipped to
    ``[0, H - h + 1]``). Without pessimism its greedy step trusts the regression everywhere,
    including where the data say nothing.

    Examples
    --------
    >>> GreedyLSVI().label, GreedyLSVI().penalty_variant
    ('greedy LSVI', 'none (greedy control)')
    """

    c: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.c != 0.0:
            raise ValueError(f"GreedyLSVI has no penalty (c = 0), got c={self.c!r}; use "
                             "PEVI(c=...)")


@dataclass(frozen=True)
class TabularPEVI(PEVI):
    r"""Tabular PEVI: Algorithm 2 with one-hot features and count-based penalties.

    ``Q_bar_h(s, a) = (R_h(s, a) + sum_s' N_h(s, a, s') V_hat_{h+1}(s')) / (N_h(s, a) +
    lambda) - beta / sqrt(N_h(s, a) + lambda)``, clipped to ``[0, H - h + 1]``, with
    ``beta = c S A H sqrt(log(2 S A H K / xi))`` (Jin et al.'s linear theorem with d = S A).
    Works on an :class:`EpisodicMDP` or on the twin of any model with ``.tabular()``.
    ``c = 0`` is greedy tabular value iteration on the empirical model (ridge-shrunk).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from algorithms.offline.datasets import collect
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.3, 0.7]], H=2)
    >>> result = TabularPEVI(c=0.05).fit(mdp, collect(mdp, "uniform", 200, seed=0))
    >>> result.policy.tolist(), result.good_event
    ([[1], [1]], True)
    """

    tabular = True
    name = "PEVI-tabular"
    control_name = "greedy VI (tabular)"

    def beta(self, model: Any, n_episodes: float) -> float:
        """``beta = c S A H sqrt(log(2 S A H K / xi))``."""
        mdp = tabular_twin(model)
        return self._beta(mdp.S * mdp.A, mdp.H, float(n_episodes))

    def fit(self, model: Any, data: OfflineDataset | TransitionCounts) -> PEVIResult:
        """Tabular PEVI on ``data``; exact sub-optimality and bound from the twin.

        Raises
        ------
        ValueError
            For a model without an episodic twin, a mean reward outside [0, 1], or data of
            another (S, A, H).
        """
        mdp = tabular_twin(model)
        _check_rewards(mdp, type(self).__name__)
        stats = _statistics(mdp, data)
        K = stats.n_episodes
        d = mdp.S * mdp.A
        beta = self._beta(d, mdp.H, K)
        widths2 = 1.0 / (stats.counts.reshape(mdp.H, -1) + self.lam)
        V, Q, estimate, widths, _ = _backward(stats, beta, self.lam, None, None, widths2)
        metadata = {"paper": "Jin, Yang, Wang (ICML 2021), arXiv:2012.15085, Algorithm 2 with "
                             "one-hot features (d = S A)",
                    "penalty_variant": self.penalty_variant,
                    "beta_formula": "beta = c S A H sqrt(zeta), zeta = log(2 S A H K / xi)",
                    "clip": "[0, H - h + 1] (paper stages), [0, H - h] (code stages)"}
        return _finish(self.label, mdp, V, Q, estimate, widths, None, None, beta, self.lam,
                       float(self.c), float(self.xi), pevi_zeta(d, mdp.H, K, self.xi), K,
                       metadata)
