"""Representation conditions for policy gradient on finite-arm bandits with linear features.

Setting (Mei, Dai, Agarwal, Ghavamzadeh, Szepesvári, Schuurmans, "Ordering-based Conditions
for Global Convergence of Policy Gradient Methods", NeurIPS 2023, arXiv:2504.02130; and Lin,
Mei, Aghaei, Lu, Dai, Agarwal, Schuurmans, Szepesvári, Vaswani, "Rethinking the Global
Convergence of Softmax Policy Gradient with Linear Function Approximation", 2025,
arXiv:2505.03155): a K-armed bandit with mean rewards ``r`` (K,) and a feature
matrix ``X`` (K, d), usually with ``d < K``; the log-linear policy is ``pi_theta = softmax(X
theta)``. Neither the policy nor the reward need be realisable (``r`` need not lie in span X).

The predicates here are pure numpy/scipy functions of ``(X, r)``, so that instance builders and
learners can both use them:

* :func:`npg_rank_preserved`: the Lin-NPG condition of Mei et al. (2023), result (i). With the
  least-squares projection ``r_hat = X (X^T X)^{-1} X^T r``, Lin-NPG
  (``theta <- theta + eta (X^T X)^{-1} X^T r``) converges to an optimal arm **if and only if**
  ``r_hat(a*) > r_hat(a)`` for every non-optimal arm ``a``: the projection keeps an optimal
  arm as the strict maximum.
* :func:`softmax_pg_conditions`: the sufficient conditions of Mei et al. (2023), result (ii),
  for Lin-SPG (``theta <- theta + eta X^T (diag(pi) - pi pi^T) r``):
  **non-domination** ``x_i^T x_i > x_i^T x_j`` for all ``i != j`` and **reward-order
  preservation**: some ``w`` makes ``X w`` order the arms exactly as ``r`` does.

Sources: the precise statements of both conditions follow a secondary summary of the paper and
are not verified against the published text; the paper's abstract confirms the wording
"projection of the reward onto the representable space preserves the optimal action's rank" and
"non-domination condition and can preserve the ranking of rewards".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mdptheory._validation import check_finite

DEFAULT_TOL = 1e-10
"""Relative margin below which a "strict" inequality counts as failed (scaled by the data)."""


def _feature_bandit(X, r) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``X`` (K, d) and ``r`` (K,) as float64 arrays."""
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"features X must have shape (K, d), got shape {X.shape}")
    K, d = X.shape
    if K < 2 or d < 1:
        raise ValueError(f"features X has shape {X.shape}: need K >= 2 arms and d >= 1")
    if r.shape != (K,):
        raise ValueError(
            f"rewards r must have shape ({K},) to match X of shape {X.shape}, got shape {r.shape}"
        )
    check_finite(X, "X")
    check_finite(r, "r")
    return X, r


def projected_rewards(X, r) -> np.ndarray:
    """Least-squares projection of ``r`` onto span(X): ``r_hat = X (X^T X)^{-1} X^T r``.

    A rank-deficient ``X`` is handled by the pseudo-inverse (the projection onto the column
    space is still unique).

    Examples
    --------
    >>> import numpy as np
    >>> r_hat = projected_rewards(np.array([[1.0], [1.0], [0.0]]), np.array([1.0, 0.0, 5.0]))
    >>> np.round(r_hat, 12).tolist()
    [0.5, 0.5, 0.0]
    """
    X, r = _feature_bandit(X, r)
    w, *_ = np.linalg.lstsq(X, r, rcond=None)
    with np.errstate(over="ignore", invalid="ignore"):
        r_hat = X @ w
    if not np.all(np.isfinite(r_hat)):
        arm = int(np.flatnonzero(~np.isfinite(r_hat))[0])
        raise ValueError(
            f"rewards r (the means) up to {float(np.max(np.abs(r))):.3g}: their projection onto "
            f"span(X) (the features) overflows float64 at arm {arm}; rescale r (the projection "
            "is linear in r)"
        )
    return r_hat


def _scale(*arrays: np.ndarray) -> float:
    return max(1.0, *(float(np.max(np.abs(a))) for a in arrays))


def npg_rank_margin(X, r) -> float:
    """``max_{a optimal} r_hat(a) - max_{a not optimal} r_hat(a)`` (``inf`` if all arms tie).

    Positive iff the projection keeps an optimal arm as the strict maximum; its size says how
    fast Lin-NPG separates the arms (``X theta_t = X theta_0 + eta t r_hat``).
    """
    X, r = _feature_bandit(X, r)
    r_hat = projected_rewards(X, r)
    optimal = r >= r.max()
    if optimal.all():
        return float("inf")
    return float(r_hat[optimal].max() - r_hat[~optimal].max())


def npg_rank_preserved(X, r, tol: float = DEFAULT_TOL) -> bool:
    """Lin-NPG condition of Mei et al. (NeurIPS 2023, arXiv:2504.02130), result (i).

    Statement: NPG with linear function approximation, ``theta_{t+1} = theta_t + eta (X^T X)^{-1}
    X^T r``, converges to a globally optimal policy (``pi_t(a*) -> 1``) if and only if the
    least-squares projection ``r_hat = X (X^T X)^{-1} X^T r`` preserves the optimal action's
    rank: ``r_hat(a*) > r_hat(a)`` for all ``a != a*``.

    Why it is exact: every step adds ``eta r_hat`` to the logits, so ``X theta_t = X theta_0 +
    eta t r_hat`` and ``pi_t`` concentrates on ``argmax r_hat``. With several optimal arms the
    condition reads: some optimal arm beats every non-optimal arm in ``r_hat``.

    Parameters
    ----------
    X : array_like, shape (K, d)
        Features, one row per arm.
    r : array_like, shape (K,)
        Mean rewards.
    tol : float
        The strict inequality must hold with margin ``> tol * max(1, |X|, |r|)`` (a tie, up to
        rounding, is not a strict maximum: Lin-NPG then splits its mass between the tied arms).

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([1.0, 0.0, 0.9])
    >>> npg_rank_preserved(np.array([[3.0], [2.0], [1.0]]), r)  # r_hat = 0.28 x: arm 0 on top
    True
    >>> npg_rank_preserved(np.array([[1.0], [2.0], [3.0]]), r)  # r_hat = 0.26 x: arm 2 on top
    False
    """
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    X, r = _feature_bandit(X, r)
    return bool(npg_rank_margin(X, r) > tol * _scale(X, r))


@dataclass(frozen=True)
class SoftmaxPGConditions:
    """The representation conditions of Lin-SPG for one feature bandit.

    Attributes
    ----------
    non_domination : bool
        ``x_i^T x_i > x_i^T x_j`` for all ``i != j`` (each arm is the unique maximiser of
        ``X w`` at ``w = x_i``).
    dominated_pairs : tuple of (int, int)
        The pairs ``(i, j)`` that violate non-domination (``x_i^T x_i <= x_i^T x_j``).
    order_preserving : bool
        Some ``w`` makes ``X w`` order the arms exactly as ``r``: ``r(i) > r(j) => (Xw)(i) >
        (Xw)(j)`` and ``r(i) = r(j) => (Xw)(i) = (Xw)(j)``.
    witness : ndarray of shape (d,) or None
        Such a ``w`` (scaled so that consecutive reward levels are separated by at least 1 in
        ``X w``), or None when none exists.
    holds : bool
        ``non_domination and order_preserving``: the sufficient condition of Mei et al. (2023)
        for global convergence of Lin-SPG from the uniform initialisation.
    """

    non_domination: bool
    dominated_pairs: tuple[tuple[int, int], ...]
    order_preserving: bool
    witness: np.ndarray | None
    holds: bool


def _order_witness(X: np.ndarray, r: np.ndarray) -> np.ndarray | None:
    """A ``w`` with ``X w`` ordered exactly as ``r`` (LP feasibility), or None."""
    levels = np.unique(r)[::-1]  # distinct reward values, best first
    groups = [np.flatnonzero(r == level) for level in levels]
    rows_ub, rows_eq = [], []
    # Strict order between consecutive levels, as (x_j - x_i)^T w <= -1 (the margin 1 fixes
    # the scale, so strict feasibility becomes plain LP feasibility).
    for upper, lower in itertools.pairwise(groups):
        for i in upper:
            for j in lower:
                rows_ub.append(X[j] - X[i])
    # Equal rewards need equal scores.
    for group in groups:
        for j in group[1:]:
            rows_eq.append(X[j] - X[group[0]])
    d = X.shape[1]
    A_ub = np.array(rows_ub).reshape(-1, d) if rows_ub else None
    b_ub = -np.ones(len(rows_ub)) if rows_ub else None
    A_eq = np.array(rows_eq).reshape(-1, d) if rows_eq else None
    b_eq = np.zeros(len(rows_eq)) if rows_eq else None
    # Imported here: scipy.optimize costs ~0.3 s, which `import mdptheory` need not pay.
    import scipy.optimize

    result = scipy.optimize.linprog(
        np.zeros(d),
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=b_eq,
        bounds=[(None, None)] * d,
        method="highs",
    )
    if result.status != 0:
        return None
    w = np.asarray(result.x, dtype=np.float64)
    # The LP solver has a feasibility tolerance; accept only a witness that orders the arms
    # strictly in exact arithmetic on the float values.
    scores = X @ w
    for upper, lower in itertools.pairwise(groups):
        if scores[upper].min() <= scores[lower].max():
            return None
    return w


def softmax_pg_conditions(X, r, tol: float = DEFAULT_TOL) -> SoftmaxPGConditions:
    """Non-domination and reward-order preservation (Mei et al., NeurIPS 2023, arXiv:2504.02130).

    Statement (the paper's result (ii), as given by a secondary summary of the paper and not
    verified against the published text): exact softmax PG with linear function
    approximation, ``theta_{t+1} = theta_t + eta X^T (diag(pi_t) - pi_t pi_t^T) r`` with
    ``0 < eta < 4 / (9 R_max lambda_max(X^T X))``, converges globally if

    * non-domination: ``x_i^T x_i > x_i^T x_j`` for all ``i != j``, and
    * reward-order preservation: there is ``w`` with ``X w`` ordering the arms exactly as ``r``.

    Lin et al. (2025, arXiv:2505.03155) note that non-domination is not sufficient from *every*
    initialisation; the library's checks start from ``theta_0 = 0`` as Mei et al. do.

    Parameters
    ----------
    X : array_like, shape (K, d)
    r : array_like, shape (K,)
    tol : float
        Relative margin for the strict inequality of non-domination (scaled by
        ``max(1, max |X|^2)``).

    Returns
    -------
    SoftmaxPGConditions

    Examples
    --------
    >>> import numpy as np
    >>> angles = np.array([0.0, 0.3, 0.6, 0.9])
    >>> X = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    >>> c = softmax_pg_conditions(X, np.array([9.0, 8.0, 7.0, 6.0]))
    >>> c.non_domination, c.order_preserving, c.holds
    (True, True, True)
    >>> softmax_pg_conditions(np.array([[0.0], [1.0], [-1.0]]), np.array([1.0, 0.5, 0.0])).holds
    False
    """
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    X, r = _feature_bandit(X, r)
    G = X @ X.T
    margin = np.diag(G)[:, None] - G  # margin[i, j] = x_i^T x_i - x_i^T x_j
    np.fill_diagonal(margin, np.inf)
    threshold = tol * max(1.0, float(np.max(np.abs(G))))
    bad = np.argwhere(margin <= threshold)
    dominated = tuple((int(i), int(j)) for i, j in bad)
    witness = _order_witness(X, r)
    non_domination = not dominated
    order_preserving = witness is not None
    return SoftmaxPGConditions(
        non_domination=non_domination,
        dominated_pairs=dominated,
        order_preserving=order_preserving,
        witness=witness,
        holds=non_domination and order_preserving,
    )


__all__ = [
    "DEFAULT_TOL",
    "SoftmaxPGConditions",
    "npg_rank_margin",
    "npg_rank_preserved",
    "projected_rewards",
    "softmax_pg_conditions",
]
