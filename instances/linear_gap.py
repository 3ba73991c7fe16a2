"""A hypercube-action hard linear MDP with a moderate number of actions.

The family of :func:`hypercube_gap_linear_mdp` is built on the lower-bound construction of
Zhou, Gu, Szepesvári (COLT 2021, arXiv:2012.08507, hard instance H1), which He, Zhao, Zhou, Gu
(ICML 2023, arXiv:2212.06132) cite for the ``Omega(d sqrt(H^3 K))`` lower bound on linear MDPs.
Two changes make it usable over a grid of dimensions up to d = 32 on a laptop:

* the feature dimension is the model's own ``d`` (``m = d - 2`` sign coordinates, one constant
  coordinate, one indicator of the rewarding state), so a learner's ``d`` is the ``d`` of the
  family;
* the actions are a seeded subset of ``n_actions`` sign vectors of ``{-1, +1}^m`` that always
  contains every stage's optimal vector, instead of all ``2**m`` of them.

Stages are ``h = 0..H-1`` in code and ``h + 1`` in the papers. The construction, the gap
formula and the optimal value are derived here (stated in the docstrings) rather than read from
the papers, whose instance is a linear mixture MDP with all ``2**(d-1)`` actions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from instances.linear import EscapeChain, _check_linear_size, _positive_int
from mdptheory.linear import LinearMDP
from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "MAX_GAP_DIMENSION",
    "HypercubeGapParameters",
    "hypercube_gap_action_gaps",
    "hypercube_gap_linear_mdp",
    "hypercube_gap_optimal_value",
    "hypercube_gap_parameters",
]

MAX_GAP_DIMENSION = 32
"""Largest feature dimension accepted (30 sign coordinates, drawn as integers)."""


@dataclass(frozen=True)
class HypercubeGapParameters:
    """Parameters of :func:`hypercube_gap_linear_mdp`.

    Attributes
    ----------
    d, H, K, n_actions : int
        Feature dimension, horizon, design budget and number of actions (``min(n_actions,
        2**(d-2))``).
    delta : float
        ``1 / H``, the escape probability of a neutral action.
    Delta : float
        ``sqrt(delta / K) / (4 sqrt 2)``, the escape-probability change per sign coordinate.
    signs : ndarray, shape (H, d - 2)
        ``theta_h / Delta`` in ``{-1, +1}^(d-2)`` (stage h = 0..H-1).
    actions : ndarray, shape (n_actions, d - 2)
        Action ``a`` is the sign vector ``actions[a]``; rows sorted by their binary code
        (``+1`` as bit 1, first coordinate most significant).
    optimal_actions : ndarray of int, shape (H,)
        Index of ``signs[h]`` in ``actions``: the unique optimal action at stages 0..H-2.
    wrong : ndarray of int, shape (H, n_actions)
        Number of coordinates of action ``a`` whose sign differs from ``signs[h]``.
    alpha, beta : float
        Feature scales ``(1 + m Delta)^(-1/2)`` and ``(Delta / (1 + m Delta))^(1/2)``, ``m = d -
        2``, so that every feature has norm 1.
    """

    d: int
    H: int
    K: int
    n_actions: int
    delta: float
    Delta: float
    signs: np.ndarray
    actions: np.ndarray
    optimal_actions: np.ndarray
    wrong: np.ndarray
    alpha: float
    beta: float


def _gap_sizes(d, H, K, n_actions) -> tuple[int, int, int, int, float, float]:
    d = _positive_int(d, "d", minimum=3, maximum=MAX_GAP_DIMENSION)
    H = _positive_int(H, "H", minimum=2)
    K = _positive_int(K, "K")
    n_actions = _positive_int(n_actions, "n_actions", minimum=2)
    m = d - 2
    n_actions = min(n_actions, 2**m)
    _check_linear_size("hypercube_gap_linear_mdp", H + 1, n_actions, H, d)
    delta = 1.0 / H
    Delta = math.sqrt(delta / K) / (4.0 * math.sqrt(2.0))
    if m * Delta > delta:
        raise ValueError(
            f"(d - 2) * Delta = {m * Delta!r} exceeds delta = 1/H = {delta!r}, so some "
            f"probability would be negative; accepted: K >= (d - 2)**2 * H / 32 = "
            f"{m * m * H / 32:g}"
        )
    return d, H, K, n_actions, delta, Delta


def _codes_to_signs(codes: np.ndarray, m: int) -> np.ndarray:
    bits = (codes[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1
    return np.where(bits == 1, 1.0, -1.0)


def hypercube_gap_parameters(
    d: int = 6, H: int = 3, K: int = 100, n_actions: int = 16, seed: SeedLike = 0
) -> HypercubeGapParameters:
    """Draw the signs and the action subset of :func:`hypercube_gap_linear_mdp`.

    The signs ``theta_h / Delta`` are uniform on ``{-1, +1}^(d-2)``, stage by stage. When
    ``2**(d-2) <= n_actions`` every sign vector is an action; otherwise the actions are the
    distinct stage-optimal vectors and further sign vectors drawn uniformly without
    replacement until there are ``n_actions``.

    Parameters
    ----------
    d : int
        Feature dimension, 3..32 (``d - 2`` sign coordinates).
    H : int
        Horizon, >= 2.
    K : int
        Design budget the gaps are set for; needs ``K >= (d-2)^2 H / 32``. A run may use more
        episodes than ``K``: the instance is then easier than the minimax one at that budget.
    n_actions : int
        Number of actions (>= 2; at most ``2**(d-2)`` are used); must be at least the number of
        distinct stage-optimal vectors (at most H).
    seed : int, SeedSequence or Generator
        Draws the signs, then the extra actions.

    Returns
    -------
    HypercubeGapParameters

    Raises
    ------
    ValueError
        On a size out of range, ``(d - 2) Delta > 1/H``, or fewer actions than distinct
        optimal vectors.

    Examples
    --------
    >>> p = hypercube_gap_parameters(d=6, H=3, K=100, n_actions=8, seed=0)
    >>> p.actions.shape, p.wrong[np.arange(3), p.optimal_actions].tolist()
    ((8, 4), [0, 0, 0])
    """
    d, H, K, n_actions, delta, Delta = _gap_sizes(d, H, K, n_actions)
    m = d - 2
    rng = as_generator(seed)
    signs = np.where(rng.random((H, m)) < 0.5, -1.0, 1.0)
    weights = 2 ** np.arange(m - 1, -1, -1, dtype=np.int64)
    optimal_codes = (signs > 0).astype(np.int64) @ weights
    if n_actions == 2**m:
        codes = np.arange(2**m, dtype=np.int64)
    else:
        chosen = set(int(code) for code in optimal_codes)
        if len(chosen) > n_actions:
            raise ValueError(
                f"n_actions is {n_actions}; the {len(chosen)} distinct stage-optimal sign "
                f"vectors do not fit: accepted n_actions >= {len(chosen)}"
            )
        # rejection sampling: 2**m > n_actions, so a draw is new with probability >= 1/2 on
        # average over the needed draws when n_actions <= 2**(m-1), and the loop ends
        while len(chosen) < n_actions:
            chosen.add(int(rng.integers(0, 2**m)))
        codes = np.array(sorted(chosen), dtype=np.int64)
    actions = _codes_to_signs(codes, m)
    optimal = np.searchsorted(codes, optimal_codes).astype(np.int64)
    wrong = (actions[None, :, :] != signs[:, None, :]).sum(axis=-1).astype(np.int64)
    c = m * Delta
    for array in (signs, actions, optimal, wrong):
        array.flags.writeable = False
    return HypercubeGapParameters(
        d=d,
        H=H,
        K=K,
        n_actions=n_actions,
        delta=delta,
        Delta=Delta,
        signs=signs,
        actions=actions,
        optimal_actions=optimal,
        wrong=wrong,
        alpha=float(1.0 / math.sqrt(1.0 + c)),
        beta=float(math.sqrt(Delta / (1.0 + c))),
    )


def hypercube_gap_linear_mdp(
    d: int = 6, H: int = 3, K: int = 100, n_actions: int = 16, seed: SeedLike = 0
) -> LinearMDP:
    """Hypercube-action hard linear MDP: escape to a rewarding state with probability
    ``delta + <a, theta_h>``.

    The construction (after Zhou, Gu, Szepesvári 2021, hard instance H1; the lower-bound family
    of He, Zhao, Zhou, Gu 2023 for linear MDPs):

    * States: chain states ``x_1..x_H`` (indices ``0..H-1``, start ``x_1``) and a rewarding
      absorbing state ``g`` (index ``H``) paying reward 1 at every stage; chain states pay 0.
    * Actions: sign vectors ``a in {-1, +1}^m``, ``m = d - 2`` (the seeded subset of
      :func:`hypercube_gap_parameters`).
    * At code stage ``h`` a chain state moves to ``g`` with probability ``delta + <a,
      theta_h>`` and to ``x_{h+2}`` otherwise (to ``x_H`` itself at the last stage, where the
      episode ends), with ``delta = 1/H``, ``theta_h in {-Delta, +Delta}^m`` and ``Delta =
      sqrt(delta / K) / (4 sqrt 2)`` (the formula of H1 with the design budget ``K``).
    * Features (dimension ``d``): ``phi(x_j, a) = (alpha, beta a, 0)``, ``phi(g, .) = e_{d-1}``;
      measures ``mu_h(x_{h+2}) = ((1 - delta)/alpha, -theta_h/beta, 0)``, ``mu_h(g) =
      (delta/alpha, theta_h/beta, 1)``; reward ``theta^r_h = e_{d-1}``. Then ``phi . mu_h``
      gives exactly the probabilities above, and ``||phi|| = 1``.

    Lower-bound order: for the full hypercube, Zhou et al. (2021, Theorem 5.6) show that any
    learner run for ``K`` episodes on the instance tuned to ``K`` has expected regret
    ``Omega(d H sqrt(T))``, ``T = K H`` (``d sqrt(H^3 K)``), for ``d >= 4``, ``H >= 3`` and
    ``K >= (d-1)^2 H / 2`` (recalled, not read: reconstructed). The subset of actions and the
    dimension shift are this library's; the subset keeps every optimal vector, so ``V*`` is the
    full hypercube's, but the lower bound is not claimed for the subset.

    Exact optimum (derived): with ``p* = delta + m Delta`` and ``q = 1 - p*``, ``V*_1(x_1) = H -
    (1 - q^H) / p*`` (:func:`hypercube_gap_optimal_value`), and an action with ``k`` wrong
    coordinates at stage ``h`` loses ``k 2 Delta (1 - q^(H-1-h)) / p*`` in ``Q*``
    (:func:`hypercube_gap_action_gaps`).

    Parameters
    ----------
    d, H, K, n_actions, seed
        As for :func:`hypercube_gap_parameters`.

    Returns
    -------
    LinearMDP
        ``S = H + 1``, ``A = min(n_actions, 2**(d-2))``, feature dimension ``d``, initial state
        ``x_1``.

    Examples
    --------
    >>> mdp = hypercube_gap_linear_mdp(d=6, H=3, K=100, n_actions=8, seed=0)
    >>> mdp.S, mdp.A, mdp.d, mdp.assumptions().holds
    (4, 8, 6, True)
    >>> from mdptheory.planning import backward_induction
    >>> v = backward_induction(mdp.tabular()).values[0, 0]
    >>> bool(abs(v - hypercube_gap_optimal_value(d=6, H=3, K=100)) < 1e-12)
    True
    """
    p = hypercube_gap_parameters(d, H, K, n_actions, seed)
    d, H, m = p.d, p.H, p.d - 2
    g = H
    phi = np.zeros((H + 1, p.n_actions, d))
    phi[:H, :, 0] = p.alpha
    phi[:H, :, 1 : m + 1] = p.beta * p.actions[None]
    phi[g, :, d - 1] = 1.0
    mu = np.zeros((H, H + 1, d))
    for h in range(H):
        theta_h = p.Delta * p.signs[h]
        nxt = min(h + 1, H - 1)
        mu[h, nxt, 0] = (1.0 - p.delta) / p.alpha
        mu[h, nxt, 1 : m + 1] = -theta_h / p.beta
        mu[h, g, 0] = p.delta / p.alpha
        mu[h, g, 1 : m + 1] = theta_h / p.beta
        mu[h, g, d - 1] = 1.0
    reward = np.zeros((H, d))
    reward[:, d - 1] = 1.0
    initial = np.zeros(H + 1)
    initial[0] = 1.0
    return LinearMDP(
        phi,
        mu,
        reward,
        initial=initial,
        name=f"hypercube_gap_linear_mdp(d={d}, H={H}, K={p.K}, n_actions={p.n_actions})",
    )


def _escape(d: int, H: int, K: int) -> EscapeChain:
    _, H, _, _, delta, Delta = _gap_sizes(d, H, K, 2)
    return EscapeChain(delta + (d - 2) * Delta, Delta, H)


def hypercube_gap_optimal_value(d: int = 6, H: int = 3, K: int = 100) -> float:
    """Exact ``V*_1(x_1) = H - (1 - q^H) / p*`` of :func:`hypercube_gap_linear_mdp` (derived).

    The optimal action escapes with probability ``p* = delta + (d-2) Delta``; the state is ``g``
    at code stage ``t`` with probability ``1 - q^t``, ``q = 1 - p*``, and ``g`` pays 1 per
    stage, so ``V* = sum_{t=1}^{H-1} (1 - q^t)``. Independent of the seed and of ``n_actions``.

    Examples
    --------
    >>> round(hypercube_gap_optimal_value(d=6, H=3, K=100), 6)
    0.98248
    """
    return _escape(d, H, K).optimal_value()


def hypercube_gap_action_gaps(
    d: int = 6, H: int = 3, K: int = 100, n_actions: int = 16, seed: SeedLike = 0
) -> np.ndarray:
    """Exact ``Q*_h(x, a*) - Q*_h(x, a)`` at the chain states, shape ``(H, A)`` (derived).

    ``Q*_h`` at a chain state is affine in the escape probability with slope the expected
    number of remaining stages spent in the chain, ``sum_{j < H-1-h} q^j``; an action with
    ``k`` wrong coordinates escapes ``2 k Delta`` less often, so it loses ``2 k Delta (1 -
    q^(H-1-h)) / p*``. Zero at the last stage (an escape there arrives after the episode).

    Examples
    --------
    >>> gaps = hypercube_gap_action_gaps(d=6, H=3, K=100, n_actions=8, seed=0)
    >>> gaps.shape, float(gaps[-1].max())
    ((3, 8), 0.0)
    """
    p = hypercube_gap_parameters(d, H, K, n_actions, seed)
    return _escape(d, H, K).loss_per_sign()[:, None] * p.wrong
