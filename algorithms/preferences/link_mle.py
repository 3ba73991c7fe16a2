r"""Maximum likelihood for linear preference models with any link, and its Wald region.

Model: comparisons ``(x_m, o_m)`` with ``x_m`` the difference of the two compared items'
features (actions ``phi(y) - phi(y')``, or trajectories ``phi(tau^1) - phi(tau^0)``) and
``P(o_m = 1) = F(x_m^T theta*)`` for a symmetric link ``F``
(:mod:`mdptheory.preferences.links`). By symmetry a label ``o = 0`` on ``x`` is the label
``o = 1`` on ``-x``, so the data are stored as weighted "first item won" rows ``(x_m, w_m)``.

**Fit.** The ridge-regularised MLE

    theta_hat = argmin_theta  - sum_m w_m log F(x_m^T theta) + (lam/2) |theta|^2,

by Fisher scoring: damped Newton steps (:func:`~algorithms.preferences.newton.newton_minimise`)
with the **expected** information

    I(theta) = lam I + sum_m w_m F'(z_m)^2 / (F(z_m) (1 - F(z_m))) x_m x_m^T,   z_m = x_m^T theta,

as the metric, to a gradient max-norm below 1e-12 times the number of comparisons. For the
logistic link the expected information is the Hessian and the iteration is Newton's method
(the fit equals :func:`~algorithms.preferences.fit_bradley_terry`); for the probit link
``-log Phi`` is convex (``Phi`` is log-concave), so the MLE is unique for ``lam > 0``.

**Wald region** (:func:`wald_region`): ``{theta : (theta - theta_hat)^T I(theta_hat) (theta -
theta_hat) <= chi2_d(1 - delta)}``, the asymptotic ``1 - delta`` region of the MLE (Wald 1943;
the information is the inverse of the MLE's asymptotic covariance). It has no finite-sample
guarantee; ``link-mle-wald-coverage`` measures its coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from algorithms.preferences.bt_mle import ConfidenceEllipsoid, win_count_rows
from algorithms.preferences.newton import newton_minimise
from mdptheory._validation import as_float_array, check_real
from mdptheory.preferences.links import Link, make_link

__all__ = ["LinkFit", "fit_link_mle", "fit_link_mle_pairs", "link_objective", "wald_region"]

NEWTON_TOL = 1e-12
"""Fisher scoring stops at a gradient max-norm below this times the number of comparisons."""


@dataclass(frozen=True)
class LinkFit:
    """A ridge-regularised MLE of a linear preference model.

    Attributes
    ----------
    theta : ndarray, shape (d,)
        ``theta_hat``.
    information : ndarray, shape (d, d)
        The expected information ``I(theta_hat)`` (module docstring), ridge included.
    link : Link
    n : float
        Total weight of the comparisons (their number for unit weights).
    lam : float
    objective : float
        The penalised negative log-likelihood at ``theta_hat``.
    gradient_norm : float
        Max-norm of its gradient (the certificate).
    iterations : int
    """

    theta: np.ndarray
    information: np.ndarray
    link: Link
    n: float
    lam: float
    objective: float
    gradient_norm: float
    iterations: int


def link_objective(theta, X, w, lam: float, link: Link):
    """``(value, gradient, expected information)`` of the penalised negative log-likelihood of
    weighted "first item won" rows ``X`` (m, d) with weights ``w`` (m,).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.preferences.links import LogisticLink
    >>> value, grad, info = link_objective(np.zeros(1), np.ones((1, 1)), np.ones(1), 1.0,
    ...                                    LogisticLink())
    >>> round(value, 6), grad.tolist(), info.tolist()
    (0.693147, [-0.5], [[1.25]])
    """
    z = X @ theta
    value = -float(w @ link.log_cdf(z)) + 0.5 * lam * float(theta @ theta)
    grad = -(w * link.score(z)) @ X + lam * theta
    weight = w * link.information(z)
    info = (X * weight[:, None]).T @ X + lam * np.eye(theta.shape[0])
    return value, grad, info


def _check_rows(X: np.ndarray, w: np.ndarray) -> None:
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        m, a = (int(v) for v in bad[0])
        raise ValueError(f"differences[{m}, {a}] is {float(X[m, a])!r}, not finite")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        m = int(bad[0])
        raise ValueError(f"weights[{m}] is {float(w[m])!r}; weights must be finite and >= 0")


def fit_link_mle_pairs(
    differences, labels, link: str | Link = "logistic", lam: float = 1.0, weights=None
) -> LinkFit:
    """The MLE from comparisons ``(x_m, o_m)``: ``o_m = 1`` when the item whose features come
    first in ``x_m`` won.

    Parameters
    ----------
    differences : array_like, shape (m, d)
    labels : array_like, shape (m,)
        In {0, 1}.
    link : str or Link
        ``"logistic"``, ``"probit"``, ``"clipped-linear"`` or a :class:`Link`.
    lam : float
        Ridge weight, > 0.
    weights : array_like, shape (m,), optional
        Multiplicities (default 1).

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_link_mle_pairs([[1.0], [1.0], [1.0], [-1.0]], [1, 1, 0, 0], "probit", lam=1e-9)
    >>> round(float(fit.theta[0]), 6)  # Phi(theta) = 3/4
    0.67449
    """
    X = as_float_array(differences, "differences", ndim=2)
    o = as_float_array(labels, "labels", ndim=1)
    if o.shape[0] != X.shape[0]:
        raise ValueError(f"labels has {o.shape[0]} entries, differences has {X.shape[0]} rows")
    bad = np.flatnonzero((o != 0.0) & (o != 1.0))
    if bad.size:
        m = int(bad[0])
        raise ValueError(f"labels[{m}] is {float(o[m])!r}, not 0 or 1")
    w = np.ones(X.shape[0]) if weights is None else as_float_array(weights, "weights", ndim=1)
    if w.shape[0] != X.shape[0]:
        raise ValueError(f"weights has {w.shape[0]} entries, differences has {X.shape[0]} rows")
    # a lost comparison on x is a won one on -x (F symmetric)
    return _fit(np.where(o[:, None] == 1.0, X, -X), w, make_link(link), lam)


def fit_link_mle(features, data, link: str | Link = "logistic", lam: float = 1.0) -> LinkFit:
    """The MLE from win counts of actions with linear features (as
    :func:`~algorithms.preferences.fit_bradley_terry`, any link).

    Parameters
    ----------
    features : array_like, shape (K, d)
    data : PreferenceDataset or array_like (K, K)
        The dataset or its win counts ``W[i, j]`` (times ``i`` beat ``j``).
    link : str or Link
    lam : float
        Ridge weight, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_link_mle(np.eye(2), [[0, 30], [10, 0]], "logistic", lam=1e-9)
    >>> round(float(fit.theta[0] - fit.theta[1]), 6), round(float(np.log(3)), 6)
    (1.098612, 1.098612)
    """
    X, w = win_count_rows(features, data)
    return _fit(X, w, make_link(link), lam)


def _fit(X: np.ndarray, w: np.ndarray, link: Link, lam: float) -> LinkFit:
    lam = check_real(lam, "lam", 0.0, low_open=True)
    _check_rows(X, w)
    tol = NEWTON_TOL * max(float(w.sum()), 1.0)
    result = newton_minimise(
        lambda theta: link_objective(theta, X, w, lam, link), np.zeros(X.shape[1]), tol
    )
    return LinkFit(
        result.x,
        result.metric,
        link,
        float(w.sum()),
        lam,
        result.value,
        result.gradient_norm,
        result.iterations,
    )


def wald_region(fit: LinkFit, delta: float) -> ConfidenceEllipsoid:
    """The Wald region ``(theta - theta_hat)^T I(theta_hat) (theta - theta_hat) <= chi2_d(1 -
    delta)`` (module docstring): asymptotic coverage ``1 - delta``.

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_link_mle(np.eye(2), [[0, 30], [10, 0]], "probit")
    >>> region = wald_region(fit, 0.1)
    >>> region.contains(fit.theta), round(region.radius ** 2, 4)
    (True, 4.6052)
    """
    delta = check_real(delta, "delta", 0.0, 1.0, low_open=True, high_open=True)
    d = fit.theta.shape[0]
    radius = float(np.sqrt(chi2.ppf(1.0 - delta, d)))
    return ConfidenceEllipsoid(fit.theta, fit.information, radius, "wald", delta)
