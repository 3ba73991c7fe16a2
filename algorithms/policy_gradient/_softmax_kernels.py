"""Compiled trajectories of exact softmax policy gradient (numba, float64, parallel over the batch).

The hot loop of :class:`~algorithms.policy_gradient.softmax_pg.SoftmaxPG`: ``budget`` exact
updates of every trajectory of a batch, the trajectories spread over the cores with ``prange``.
The updates are those of ``softmax_pg.py`` (Mei et al. 2020, Algorithm 1 with Lemma 1 and
eq. 18), whose closed forms :func:`~algorithms.policy_gradient.softmax_pg.bandit_gradient` and
:func:`~algorithms.policy_gradient.softmax_pg.mdp_gradient` (JAX) are checked against
``jax.grad`` in the tests; the tests also check these kernels against a numpy loop.

Why numba rather than JAX for this loop: on CPU, XLA's float64 ``exp`` costs several times
numpy's, and the softmax takes one ``exp`` per logit per iteration. Here every iteration is
plain loops over small arrays (K arms, or S states and A actions with an S x S LU factorisation
by partial pivoting), with no allocation inside the iteration loop.

Batched arguments have a leading axis of the batch size N or of size 1 (shared by every
trajectory). ``record_at`` holds the sorted update counts (1-based) after which the gap and the
extras are recorded.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _row(array_leading: int, i: int) -> int:
    """Index into a batched argument: ``i``, or 0 for an argument shared by the batch."""
    if array_leading > 1:
        return np.int64(i)
    return np.int64(0)


@njit(cache=True)
def _outputs(N: int, record_at: np.ndarray):
    """``gap``, ``min_prob``, ``opt_prob`` (N, len(record_at)) and ``initial_gap`` (N,)."""
    n_record = record_at.shape[0]
    return (np.empty((N, n_record)), np.empty((N, n_record)), np.empty((N, n_record)), np.empty(N))


@njit(cache=True)
def _store(curves, i: int, j: int, values) -> None:
    """Record ``values`` = (gap, min_prob, opt_prob) of trajectory ``i`` as entry ``j``."""
    gap, min_prob, opt_prob, _ = curves
    gap[i, j] = values[0]
    min_prob[i, j] = values[1]
    opt_prob[i, j] = values[2]


@njit(cache=True)
def _softmax(theta: np.ndarray, s: int, p: np.ndarray, logp: np.ndarray, with_log: bool) -> None:
    """Row ``s``: ``p = softmax(theta)`` (and ``logp = log p`` if ``with_log``), max-shifted.

    Rows are indexed, not sliced, so the per-iterate loops create no array views.
    """
    A = theta.shape[1]
    top = theta[s, 0]
    for a in range(1, A):
        if theta[s, a] > top:
            top = theta[s, a]
    total = 0.0
    for a in range(A):
        e = math.exp(theta[s, a] - top)
        p[s, a] = e
        total += e
    for a in range(A):
        p[s, a] /= total
    if with_log:
        log_total = math.log(total)
        for a in range(A):
            logp[s, a] = theta[s, a] - top - log_total


@njit(cache=True)
def _argmax(x: np.ndarray) -> int:
    best = 0
    for a in range(1, x.shape[0]):
        if x[a] > x[best]:
            best = a
    return best


@njit(cache=True)
def _bandit_observe(p, logp, delta, log_star, opt, tau, regularized):
    K = p.shape[0]
    gap = 0.0
    smallest = p[0]
    for a in range(K):
        if regularized:
            gap += p[a] * (logp[a] - log_star[a])
        else:
            gap += p[a] * delta[a]
        smallest = min(smallest, p[a])
    if regularized:
        gap *= tau
    return gap, smallest, p[opt]


@njit(cache=True, parallel=True)
def bandit_trajectories(
    theta0: np.ndarray,
    r: np.ndarray,
    eta: np.ndarray,
    tau: float,
    regularized: bool,
    record_at: np.ndarray,
):
    """Exact softmax PG on bandits: ``theta += eta pi * (r~ - pi^T r~)``, ``r~ = r - tau log pi``.

    Returns ``gap``, ``min_prob``, ``opt_prob`` (N, len(record_at)) and ``initial_gap`` (N,);
    the gap is ``sum_a pi(a) Delta_a`` (no cancellation near the optimum), or with entropy the
    soft sub-optimality ``tau KL(pi || softmax(r / tau))`` (Mei et al. 2020, Lemma 26).
    """
    N = max(theta0.shape[0], r.shape[0], eta.shape[0])
    K = r.shape[1]
    budget = record_at[record_at.shape[0] - 1]
    curves = _outputs(N, record_at)
    for i in prange(N):
        rr = r[_row(r.shape[0], i)]
        step = eta[_row(eta.shape[0], i)]
        theta = theta0[_row(theta0.shape[0], i)].copy()
        p = np.empty(K)
        logp = np.zeros(K)
        adv = np.empty(K)
        opt = _argmax(rr)
        delta = np.empty(K)
        log_star = np.zeros(K)
        theta_star = np.empty(K)
        for a in range(K):
            delta[a] = rr[opt] - rr[a]
        # (1, K) views of the 1-d arrays, made once, for the row-wise softmax
        theta_row, p_row, logp_row = theta.reshape(1, K), p.reshape(1, K), logp.reshape(1, K)
        if regularized:
            for a in range(K):
                theta_star[a] = rr[a] / tau
            _softmax(
                theta_star.reshape(1, K), 0, adv.reshape(1, K), log_star.reshape(1, K), True
            )  # pi*_tau = softmax(r/tau)
        _softmax(theta_row, 0, p_row, logp_row, regularized)
        curves[3][i] = _bandit_observe(p, logp, delta, log_star, opt, tau, regularized)[0]
        j = 0
        for t in range(1, budget + 1):
            if regularized:
                mean = 0.0
                for a in range(K):
                    adv[a] = rr[a] - tau * logp[a]  # soft reward (eq. 18)
                    mean += p[a] * adv[a]
                for a in range(K):
                    theta[a] += step * p[a] * (adv[a] - mean)  # steps 1-3
                _softmax(theta_row, 0, p_row, logp_row, True)
            else:
                # The same update and softmax as above with tau = 0, fused into two passes.
                mean = 0.0
                for a in range(K):
                    mean += p[a] * rr[a]
                top = -np.inf
                for a in range(K):
                    theta[a] += step * p[a] * (rr[a] - mean)  # steps 1-2
                    top = max(top, theta[a])
                total = 0.0
                for a in range(K):
                    e = math.exp(theta[a] - top)
                    p[a] = e
                    total += e
                for a in range(K):
                    p[a] /= total
            if t == record_at[j]:  # recording grid
                _store(
                    curves, i, j, _bandit_observe(p, logp, delta, log_star, opt, tau, regularized)
                )
                j += 1
    return curves


@njit(cache=True)
def _lu_factor(M: np.ndarray, piv: np.ndarray) -> None:
    """In-place LU factorisation with partial pivoting, ``piv[k]`` the row swapped with k
    (LAPACK getrf convention): ``M`` then holds unit-lower ``L`` and upper ``U``."""
    n = M.shape[0]
    for k in range(n):
        best = k
        largest = abs(M[k, k])
        for row in range(k + 1, n):
            if abs(M[row, k]) > largest:
                largest = abs(M[row, k])
                best = row
        piv[k] = best
        if best != k:
            for col in range(n):
                tmp = M[k, col]
                M[k, col] = M[best, col]
                M[best, col] = tmp
        pivot = M[k, k]
        for row in range(k + 1, n):
            factor = M[row, k] / pivot
            M[row, k] = factor
            for col in range(k + 1, n):
                M[row, col] -= factor * M[k, col]


@njit(cache=True)
def _lu_solve(LU: np.ndarray, piv: np.ndarray, b: np.ndarray, x: np.ndarray) -> None:
    """``x = M^{-1} b`` from the factors of :func:`_lu_factor`."""
    n = LU.shape[0]
    for k in range(n):
        x[k] = b[k]
    for k in range(n):
        if piv[k] != k:
            tmp = x[k]
            x[k] = x[piv[k]]
            x[piv[k]] = tmp
    for row in range(n):
        total = x[row]
        for col in range(row):
            total -= LU[row, col] * x[col]
        x[row] = total
    for row in range(n - 1, -1, -1):
        total = x[row]
        for col in range(row + 1, n):
            total -= LU[row, col] * x[col]
        x[row] = total / LU[row, row]


@njit(cache=True)
def _lu_solve_transposed(LU: np.ndarray, piv: np.ndarray, b: np.ndarray, x: np.ndarray) -> None:
    """``x = M^{-T} b`` from the factors of :func:`_lu_factor` (``M^T = U^T L^T Pi``)."""
    n = LU.shape[0]
    for row in range(n):  # U^T y = b (lower triangular)
        total = b[row]
        for col in range(row):
            total -= LU[col, row] * x[col]
        x[row] = total / LU[row, row]
    for row in range(n - 1, -1, -1):  # L^T z = y (unit upper triangular)
        total = x[row]
        for col in range(row + 1, n):
            total -= LU[col, row] * x[col]
        x[row] = total
    for k in range(n - 1, -1, -1):  # undo the row swaps
        if piv[k] != k:
            tmp = x[k]
            x[k] = x[piv[k]]
            x[piv[k]] = tmp


@njit(cache=True)
def _expect(P: np.ndarray, s: int, a: int, V: np.ndarray) -> float:
    """``sum_t P[s, a, t] V[t]``, in increasing ``t`` (indexed, not sliced)."""
    total = 0.0
    for t in range(V.shape[0]):
        total += P[s, a, t] * V[t]
    return total


@njit(cache=True)
def _mdp_evaluate(theta, P, R, gamma, tau, regularized, p, logp, M, piv, r_pi, V) -> None:
    """Policy ``p``/``logp`` of ``theta``; exact ``V`` and the LU factors of ``I - gamma P_pi``
    in ``M``/``piv`` (entropy-regularised ``V~`` with ``tau``)."""
    S, A = R.shape
    for s in range(S):
        _softmax(theta, s, p, logp, regularized)
    for s in range(S):
        total = 0.0
        for t in range(S):
            M[s, t] = 0.0
        for a in range(A):
            weight = p[s, a]
            reward = R[s, a] - tau * logp[s, a] if regularized else R[s, a]
            total += weight * reward
            for t in range(S):
                M[s, t] += weight * P[s, a, t]
        r_pi[s] = total
        for t in range(S):
            M[s, t] = -gamma * M[s, t]
        M[s, s] += 1.0
    _lu_factor(M, piv)
    _lu_solve(M, piv, r_pi, V)


@njit(cache=True)
def _mdp_observe(p, V, rho, v_star, a_star):
    S, A = p.shape
    gap = 0.0
    smallest = np.inf
    optimal = np.inf
    for s in range(S):
        gap += rho[s] * (v_star[s] - V[s])
        optimal = min(optimal, p[s, a_star[s]])
        for a in range(A):
            smallest = min(smallest, p[s, a])
    return gap, smallest, optimal


@njit(cache=True, parallel=True)
def mdp_trajectories(
    theta0: np.ndarray,
    P: np.ndarray,
    R: np.ndarray,
    gamma: np.ndarray,
    mu: np.ndarray,
    rho: np.ndarray,
    v_star: np.ndarray,
    a_star: np.ndarray,
    eta: np.ndarray,
    tau: float,
    regularized: bool,
    record_at: np.ndarray,
):
    """Exact softmax PG on discounted MDPs: ``theta += eta d(s) pi(a|s) A(s, a)``.

    ``d = (I - gamma P_pi)^{-T} mu`` reuses the LU factors of the evaluation; ``A = Q - V`` (or
    the soft advantage ``Q~ - tau log pi - V~``). Returns ``gap = rho . (v_star - V)``,
    ``min_prob``, ``opt_prob = min_s pi(a_star(s)|s)`` (N, len(record_at)) and ``initial_gap``.
    """
    N = max(
        theta0.shape[0],
        P.shape[0],
        R.shape[0],
        gamma.shape[0],
        mu.shape[0],
        rho.shape[0],
        v_star.shape[0],
        a_star.shape[0],
        eta.shape[0],
    )
    S, A = R.shape[1], R.shape[2]
    budget = record_at[record_at.shape[0] - 1]
    curves = _outputs(N, record_at)
    for i in prange(N):
        Pi = P[_row(P.shape[0], i)]
        Ri = R[_row(R.shape[0], i)]
        g = gamma[_row(gamma.shape[0], i)]
        mui = mu[_row(mu.shape[0], i)]
        rhoi = rho[_row(rho.shape[0], i)]
        vi = v_star[_row(v_star.shape[0], i)]
        ai = a_star[_row(a_star.shape[0], i)]
        step = eta[_row(eta.shape[0], i)]
        theta = theta0[_row(theta0.shape[0], i)].copy()
        p = np.empty((S, A))
        logp = np.zeros((S, A))
        M = np.empty((S, S))
        piv = np.empty(S, dtype=np.int64)
        r_pi = np.empty(S)
        V = np.empty(S)
        d = np.empty(S)
        _mdp_evaluate(theta, Pi, Ri, g, tau, regularized, p, logp, M, piv, r_pi, V)
        curves[3][i] = _mdp_observe(p, V, rhoi, vi, ai)[0]
        j = 0
        for t in range(1, budget + 1):
            _lu_solve_transposed(M, piv, mui, d)  # step 2: occupancy
            for s in range(S):
                for a in range(A):
                    q = Ri[s, a] + g * _expect(Pi, s, a, V)  # Q(s, a)
                    if regularized:
                        q = q - tau * logp[s, a]
                    theta[s, a] += step * d[s] * p[s, a] * (q - V[s])  # steps 1-3
            _mdp_evaluate(theta, Pi, Ri, g, tau, regularized, p, logp, M, piv, r_pi, V)
            if t == record_at[j]:  # recording grid
                _store(curves, i, j, _mdp_observe(p, V, rhoi, vi, ai))
                j += 1
    return curves
