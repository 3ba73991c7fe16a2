"""Linear iterated-CVaR instances: the hard family of the ICVaR-L lower bound.

:func:`linear_icvar_hard_instance` is the lower-bound family of Chen, Du, Hu, Wang, Wu, Huang
(ICLR 2024, arXiv:2307.02842) **as reconstructed here** (the paper's construction was not read;
``docs/theory.md`` 6.4 records it as a guess [D]): Du, Wang, Huang's alpha-chain to a state
that is reached with probability ``alpha^(n-1)`` (their Figure 1, :func:`instances.risk.
du2023_hard_instance`), where the tabular bandit is replaced by a linear bandit on the
hypercube ``{-1, +1}^m`` (the construction of the linear-bandit and linear-MDP lower bounds,
Dani, Hayes, Kakade 2008; Zhou, Gu, Szepesvari 2021). The learner must find ``m`` signs
through the features, which is where the ``d`` of ``Omega(d sqrt(alpha^-(H-1) K))`` comes from.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_int, _check_size
from mdptheory.linear import LinearMDP

__all__ = ["hypercube_action", "linear_icvar_hard_instance"]

X_REWARDS = (1.0, 0.8, 0.2)
"""Per-step rewards of the absorbing states ``x_1, x_2, x_3`` (Du et al.'s Figure 1)."""


def hypercube_action(index: int, m: int) -> np.ndarray:
    """The corner ``a in {-1, +1}^m`` of action ``index``: bit ``i`` set gives ``a_i = +1``.

    Action 0 is ``(-1, ..., -1)`` and action ``2^m - 1`` is ``(+1, ..., +1)``.

    Examples
    --------
    >>> hypercube_action(2, 2).tolist()
    [-1.0, 1.0]
    """
    return np.array([1.0 if (index >> i) & 1 else -1.0 for i in range(m)])


def linear_icvar_hard_instance(
    n: int = 2,
    m: int = 2,
    H: int = 10,
    alpha: float = 0.2,
    eta: float = 0.01,
    optimal_action: int | None = None,
    spread: float = 0.2,
) -> LinearMDP:
    r"""The hard family of the ICVaR-L lower bound (reconstructed): an alpha-chain to a linear
    bandit on the hypercube.

    States ``s_1..s_n`` (indices ``0..n-1``) with reward 0 and absorbing ``x_1, x_2, x_3``
    (indices ``n, n+1, n+2``) with per-step rewards 1, 0.8 and 0.2, as in
    :func:`instances.risk.du2023_hard_instance`: every action moves ``s_1`` to
    ``(s_2, x_1, x_2, x_3)`` with probabilities ``(alpha, 1 - 3 alpha, alpha, alpha)`` and
    ``s_i`` to ``(s_{i+1}, x_1)`` with ``(alpha, 1 - alpha)``. The ``A = 2^m`` actions are the
    corners ``a`` of ``{-1, +1}^m`` (:func:`hypercube_action`). At the bandit state ``s_n``,
    with ``theta`` the corner of ``optimal_action``::

        P(x_3 | s_n, a) = alpha - eta (m + <a, theta>) / (2 m) = alpha - eta (m - w(a)) / m,
        P(x_2 | s_n, a) = 1 - P(x_3 | s_n, a),

    with ``w(a)`` the number of signs of ``a`` that differ from ``theta``: each wrong sign moves
    mass ``eta / m`` from ``x_2`` to ``x_3``; the best corner has the tabular instance's
    ``(1 - alpha + eta, alpha - eta)`` and the worst its ``(1 - alpha, alpha)``, so ``m = 1`` is
    :func:`instances.risk.du2023_hard_instance` with two actions. While ``eta < alpha (n - 1) /
    (3 (H - n))`` the exact iterated-CVaR gap of a corner at ``s_1`` is
    ``0.6 (eta / alpha) (H - n) w(a) / m``, linear in the wrong signs (the tabular instance's
    gap, derived in docs/risk.md, scaled by the mass moved).

    Features (``d = S - 1 + 1 + m``, ``||phi|| = 1``): the one-hot of the state for every
    state but ``s_n``, and ``phi(s_n, a) = (sqrt(1 - spread^2), spread a / sqrt(m))`` on the
    last ``1 + m`` coordinates, with the matching signed measures (Assumption A holds for the
    default parameters). Rewards are ``phi . theta_h`` (``theta_h`` is 1, 0.8, 0.2 on the
    coordinates of ``x_1, x_2, x_3``).

    Parameters
    ----------
    n : int
        Chain length (>= 2); ``s_n`` is reached at stage ``n - 1`` with probability
        ``alpha^(n-1)``.
    m : int
        Dimension of the hypercube (>= 1); ``A = 2^m`` actions.
    H : int
        Horizon (> n).
    alpha : float
        Risk level the family is built for, in (0, 1/3].
    eta : float
        Advantage of the best corner, in [0, alpha].
    optimal_action : int, optional
        Index of ``theta``; the last corner ``(+1, ..., +1)`` by default, so a learner breaking
        ties towards action 0 starts on the worst corner.
    spread : float
        Weight in (0, 1) of the corner in the bandit features. A small spread makes the corners
        nearly parallel: data on one corner then tell the ridge regression most of what every
        corner does, and what they leave unknown (the signs) is small in every direction, so
        the shrinkage of an unseen corner's estimate towards 0 is not what makes a learner try
        it; its bonus is.

    Returns
    -------
    LinearMDP

    Raises
    ------
    ValueError
        Naming the offending parameter and its value.

    Examples
    --------
    >>> mdp = linear_icvar_hard_instance(n=2, m=2, H=10, alpha=0.2, eta=0.01)
    >>> mdp.S, mdp.A, mdp.H, mdp.d
    (5, 4, 10, 7)
    >>> [round(float(mdp.P[1, 1, a, 4]), 3) for a in range(4)]     # P(x_3 | s_n, a)
    [0.2, 0.195, 0.195, 0.19]
    """
    family = "linear_icvar_hard_instance"
    n = _check_int(family, "n", n, 2)
    m = _check_int(family, "m", m, 1, 8)
    H = _check_int(family, "H", H, n + 1)
    alpha = _check_float(family, "alpha", alpha, 0.0, 1.0 / 3.0, low_open=True)
    eta = _check_float(family, "eta", eta, 0.0, alpha)
    spread = _check_float(family, "spread", spread, 0.0, 1.0, low_open=True, high_open=True)
    common = float(np.sqrt(1.0 - spread * spread))
    if common <= 0.0:
        raise ValueError(f"{family}: spread must lie in (0, 1), got {spread!r}")
    A = 2**m
    optimal_action = A - 1 if optimal_action is None else optimal_action
    optimal_action = _check_int(family, "optimal_action", optimal_action, 0, A - 1)
    S = n + 3
    _check_size(family, S, A, H, f"n={n}, m={m}")
    x1, x2, x3 = n, n + 1, n + 2
    bandit = n - 1
    # Coordinates: the one-hot of every state but s_n (S - 1 of them), then (1, a) at s_n.
    others = [s for s in range(S) if s != bandit]
    col = {s: i for i, s in enumerate(others)}
    d = S - 1 + 1 + m
    c0 = S - 1
    phi = np.zeros((S, A, d))
    for s in others:
        phi[s, :, col[s]] = 1.0
    for a in range(A):
        phi[bandit, a, c0] = common
        phi[bandit, a, c0 + 1 :] = spread * hypercube_action(a, m) / np.sqrt(m)
    # mu[s', i]: the next-state law of each coordinate's state (or of the bandit block).
    mu = np.zeros((S, d))
    # n >= 2, so s_1 is never the bandit state.
    mu[1, col[0]] = alpha
    mu[x1, col[0]] = 1.0 - 3.0 * alpha
    mu[x2, col[0]] = alpha
    mu[x3, col[0]] = alpha
    for i in range(1, n - 1):
        mu[i + 1, col[i]] = alpha
        mu[x1, col[i]] = 1.0 - alpha
    for x in (x1, x2, x3):
        mu[x, col[x]] = 1.0
    theta = hypercube_action(optimal_action, m)
    mu[x2, c0] = (1.0 - alpha + eta / 2.0) / common
    mu[x3, c0] = (alpha - eta / 2.0) / common
    # phi . mu adds eta <a, theta> / (2 m): the weight spread / sqrt(m) of a_i times
    # sqrt(m) eta theta_i / (2 m spread).
    mu[x2, c0 + 1 :] = np.sqrt(m) * eta * theta / (2.0 * m * spread)
    mu[x3, c0 + 1 :] = -np.sqrt(m) * eta * theta / (2.0 * m * spread)
    reward = np.zeros(d)
    for x, r in zip((x1, x2, x3), X_REWARDS, strict=True):
        reward[col[x]] = r
    initial = np.zeros(S)
    initial[0] = 1.0
    name = (
        f"linear_icvar_hard(n={n},m={m},H={H},alpha={alpha:g},eta={eta:g},"
        f"opt={optimal_action},spread={spread:g})"
    )
    return LinearMDP(
        phi,
        np.broadcast_to(mu, (H, S, d)).copy(),
        np.broadcast_to(reward, (H, d)).copy(),
        initial=initial,
        name=name,
    )
