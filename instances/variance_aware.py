"""Instances for variance-aware and horizon-free linear RL (LSVI-UCB++, He, Zhao, Zhou, Gu,
ICML 2023, arXiv:2212.06132; Zhang, Lee, Chen, Du, ICLR 2024, arXiv:2403.10738).

* :func:`heteroscedastic_linear_mdp`: simplex features whose next-state value variance
  ``Var_{P_h(.|s,a)} V*_{h+1}`` differs by orders of magnitude across (s, a), with a knob.
* :func:`horizon_free`: any linear or tabular episodic model with its rewards scaled so that
  every trajectory's total reward is at most 1 (``"max_return"``: divided by the exact largest
  total over all trajectories; ``"terminal"``: only the last stage pays), for H up to 300.
* :func:`horizon_free_stationary_simplex`: a simplex-feature linear MDP with one kernel for
  every stage (what a pooled, horizon-free estimator assumes), total reward at most 1.
* :func:`lsvi_ucb_gap_instance`: the Zhou-Gu-Szepesvari hard family at a design budget of its
  own, where LSVI-UCB's ``d sqrt(d)`` bonus against LSVI-UCB++'s ``sqrt(d)`` shows.
* :func:`next_value_variance`: the exact ``[Var_h V*_{h+1}](s, a)`` of a model.

Stages are ``h = 0..H-1`` in code and ``h + 1`` in the papers.
"""

from __future__ import annotations

import numpy as np

from instances.linear import _linear_sizes, _positive_int, zhou_gu_szepesvari_hard_instance
from mdptheory._kernels import backward_induction_kernel
from mdptheory._validation import ParameterTypeError, check_real
from mdptheory.linear import LinearMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "HORIZON_FREE_MODES",
    "MAX_HORIZON",
    "heteroscedastic_linear_mdp",
    "horizon_free",
    "horizon_free_garnet",
    "horizon_free_simplex",
    "horizon_free_stationary_simplex",
    "lsvi_ucb_gap_instance",
    "max_trajectory_return",
    "next_value_variance",
]

MAX_HORIZON = 300
"""Largest horizon of the horizon-free families (the issue's H up to 300)."""
HORIZON_FREE_MODES = ("max_return", "terminal")


def next_value_variance(model: LinearMDP | EpisodicMDP) -> np.ndarray:
    """``[Var_h V*_{h+1}](s, a) = sum_s' P_h(s'|s,a) V*_{h+1}(s')^2 - (P_h V*_{h+1})^2``, exact.

    The variance that LSVI-UCB++'s weights estimate (He et al. 2023, Section 4), of shape
    (H, S, A), computed on the exact tabular twin.

    Examples
    --------
    >>> var = next_value_variance(heteroscedastic_linear_mdp(S=6, A=2, H=4, d=4, seed=0))
    >>> var.shape, bool(var.min() >= 0.0)
    ((4, 6, 2), True)
    """
    mdp = _episodic(model, "next_value_variance")
    P = np.ascontiguousarray(mdp.dense_P(), dtype=np.float64)
    _, V, _ = backward_induction_kernel(P, np.ascontiguousarray(mdp.R, dtype=np.float64))
    P4 = np.broadcast_to(P, (mdp.H, mdp.S, mdp.A, mdp.S))
    first = np.einsum("hsat,ht->hsa", P4, V[1:])
    second = np.einsum("hsat,ht->hsa", P4, V[1:] ** 2)
    return np.maximum(second - first**2, 0.0)  # rounding only: a variance is >= 0


def heteroscedastic_linear_mdp(
    S: int = 10,
    A: int = 3,
    H: int = 5,
    d: int = 4,
    ratio: float = 1000.0,
    seed: SeedLike = 0,
) -> LinearMDP:
    """A simplex-feature linear MDP whose next-state value variance spans ``ratio``.

    Construction (valid by design, exactly linear):

    * state 0 ("high") pays 1 at every step and is absorbing; state 1 ("low") pays 0 and is
      absorbing; states 2..S-1 are ordinary and pay 1/2. So ``V*_h(high) - V*_h(low) = H - h``.
    * coordinates 0 and 1 are the indicators of the high and low states; the ``d - 2`` ordinary
      coordinates alternate "calm" and "noisy". An ordinary pair's feature is a Dirichlet draw
      over the calm coordinates or over the noisy ones (a fair coin per pair).
    * ordinary measure i sends mass ``1 - eps_i`` uniformly over the ordinary states and
      ``eps_i`` to {high w.p. q_i, low w.p. 1 - q_i}, ``q_i ~ U[0, 1]``; noisy coordinates have
      ``eps = 1/2``, calm ones ``eps = 1 / (2 ratio)``.

    A calm pair's next value varies by about ``eps (H - h)^2 / 4``, a noisy pair's by about
    ``ratio`` times more, so ``ratio`` is the knob (``ratio = 1``: homoscedastic within the
    ordinary block). :func:`next_value_variance` gives the exact values.

    Parameters
    ----------
    S, A, H, d : int
        ``S >= 3``, ``d >= 4`` (two indicator coordinates, at least one calm and one noisy).
    ratio : float
        ``>= 1``: noisy over calm escape mass.
    seed : int, SeedSequence or Generator
        Draws the pair groups, then the features, then the q_i.

    Examples
    --------
    >>> mdp = heteroscedastic_linear_mdp(S=8, A=2, H=5, d=4, ratio=1000.0, seed=1)
    >>> mdp.assumptions().holds
    True
    >>> var = next_value_variance(mdp)[:-1, 2:]   # the last stage has no next value
    >>> bool(var.max() / var.min() > 100)
    True
    """
    S, A, H, d = _linear_sizes("heteroscedastic_linear_mdp", S, A, H, d)
    if S < 3:
        raise ValueError(f"S is {S}; heteroscedastic_linear_mdp needs S >= 3 (high, low, ordinary)")
    if d < 4:
        raise ValueError(f"d is {d}; heteroscedastic_linear_mdp needs d >= 4 (2 indicators + 2)")
    ratio = check_real(ratio, "ratio", low=1.0)
    rng = as_generator(seed)
    ordinary = np.arange(2, d)
    calm, noisy = ordinary[0::2], ordinary[1::2]
    n_ordinary = S - 2
    groups = rng.random((n_ordinary, A)) < 0.5  # True: noisy pair
    phi = np.zeros((S, A, d))
    phi[0, :, 0] = 1.0
    phi[1, :, 1] = 1.0
    for s in range(n_ordinary):
        for a in range(A):
            coords = noisy if groups[s, a] else calm
            phi[2 + s, a, coords] = rng.dirichlet(np.ones(coords.size))
    q = rng.random(d)
    eps = np.zeros(d)
    eps[calm] = 0.5 / ratio
    eps[noisy] = 0.5
    mu = np.zeros((H, S, d))
    mu[:, 0, 0] = 1.0
    mu[:, 1, 1] = 1.0
    for i in ordinary:
        mu[:, 2:, i] = (1.0 - eps[i]) / n_ordinary
        mu[:, 0, i] = eps[i] * q[i]
        mu[:, 1, i] = eps[i] * (1.0 - q[i])
    theta = np.zeros((H, d))
    theta[:, 0] = 1.0
    theta[:, ordinary] = 0.5
    return LinearMDP(
        phi,
        mu,
        theta,
        name=f"heteroscedastic_linear_mdp(S={S}, A={A}, H={H}, d={d}, ratio={ratio:g})",
    )


def _episodic(model: object, where: str) -> EpisodicMDP:
    if isinstance(model, LinearMDP):
        return model.tabular()
    if isinstance(model, EpisodicMDP):
        return model
    raise ParameterTypeError(
        f"{where} needs a LinearMDP or an EpisodicMDP, got {type(model).__name__}: {model!r}"
    )


def max_trajectory_return(model: LinearMDP | EpisodicMDP) -> float:
    """The largest total reward of any trajectory with positive probability, exactly.

    ``U_h(s) = max_a [ r_h(s, a) + max_{s' : P_h(s'|s,a) > 0} U_{h+1}(s') ]``, ``U_H = 0``,
    maximised over the initial support: a max-plus backward induction over the transition
    supports (what the horizon-free setting bounds by 1, Zhang et al. 2024).

    Examples
    --------
    >>> from instances.tabular import chain
    >>> max_trajectory_return(chain(S=4, H=6)) <= 6.0
    True
    """
    mdp = _episodic(model, "max_trajectory_return")
    P = np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S))
    U = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        reach = np.where(P[h] > 0.0, U[None, None, :], -np.inf).max(axis=2)
        U = (mdp.R[h] + reach).max(axis=1)
    return float(U[mdp.initial > 0.0].max())


def horizon_free(model, mode: str = "max_return"):
    """The model with rewards scaled so every trajectory's total reward is at most 1.

    Parameters
    ----------
    model : LinearMDP or EpisodicMDP
        Any linear or tabular episodic family with mean rewards in [0, 1], H <= 300.
    mode : {"max_return", "terminal"}
        ``"max_return"``: every reward divided by :func:`max_trajectory_return` (the largest
        total is then 1, the tight normalisation). ``"terminal"`` (sparse): rewards of stages
        ``0..H-2`` set to 0 and the last stage's kept (already in [0, 1]), so the total is the
        single terminal reward. A model without reward on any trajectory is refused.

    Returns
    -------
    LinearMDP or EpisodicMDP
        Same type, kernel, features, initial distribution and noise kind; a linear model keeps
        ``phi`` and ``mu`` and scales ``theta`` (so it stays exactly linear).

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> m = horizon_free(simplex_feature_linear_mdp(S=5, A=2, H=50, d=3, seed=0))
    >>> 1.0 - 1e-12 < max_trajectory_return(m) <= 1.0
    True
    """
    if not isinstance(mode, str) or mode not in HORIZON_FREE_MODES:
        raise ValueError(f"mode must be one of {HORIZON_FREE_MODES}, got {mode!r}")
    mdp = _episodic(model, "horizon_free")
    if mdp.H > MAX_HORIZON:
        raise ValueError(f"H is {mdp.H}; horizon_free accepts H <= {MAX_HORIZON}")
    bad = (mdp.R < 0.0) | (mdp.R > 1.0)
    if bad.any():
        h, s, a = np.argwhere(bad)[0]
        raise ValueError(f"R[{h}, {s}, {a}] is {float(mdp.R[h, s, a])!r}, outside [0, 1]")
    name = f"horizon_free({mdp.name or type(model).__name__}, mode={mode})"
    if mode == "max_return":
        total = max_trajectory_return(mdp)
        if not total > 0.0:
            raise ValueError(f"every trajectory's total reward is {total!r}: nothing to scale")
        scale = np.full(mdp.H, 1.0 / total)
    else:
        scale = np.zeros(mdp.H)
        scale[-1] = 1.0
    noise = "deterministic" if mdp.noise.kind == "deterministic" else mdp.noise
    scaled = _rescaled(model, mdp, scale, noise, name)
    # Rounding of 1 / total can leave the largest total an ulp above 1: step the scale down.
    for _ in range(8):
        if mode == "terminal" or max_trajectory_return(scaled) <= 1.0:
            break
        scale = scale * (1.0 - 2.0**-50)
        scaled = _rescaled(model, mdp, scale, noise, name)
    return scaled


def _rescaled(model, mdp: EpisodicMDP, scale: np.ndarray, noise, name: str):
    if isinstance(model, LinearMDP):
        return LinearMDP(
            model.phi,
            model.mu,
            model.theta * scale[:, None],
            initial=model.initial,
            noise=noise,
            tol=model.tol,
            name=name,
        )
    return EpisodicMDP(
        np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S)),
        mdp.R * scale[:, None, None],
        mdp.H,
        initial=mdp.initial,
        noise=noise,
        tol=mdp.tol,
        name=name,
    )


def horizon_free_simplex(
    S: int = 10, A: int = 3, H: int = 50, d: int = 4, mode: str = "max_return", seed: int = 0
) -> LinearMDP:
    """:func:`horizon_free` of :func:`instances.linear.simplex_feature_linear_mdp`.

    Examples
    --------
    >>> horizon_free_simplex(S=4, A=2, H=300, d=2).H
    300
    """
    from instances.linear import simplex_feature_linear_mdp

    H = _positive_int(H, "H", maximum=MAX_HORIZON)
    return horizon_free(simplex_feature_linear_mdp(S=S, A=A, H=H, d=d, seed=seed), mode)


def horizon_free_garnet(
    S: int = 10,
    A: int = 3,
    H: int = 50,
    branching: int = 3,
    mode: str = "max_return",
    seed: int = 0,
) -> EpisodicMDP:
    """:func:`horizon_free` of the episodic Garnet :func:`instances.tabular.garnet`.

    Examples
    --------
    >>> round(max_trajectory_return(horizon_free_garnet(S=5, A=2, H=20)), 12)
    1.0
    """
    from instances.tabular import garnet

    H = _positive_int(H, "H", maximum=MAX_HORIZON)
    return horizon_free(garnet(S=S, A=A, branching=branching, H=H, seed=seed), mode)


def lsvi_ucb_gap_instance(d: int = 4, H: int = 3, K_design: int = 100, seed: int = 0):
    """The Zhou-Gu-Szepesvari hard family with gaps set for a design budget ``K_design``.

    :func:`instances.linear.zhou_gu_szepesvari_hard_instance` with ``Delta =
    sqrt(delta / K_design) / (4 sqrt 2)``: a small ``K_design`` makes each wrong action sign
    cost ``2 Delta`` per stage, large enough that a learner pays for exploration within a
    laptop-size K. Every action shares one escape direction per sign coordinate, so the
    ``d - 1`` directions must each be resolved: LSVI-UCB's bonus ``d H sqrt(iota)`` pays about
    ``d sqrt(d)`` times more for this than a ``sqrt(d)`` radius (He et al. 2023, Section 1),
    which is where the ``d sqrt(d)`` gap to the ``d sqrt(H^3 K)`` lower bound shows. Valid when
    ``(d - 1) Delta <= 1 / H``.

    Examples
    --------
    >>> m = lsvi_ucb_gap_instance(d=4, H=3, K_design=100)
    >>> m.d, m.A
    (6, 8)
    """
    return zhou_gu_szepesvari_hard_instance(d=d, H=H, K=K_design, seed=seed)


def horizon_free_stationary_simplex(
    S: int = 10, A: int = 3, H: int = 50, d: int = 4, seed: int = 0
) -> LinearMDP:
    """A stationary simplex-feature linear MDP with every trajectory's total reward at most 1.

    ``phi(s, a) ~ Dirichlet(1_d)``, one set of measures ``mu^(i) ~ Dirichlet(1_S)`` and one
    reward vector ``theta ~ U[0, 1]^d`` shared by every stage (a stationary kernel and reward,
    the setting of horizon-free regret, Zhang, Lee, Chen, Du, ICLR 2024), then
    :func:`horizon_free` (``"max_return"``): every reward divided by the exact largest total, so
    that total is 1 and the stationary structure is kept. The same seed gives the same
    ``phi``, ``mu`` and ``theta`` at every H, so a sweep over H changes only the horizon.

    Examples
    --------
    >>> m = horizon_free_stationary_simplex(S=5, A=2, H=300, d=3)
    >>> bool((m.mu == m.mu[0]).all()), 1.0 - 1e-12 < max_trajectory_return(m) <= 1.0
    (True, True)
    """
    S, A, H, d = _linear_sizes("horizon_free_stationary_simplex", S, A, H, d)
    H = _positive_int(H, "H", maximum=MAX_HORIZON)
    rng = as_generator(seed)
    phi = rng.dirichlet(np.ones(d), size=(S, A))
    mu = rng.dirichlet(np.ones(S), size=d).T  # (S, d): column i is a distribution over states
    theta = rng.uniform(0.0, 1.0, d)
    model = LinearMDP(
        phi,
        np.tile(mu, (H, 1, 1)),
        np.tile(theta, (H, 1)),
        name=f"stationary_simplex(S={S}, A={A}, H={H}, d={d}, seed={seed})",
    )
    return horizon_free(model, "max_return")
