"""Feature classes that realise Q* but are not Bellman complete: where fitted Q iteration fails.

A :class:`FeatureClassMDP` pairs a discounted model with a linear feature map ``phi[s, a, :]``.
Realisability (``Q* = phi . w*`` for some ``w*``) is not enough for fitted Q iteration: it also
needs the class to be closed under the Bellman operator (inherent Bellman error 0, Zanette et
al. 2020). The classical counterexample below realises ``Q*`` exactly and still makes the
projected iteration diverge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_real
from mdptheory.tabular import FiniteMDP

__all__ = ["FeatureClassMDP", "tsitsiklis_van_roy"]


@dataclass(frozen=True)
class FeatureClassMDP:
    """A discounted MDP and a feature class ``Q_theta = phi . theta`` on it.

    Attributes
    ----------
    mdp : FiniteMDP
        The true model (exact Q* by :func:`mdptheory.planning.solve`).
    phi : ndarray, shape (S, A, d)
        The features (read-only).
    realising_weights : ndarray, shape (d,)
        ``w*`` with ``phi . w* = Q*`` exactly: the class is realisable.
    name : str
    """

    mdp: FiniteMDP
    phi: np.ndarray
    realising_weights: np.ndarray
    name: str

    @property
    def d(self) -> int:
        """Feature dimension."""
        return int(self.phi.shape[-1])

    def __repr__(self) -> str:
        return f"FeatureClassMDP({self.name!r}, S={self.mdp.S}, A={self.mdp.A}, d={self.d})"


def tsitsiklis_van_roy(gamma: float = 0.9, one_hot: bool = False) -> FeatureClassMDP:
    """Tsitsiklis and Van Roy's two-state chain with one feature: realisable, not complete.

    States 0 and 1, one action; 0 moves to 1 and 1 stays (deterministic), every reward 0, so
    ``Q* = 0``. The feature is ``phi(0) = 1``, ``phi(1) = 2`` (d = 1), which realises ``Q* = 0``
    with ``w* = 0``. The Bellman image of ``phi theta`` is ``(2 gamma theta, 2 gamma theta)``,
    outside the span unless ``theta = 0``: with the l1 ball of radius B the inherent Bellman
    error is ``2 gamma B / 3``, and fitted Q iteration with uniform weights maps ``theta`` to
    ``(6 gamma / 5) theta``, diverging for ``gamma > 5/6`` (J. N. Tsitsiklis, B. Van Roy,
    *Feature-based methods for large scale dynamic programming*, Machine Learning 22, 1996;
    the construction as recalled, not checked against the paper's text).

    Parameters
    ----------
    gamma : float
        Discount in [0, 1).
    one_hot : bool
        Use the complete tabular class ``phi(s) = e_s`` (d = 2) instead: the control on which
        fitted Q iteration is value iteration and converges.

    Returns
    -------
    FeatureClassMDP

    Examples
    --------
    >>> inst = tsitsiklis_van_roy(gamma=0.9)
    >>> inst.phi[:, 0, 0].tolist(), inst.mdp.P[0, 0].tolist(), inst.d
    ([1.0, 2.0], [0.0, 1.0], 1)
    """
    gamma = check_real(gamma, "gamma", 0.0, 1.0, high_open=True)
    if not isinstance(one_hot, (bool, np.bool_)):
        raise ParameterTypeError(f"one_hot must be a bool, got {one_hot!r}")
    P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    R = np.zeros((2, 1))
    label = f"tsitsiklis_van_roy(gamma={gamma:g}" + (", one_hot=True)" if one_hot else ")")
    mdp = FiniteMDP(P, R, gamma=gamma, name=label)
    phi = np.eye(2).reshape(2, 1, 2) if one_hot else np.array([[[1.0]], [[2.0]]])
    phi.flags.writeable = False
    weights = np.zeros(phi.shape[-1])
    weights.flags.writeable = False
    return FeatureClassMDP(mdp=mdp, phi=phi, realising_weights=weights, name=label)
