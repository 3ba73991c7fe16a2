"""Linear and low-rank MDP families with exact tabular twins.

Every family returns a :class:`mdptheory.linear.LinearMDP` (or :class:`LowRankMDP`) whose
``.tabular()`` twin gives exact V*, Q*, gaps and regret. Stages are ``h = 0..H-1`` in code and
``h + 1`` in the papers. Random families take ``seed`` (int, SeedSequence or Generator) and draw
through :func:`mdptheory.seeding.as_generator`: the same seed gives the same instance bit for bit.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_memory, check_real, dense_bytes
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, model_keywords

__all__ = [
    "MisspecifiedLinearMDP",
    "ZhouGuSzepesvariParameters",
    "lure_linear_mdp",
    "misspecified_linear_mdp",
    "random_low_rank_mdp",
    "robust_route_linear_mdp",
    "sign_vectors",
    "simplex_feature_linear_mdp",
    "tabular_as_linear",
    "zhou_gu_szepesvari_gap",
    "zhou_gu_szepesvari_hard_instance",
    "zhou_gu_szepesvari_optimal_value",
    "zhou_gu_szepesvari_parameters",
]

MAX_SIGN_DIMENSION = 16
"""Largest number of sign coordinates enumerated (2**16 actions)."""


def _positive_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterTypeError(f"{name} must be an int, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        accepted = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} is {int(value)}; accepted values: {accepted}")
    return int(value)


def _check_linear_size(family: str, S: int, A: int, H: int, d: int) -> None:
    """Refuse before the features, measures and the induced kernel (H, S, A, S) with its
    tabular twin are allocated."""
    check_memory(
        2 * dense_bytes(H, S, A, S) + 2 * dense_bytes(H, S, A, d) + dense_bytes(H, S, d),
        f"{family}: the induced kernel P[h, s, a, s'] of shape "
        f"(H, S, A, S) = ({H}, {S}, {A}, {S}) and the features",
        f"S={S}, A={A}, H={H}, d={d}",
    )


def _linear_sizes(family: str, S, A, H, d) -> tuple[int, int, int, int]:
    """``S, A, H, d`` as ints >= 1, refused (naming the parameter) otherwise or when the model
    they describe would not fit in memory (:func:`_check_linear_size`)."""
    S, A, H, d = (
        _positive_int(value, name) for name, value in zip("SAHd", (S, A, H, d), strict=True)
    )
    _check_linear_size(family, S, A, H, d)
    return S, A, H, d


def sign_vectors(m: int) -> np.ndarray:
    """All ``2**m`` vectors of ``{-1, +1}^m`` as rows, in lexicographic order (-1 before +1).

    Examples
    --------
    >>> sign_vectors(2).tolist()
    [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    """
    m = _positive_int(m, "m", minimum=0, maximum=MAX_SIGN_DIMENSION)
    return np.array(list(itertools.product((-1.0, 1.0), repeat=m)), dtype=np.float64).reshape(
        2**m, m
    )


def tabular_as_linear(mdp: EpisodicMDP) -> LinearMDP:
    """A tabular MDP as a linear MDP with one-hot features (Jin et al. 2020, Example 2.1).

    ``d = S*A``, ``phi(s, a) = e_(s*A + a)``, ``mu_h^(s, a) = P_h(.|s, a)``, ``theta_h = r_h``.
    Assumption A holds with equality in the measure bound. The product ``phi . mu`` has one
    non-zero term, so the twin's kernel and rewards equal the original's bit for bit.

    Parameters
    ----------
    mdp : EpisodicMDP
        Any episodic MDP (a sparse or stationary kernel is expanded per stage).

    Returns
    -------
    LinearMDP
        Same initial distribution, noise, tolerance and name.

    Examples
    --------
    >>> import numpy as np
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), np.eye(2), H=3)
    >>> lin = tabular_as_linear(mdp)
    >>> lin.d, bool(np.array_equal(lin.tabular().P, np.broadcast_to(mdp.P, (3, 2, 2, 2))))
    (4, True)
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(f"mdp must be an EpisodicMDP, got {type(mdp).__name__}")
    S, A, H = mdp.S, mdp.A, mdp.H
    _check_linear_size("tabular_as_linear", S, A, H, S * A)
    phi = np.eye(S * A).reshape(S, A, S * A)
    # mu[h, s', (s, a)] = P_h(s' | s, a)
    mu = np.stack([mdp.transition(h).reshape(S * A, S).T for h in range(H)])
    theta = mdp.R.reshape(H, S * A)
    return LinearMDP(phi, mu, theta, **model_keywords(mdp))


def simplex_feature_linear_mdp(
    S: int = 10, A: int = 3, H: int = 5, d: int = 4, seed: SeedLike = 0
) -> LinearMDP:
    """A random linear MDP valid by construction: simplex features, distribution-valued mu.

    ``phi(s, a) ~ Dirichlet(1_d)`` lies in the probability simplex and each of the ``d`` measures
    ``mu_h^(i) ~ Dirichlet(1_S)`` is a distribution over states, so every ``P_h(.|s, a)`` is a
    mixture of distributions: the simplex-feature (soft state-aggregation) example of linear
    MDPs in Jin et al. (COLT 2020, arXiv:1907.05388), Section 2. ``theta_h ~ U[0, 1]^d`` makes every
    reward a convex combination of numbers in [0, 1]. Initial distribution uniform, rewards
    deterministic. Assumption A holds: ``||phi||_2 <= 1``, ``||theta_h||_2 <= sqrt(d)`` and the
    measure norm equals ``sqrt(d)``.

    Parameters
    ----------
    S, A, H, d : int
        States, actions, horizon and feature dimension (each >= 1).
    seed : int, SeedSequence or Generator
        Draws phi, then mu, then theta.

    Returns
    -------
    LinearMDP

    Examples
    --------
    >>> mdp = simplex_feature_linear_mdp(S=4, A=2, H=3, d=2, seed=1)
    >>> mdp.P.shape, mdp.assumptions().holds
    ((3, 4, 2, 4), True)
    """
    S, A, H, d = _linear_sizes("simplex_feature_linear_mdp", S, A, H, d)
    rng = as_generator(seed)
    phi = rng.dirichlet(np.ones(d), size=(S, A))
    # one Dirichlet draw per (h, i): a distribution over states, stored as mu[h, :, i]
    mu = rng.dirichlet(np.ones(S), size=(H, d)).transpose(0, 2, 1)
    theta = rng.random((H, d))
    return LinearMDP(phi, mu, theta, name=f"simplex_feature_linear_mdp(S={S}, A={A}, H={H}, d={d})")


@dataclass(frozen=True)
class MisspecifiedLinearMDP:
    """A true MDP and the nominal linear MDP it is zeta-close to.

    Attributes
    ----------
    linear : LinearMDP
        The nominal model ``(phi, mu, theta)``.
    mdp : EpisodicMDP
        The true model: ``P = (1 - zeta) P_lin + zeta Q`` and ``r = (1 - zeta) r_lin + zeta u``
        with a random kernel ``Q`` and random rewards ``u`` in [0, 1].
    zeta : float
        Mixing weight.
    transition_level : float
        ``max_{h, s, a} TV(P_h(.|s, a), phi(s, a) . mu_h(.))`` with the total-variation distance
        ``TV(p, q) = (1/2) ||p - q||_1``; equals ``zeta * max TV(Q, P_lin)``.
    reward_level : float
        ``max_{h, s, a} |r_h(s, a) - phi(s, a) . theta_h|``; equals ``zeta * max |u - r_lin|``.
    level : float
        ``max(transition_level, reward_level) <= zeta``: the model is a ``level``-approximate
        linear MDP in the sense of Assumption B of Jin et al. (2020).
    """

    linear: LinearMDP
    mdp: EpisodicMDP
    zeta: float
    transition_level: float
    reward_level: float
    level: float


def misspecified_linear_mdp(
    S: int = 10, A: int = 3, H: int = 5, d: int = 4, zeta: float = 0.1, seed: SeedLike = 0
) -> MisspecifiedLinearMDP:
    """A zeta-approximate linear MDP (Jin et al. 2020, Assumption B) with its exact level.

    The nominal model is :func:`simplex_feature_linear_mdp` with the same seed (drawn first, so
    ``.linear`` equals ``simplex_feature_linear_mdp(S, A, H, d, seed)`` for an int seed). Then a
    random kernel ``Q_h(.|s, a) ~ Dirichlet(1_S)`` and rewards ``u_h(s, a) ~ U[0, 1]`` are drawn,
    and the true model is the mixture

        P_h = (1 - zeta) phi . mu_h + zeta Q_h,    r_h = (1 - zeta) phi . theta_h + zeta u_h.

    Definition of the level: with ``TV(p, q) = (1/2) ||p - q||_1`` (the total-variation distance
    of probability vectors, at most 1),
    ``transition_level = max_{h,s,a} TV(P_h(.|s,a), phi(s,a) . mu_h)`` and
    ``reward_level = max_{h,s,a} |r_h(s,a) - phi(s,a) . theta_h|``. Since
    ``P_h - phi . mu_h = zeta (Q_h - phi . mu_h)``, ``transition_level = zeta max TV(Q_h, phi .
    mu_h) <= zeta`` and likewise ``reward_level = zeta max |u_h - phi . theta_h| <= zeta``.
    Under the measure-theoretic convention ``||nu||_TV = |nu|(S) = ||nu||_1`` the transition
    error is twice ``transition_level`` (at most ``2 zeta``).

    Parameters
    ----------
    S, A, H, d : int
        As for :func:`simplex_feature_linear_mdp`.
    zeta : float
        Mixing weight in [0, 1].
    seed : int, SeedSequence or Generator

    Returns
    -------
    MisspecifiedLinearMDP

    Examples
    --------
    >>> inst = misspecified_linear_mdp(S=4, A=2, H=2, d=2, zeta=0.2, seed=0)
    >>> 0.0 < inst.level <= inst.zeta
    True
    """
    zeta = check_real(zeta, "zeta", 0.0, 1.0)
    rng = as_generator(seed)
    linear = simplex_feature_linear_mdp(S, A, H, d, seed=rng)
    Q = rng.dirichlet(np.ones(linear.S), size=(linear.H, linear.S, linear.A))
    u = rng.random((linear.H, linear.S, linear.A))
    P = (1.0 - zeta) * linear.P + zeta * Q
    R = (1.0 - zeta) * linear.R + zeta * u
    mdp = EpisodicMDP(
        P,
        R,
        linear.H,
        initial=linear.initial,
        name=f"misspecified_linear_mdp(S={S}, A={A}, H={H}, d={d}, zeta={zeta})",
    )
    transition_level = zeta * 0.5 * float(np.abs(Q - linear.P).sum(axis=-1).max())
    reward_level = zeta * float(np.abs(u - linear.R).max())
    return MisspecifiedLinearMDP(
        linear=linear,
        mdp=mdp,
        zeta=zeta,
        transition_level=transition_level,
        reward_level=reward_level,
        level=max(transition_level, reward_level),
    )


@dataclass(frozen=True)
class ZhouGuSzepesvariParameters:
    """Parameters of the hard instance H1 (Zhou, Gu, Szepesvári, COLT 2021).

    Attributes
    ----------
    d, H, K : int
    delta : float
        ``1 / H``.
    Delta : float
        ``sqrt(delta / K) / (4 sqrt 2)``.
    signs : ndarray, shape (H, d - 1)
        ``mu_h / Delta`` in ``{-1, +1}^(d-1)`` (stage h = 0..H-1).
    actions : ndarray, shape (2**(d-1), d - 1)
        Action ``a`` is the sign vector ``actions[a]`` (see :func:`sign_vectors`).
    optimal_actions : ndarray of int, shape (H,)
        Index of ``sign(mu_h)``: the unique optimal action at stages 0..H-2 (at the last stage
        every action is optimal, see :func:`zhou_gu_szepesvari_gap`).
    alpha, beta : float
        Feature scales ``(1 + (d-1) Delta)^(-1/2)`` and ``(Delta / (1 + (d-1) Delta))^(1/2)``.
    """

    d: int
    H: int
    K: int
    delta: float
    Delta: float
    signs: np.ndarray
    actions: np.ndarray
    optimal_actions: np.ndarray
    alpha: float
    beta: float


def _zgs_check(d, H, K) -> tuple[int, int, int, float, float]:
    d = _positive_int(d, "d", minimum=2, maximum=MAX_SIGN_DIMENSION + 1)
    H = _positive_int(H, "H", minimum=2)
    K = _positive_int(K, "K")
    _check_linear_size("zhou_gu_szepesvari_hard_instance", H + 2, 2 ** (d - 1), H, d + 2)
    delta = 1.0 / H
    Delta = np.sqrt(delta / K) / (4.0 * np.sqrt(2.0))
    if (d - 1) * Delta > delta:
        raise ValueError(
            f"(d - 1) * Delta = {(d - 1) * Delta!r} exceeds delta = 1/H = {delta!r}"
            f", so some probability would be negative; accepted: "
            f"K >= (d - 1)**2 * H / 32 = {(d - 1) ** 2 * H / 32:g}"
        )
    return d, H, K, float(delta), float(Delta)


def zhou_gu_szepesvari_parameters(
    d: int = 4, H: int = 3, K: int = 1000, seed: SeedLike = 0
) -> ZhouGuSzepesvariParameters:
    """Draw the parameters of hard instance H1: ``mu_h`` uniform on ``{-Delta, +Delta}^(d-1)``.

    Parameters
    ----------
    d : int
        Dimension of the paper (2..17 accepted; the lower bound needs d >= 4).
    H : int
        Horizon (>= 2; the lower bound needs H >= 3).
    K : int
        Number of episodes the instance is tuned to; needs ``K >= (d-1)^2 H / 32``.
    seed : int, SeedSequence or Generator
        Draws the signs, stage by stage.

    Returns
    -------
    ZhouGuSzepesvariParameters

    Examples
    --------
    >>> p = zhou_gu_szepesvari_parameters(d=3, H=3, K=100, seed=0)
    >>> p.signs.shape, p.actions.shape
    ((3, 2), (4, 2))
    """
    d, H, K, delta, Delta = _zgs_check(d, H, K)
    rng = as_generator(seed)
    signs = np.where(rng.random((H, d - 1)) < 0.5, -1.0, 1.0)
    actions = sign_vectors(d - 1)
    # index of a sign vector in lexicographic order: bits with +1 -> 1, most significant first
    weights = 2 ** np.arange(d - 2, -1, -1)
    optimal = ((signs > 0).astype(np.int64) @ weights).astype(np.int64)
    c = (d - 1) * Delta
    for array in (signs, actions, optimal):
        array.flags.writeable = False
    return ZhouGuSzepesvariParameters(
        d=d,
        H=H,
        K=K,
        delta=delta,
        Delta=float(Delta),
        signs=signs,
        actions=actions,
        optimal_actions=optimal,
        alpha=float(1.0 / np.sqrt(1.0 + c)),
        beta=float(np.sqrt(Delta / (1.0 + c))),
    )


def zhou_gu_szepesvari_hard_instance(
    d: int = 4, H: int = 3, K: int = 1000, seed: SeedLike = 0
) -> LinearMDP:
    """Hard instance H1 of Zhou, Gu, Szepesvári (COLT 2021, arXiv:2012.08507) as a linear MDP.

    The construction behind the paper's ``Omega(d H sqrt(T))`` lower bound for linear mixture
    MDPs, which He, Zhao, Zhou, Gu (ICML 2023, arXiv:2212.06132) cite for linear MDPs:

    * States ``x_1..x_{H+2}`` are indices ``0..H+1``; the episode starts in ``x_1``. At paper
      stage ``h`` (code ``h - 1``) the live state is ``x_h``; ``x_{H+1}`` (index H) and
      ``x_{H+2}`` (index H+1) are absorbing.
    * Actions ``{-1, +1}^(d-1)`` (``2**(d-1)`` of them, ordered as :func:`sign_vectors`).
    * ``delta = 1/H``, ``Delta = sqrt(delta/K) / (4 sqrt 2)``, ``mu_h in {-Delta, +Delta}^(d-1)``
      drawn from ``seed``.
    * ``P_h(x_{h+1} | x_h, a) = 1 - delta - <mu_h, a>``, ``P_h(x_{H+2} | x_h, a) = delta +
      <mu_h, a>``; reward 1 in ``x_{H+2}``, 0 elsewhere.

    Linear-MDP embedding in dimension ``d + 2`` (coordinates: constant, the ``d - 1`` action
    signs, then indicators of ``x_{H+1}`` and ``x_{H+2}``), with the scales ``alpha``, ``beta`` of
    the paper's linear-mixture features:

    * ``phi(x_j, a) = (alpha, beta a, 0, 0)`` for every chain state ``j <= H``,
      ``phi(x_{H+1}, .) = e_{d+1}``, ``phi(x_{H+2}, .) = e_{d+2}``;
    * ``mu_h(x_{h+1}) = ((1 - delta)/alpha, -mu_h/beta, 0, 0)``,
      ``mu_h(x_{H+2}) = (delta/alpha, mu_h/beta, 0, 1)``, ``mu_h(x_{H+1}) += e_{d+1}`` (at the last
      stage ``x_{h+1} = x_{H+1}`` and both terms add); ``theta_h = e_{d+2}``.

    Chain states other than ``x_h`` share its features, so at stage ``h`` they move like ``x_h``
    (to ``x_{h+1}`` or ``x_{H+2}``): a valid distribution, exactly linear, and unreachable from
    ``x_1``, so values from the start state are those of the paper's chain. (Sending them to
    ``x_{H+1}`` instead would need state-specific features and a dimension growing with H.)
    With ``alpha^2 + (d-1) beta^2 = 1`` the feature norms are exactly 1; the measure bound of
    Assumption A holds when ``(1 + c)(1 + 4c) <= d`` with ``c = (d-1) Delta`` (always for
    d >= 4, H >= 3); see ``.assumptions()``. The embedding and this norm condition are derived in
    docs/instances.md, not taken from the paper (which states the instance as a linear mixture
    MDP).

    Parameters
    ----------
    d, H, K, seed
        As for :func:`zhou_gu_szepesvari_parameters`; raises ValueError when
        ``(d - 1) Delta > delta``.

    Returns
    -------
    LinearMDP
        ``S = H + 2``, ``A = 2**(d-1)``, feature dimension ``d + 2``, initial state ``x_1``.

    Examples
    --------
    >>> mdp = zhou_gu_szepesvari_hard_instance(d=4, H=3, K=1000, seed=0)
    >>> mdp.S, mdp.A, mdp.d, mdp.assumptions().holds
    (5, 8, 6, True)
    """
    p = zhou_gu_szepesvari_parameters(d, H, K, seed)
    d, H = p.d, p.H
    n_states, dim = H + 2, d + 2
    end, reward_state = H, H + 1
    n_actions = p.actions.shape[0]
    phi = np.zeros((n_states, n_actions, dim))
    phi[:H, :, 0] = p.alpha
    phi[:H, :, 1:d] = p.beta * p.actions[None]
    phi[end, :, d] = 1.0
    phi[reward_state, :, d + 1] = 1.0
    mu = np.zeros((H, n_states, dim))
    for h in range(H):
        mu_h = p.Delta * p.signs[h]
        mu[h, h + 1, 0] += (1.0 - p.delta) / p.alpha
        mu[h, h + 1, 1:d] -= mu_h / p.beta
        mu[h, reward_state, 0] = p.delta / p.alpha
        mu[h, reward_state, 1:d] = mu_h / p.beta
        mu[h, reward_state, d + 1] = 1.0
        mu[h, end, d] += 1.0
    theta = np.zeros((H, dim))
    theta[:, d + 1] = 1.0
    initial = np.zeros(n_states)
    initial[0] = 1.0
    return LinearMDP(
        phi,
        mu,
        theta,
        initial=initial,
        name=f"zhou_gu_szepesvari_hard_instance(d={d}, H={H}, K={p.K})",
    )


def _one_minus_power_over(p: float, m: int) -> float:
    """``(1 - (1 - p)^m) / p`` computed without cancellation (``= sum_{j<m} (1-p)^j``)."""
    if m == 0:
        return 0.0
    if p >= 1.0:  # q = 0: only the j = 0 term (reached at H = 2 on the validity boundary)
        return 1.0
    return float(-np.expm1(m * np.log1p(-p)) / p)


@dataclass(frozen=True)
class EscapeChain:
    """The exact values of a chain escaped with probability ``p_star`` per stage (derived).

    The shape of hard instance H1 (:func:`zhou_gu_szepesvari_hard_instance`) and of
    :func:`instances.linear_gap.hypercube_gap_linear_mdp`: the state leaves the chain for a
    state paying 1 per stage with probability ``p* = p_star`` under the optimal action, and
    with ``2 Delta`` less per sign coordinate of the wrong sign; ``q = 1 - p*``.

    Examples
    --------
    >>> chain = EscapeChain(p_star=0.5, Delta=0.1, H=3)
    >>> chain.optimal_value(), chain.loss_per_sign().tolist()
    (1.25, [0.30000000000000004, 0.2, 0.0])
    """

    p_star: float
    Delta: float
    H: int

    def optimal_value(self) -> float:
        """``V*_1(x_1) = H - (1 - q^H) / p*``: the state pays from code stage ``t`` on with
        probability ``1 - q^t``."""
        return float(self.H - _one_minus_power_over(self.p_star, self.H))

    def loss_per_sign(self) -> np.ndarray:
        """``2 Delta (1 - q^(H-1-h)) / p*`` for each code stage ``h``, shape (H,): the Q-value
        lost per wrong sign coordinate (``Q*_h`` is affine in the escape probability with slope
        ``sum_{j < H-1-h} q^j``, the expected number of remaining stages in the chain)."""
        return np.array(
            [
                2.0 * self.Delta * _one_minus_power_over(self.p_star, self.H - 1 - h)
                for h in range(self.H)
            ]
        )


def _zgs_escape(d: int, H: int, K: int) -> EscapeChain:
    d, H, K, delta, Delta = _zgs_check(d, H, K)
    return EscapeChain(delta + (d - 1) * Delta, Delta, H)


def zhou_gu_szepesvari_gap(d: int = 4, H: int = 3, K: int = 1000) -> np.ndarray:
    """Exact Q-value loss per wrong sign coordinate at the live state of each stage of H1.

    With ``p* = delta + (d-1) Delta`` (the optimal escape probability) and ``q = 1 - p*``, an
    action with ``k`` coordinates of the wrong sign at code stage ``h`` has

        Q*_h(x_{h+1}, a*) - Q*_h(x_{h+1}, a) = k * 2 Delta (1 - q^(H-1-h)) / p*

    (derived: ``Q*_h`` is affine in the escape probability with slope ``(H-1-h) - V*_{h+1}`` =
    the expected number of remaining stages spent in the chain, ``sum_{j < H-1-h} q^j``). The
    loss is 0 at the last stage: reward is earned in ``x_{H+2}``, and an escape at the last step
    arrives after the episode ends. Independent of the signs (by symmetry) and of the seed.

    Parameters
    ----------
    d, H, K : int
        As for :func:`zhou_gu_szepesvari_hard_instance`.

    Returns
    -------
    ndarray, shape (H,)

    Examples
    --------
    >>> float(zhou_gu_szepesvari_gap(d=4, H=3, K=1000)[-1])
    0.0
    """
    return _zgs_escape(d, H, K).loss_per_sign()


def zhou_gu_szepesvari_optimal_value(d: int = 4, H: int = 3, K: int = 1000) -> float:
    """Exact ``V*_1(x_1) = H - (1 - q^H) / p*`` of hard instance H1 (derived; notation of
    :func:`zhou_gu_szepesvari_gap`): the state is ``x_{H+2}`` at code stage ``t`` with
    probability ``1 - q^t``.

    Examples
    --------
    >>> round(zhou_gu_szepesvari_optimal_value(d=4, H=3, K=1000), 6)
    0.911388
    """
    return _zgs_escape(d, H, K).optimal_value()


def random_low_rank_mdp(
    S: int = 10, A: int = 3, H: int = 5, d: int = 3, seed: SeedLike = 0
) -> LowRankMDP:
    """A random low-rank MDP with stage-dependent latent-variable factors.

    ``P_h(s'|s, a) = sum_i phi_h(s, a)_i psi_h^(i)(s')`` with ``phi_h(s, a) ~ Dirichlet(1_d)``
    (a distribution over ``d`` latent states) and each ``psi_h^(i) ~ Dirichlet(1_S)`` (a
    distribution over next states): the latent-variable form of a low-rank MDP (e.g. Agarwal,
    Kakade, Krishnamurthy, Sun, FLAMBE, NeurIPS 2020), valid by construction and of rank at most
    ``min(d, S)`` at each stage (exactly that, almost surely, when ``d <= min(S, S*A)``).
    Rewards ``U[0, 1]``, drawn independently of the features (no reward realisability); initial
    distribution uniform.

    Parameters
    ----------
    S, A, H, d : int
        Each >= 1.
    seed : int, SeedSequence or Generator
        Draws phi, then psi, then the rewards.

    Returns
    -------
    LowRankMDP

    Examples
    --------
    >>> random_low_rank_mdp(S=6, A=2, H=2, d=3, seed=0).rank.tolist()
    [3, 3]
    """
    S, A, H, d = _linear_sizes("random_low_rank_mdp", S, A, H, d)
    rng = as_generator(seed)
    phi = rng.dirichlet(np.ones(d), size=(H, S, A))
    psi = rng.dirichlet(np.ones(S), size=(H, d)).transpose(0, 2, 1)
    reward = rng.random((H, S, A))
    return LowRankMDP(phi, psi, reward, name=f"random_low_rank_mdp(S={S}, A={A}, H={H}, d={d})")


def lure_linear_mdp(
    p_safe: float = 0.65,
    p_decoy: float = 0.6,
    p_lure: float = 0.5,
    alpha: float = 0.7,
    start: float = 0.8,
) -> LinearMDP:
    """A linear MDP where greedy offline LSVI is lured by an uncovered action (PEVI's failure
    mode check, Jin, Yang, Wang 2021): with data that never takes the lure, the ridge estimate of
    the lure's value is optimistic and greedy LSVI takes it; pessimism does not.

    States ``x0 = 0``, ``x_hi = 1``, ``G = 2``, ``B = 3``; actions at ``x0``: decoy 0, safe 1,
    lure 2 (all actions of the other states share their state's feature); H = 2; d = 6 with
    coordinates ``(e_decoy, e_safe, e_hi, e_G, e_B, e_u)``. ``P_0(G | x0, a)`` is ``p_decoy``,
    ``p_safe``, ``p_lure``; ``x_hi`` goes to G; the reward is 1 in G at stage 1 (code), 0
    elsewhere. ``phi(x0, lure) = alpha (e_hi + e_u)`` and
    ``mu_0(., e_u) = (p_lure / alpha - 1) delta_G + ((1 - p_lure) / alpha) delta_B``.

    Parameters
    ----------
    p_safe, p_decoy, p_lure : float
        Probabilities of reaching G; need ``p_decoy < p_safe < alpha`` for the lure to fool
        greedy LSVI and ``p_lure < p_safe`` for it to be bad.
    alpha : float
        Lure feature scale, ``alpha <= 1/sqrt(2)`` (so ``||phi|| <= 1``).
    start : float
        Probability of starting in ``x0`` (the rest starts in ``x_hi``).

    Examples
    --------
    >>> model = lure_linear_mdp()
    >>> model.assumptions().holds, model.P[0, 0, 2, 2].round(12)
    (True, np.float64(0.5))
    """
    for name, value in (
        ("p_safe", p_safe),
        ("p_decoy", p_decoy),
        ("p_lure", p_lure),
        ("start", start),
    ):
        if not (0.0 <= value <= 1.0):
            raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    if not (0.0 < alpha <= 1.0 / math.sqrt(2.0)):
        raise ValueError(f"alpha must lie in (0, 1/sqrt(2)], got {alpha!r}")
    S, A, H, d = 4, 3, 2, 6
    x0, hi, g, b = 0, 1, 2, 3
    phi = np.zeros((S, A, d))
    phi[x0, 0, 0] = 1.0
    phi[x0, 1, 1] = 1.0
    phi[x0, 2, 2] = alpha
    phi[x0, 2, 5] = alpha
    phi[hi, :, 2] = 1.0
    phi[g, :, 3] = 1.0
    phi[b, :, 4] = 1.0
    mu = np.zeros((H, S, d))
    mu[0, g, 0], mu[0, b, 0] = p_decoy, 1.0 - p_decoy
    mu[0, g, 1], mu[0, b, 1] = p_safe, 1.0 - p_safe
    mu[0, g, 2] = 1.0
    mu[0, g, 3] = 1.0
    mu[0, b, 4] = 1.0
    # alpha (mu_hi + mu_u) must be the lure's kernel p_lure delta_G + (1 - p_lure) delta_B.
    mu[0, g, 5] = p_lure / alpha - 1.0
    mu[0, b, 5] = (1.0 - p_lure) / alpha
    # The last stage's kernel does not affect values; any valid one will do.
    mu[1, g, :5] = 1.0
    mu[1, g, 5] = 1.0 / alpha - 1.0
    theta = np.zeros((H, d))
    theta[1, 3] = 1.0
    initial = np.array([start, 1.0 - start, 0.0, 0.0])
    return LinearMDP(
        phi,
        mu,
        theta,
        initial=initial,
        name=f"lure_linear_mdp(p_safe={p_safe:g}, p_decoy={p_decoy:g}, "
        f"p_lure={p_lure:g}, alpha={alpha:g})",
    )


ROUTE_LINEAR_STATES = ("start", "fast", "safe", "goal", "safe_goal", "crashed")
"""State names of :func:`robust_route_linear_mdp` (action 0 takes the fast road at the start)."""


def robust_route_linear_mdp(crash_prob: float = 0.1, safe_reward: float = 0.8) -> LinearMDP:
    """The safe-versus-fast choice as a d-rectangular linear MDP (simplex features), H = 3.

    Stage 0 at ``start``: action 0 goes to ``fast``, action 1 to ``safe``. Stage 1: ``fast``
    reaches ``goal`` with probability ``1 - p`` and ``crashed`` with ``p = crash_prob``;
    ``safe`` reaches ``safe_goal`` surely. Stage 2 pays 1 in ``goal``, ``safe_reward`` in
    ``safe_goal``, 0 in ``crashed``. Features are one-hot on seven factors (``start`` has one
    per action, every other state one shared by both actions), so every factor
    ``mu_{h, i}`` is a distribution and the d-rectangular set perturbs the fast road's
    factor ``(1 - p) delta_goal + p delta_crashed`` while every other factor is a point mass.

    Nominal values at the start: fast ``1 - p``, safe ``q = safe_reward``; the nominal optimum
    is fast iff ``1 - p > q``. Under the KL penalty ``lam`` (d-rectangular RRMDP) the fast road
    is worth ``-lam log((1 - p) e^{-1 / lam} + p)`` and the safe road ``q`` (a point mass is not
    moved by a support-preserving divergence), so for the defaults (``p = 0.1``, ``q = 0.8``)
    the robust optimum is safe for ``lam = 0.3`` (fast worth 0.607).

    Examples
    --------
    >>> model = robust_route_linear_mdp()
    >>> model.d, model.H, model.P[1, 1, 0].round(12).tolist()
    (7, 3, [0.0, 0.0, 0.0, 0.9, 0.0, 0.1])
    """
    p = check_real(crash_prob, "crash_prob", 0.0, 1.0)
    q = check_real(safe_reward, "safe_reward", 0.0, 1.0)
    start, fast, safe, goal, safe_goal, crashed = range(6)
    S, A, H, d = 6, 2, 3, 7
    phi = np.zeros((S, A, d))
    phi[start, 0, 0] = phi[start, 1, 1] = 1.0
    for s, i in ((fast, 2), (safe, 3), (goal, 4), (safe_goal, 5), (crashed, 6)):
        phi[s, :, i] = 1.0
    factor = np.zeros((S, d))
    factor[fast, 0] = 1.0
    factor[safe, 1] = 1.0
    factor[goal, 2], factor[crashed, 2] = 1.0 - p, p
    factor[safe_goal, 3] = 1.0
    factor[goal, 4] = factor[safe_goal, 5] = factor[crashed, 6] = 1.0
    mu = np.repeat(factor[None], H, axis=0)
    theta = np.zeros((H, d))
    theta[2, 4], theta[2, 5] = 1.0, q
    initial = np.zeros(S)
    initial[start] = 1.0
    name = f"robust_route_linear_mdp(crash_prob={p:g}, safe_reward={q:g})"
    return LinearMDP(phi, mu, theta, initial=initial, name=name)
