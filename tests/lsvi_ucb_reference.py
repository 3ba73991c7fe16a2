"""A direct, unoptimised transcription of LSVI-UCB (Jin, Yang, Wang, Jordan 2020, Algorithm 1).

Test oracle and benchmark baseline for ``algorithms.linear.lsvi_ucb``. It shares no code with
the compiled learner: every episode it rebuilds ``Lambda_h`` and the regression targets from
**all** past transitions (cost growing with k), solves the ridge system with
``numpy.linalg.solve``, takes the width from an explicit inverse, and evaluates the executed
policy by its own backward recursion. Pure numpy, float64.

Algorithm 1, episode k, for h = H, ..., 1 (stages 0..H-1 here)::

    Lambda_h = sum_{tau<k} phi_h^tau phi_h^tau^T + lambda I
    w_h      = Lambda_h^{-1} sum_{tau<k} phi_h^tau [r_h(x_h^tau, a_h^tau)
                                                + max_a Q_{h+1}(x_{h+1}^tau, a)]
    Q_h      = min{ w_h^T phi + beta (phi^T Lambda_h^{-1} phi)^{1/2}, H }
    a_h^k    = argmax_a Q_h(x_h^k, a)
"""

from __future__ import annotations

import numpy as np


def reference_q(
    phi: np.ndarray,
    R: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    beta: float,
    lam: float = 1.0,
) -> np.ndarray:
    """Q^k (H, S, A) of Algorithm 1 from the transitions of the episodes in ``states``/``actions``.

    ``states`` (n, H + 1) and ``actions`` (n, H) are the n episodes before episode k (n may be 0).
    """
    S, A, d = phi.shape
    H = R.shape[0]
    n = states.shape[0]
    Q = np.zeros((H + 1, S, A))  # Q_{H+1} = 0
    for h in range(H - 1, -1, -1):
        X = phi[states[:n, h], actions[:n, h]]  # (n, d): phi_h^tau, tau < k
        Lam = X.T @ X + lam * np.eye(d)
        targets = R[h, states[:n, h], actions[:n, h]] + Q[h + 1, states[:n, h + 1]].max(axis=1)
        w = np.linalg.solve(Lam, X.T @ targets)
        Lam_inv = np.linalg.inv(Lam)
        mean = phi @ w  # (S, A)
        width = np.sqrt(np.einsum("sai,ij,saj->sa", phi, Lam_inv, phi))
        Q[h] = np.minimum(mean + beta * width, H)
    return Q[:H]


def reference_q_sequence(
    phi: np.ndarray,
    R: np.ndarray,
    states: np.ndarray,
    actions: np.ndarray,
    beta: float,
    lam: float = 1.0,
) -> np.ndarray:
    """Q^k for every episode k of a recorded run (K, H, S, A), each from episodes < k."""
    K = states.shape[0]
    return np.stack([reference_q(phi, R, states[:k], actions[:k], beta, lam) for k in range(K)])


def _sample(probabilities: np.ndarray, uniform: float) -> int:
    # Inverse CDF: the first index whose cumulative sum exceeds the uniform; a uniform beyond a
    # rounding-short total falls on the last index with positive probability.
    total = np.cumsum(probabilities)
    above = np.flatnonzero(uniform < total)
    if above.size:
        return int(above[0])
    return int(np.flatnonzero(probabilities > 0)[-1])


def _policy_value(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> np.ndarray:
    H, S, _ = R.shape
    V = np.zeros((H + 1, S))
    rows = np.arange(S)
    for h in range(H - 1, -1, -1):
        Ph = P[h if P.shape[0] > 1 else 0]
        V[h] = R[h, rows, policy[h]] + Ph[rows, policy[h]] @ V[h + 1]
    return V


def reference_run(
    phi: np.ndarray,
    P: np.ndarray,
    R: np.ndarray,
    initial: np.ndarray,
    K: int,
    beta: float,
    rng: np.random.Generator,
    lam: float = 1.0,
    keep_q: bool = False,
) -> dict[str, np.ndarray]:
    """K episodes of Algorithm 1 with exact pseudo-regret, deterministic rewards.

    ``P`` (1 or H, S, A, S), ``R`` (H, S, A). Random numbers are drawn in the order of the
    library's rollouts (one uniform for the start state, one per transition), so with an equal
    generator the run sees the same stream as the compiled learner.
    """
    H, S, A = R.shape
    Q_opt = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        Ph = P[h if P.shape[0] > 1 else 0]
        Q_opt[h] = (R[h] + Ph @ Q_opt[h + 1]).max(axis=1)
    v_star = initial @ Q_opt[0]
    states = np.zeros((K, H + 1), dtype=np.int64)
    actions = np.zeros((K, H), dtype=np.int64)
    pseudo = np.zeros(K)
    Qs = np.zeros((K if keep_q else 0, H, S, A))
    for k in range(K):
        Q = reference_q(phi, R, states[:k], actions[:k], beta, lam)
        if keep_q:
            Qs[k] = Q
        policy = Q.argmax(axis=2)
        pseudo[k] = v_star - initial @ _policy_value(P, R, policy)[0]
        s = _sample(initial, rng.random())
        for h in range(H):
            a = int(policy[h, s])
            states[k, h] = s
            actions[k, h] = a
            s = _sample(P[h if P.shape[0] > 1 else 0, s, a], rng.random())
        states[k, H] = s
    return {"states": states, "actions": actions, "pseudo_regret": pseudo, "Q": Qs}
