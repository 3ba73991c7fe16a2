r"""PEVI on every prefix of one log, in one compiled pass (:func:`pevi_curves`).

The statistics of a prefix are those of the previous one plus the new rows (rank-one additions
to ``Lambda_h``, regression targets aggregated by next state), so a whole
sub-optimality-versus-n curve costs one pass over the data plus one fit per grid point.
``_prefix_kernel`` runs the steps of Algorithm 2 (Jin, Yang, Wang, ICML 2021) inside one
``@njit`` loop over the grid, linear or tabular; ``_evaluate_and_check`` is the exact
evaluation, the good event and pessimism.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from algorithms.offline.datasets import OfflineDataset, tabular_twin
from algorithms.offline.pevi._validation import _check_linear_model, _check_rewards, _check_sizes
from algorithms.offline.pevi.backup import _greedy_stage
from algorithms.offline.pevi.result import EVENT_TOL
from mdptheory._kernels import backward_induction_kernel, evaluate_deterministic_kernel
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.tabular import EpisodicMDP

if TYPE_CHECKING:
    from algorithms.offline.pevi.learner import PEVI, TabularPEVI

__all__ = ["OfflineCurves", "pevi_curves"]


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
def _prefix_kernel(features, P4, R3, initial, rows, ends, betas, lam, occ_star, v_star_start, tol):
    """PEVI on every prefix ``rows[:ends[g]]`` for every ``betas[g, j]``; see ``pevi_curves``.

    ``rows`` are the log's columns ``(stage, state, action, reward, next_state)``. Tabular
    (one-hot features, diagonal ``Lambda_h``) when ``features`` is None, as in ``_backward``:
    numba compiles each kind apart, without the other's branches.
    """
    stage, state, action, reward, next_state = rows
    H, S, A = R3.shape
    n_pairs = S * A
    G = ends.shape[0]
    B = betas.shape[1]
    if features is None:
        N = np.zeros((H, n_pairs))
        Rsum = np.zeros((H, n_pairs))
        C = np.zeros((H, n_pairs, S))
    else:
        d = features.shape[1]
        gram = np.zeros((H, d, d))
        for h in range(H):
            for i in range(d):
                gram[h, i, i] = lam
        b = np.zeros((H, d))
        M = np.zeros((H, S, d))
        inv = np.empty((H, d, d))
        target = np.empty(d)
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
        # (a), (b): absorb the new rows (rank-one additions, targets aggregated by next state).
        for t in range(start, ends[g]):
            h = stage[t]
            n = state[t] * A + action[t]
            if features is None:
                N[h, n] += 1.0
                Rsum[h, n] += reward[t]
                C[h, n, next_state[t]] += 1.0
            else:
                x = features[n]
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
            if features is not None:
                inv[h] = np.linalg.inv(gram[h])
                proj = features @ inv[h]
            total = 0.0
            for n in range(n_pairs):
                if features is None:
                    widths[h, n] = 1.0 / math.sqrt(N[h, n] + lam)
                else:
                    w2 = np.dot(proj[n], features[n])
                    widths[h, n] = math.sqrt(w2 if w2 > 0.0 else 0.0)
                total += occ_star[h, n] * widths[h, n]
            uncertainty[g, h] = total
        for j in range(B):
            beta = betas[g, j]
            V[H, :] = 0.0
            for h in range(H - 1, -1, -1):
                if features is None:
                    for n in range(n_pairs):
                        means_all[h, n] = (Rsum[h, n] + np.dot(C[h, n], V[h + 1])) / (N[h, n] + lam)
                else:
                    target[:] = b[h]
                    for s in range(S):
                        v = V[h + 1, s]
                        if v != 0.0:
                            for i in range(d):
                                target[i] += v * M[h, s, i]
                    w = inv[h] @ target
                    means_all[h] = features @ w
                _greedy_stage(
                    means_all[h], widths[h], beta, float(H - h), S, A, Q[h], V[h], policy[h]
                )
            out = _evaluate_and_check(
                P4, R3, initial, V, means_all, widths, beta, policy, v_star_start, tol
            )
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


def pevi_curves(
    model: LinearMDP | EpisodicMDP,
    data: OfflineDataset,
    grid,
    learners: tuple[PEVI | TabularPEVI, ...],
) -> OfflineCurves:
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
    >>> from algorithms.offline.pevi import PEVI, GreedyLSVI
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
    _check_sizes(data, mdp)
    grid = np.asarray(grid)
    if grid.ndim != 1 or grid.size == 0 or not np.issubdtype(grid.dtype, np.integer):
        raise ValueError(f"grid must be a non-empty 1-d array of ints, got {grid!r}")
    if (grid < 1).any() or (np.diff(grid) <= 0).any():
        raise ValueError(f"grid must be strictly increasing and >= 1, got {grid.tolist()}")
    order = np.argsort(data.episode, kind="stable")
    episodes = data.episode[order]
    ends = np.searchsorted(episodes, grid, side="left").astype(np.int64)
    if ends[-1] == 0 or grid[-1] > episodes[-1] + 1:
        raise ValueError(
            f"grid ends at n = {int(grid[-1])} but the log holds episodes 0..{int(episodes[-1])}"
        )
    H = mdp.H
    lam = learners[0].lam
    if any(learner.lam != lam for learner in learners):
        raise ValueError("pevi_curves needs learners with the same lam (they share Lambda_h)")
    betas = np.array(
        [[learner._beta(d, H, float(n)) for learner in learners] for n in grid], dtype=np.float64
    ).reshape(grid.size, len(learners))
    P4 = np.ascontiguousarray(mdp.dense_P())
    R3 = np.ascontiguousarray(mdp.R)
    initial = np.ascontiguousarray(mdp.initial)
    _, V_star, pi_star = backward_induction_kernel(P4, R3)
    occ_star = np.ascontiguousarray(occupancy(mdp, pi_star).reshape(H, -1))
    v_star_start = float(initial @ V_star[0])
    rows = tuple(
        np.ascontiguousarray(getattr(data, name)[order])
        for name in ("stage", "state", "action", "reward", "next_state")
    )
    tol = EVENT_TOL * H
    out = _prefix_kernel(
        features, P4, R3, initial, rows, ends, betas, float(lam), occ_star, v_star_start, tol
    )
    subopt, v_hat, event, pessimistic, uncertainty = out
    bound = 2.0 * betas * uncertainty.sum(axis=1)[:, None]
    return OfflineCurves(
        grid.astype(np.int64),
        tuple(learner.label for learner in learners),
        betas,
        subopt,
        v_hat,
        event,
        pessimistic,
        uncertainty,
        bound,
    )
