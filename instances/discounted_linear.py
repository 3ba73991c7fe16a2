"""Discounted linear MDPs: ``P(s'|s, a) = phi(s, a) . mu(s')``, ``r(s, a) = phi(s, a) . theta``.

Each builder returns a :class:`instances.feature_failures.FeatureClassMDP`: the exact discounted
model (a :class:`mdptheory.FiniteMDP`), its features and the weights ``w* = theta + gamma
mu^T V*`` with ``Q* = phi . w*`` exactly (linear MDPs are closed under the Bellman operator).
The generative-model planners (MDVI, LS-MDVI, VWLS-MDVI) run on them.
"""

from __future__ import annotations

import numpy as np

from instances.feature_failures import FeatureClassMDP
from mdptheory._validation import check_discount, check_int, check_real
from mdptheory.planning import solve
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import FiniteMDP

__all__ = ["discounted_linear_mdp", "variance_contrast_linear_mdp"]


def _feature_class(phi, mu, theta, gamma, name) -> FeatureClassMDP:
    P = np.einsum("sad,td->sat", phi, mu)
    P = np.maximum(P, 0.0)  # rounding below 0 only: every row is a mixture of distributions
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, phi @ theta, gamma=gamma, name=name)
    weights = theta + gamma * mu.T @ solve(mdp).values
    phi = phi.copy()
    phi.setflags(write=False)
    return FeatureClassMDP(mdp, phi, weights, name)


def discounted_linear_mdp(
    S: int = 20,
    A: int = 3,
    d: int = 4,
    gamma: float = 0.9,
    concentration: float = 0.3,
    seed: SeedLike = 0,
) -> FeatureClassMDP:
    """A random discounted linear MDP with simplex features.

    ``phi(s, a) ~ Dirichlet(1_d)``, each of the ``d`` measures ``mu^(i) ~
    Dirichlet(concentration 1_S)`` (a distribution over states: small concentrations make
    sparse, heterogeneous next-state laws, so the variance of ``V*`` differs across pairs) and
    ``theta ~ U[0, 1]^d``, so rewards lie in [0, 1] (the soft state-aggregation example of Jin
    et al. 2020, made stationary and discounted).

    Parameters
    ----------
    S, A, d : int
        States, actions, feature dimension.
    gamma : float
        Discount in [0, 1).
    concentration : float
        Dirichlet parameter of the measures, > 0.
    seed : int, SeedSequence or Generator
        Draws phi, then mu, then theta.

    Returns
    -------
    FeatureClassMDP

    Examples
    --------
    >>> model = discounted_linear_mdp(S=6, A=2, d=3, gamma=0.9, seed=0)
    >>> import numpy as np
    >>> from mdptheory.planning import solve
    >>> bool(np.allclose(model.phi @ model.realising_weights, solve(model.mdp).q))
    True
    """
    S = check_int(S, "S", 1)
    A = check_int(A, "A", 1)
    d = check_int(d, "d", 1)
    gamma = check_discount(gamma)
    concentration = check_real(concentration, "concentration", 0.0, low_open=True)
    rng = as_generator(seed)
    phi = rng.dirichlet(np.ones(d), size=(S, A))
    mu = rng.dirichlet(np.full(S, concentration), size=d).T  # (S, d): column i is mu^(i)
    theta = rng.random(d)
    name = f"discounted_linear_mdp(S={S}, A={A}, d={d}, gamma={gamma})"
    return _feature_class(phi, mu, theta, gamma, name)


def variance_contrast_linear_mdp(gamma: float = 0.9) -> FeatureClassMDP:
    """Three states where unweighted least squares carries a large variance into a pair that
    has none: the instance on which variance weighting pays (Kitamura et al. 2023).

    States ``M`` (0), ``G`` (1), ``B`` (2); ``d = 5``. At ``M`` the four actions are the corners
    ``(1, u, v, 0, 0)``, ``u, v = +-1``, of a square, with next-state laws
    ``(+,+) -> M`` (reward 0.8), ``(-,-) -> G or B`` with probability 1/2 each (reward 0.2),
    ``(+,-) -> M or G`` and ``(-,+) -> M or B`` (reward 0.5 each): linear in the corner, since
    the laws of opposite corners have the same sum. ``G`` and ``B`` are absorbing through the
    features ``e_3`` (reward 0.5) and ``e_4`` (reward 0). So ``V*(G) = H/2``, ``V*(B) = 0`` and
    staying at ``M`` is optimal, ``V*(M) = 0.8 H`` (``H = 1 / (1 - gamma)``, for ``gamma >= 0.5``).

    The G-optimal design is uniform on the corners (weight 3/20 each) and puts 1/5 on each
    absorbing feature. Least squares on the four corners predicts ``(+,+)`` with coefficients
    ``(3/4, 1/4, 1/4, -1/4)``, so the deterministic target of ``(+,+)`` inherits the variance
    ``(1/16)(H^2/16 + 0.0225 H^2 + 0.16 H^2)`` of the others' targets at ``v = V*``; weighting
    each sample by the inverse of its variance removes it. The variance along the optimal path
    is 0.

    Examples
    --------
    >>> model = variance_contrast_linear_mdp(gamma=0.9)
    >>> from mdptheory.planning import solve
    >>> [round(float(v), 9) for v in solve(model.mdp).values], int(solve(model.mdp).policy[0])
    ([8.0, 5.0, 0.0], 0)
    """
    gamma = check_discount(gamma)
    if gamma < 0.5:
        raise ValueError(f"gamma must be >= 0.5 for staying at M to be optimal, got {gamma}")
    corners = np.array([[1, 1, 1], [1, -1, -1], [1, 1, -1], [1, -1, 1]], dtype=np.float64)
    phi = np.zeros((3, 4, 5))
    phi[0, :, :3] = corners
    phi[1, :, 3] = 1.0
    phi[2, :, 4] = 1.0
    M, G, B = np.eye(3)
    mu = np.stack(
        [M / 2 + G / 4 + B / 4, M / 4 - B / 4, M / 4 - G / 4, G, B], axis=1
    )  # (S, d): p(1, u, v) = mu0 + u mu1 + v mu2
    theta = np.array([0.5, 0.15, 0.15, 0.5, 0.0])
    return _feature_class(phi, mu, theta, gamma, f"variance_contrast_linear_mdp(gamma={gamma})")
