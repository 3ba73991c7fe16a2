"""Bradley–Terry maximum likelihood with linear features, and its confidence ellipsoids.

Model: actions with features ``phi(y)`` in R^d and reward ``r(y) = phi(y)^T theta*``; a pair
``(y, y')`` is won by ``y`` with probability ``sigma(x^T theta*)``, ``x = phi(y) - phi(y')``
(Bradley and Terry 1952). From win counts ``W``:

**Fit.** The ridge-regularised MLE

    theta_hat = argmin_theta  - sum_ij W_ij log sigma((phi_i - phi_j)^T theta) + (lam/2)|theta|^2

by Newton's method with Armijo backtracking (strictly convex for ``lam > 0``; the shared
:func:`~algorithms.preferences.newton.newton_minimise`), to a gradient
max-norm below 1e-12 times the number of pairs.

**Confidence sets** (:func:`confidence_set`), with ``V = lam I + sum_ij W_ij x_ij x_ij^T``:

* ``"self-normalised"`` (finite-sample, valid whenever ``|theta*| <= B``):

      |theta_hat - theta*|_V <= (1/kappa) ( (1/2) sqrt(2 log(det(V)^{1/2} lam^{-d/2} / delta))
                                            + sqrt(lam) B ),
      kappa = min over compared pairs of sigma'(|x_ij| max(B, |theta_hat|)).

  Derivation (written out here; its ingredients are from memory, not checked against the
  papers' text): the first-order condition gives ``M (theta_hat - theta*) = xi - lam theta*``
  with ``M = lam I + sum alpha_ij x x^T``, ``alpha_ij >= kappa`` by the mean-value theorem
  along the segment, so ``M >= kappa V``; ``xi = sum (o - sigma(x^T theta*)) x`` has
  1/2-sub-Gaussian increments and the self-normalised bound of Abbasi-Yadkori, Pál and
  Szepesvári (NeurIPS 2011, Theorem 1) holds uniformly in n with probability ``1 - delta``. The
  same argument is the GLM confidence set of Li, Lu and Zhou (ICML 2017) and Zhu, Jordan and
  Jiao (ICML 2023, Lemma 3.1) with explicit constants.
* ``"wald"`` (asymptotic): ``(theta - theta_hat)^T I(theta_hat) (theta - theta_hat) <=
  chi2_d(1 - delta)`` with the observed information ``I = lam I + sum W_ij sigma'(x^T
  theta_hat) x x^T``; its coverage tends to ``1 - delta`` as n grows (Wilks / Wald), with no
  finite-sample guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit
from scipy.stats import chi2

from algorithms.preferences.newton import newton_minimise
from mdptheory._validation import as_float_array, check_real
from mdptheory.preferences import win_counts

__all__ = [
    "BTFit",
    "ConfidenceEllipsoid",
    "confidence_set",
    "curvature_floor",
    "fit_bradley_terry",
    "win_count_rows",
]


@dataclass(frozen=True)
class BTFit:
    """A ridge-regularised Bradley–Terry fit.

    Attributes
    ----------
    theta : ndarray, shape (d,)
        The MLE ``theta_hat``.
    gram : ndarray, shape (d, d)
        ``V = lam I + sum W_ij x_ij x_ij^T``.
    information : ndarray, shape (d, d)
        ``lam I + sum W_ij sigma'(x_ij^T theta_hat) x_ij x_ij^T``.
    differences : ndarray, shape (m, d)
        ``x_ij`` of the compared ordered pairs (``W_ij > 0``).
    n : int
        Number of pairs.
    lam : float
    objective : float
        The penalised negative log-likelihood at ``theta_hat``.
    gradient_norm : float
        Max-norm of its gradient (the certificate).
    """

    theta: np.ndarray
    gram: np.ndarray
    information: np.ndarray
    differences: np.ndarray
    n: int
    lam: float
    objective: float
    gradient_norm: float


def _objective(theta, X, w, lam):
    z = X @ theta
    value = -float(w @ log_expit(z)) + 0.5 * lam * float(theta @ theta)
    grad = -(w * expit(-z)) @ X + lam * theta
    curvature = w * expit(z) * expit(-z)
    hess = (X * curvature[:, None]).T @ X + lam * np.eye(theta.shape[0])
    return value, grad, hess


def win_count_rows(features, data) -> tuple[np.ndarray, np.ndarray]:
    """The compared pairs of a win-count dataset as weighted "first item won" rows.

    Parameters
    ----------
    features : array_like, shape (K, d)
        ``phi(y)`` of every action.
    data : PreferenceDataset or array_like (K, K)
        The dataset or its win counts ``W[i, j]`` (times ``i`` beat ``j``).

    Returns
    -------
    X : ndarray, shape (m, d)
        ``phi(i) - phi(j)`` for each nonzero ``W[i, j]`` (row-major order).
    w : ndarray, shape (m,)
        Those counts ``W[i, j]``.

    Examples
    --------
    >>> import numpy as np
    >>> X, w = win_count_rows(np.eye(2), [[0, 3], [1, 0]])
    >>> X.tolist(), w.tolist()
    ([[1.0, -1.0], [-1.0, 1.0]], [3.0, 1.0])
    """
    phi = as_float_array(features, "features", ndim=2)
    W = win_counts(data)
    if W.shape[0] != phi.shape[0]:
        raise ValueError(f"features have {phi.shape[0]} rows, the dataset has {W.shape[0]} actions")
    i, j = np.nonzero(W)
    return phi[i] - phi[j], W[i, j]


def fit_bradley_terry(features, data, lam: float = 1.0) -> BTFit:
    """The ridge-regularised Bradley–Terry MLE with linear features.

    Parameters
    ----------
    features : array_like, shape (K, d)
        ``phi(y)`` of every action.
    data : PreferenceDataset or array_like (K, K)
        The dataset or its win counts.
    lam : float
        Ridge weight, > 0 (the MLE may not exist without it).

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_bradley_terry(np.eye(2), [[0, 30], [10, 0]], lam=1e-9)
    >>> round(float(fit.theta[0] - fit.theta[1]), 6), round(float(np.log(3)), 6)
    (1.098612, 1.098612)
    """
    X, w = win_count_rows(features, data)
    lam = check_real(lam, "lam", 0.0, low_open=True)
    tol = 1e-12 * max(float(w.sum()), 1.0)
    result = newton_minimise(lambda th: _objective(th, X, w, lam), np.zeros(X.shape[1]), tol)
    theta, value, grad, hess = result.x, result.value, result.gradient, result.metric
    gram = (X * w[:, None]).T @ X + lam * np.eye(X.shape[1])
    return BTFit(
        theta, gram, hess, X, round(float(w.sum())), lam, value, float(np.max(np.abs(grad)))
    )


@dataclass(frozen=True)
class ConfidenceEllipsoid:
    """``{theta : (theta - centre)^T matrix (theta - centre) <= radius^2}``.

    Attributes
    ----------
    centre, matrix, radius
        The ellipsoid.
    kind : str
        ``"self-normalised"`` or ``"wald"`` (see the module docstring).
    delta : float
        Nominal failure probability.
    """

    centre: np.ndarray
    matrix: np.ndarray
    radius: float
    kind: str
    delta: float

    def contains(self, theta) -> bool:
        """True when ``theta`` lies in the ellipsoid."""
        diff = np.asarray(theta, dtype=np.float64) - self.centre
        return bool(diff @ self.matrix @ diff <= self.radius**2)

    def largest_semi_axis(self) -> float:
        """``radius / sqrt(lambda_min(matrix))``: the ellipsoid's Euclidean half-width."""
        return self.radius / float(np.sqrt(np.linalg.eigvalsh(self.matrix)[0]))

    def contains_ball(self, bound: float) -> bool:
        """A sufficient test that the ellipsoid contains the whole ball ``|theta| <= bound``
        (then it covers any ``theta*`` the model allows: vacuous)."""
        smallest = self.radius / float(np.sqrt(np.linalg.eigvalsh(self.matrix)[-1]))
        return smallest >= bound + float(np.linalg.norm(self.centre))


def curvature_floor(fit: BTFit, bound: float) -> float:
    """``kappa = min over compared pairs of sigma'(|x_ij| max(B, |theta_hat|))``: a lower bound
    on the curvature of the log-likelihood along the segment from ``theta*`` to ``theta_hat``
    when ``|theta*| <= B``."""
    reach = max(bound, float(np.linalg.norm(fit.theta)))
    z = np.linalg.norm(fit.differences, axis=1) * reach
    return float(np.min(expit(z) * expit(-z)))


def confidence_set(
    fit: BTFit, delta: float, bound: float = 1.0, kind: str = "self-normalised"
) -> ConfidenceEllipsoid:
    """The confidence ellipsoid of a Bradley–Terry fit (module docstring).

    Parameters
    ----------
    fit : BTFit
    delta : float
        In (0, 1): the set covers ``theta*`` with probability at least ``1 - delta``
        (``"self-normalised"``, finite-sample) or asymptotically (``"wald"``).
    bound : float
        ``B`` with ``|theta*| <= B`` (used by ``"self-normalised"`` only).
    kind : {"self-normalised", "wald"}

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_bradley_terry(np.eye(2), [[0, 30], [10, 0]])
    >>> wald = confidence_set(fit, 0.1, kind="wald")
    >>> wald.contains(fit.theta), round(wald.radius ** 2, 4)
    (True, 4.6052)
    """
    delta = check_real(delta, "delta", 0.0, 1.0, low_open=True, high_open=True)
    if kind == "wald":
        d = fit.theta.shape[0]
        return ConfidenceEllipsoid(
            fit.theta, fit.information, float(np.sqrt(chi2.ppf(1.0 - delta, d))), kind, delta
        )
    if kind != "self-normalised":
        raise ValueError(f"kind must be 'self-normalised' or 'wald', got {kind!r}")
    B = check_real(bound, "bound", 0.0, low_open=True)
    d = fit.theta.shape[0]
    kappa = curvature_floor(fit, B)
    log_det = float(np.linalg.slogdet(fit.gram)[1])
    noise = 0.5 * np.sqrt(2.0 * (0.5 * log_det - 0.5 * d * np.log(fit.lam) - np.log(delta)))
    radius = (noise + np.sqrt(fit.lam) * B) / kappa
    return ConfidenceEllipsoid(fit.theta, fit.gram, float(radius), kind, delta)
