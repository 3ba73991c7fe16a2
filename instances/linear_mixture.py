"""Linear mixture MDP families with exact tabular twins.

Every family returns a :class:`mdptheory.linear_mixture.LinearMixtureMDP` whose ``.tabular()``
twin gives exact V*, Q* and regret. Stages are ``h = 0..H-1`` in code. Random families draw
through :func:`mdptheory.seeding.as_generator`: the same seed gives the same instance bit for
bit.

Reward scales: ``rewards="total"`` draws per-step means in ``[0, 1/H]`` so that the total
reward of every trajectory is at most 1 (the horizon-free setting of Zhang, Zhang, Gu, ICML
2023); ``rewards="per_step"`` draws them in ``[0, 1]`` (the setting of UCRL-VTR).
"""

from __future__ import annotations

import numpy as np

from instances.linear import _positive_int, sign_vectors
from mdptheory._validation import ParameterTypeError, check_memory, check_real, dense_bytes
from mdptheory.linear_mixture import LinearMixtureMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, model_keywords

__all__ = [
    "random_linear_mixture_mdp",
    "reward_free_hard_instance",
    "reward_free_lower_bound",
    "tabular_as_mixture",
]

REWARD_SCALES = ("total", "per_step")


def _starting_in_state_0(basis, theta, R, H: int, name: str) -> LinearMixtureMDP:
    """The linear mixture MDP of ``basis`` (d, S, A, S), ``theta`` and ``R`` whose episodes all
    start in state 0."""
    initial = np.zeros(basis.shape[1])
    initial[0] = 1.0
    return LinearMixtureMDP(basis, theta, R, H, initial=initial, name=name)


def _reward_cap(rewards: str, H: int) -> float:
    if rewards not in REWARD_SCALES:
        raise ValueError(f"rewards must be one of {list(REWARD_SCALES)}, got {rewards!r}")
    return 1.0 / H if rewards == "total" else 1.0


def random_linear_mixture_mdp(
    S: int = 6,
    A: int = 3,
    H: int = 5,
    d: int = 4,
    rewards: str = "total",
    seed: SeedLike = 0,
) -> LinearMixtureMDP:
    """A random time-homogeneous linear mixture MDP.

    Each basis kernel ``P_i(.|s, a)`` is a Dirichlet(1/2) draw over the S states, ``theta`` a
    Dirichlet(1) draw on the simplex of R^d (so the mixture is a kernel and ``||theta|| <= 1``),
    mean rewards uniform on ``[0, cap]`` with ``cap = 1/H`` (``rewards="total"``, total reward
    at most 1) or 1 (``"per_step"``). The start state is 0.

    Examples
    --------
    >>> mdp = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=0)
    >>> mdp.d, mdp.homogeneous, bool(mdp.R.sum(axis=0).max() <= 1.0)
    (3, True, True)
    """
    S, A, H, d = (
        _positive_int(value, name) for name, value in zip("SAHd", (S, A, H, d), strict=True)
    )
    cap = _reward_cap(rewards, H)
    check_memory(
        3 * dense_bytes(d, S, A, S),
        "random_linear_mixture_mdp: basis (d, S, A, S)",
        f"S={S}, A={A}, d={d}",
    )
    rng = as_generator(seed)
    basis = rng.dirichlet(np.full(S, 0.5), size=(d, S, A))
    theta = rng.dirichlet(np.ones(d))
    R = cap * rng.random((H, S, A))
    name = f"random_linear_mixture(S={S},A={A},H={H},d={d},rewards={rewards})"
    return _starting_in_state_0(basis, theta, R, H, name)


def tabular_as_mixture(mdp: EpisodicMDP) -> LinearMixtureMDP:
    """A stationary tabular MDP as a linear mixture MDP with indicator basis kernels.

    ``d = S A S``, ``P_(s0,a0,y)(s'|s, a) = 1[s = s0, a = a0, s' = y]`` and ``theta =
    vec(P)``: the mixture has one non-zero term per entry, so the twin's kernel equals the
    original's bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), np.eye(2), H=3)
    >>> mix = tabular_as_mixture(mdp)
    >>> mix.d, bool(np.array_equal(mix.tabular().P, mdp.P))
    (8, True)
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(f"mdp must be an EpisodicMDP, got {type(mdp).__name__}")
    if not mdp.stationary:
        raise ValueError(
            f"tabular_as_mixture needs a stationary kernel (one theta for every stage); got {mdp!r}"
        )
    S, A = mdp.S, mdp.A
    d = S * A * S
    check_memory(
        2 * dense_bytes(d, S, A, S), "tabular_as_mixture: basis (S A S, S, A, S)", f"S={S}, A={A}"
    )
    basis = np.eye(d).reshape(d, S, A, S)
    theta = np.asarray(mdp.dense_P(), dtype=np.float64)[0].reshape(d)
    return LinearMixtureMDP(basis, theta, mdp.R, mdp.H, **model_keywords(mdp))


def _sign_chain(d, H, epsilon, seed: SeedLike):
    """The checked ``d``, ``H`` and ``epsilon`` of the sign-chain families below, ``delta =
    1/H``, the signs of ``mu`` (``d - 1`` fair draws from ``seed``) and the actions, the
    ``2**(d-1)`` sign vectors."""
    d = _positive_int(d, "d", maximum=13)
    H = _positive_int(H, "H", minimum=2)
    epsilon = check_real(epsilon, "epsilon", 0.0, 1.0, low_open=True)
    rng = as_generator(seed)
    signs = rng.choice(np.array([-1.0, 1.0]), size=d - 1)
    return d, H, epsilon, 1.0 / H, signs, sign_vectors(d - 1)


def _paying_in_good(basis, mu, H: int, good: int, family: str, epsilon: float) -> LinearMixtureMDP:
    """The sign-chain mixture of ``basis`` (d, S, A, S) with ``theta = (1, mu)``, started in
    state 0, whose reward pays ``1/H`` per step in the state ``good`` (every return <= 1)."""
    d, S, A, _ = basis.shape
    R = np.zeros((H, S, A))
    R[:, good, :] = 1.0 / H
    name = f"{family}(d={d},H={H},epsilon={epsilon:g})"
    return _starting_in_state_0(basis, np.concatenate(([1.0], mu)), R, H, name)


def reward_free_hard_instance(
    d: int = 4, H: int = 5, epsilon: float = 0.5, seed: SeedLike = 0
) -> LinearMixtureMDP:
    """A hard chain in the style of Zhou, Gu, Szepesvári (COLT 2021), total reward at most 1.

    States ``0..H-1`` form a chain started in 0; state ``H`` (end) and ``H + 1`` (good) are
    absorbing. Actions are the ``2**(d-1)`` sign vectors ``a`` (:func:`instances.linear.
    sign_vectors`). With ``delta = 1/H`` and ``Delta = epsilon delta / (d - 1)``, from chain
    state ``j``::

        P(good | j, a) = delta + <mu, a>,     P(next | j, a) = 1 - delta - <mu, a>,

    ``next = j + 1`` (the end state after ``H - 1``), ``mu in {-Delta, +Delta}^(d-1)`` drawn
    from ``seed``. The good state pays ``1/H`` per step, so every return is at most 1 and the
    optimal action ``sign(mu)`` gains ``(d - 1) Delta`` escape probability per step over a
    uniformly random one. As a mixture: ``theta = (1, mu)``, ``P_0`` the ``delta`` chain and
    ``P_i(.|j, a) = a_i (e_good - e_next)`` (signed directions). With ``d = 1`` there is one
    action and nothing to learn.

    The lower-bound family of Zhang, Zhang, Gu (ICML 2023) is built on this chain as recalled,
    not read in their text (``theory-wave2.md`` 7.3 has only the abstract): the construction and
    the scale ``Delta`` here are this library's, chosen so that ``epsilon`` in (0, 1] sets the
    optimal action's advantage.

    Examples
    --------
    >>> mdp = reward_free_hard_instance(d=3, H=4, epsilon=0.5, seed=0)
    >>> mdp.S, mdp.A, mdp.d, bool(mdp.R.sum(axis=0).max() <= 1.0)
    (6, 4, 3, True)
    """
    d, H, epsilon, delta, signs, actions = _sign_chain(d, H, epsilon, seed)
    Delta = epsilon * delta / max(d - 1, 1)
    S, A = H + 2, actions.shape[0]
    end, good = H, H + 1
    basis = np.zeros((d, S, A, S))
    for j in range(H):
        nxt = j + 1 if j + 1 < H else end
        basis[0, j, :, nxt] = 1.0 - delta
        basis[0, j, :, good] += delta
        for i in range(1, d):
            basis[i, j, :, good] += actions[:, i - 1]
            basis[i, j, :, nxt] -= actions[:, i - 1]
    basis[0, end, :, end] = 1.0
    basis[0, good, :, good] = 1.0
    return _paying_in_good(basis, Delta * signs, H, good, "reward_free_hard_instance", epsilon)


def reward_free_lower_bound(
    d: int = 4, H: int = 5, epsilon: float = 0.5, seed: SeedLike = 0
) -> LinearMixtureMDP:
    """A two-sided hard family for reward-free exploration, total reward at most 1.

    States ``0..H-1`` form a chain started in 0; ``H`` (end), ``H + 1`` (good) and ``H + 2``
    (bad) are absorbing. Actions are the ``2**(d-1)`` sign vectors ``a``. With ``delta = 1/H``
    and ``Delta = epsilon delta / (2 (d - 1))``, from chain state ``j``::

        P(good | j, a) = delta / 2 + <mu, a>,   P(bad | j, a) = delta / 2 - <mu, a>,
        P(next | j, a) = 1 - delta,

    ``mu in {-Delta, +Delta}^(d-1)`` drawn from ``seed``. As a mixture: ``theta = (1, mu)``,
    ``P_0`` the chain that escapes to good and bad with ``delta / 2`` each, and ``P_i(.|j, a) =
    a_i (e_good - e_bad)``. The model's reward pays ``1/H`` per step in good.

    Why it is hard for a reward-free learner: the battery holds the stage indicators of good
    **and** of bad, so a planner that is eps-optimal for both must know the sign of every
    coordinate of ``mu`` (one wrong sign costs ``2 Delta`` escape probability per step for one
    of the two rewards); the escape probability does not depend on which of the two the learner
    steers to, so no reward-directed shortcut exists. Each coordinate's sign is a test between
    ``+-Delta`` with ``Delta ~ eps / d``, seen through every sample at once, which is the
    ``d^2 eps^-2`` of the lower bound. This construction is the library's, stated here; the
    paper's own lower-bound family was not read (``theory-wave2.md`` 7.3 has only the
    abstract).

    Examples
    --------
    >>> mdp = reward_free_lower_bound(d=3, H=4, epsilon=0.5, seed=0)
    >>> mdp.S, mdp.A, mdp.d, bool(mdp.R.sum(axis=0).max() <= 1.0)
    (7, 4, 3, True)
    >>> bool(abs(mdp.P[0, 0].sum(axis=1) - 1.0).max() < 1e-12)
    True
    """
    d, H, epsilon, delta, signs, actions = _sign_chain(d, H, epsilon, seed)
    Delta = epsilon * delta / (2.0 * max(d - 1, 1))
    S, A = H + 3, actions.shape[0]
    end, good, bad = H, H + 1, H + 2
    basis = np.zeros((d, S, A, S))
    for j in range(H):
        nxt = j + 1 if j + 1 < H else end
        basis[0, j, :, nxt] = 1.0 - delta
        basis[0, j, :, good] = delta / 2.0
        basis[0, j, :, bad] = delta / 2.0
        for i in range(1, d):
            basis[i, j, :, good] = actions[:, i - 1]
            basis[i, j, :, bad] = -actions[:, i - 1]
    for absorbing in (end, good, bad):
        basis[0, absorbing, :, absorbing] = 1.0
    return _paying_in_good(basis, Delta * signs, H, good, "reward_free_lower_bound", epsilon)
