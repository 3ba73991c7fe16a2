r"""The high-order moment estimator (HOME) of horizon-free value-targeted regression.

Source
------
D. Zhou, Q. Gu, *Computationally Efficient Horizon-Free Reinforcement Learning for Linear
Mixture MDPs*, NeurIPS 2022, arXiv:2205.11507 (the estimator), used by J. Zhang, W. Zhang,
Q. Gu, *Optimal Horizon-Free Reward-Free Exploration for Linear Mixture MDPs*, ICML 2023,
arXiv:2303.10165. Neither paper's algorithm box was read: the recursion below is reconstructed
from the structure both abstracts describe, and every constant here is labelled
**reconstructed** (``verified=False`` in the checks).

Estimator
---------
For a value function ``V`` with values in [0, 1] (the exploration value of the next stage) and
a transition ``(s, a, s')``, HOME runs ``M`` weighted ridge regressions, one per order
``m = 0..M-1``, on the features and targets of the powers ``V^(2^m)``::

    x_m = x_{V^(2^m)}(s, a) = sum_{s''} phi(s''|s, a) V(s'')^(2^m),   y_m = V(s')^(2^m),
    Sigma_m = lambda I + sum x_m x_m^T / sigma_m^2,   b_m = sum x_m y_m / sigma_m^2,
    theta_m = Sigma_m^{-1} b_m.

Since ``E[y_m] = <x_m, theta>``, every order estimates the same ``theta``. The weight of order
``m`` is a variance bound built from the **next** order (``Var[V^(2^m)] = E[V^(2^(m+1))] -
E[V^(2^m)]^2``), inflated by the estimation error of both orders::

    Vbar_m = [<x_{m+1}, theta_{m+1}>]_[0,1] - [<x_m, theta_m>]_[0,1]^2,
    E_m    = min{1, 2 beta ||x_m||_{Sigma_m^-1}} + min{1, beta ||x_{m+1}||_{Sigma_{m+1}^-1}},
    sigma_m^2 = max{ Vbar_m + E_m, alpha^2, gamma^2 ||x_m||_{Sigma_m^-1} }      (m < M - 1)
    sigma_{M-1}^2 = max{ 1, alpha^2, gamma^2 ||x_{M-1}||_{Sigma_{M-1}^-1} }    (the last order)

The last order has no next one and takes the trivial bound 1 on the variance of a [0, 1]
variable. ``alpha^2`` floors the weights, ``gamma^2 ||x||`` is the uncertainty part of the
weight (a sample in a poorly explored direction is down-weighted).

Which code does which step
--------------------------
* :func:`moment_features`: ``x_m`` and ``y_m`` for every order (powers by repeated squaring).
* :func:`home_variances`: ``sigma_m^2`` from the current ``theta_m`` and ``Sigma_m^{-1}``.
* :func:`home_add`: one sample into every ``Sigma_m`` and ``b_m``.
* :func:`home_refresh`: ``Sigma_m^{-1}`` and ``theta_m`` (once per episode, so every weight of
  an episode uses the estimates of the episodes before it).
* :func:`home_orders`, :func:`home_radius`: the number of orders and ``beta``.

Cost: per sample O(M (d S + d^2)); per refresh O(M d^3).

Examples
--------
>>> import numpy as np
>>> basis2 = np.array([[[0.5, 0.5]], [[1.0, 0.0]]])          # d = 2 kernels, one pair, S = 2
>>> X, y = np.zeros((2, 2)), np.zeros(2)
>>> moment_features(basis2, 0, np.array([0.5, 1.0]), 1, X, y)
>>> X.tolist(), y.tolist()                                  # orders V and V^2 at s' = 1
([[0.75, 0.5], [0.625, 0.25]], [1.0, 1.0])
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "home_add",
    "home_orders",
    "home_radius",
    "home_refresh",
    "home_variances",
    "mixture_gram_blocks",
    "moment_features",
    "quadratic_form",
    "trace_widths",
]


def home_orders(K: int, H: int) -> int:
    """``M = ceil(log2(4 K H))`` orders (reconstructed): beyond it ``V^(2^M)`` is below
    ``1 / (K H)`` wherever ``V <= 1 - 1/M``, so a further order changes no weight materially.

    Examples
    --------
    >>> home_orders(10_000, 20)
    20
    """
    return max(2, math.ceil(math.log2(4.0 * K * H)))


def home_radius(
    d: int,
    n: np.ndarray | float,
    delta: float,
    B: float,
    alpha: float,
    gamma: float,
    H: int,
    lam: float = 1.0,
) -> np.ndarray | float:
    """``beta`` after ``n`` weighted samples (reconstructed after Zhou, Gu 2022, Theorem 4.3)::

        iota = log(32 (log(gamma^2 / alpha) + 1) (n / H + 1)^2 H^2 / delta)
        beta = 12 sqrt(d log(1 + n / (alpha^2 d lambda)) iota) + 30 iota / gamma^2
               + sqrt(lambda) B

    About 2 000 at d = 4, H = 5, K = 10^4 (the bonus then saturates for any affordable K:
    the scaled variants multiply it by c).

    Examples
    --------
    >>> 1000 < home_radius(4, 5 * 10_000, 0.1, 1.0, 1 / math.sqrt(5e4), 4 ** -0.25, 5) < 3000
    True
    """
    n = np.asarray(n, dtype=np.float64)
    iota = np.log(
        32.0 * (math.log(gamma * gamma / alpha) + 1.0) * (n / H + 1.0) ** 2 * H * H / delta
    )
    out = (
        12.0 * np.sqrt(d * np.log1p(n / (alpha * alpha * d * lam)) * iota)
        + 30.0 * iota / (gamma * gamma)
        + math.sqrt(lam) * B
    )
    return float(out) if out.ndim == 0 else out


@njit(cache=True)
def moment_features(
    basis2: np.ndarray, r: int, V: np.ndarray, nxt: int, X: np.ndarray, y: np.ndarray
) -> None:
    """``X[m] = x_{V^(2^m)}(pair r)`` and ``y[m] = V(nxt)^(2^m)`` for ``m = 0..M-1``
    (``M = X.shape[0]``; ``basis2`` is the basis as (d, S A, S))."""
    d = basis2.shape[0]
    S = V.shape[0]
    M = X.shape[0]
    power = V.copy()
    for m in range(M):
        for i in range(d):
            acc = 0.0
            row = basis2[i, r]
            for t in range(S):
                acc += row[t] * power[t]
            X[m, i] = acc
        y[m] = power[nxt]
        for t in range(S):
            power[t] = power[t] * power[t]  # V^(2^(m+1)) from V^(2^m)


@njit(cache=True)
def quadratic_form(A: np.ndarray, x: np.ndarray) -> float:
    """``x^T A x``, summed row by row."""
    acc = 0.0
    for i in range(x.shape[0]):
        row = 0.0
        for j in range(x.shape[0]):
            row += A[i, j] * x[j]
        acc += x[i] * row
    return acc


@njit(cache=True)
def home_variances(
    X: np.ndarray,
    theta: np.ndarray,
    Sigma_inv: np.ndarray,
    beta: float,
    alpha: float,
    gamma: float,
    out: np.ndarray,
) -> None:
    """The variance bounds ``sigma_m^2`` (module notes) of one sample with features ``X``
    (M, d), given ``theta`` (M, d) and ``Sigma_inv`` (M, d, d)."""
    M, d = X.shape
    widths = np.empty(M)
    preds = np.empty(M)
    for m in range(M):
        q = quadratic_form(Sigma_inv[m], X[m])
        widths[m] = math.sqrt(q) if q > 0.0 else 0.0
        p = 0.0
        for i in range(d):
            p += X[m, i] * theta[m, i]
        preds[m] = min(1.0, max(0.0, p))  # the moments of a [0, 1] value lie in [0, 1]
    floor = alpha * alpha
    for m in range(M):
        uncertainty = gamma * gamma * widths[m]
        if m == M - 1:
            variance = 1.0  # no higher order: the trivial bound of a [0, 1] variable
        else:
            error = min(1.0, 2.0 * beta * widths[m]) + min(1.0, beta * widths[m + 1])
            variance = preds[m + 1] - preds[m] * preds[m] + error
        out[m] = max(variance, max(floor, uncertainty))


@njit(cache=True)
def home_add(
    Sigma: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, sigma2: np.ndarray
) -> None:
    """``Sigma_m += x_m x_m^T / sigma_m^2`` and ``b_m += x_m y_m / sigma_m^2`` for every m."""
    M, d = X.shape
    for m in range(M):
        w = 1.0 / sigma2[m]
        for i in range(d):
            xi = X[m, i] * w
            b[m, i] += xi * y[m]
            for j in range(d):
                Sigma[m, i, j] += xi * X[m, j]


@njit(cache=True)
def home_refresh(
    Sigma: np.ndarray, Sigma_inv: np.ndarray, b: np.ndarray, theta: np.ndarray
) -> None:
    """``Sigma_m^{-1}`` (symmetrised) and ``theta_m = Sigma_m^{-1} b_m`` for every m."""
    M, d = b.shape
    for m in range(M):
        inv = np.linalg.inv(Sigma[m])
        for i in range(d):
            for j in range(d):
                Sigma_inv[m, i, j] = 0.5 * (inv[i, j] + inv[j, i])
        for i in range(d):
            acc = 0.0
            for j in range(d):
                acc += Sigma_inv[m, i, j] * b[m, j]
            theta[m, i] = acc


def mixture_gram_blocks(model) -> tuple[np.ndarray, np.ndarray]:
    """The basis of a linear mixture MDP as ``basis2`` (d, S A, S) and its Gram blocks
    ``G[r, i, j] = sum_s' basis2[i, r, s'] basis2[j, r, s']`` (S A, d, d)."""
    basis2 = np.ascontiguousarray(model.basis.reshape(model.d, model.S * model.A, model.S))
    G = np.ascontiguousarray(np.einsum("irt,jrt->rij", basis2, basis2))
    return basis2, G


@njit(cache=True)
def trace_widths(inv: np.ndarray, G: np.ndarray, out: np.ndarray) -> None:
    """``out[r] = sqrt(tr(inv G[r]))`` (0 where the trace is not positive): the width of the
    estimated kernel at each (s, a) under the inverse Gram matrix ``inv`` (d, d)."""
    d = inv.shape[0]
    for r in range(G.shape[0]):
        tr = 0.0
        for i in range(d):
            for j in range(d):
                tr += inv[i, j] * G[r, j, i]
        out[r] = math.sqrt(tr) if tr > 0.0 else 0.0
