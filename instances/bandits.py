"""Bandit families: K-armed Bernoulli and Gaussian, lower-bound instances, linear and
log-linear feature bandits for policy-gradient theory.

The feature-condition predicates :func:`npg_rank_preserved` and :func:`softmax_pg_conditions`
delegate to :mod:`mdptheory.policy_conditions` (one implementation, usable by learners, which may
not import this catalogue); :func:`projected_rewards` is re-exported from there.
"""

from __future__ import annotations

import numpy as np

from instances.linear import MAX_SIGN_DIMENSION, _positive_int, sign_vectors
from mdptheory import policy_conditions
from mdptheory._validation import ParameterTypeError, check_memory, dense_bytes
from mdptheory.bandits import Bandit, FeatureBandit, LinearBandit
from mdptheory.policy_conditions import SoftmaxPGConditions, projected_rewards
from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "PG_FEATURE_CONDITIONS",
    "SoftmaxPGConditions",
    "bernoulli_bandit",
    "gaussian_bandit",
    "hypercube_linear_bandit",
    "npg_rank_preserved",
    "one_good_arm_alternative",
    "one_good_arm_bandit",
    "pg_feature_bandit",
    "projected_rewards",
    "random_feature_bandit",
    "softmax_pg_conditions",
]


def _int_at_least(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """:func:`instances.linear._positive_int`, and for ``K`` the memory of ``K`` arms."""
    number = _positive_int(value, name, minimum, maximum)
    if name == "K":
        check_memory(8 * dense_bytes(number), f"a bandit with K = {number} arms", f"K={value}")
    return number


def _positive_float(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise ParameterTypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} is {value!r}; accepted values: finite and > 0")
    return value


def _gaussian_arms(K, gap, sigma) -> tuple[int, float, float]:
    """The number of Gaussian arms (>= 2), the gap (> 0) and the noise level (> 0), checked."""
    return _int_at_least(K, "K", 2), _positive_float(gap, "gap"), _positive_float(sigma, "sigma")


def _gap_means(
    K: int, gap: float, best_mean: float, spread: bool, seed: SeedLike | None
) -> np.ndarray:
    """Arm 0 best; the others ``best_mean - gap`` or, spread, ``best_mean - i * gap``; then a
    random relabelling of the arms when a seed is given."""
    steps = np.arange(K, dtype=np.float64) if spread else (np.arange(K) > 0).astype(np.float64)
    means = best_mean - gap * steps
    if seed is not None:
        means = means[as_generator(seed).permutation(K)]
    return means


def bernoulli_bandit(
    K: int = 10,
    gap: float = 0.1,
    best_mean: float = 0.6,
    seed: SeedLike | None = None,
    *,
    spread: bool = False,
) -> Bandit:
    """K-armed Bernoulli bandit with one best arm and a controlled gap.

    Arm means: ``best_mean`` for the best arm and ``best_mean - gap`` for every other arm, or,
    with ``spread=True``, evenly spread gaps ``gap, 2 gap, ..., (K-1) gap``. The instances of the
    finite-armed regret bounds (Lattimore and Szepesvári, *Bandit Algorithms*, 2020, ch. 7 and
    16) and of the stochastic gradient bandit analysis (Mei et al., ICML 2024, arXiv:2402.17235).

    Parameters
    ----------
    K : int
        Number of arms, >= 2.
    gap : float
        Smallest gap ``Delta_min > 0``.
    best_mean : float
        Mean of the best arm; every mean must stay in [0, 1].
    seed : int, SeedSequence, Generator or None
        ``None`` (default): the best arm is arm 0 and the means are non-increasing. Otherwise
        the arms are relabelled by a random permutation drawn from ``seed``.
    spread : bool
        Evenly spread gaps instead of equal ones.

    Returns
    -------
    Bandit

    Examples
    --------
    >>> bernoulli_bandit(K=3, gap=0.2, best_mean=0.5).means.tolist()
    [0.5, 0.3, 0.3]
    >>> bernoulli_bandit(K=3, gap=0.2, best_mean=0.5, spread=True).means.round(12).tolist()
    [0.5, 0.3, 0.1]
    """
    K = _int_at_least(K, "K", 2)
    gap = _positive_float(gap, "gap")
    best_mean = float(best_mean)
    lowest = best_mean - gap * ((K - 1) if spread else 1)
    if not (0.0 <= best_mean <= 1.0) or lowest < 0.0:
        raise ValueError(
            f"means would range over [{lowest!r}, {best_mean!r}]; Bernoulli means "
            "must lie in [0, 1]: accepted are 0 <= best_mean <= 1 and "
            "best_mean - gap * (K - 1 if spread else 1) >= 0"
        )
    means = _gap_means(K, gap, best_mean, spread, seed)
    return Bandit(
        means,
        noise="bernoulli",
        name=f"bernoulli_bandit(K={K}, gap={gap}, best_mean={best_mean}"
        f"{', spread' if spread else ''})",
    )


def gaussian_bandit(
    K: int = 10,
    gap: float = 0.1,
    sigma: float = 1.0,
    *,
    best_mean: float = 0.0,
    spread: bool = False,
    seed: SeedLike | None = None,
) -> Bandit:
    """K-armed Gaussian bandit (noise ``N(0, sigma^2)``) with one best arm.

    Means ``best_mean`` and ``best_mean - gap`` (or evenly spread gaps with ``spread=True``), as
    in :func:`bernoulli_bandit`; any real means are allowed. Reference: Lattimore and
    Szepesvári (2020), ch. 7 (UCB on 1-sub-Gaussian bandits).

    Parameters
    ----------
    K : int
        Number of arms, >= 2.
    gap : float
        Smallest gap, > 0.
    sigma : float
        Noise standard deviation, > 0.
    best_mean : float
        Mean of the best arm.
    spread : bool
        Evenly spread gaps.
    seed : int, SeedSequence, Generator or None
        Random relabelling of the arms (``None``: best arm first).

    Returns
    -------
    Bandit

    Examples
    --------
    >>> bandit = gaussian_bandit(K=3, gap=0.5, sigma=2.0)
    >>> bandit.means.tolist(), bandit.noise.sigma
    ([0.0, -0.5, -0.5], 2.0)
    """
    K, gap, sigma = _gaussian_arms(K, gap, sigma)
    best_mean = float(best_mean)
    if not np.isfinite(best_mean):
        raise ValueError(f"best_mean is {best_mean!r}; accepted values: finite reals")
    means = _gap_means(K, gap, best_mean, spread, seed)
    return Bandit(
        means, noise=("gaussian", sigma), name=f"gaussian_bandit(K={K}, gap={gap}, sigma={sigma})"
    )


def one_good_arm_bandit(K: int = 10, gap: float = 0.1, sigma: float = 1.0) -> Bandit:
    """Hard instance H4: Gaussian bandit with means ``(gap, 0, ..., 0)``.

    The first instance of the minimax lower bound ``R_n >= (1/27) sqrt((K-1) n)`` for
    ``n >= K - 1`` (Lattimore and Szepesvári 2020, Theorem 15.2, with ``gap`` of order
    ``sqrt((K-1)/n)``); the alternative is :func:`one_good_arm_alternative`. The theorem uses
    unit variance (``sigma = 1``).

    Parameters
    ----------
    K : int
        Number of arms, >= 2.
    gap : float
        ``Delta > 0``.
    sigma : float
        Noise standard deviation, > 0.

    Returns
    -------
    Bandit

    Examples
    --------
    >>> one_good_arm_bandit(K=3, gap=0.2).means.tolist()
    [0.2, 0.0, 0.0]
    """
    K, gap, sigma = _gaussian_arms(K, gap, sigma)
    means = np.zeros(K)
    means[0] = gap
    return Bandit(
        means,
        noise=("gaussian", sigma),
        name=f"one_good_arm_bandit(K={K}, gap={gap}, sigma={sigma})",
    )


def one_good_arm_alternative(
    K: int = 10, gap: float = 0.1, sigma: float = 1.0, arm: int = 1
) -> Bandit:
    """The alternative of H4: means ``(gap, 0, ..., 2 gap at arm, ..., 0)``.

    In the proof of Lattimore and Szepesvári (2020), Theorem 15.2, ``arm`` is the arm the policy
    pulls least in expectation on :func:`one_good_arm_bandit`; the two instances differ only
    there, and ``arm`` is optimal in this one.

    Parameters
    ----------
    K, gap, sigma
        As for :func:`one_good_arm_bandit`.
    arm : int
        In ``1..K-1``.

    Returns
    -------
    Bandit

    Examples
    --------
    >>> one_good_arm_alternative(K=3, gap=0.2, arm=2).means.tolist()
    [0.2, 0.0, 0.4]
    """
    K, gap, sigma = _gaussian_arms(K, gap, sigma)
    arm = _int_at_least(arm, "arm", 1, K - 1)
    means = np.zeros(K)
    means[0] = gap
    means[arm] = 2.0 * gap
    return Bandit(
        means,
        noise=("gaussian", sigma),
        name=f"one_good_arm_alternative(K={K}, gap={gap}, sigma={sigma}, arm={arm})",
    )


def hypercube_linear_bandit(d: int = 4, n: int = 1000, seed: SeedLike = 0) -> LinearBandit:
    """Hard instance H2: the hypercube linear bandit of Lattimore and Szepesvári, Theorem 24.1.

    Arms are the ``2**d`` corners of ``[-1, 1]^d`` (ordered as
    :func:`instances.linear.sign_vectors`), ``theta`` is drawn uniformly from
    ``{-n^(-1/2), +n^(-1/2)}^d`` and the noise is standard Gaussian. For every policy some
    ``theta`` in that set gives ``R_n >= exp(-2)/8 * d sqrt(n)`` (Theorem 24.1, stated for the
    whole cube; a policy restricted to the corners is one of the policies it covers, so the bound
    applies). The optimal arm is ``sign(theta)`` and every wrong coordinate adds
    ``2 / sqrt(n)`` to the gap.

    Parameters
    ----------
    d : int
        Dimension, 1..16.
    n : int
        Horizon the instance is tuned to, >= 1.
    seed : int, SeedSequence or Generator
        Draws the signs of theta.

    Returns
    -------
    LinearBandit

    Examples
    --------
    >>> bandit = hypercube_linear_bandit(d=3, n=100, seed=0)
    >>> bandit.K, round(float(bandit.optimal_mean), 12)
    (8, 0.3)
    """
    d = _int_at_least(d, "d", 1, MAX_SIGN_DIMENSION)
    n = _int_at_least(n, "n", 1)
    rng = as_generator(seed)
    theta = np.where(rng.random(d) < 0.5, -1.0, 1.0) / np.sqrt(n)
    return LinearBandit(
        sign_vectors(d), theta, noise_std=1.0, name=f"hypercube_linear_bandit(d={d}, n={n})"
    )


def npg_rank_preserved(arms, rewards, tol: float = policy_conditions.DEFAULT_TOL) -> bool:
    """Lin-NPG condition: does the projected reward keep the optimal arm strictly on top?

    Mei, Dai, Agarwal, Ghavamzadeh, Szepesvári, Schuurmans (NeurIPS 2023, arXiv:2504.02130),
    main result (i): NPG with log-linear policies, ``theta <- theta + eta (X^T X)^{-1} X^T r``,
    converges globally **if and only if** ``r_hat = X (X^T X)^{-1} X^T r`` satisfies
    ``r_hat(a*) > r_hat(a)`` for all ``a != a*``. Delegates to
    :func:`mdptheory.policy_conditions.npg_rank_preserved`.

    Parameters
    ----------
    arms : array_like, shape (K, d)
        Feature matrix ``X``, one row per arm.
    rewards : array_like, shape (K,)
        Mean rewards ``r``.
    tol : float
        Relative margin for the strict inequality.

    Returns
    -------
    bool

    Examples
    --------
    >>> npg_rank_preserved([[2.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], [9, 8, 7, 6])
    True
    """
    return policy_conditions.npg_rank_preserved(arms, rewards, tol)


def softmax_pg_conditions(
    arms, rewards, tol: float = policy_conditions.DEFAULT_TOL
) -> SoftmaxPGConditions:
    """Softmax-PG (Lin-SPG) conditions: non-domination and reward-order preservation.

    Mei et al. (NeurIPS 2023, arXiv:2504.02130), main result (ii): softmax PG
    ``theta <- theta + eta X^T (diag(pi) - pi pi^T) r`` converges globally if
    ``x_i^T x_i > x_i^T x_j`` for all ``i != j`` (non-domination) and some ``w`` makes ``X w``
    order the arms exactly as ``r`` (ranking preservation). Sufficient, not necessary; Lin et al.
    (2025, arXiv:2505.03155) give necessary and sufficient conditions, whose general-K form is
    not implemented here. Delegates to
    :func:`mdptheory.policy_conditions.softmax_pg_conditions`.

    Parameters
    ----------
    arms : array_like, shape (K, d)
    rewards : array_like, shape (K,)
    tol : float

    Returns
    -------
    SoftmaxPGConditions
        With ``non_domination``, ``order_preserving`` and ``holds``.

    Examples
    --------
    >>> X = [[1.0, 1.0], [2.0, -1.0], [-2.0, 3.0], [-2.0, -3.0]]
    >>> softmax_pg_conditions(X, [9, 8, 7, 6]).holds
    True
    """
    return policy_conditions.softmax_pg_conditions(arms, rewards, tol)


_B2_REWARDS = (9.0, 8.0, 7.0, 6.0)

PG_FEATURE_CONDITIONS: dict[str, tuple[tuple[tuple[float, ...], ...], str]] = {
    "npg_rank_preserved": (
        ((2.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)),
        "projected reward (4, -2, 0.5, -0.5) keeps arm 0 on top although the approximation "
        "error is large (sqrt(209.5) ~ 14.47): Lin-NPG converges to arm 0",
    ),
    "npg_rank_violated": (
        ((1.0, 0.0), (1.0, 1.0), (1.0, 0.0), (1.0, 0.0)),
        "projected reward (22/3, 8, 22/3, 22/3) puts arm 1 on top although the approximation "
        "error is small (sqrt(14/3) ~ 2.16): Lin-NPG converges to arm 1",
    ),
    "softmax_pg_holds": (
        ((1.0, 1.0), (2.0, -1.0), (-2.0, 3.0), (-2.0, -3.0)),
        "non-dominating and reward-order preserving (Mei et al.'s sufficient condition); "
        "approximation error ~ 15.14; exact Lin-SPG from theta = 0 converges to arm 0 (the "
        "projected reward puts arm 2 on top, so Lin-NPG does not)",
    ),
    "softmax_pg_order_violated": (
        ((1.0, 1.0), (-2.0, -3.0), (-2.0, 3.0), (2.0, -1.0)),
        "the rows of 'softmax_pg_holds' with arms 1 and 3 swapped: still non-dominating, but no "
        "w orders X w as the rewards; smaller approximation error (~ 14.96), yet exact Lin-SPG "
        "from theta = 0 converges to arm 1",
    ),
    "softmax_pg_dominated": (
        ((3.0, 0.0), (2.0, 1.0), (1.0, 0.0), (0.0, 1.0)),
        "reward-order preserving but x_1 is dominated (x_1.x_1 = 5 < x_1.x_0 = 6): the "
        "sufficient condition fails and the theorem is silent (exact Lin-SPG from theta = 0 "
        "still converges to arm 0)",
    ),
}
"""Named 4x2 feature matrices for rewards r = (9, 8, 7, 6), with what each one shows."""


def pg_feature_bandit(condition: str, *, noise="deterministic") -> FeatureBandit:
    """4-arm, 2-feature log-linear bandits that satisfy or violate the PG conditions.

    All use the rewards ``r = (9, 8, 7, 6)`` of the worked example of Lin et al. (2025,
    arXiv:2505.03155) and a feature matrix built here (not the paper's matrices), so that each
    condition of Mei et al. (2023) is met or broken as named:

    * ``"npg_rank_preserved"`` / ``"npg_rank_violated"``: the Lin-NPG condition of Mei et al.
      (NeurIPS 2023, arXiv:2504.02130), main result (i) (see :func:`npg_rank_preserved`); the
      pair shows that approximation error does not decide convergence.
    * ``"softmax_pg_holds"`` / ``"softmax_pg_order_violated"`` / ``"softmax_pg_dominated"``:
      non-domination and reward-order preservation, main result (ii) (see
      :func:`softmax_pg_conditions`). The first two differ by swapping two arms' features, like
      the worked pair of Lin et al.

    The convergence behaviour quoted in :data:`PG_FEATURE_CONDITIONS` was observed with exact
    Lin-SPG, ``theta <- theta + eta X^T (diag(pi) - pi pi^T) r`` with
    ``eta = 0.9 * 4 / (9 R_max lambda_max(X^T X))`` from ``theta = 0``. Conditions (ii) are
    sufficient, not necessary; Lin et al. report that non-domination is not sufficient from
    every initialisation.

    Parameters
    ----------
    condition : str
        One of ``PG_FEATURE_CONDITIONS``.
    noise : RewardNoise, str or tuple
        Reward noise for stochastic runs; deterministic by default (the means are 9..6, so
        Bernoulli noise is not accepted).

    Returns
    -------
    FeatureBandit

    Examples
    --------
    >>> bandit = pg_feature_bandit("npg_rank_violated")
    >>> int(bandit.projected_means.argmax()), bandit.optimal_arm
    (1, 0)
    """
    if condition not in PG_FEATURE_CONDITIONS:
        raise ValueError(
            f"condition is {condition!r}; accepted: {', '.join(sorted(PG_FEATURE_CONDITIONS))}"
        )
    features, _ = PG_FEATURE_CONDITIONS[condition]
    return FeatureBandit(
        features, _B2_REWARDS, noise=noise, name=f"pg_feature_bandit({condition!r})"
    )


def random_feature_bandit(
    K: int = 5, d: int = 2, seed: SeedLike = 0, *, noise="deterministic"
) -> FeatureBandit:
    """A random log-linear feature bandit for property tests of the PG conditions.

    Features ``X ~ N(0, 1)^(K x d)`` (full column rank almost surely; redrawn in the
    probability-zero event that it is not) and rewards ``r ~ U[0, 1]^K`` (distinct almost
    surely): the random instances of Mei et al. (NeurIPS 2023, arXiv:2504.02130) for which
    ``npg_rank_preserved`` is to be compared with the behaviour of Lin-NPG.

    Parameters
    ----------
    K : int
        Number of arms, >= 2.
    d : int
        Feature dimension, 1..K.
    seed : int, SeedSequence or Generator
    noise : RewardNoise, str or tuple
        Deterministic by default; rewards in [0, 1] also allow ``"bernoulli"``.

    Returns
    -------
    FeatureBandit

    Examples
    --------
    >>> random_feature_bandit(K=4, d=2, seed=3).features.shape
    (4, 2)
    """
    K = _int_at_least(K, "K", 2)
    d = _int_at_least(d, "d", 1, K)
    rng = as_generator(seed)
    features = rng.standard_normal((K, d))
    while np.linalg.matrix_rank(features) < d:
        features = rng.standard_normal((K, d))
    rewards = rng.random(K)
    return FeatureBandit(
        features, rewards, noise=noise, name=f"random_feature_bandit(K={K}, d={d})"
    )
