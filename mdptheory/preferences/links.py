r"""Link functions of preference models: ``P(y > y') = F(r(y) - r(y'))``.

A link ``F`` is a distribution function on the real line that is **symmetric**, ``F(-z) = 1 -
F(z)``, so the preference matrix it induces satisfies ``p + p^T = 1``. Three links:

* :class:`LogisticLink`, ``F(z) = sigma(z) = 1 / (1 + e^{-z})``: Bradley–Terry (1952);
* :class:`ProbitLink`, ``F(z) = Phi(z)``, the standard normal distribution function: Thurstone
  (1927), case V;
* :class:`ClippedLinearLink`, ``F(z) = clip(1/2 + z / (2 w), eps, 1 - eps)``: the linear
  (uniform-noise) model, clipped away from 0 and 1 so every label has positive probability.

The constants the theory of generalised linear preference models uses (Zhan et al., ICLR 2024,
Theorem 1, ``kappa = 1 / inf_{|x| <= r_max} F'(x)``; Saha, NeurIPS 2021; Li, Lu and Zhou, ICML
2017) are the derivative bounds on a ball of utility differences:

    kappa(R) = min_{|z| <= R} F'(z),        L = max_z F'(z).

Since each link here is symmetric and ``F'`` is non-increasing in ``|z|``, ``kappa(R) =
F'(R)`` and ``L = F'(0)`` (``1/4``, ``1 / sqrt(2 pi)`` and ``1 / (2 w)``). The formulas are
standard; the papers' statements of where these constants enter were read from memory
(theory-wave2.md 4.3, [M]).

The Fisher information of one comparison at utility difference ``z`` is ``F'(z)^2 / (F(z) (1 -
F(z)))`` (:meth:`information`); for the logistic link it equals ``F'(z)``, the curvature of the
log-likelihood, for the others it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, log_ndtr, ndtr

from mdptheory._validation import check_real

__all__ = [
    "LINKS",
    "ClippedLinearLink",
    "Link",
    "LogisticLink",
    "ProbitLink",
    "link_preferences",
    "make_link",
]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


class Link:
    """The interface of a link (a symmetric distribution function ``F``): subclasses define
    :meth:`cdf`, :meth:`log_cdf`, :meth:`derivative` and :meth:`score` (``F' / F``) on arrays,
    and :attr:`name`."""

    name: str = ""

    def cdf(self, z) -> np.ndarray:
        """``F(z)``."""
        raise NotImplementedError

    def log_cdf(self, z) -> np.ndarray:
        """``log F(z)``, accurate in the lower tail."""
        raise NotImplementedError

    def derivative(self, z) -> np.ndarray:
        """``F'(z)``."""
        raise NotImplementedError

    def score(self, z) -> np.ndarray:
        """``F'(z) / F(z)``: minus the derivative of ``-log F`` (the MLE's gradient weight)."""
        raise NotImplementedError

    def information(self, z) -> np.ndarray:
        """``F'(z)^2 / (F(z) (1 - F(z)))``: the Fisher information of one comparison."""
        z = np.asarray(z, dtype=np.float64)
        # F' / F times F' / (1 - F) = score(z) * score(-z) by symmetry, stable in both tails
        return self.score(z) * self.score(-z)

    def kappa(self, radius: float) -> float:
        """``min_{|z| <= radius} F'(z) = F'(radius)`` (``F'`` is even and non-increasing in
        ``|z|`` for every link here)."""
        radius = check_real(radius, "radius", 0.0)
        return float(self.derivative(radius))

    @property
    def lipschitz(self) -> float:
        """``max_z F'(z) = F'(0)``."""
        return float(self.derivative(0.0))


@dataclass(frozen=True)
class LogisticLink(Link):
    """``F(z) = 1 / (1 + e^{-z})`` (Bradley–Terry).

    Examples
    --------
    >>> link = LogisticLink()
    >>> float(link.cdf(0.0)), link.lipschitz, round(link.kappa(2.0), 6)
    (0.5, 0.25, 0.104994)
    """

    name: str = "logistic"

    def cdf(self, z) -> np.ndarray:
        return expit(np.asarray(z, dtype=np.float64))

    def log_cdf(self, z) -> np.ndarray:
        return log_expit(np.asarray(z, dtype=np.float64))

    def derivative(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return expit(z) * expit(-z)

    def score(self, z) -> np.ndarray:
        return expit(-np.asarray(z, dtype=np.float64))


@dataclass(frozen=True)
class ProbitLink(Link):
    """``F(z) = Phi(z)``, the standard normal distribution function (Thurstone case V).

    Examples
    --------
    >>> link = ProbitLink()
    >>> float(link.cdf(0.0)), round(link.lipschitz, 6), round(link.kappa(1.0), 6)
    (0.5, 0.398942, 0.241971)
    """

    name: str = "probit"

    def cdf(self, z) -> np.ndarray:
        return ndtr(np.asarray(z, dtype=np.float64))

    def log_cdf(self, z) -> np.ndarray:
        return log_ndtr(np.asarray(z, dtype=np.float64))

    def derivative(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return np.exp(-0.5 * z * z - _LOG_SQRT_2PI)

    def score(self, z) -> np.ndarray:
        # phi / Phi through logs: Phi underflows long before the ratio does (about -z for z << 0)
        z = np.asarray(z, dtype=np.float64)
        return np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_ndtr(z))


@dataclass(frozen=True)
class ClippedLinearLink(Link):
    """``F(z) = clip(1/2 + z / (2 width), floor, 1 - floor)``: the linear preference model,
    clipped so that both labels keep probability at least ``floor``.

    Parameters
    ----------
    width : float
        ``w > 0``: ``F`` rises linearly from ``floor`` to ``1 - floor`` on ``|z| <= w (1 - 2
        floor)``, with slope ``1 / (2 w)``.
    floor : float
        In (0, 1/2).

    ``-log F`` is convex only on the linear piece: the MLE with this link is the maximiser of a
    likelihood that is log-concave while every utility difference stays on it.

    Examples
    --------
    >>> link = ClippedLinearLink(width=2.0, floor=0.05)
    >>> float(link.cdf(1.0)), float(link.cdf(10.0)), link.lipschitz
    (0.75, 0.95, 0.25)
    >>> link.kappa(1.0), link.kappa(2.0)
    (0.25, 0.0)
    """

    width: float = 1.0
    floor: float = 0.01
    name: str = "clipped-linear"

    def __post_init__(self) -> None:
        check_real(self.width, "width", 0.0, low_open=True)
        check_real(self.floor, "floor", 0.0, 0.5, low_open=True, high_open=True)

    @property
    def reach(self) -> float:
        """``w (1 - 2 floor)``: the half-width of the linear piece."""
        return self.width * (1.0 - 2.0 * self.floor)

    def cdf(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return np.clip(0.5 + z / (2.0 * self.width), self.floor, 1.0 - self.floor)

    def log_cdf(self, z) -> np.ndarray:
        return np.log(self.cdf(z))

    def derivative(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        return np.where(np.abs(z) < self.reach, 1.0 / (2.0 * self.width), 0.0)

    def score(self, z) -> np.ndarray:
        return self.derivative(z) / self.cdf(z)

    def kappa(self, radius: float) -> float:
        """``1 / (2 w)`` while ``radius < w (1 - 2 floor)``, else 0 (the flat pieces)."""
        radius = check_real(radius, "radius", 0.0)
        return 1.0 / (2.0 * self.width) if radius < self.reach else 0.0


LINKS = ("logistic", "probit", "clipped-linear")
"""Names accepted by :func:`make_link`."""


def make_link(link: str | Link) -> Link:
    """A link by name (:data:`LINKS`) or the link itself.

    Examples
    --------
    >>> make_link("probit").name
    'probit'
    >>> make_link("cauchit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: link must be one of ('logistic', ...) or a Link, got 'cauchit'
    """
    if isinstance(link, Link):
        return link
    if link == "logistic":
        return LogisticLink()
    if link == "probit":
        return ProbitLink()
    if link == "clipped-linear":
        return ClippedLinearLink()
    raise ValueError(f"link must be one of {LINKS} or a Link, got {link!r}")


def link_preferences(utilities, link: str | Link = "logistic") -> np.ndarray:
    """The preference matrix ``P[i, j] = F(r_i - r_j)`` of a utility vector under a link.

    Examples
    --------
    >>> link_preferences([1.0, 0.0], "probit").round(4).tolist()
    [[0.5, 0.8413], [0.1587, 0.5]]
    """
    r = np.asarray(utilities, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"utilities must be a vector, got shape {r.shape}")
    bad = np.flatnonzero(~np.isfinite(r))
    if bad.size:
        raise ValueError(f"utilities[{int(bad[0])}] is {float(r[bad[0]])!r}, not finite")
    F = make_link(link)
    P = F.cdf(r[:, None] - r[None, :])
    # symmetric by construction up to rounding; make p + p^T = 1 exact below the diagonal
    lower = np.tril_indices(r.size, -1)
    P[lower] = 1.0 - P.T[lower]
    np.fill_diagonal(P, 0.5)
    return P
