"""Preference-bandit families: Azar et al.'s three-action example, random Bradley–Terry
bandits with sampled datasets, and a non-transitive (rock-paper-scissors) bandit.

Each builder returns a :class:`~mdptheory.preferences.PreferenceBandit` carrying its dataset,
so ``mdptheory run ipo <family>`` and ``mdptheory run dpo <family>`` learn on it directly.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import check_int, check_real
from mdptheory.preferences import PreferenceBandit, PreferenceDataset, sample_dataset
from mdptheory.seeding import SeedLike, as_generator

__all__ = [
    "azar_three_action_bandit",
    "bradley_terry_bandit",
    "contextual_bt_bandit",
    "offline_preference_garnet",
    "preference_lock_linear_mdp",
    "rock_paper_scissors_bandit",
]


def azar_three_action_bandit(repeats: int = 1, reference: str = "uniform") -> PreferenceBandit:
    """Azar et al.'s illustrative bandit: three actions a, b, c and the deterministic dataset
    ``D_1 = {(a, b), (b, c), (a, c)}`` (each pair ``repeats`` times).

    Azar, Guo, Piot, Munos, Rowland, Valko, Calandriello, AISTATS 2024, arXiv:2310.12036,
    Sec. 5 (as transcribed in the project's references): DPO converges to ``pi(a) = 1`` for
    every beta, IPO stays near ``pi_ref`` for large tau. The true preferences are the
    deterministic ranking a > b > c (``p = 1`` on every pair, so the data are faithful).

    Parameters
    ----------
    repeats : int
        How often each of the three pairs appears (>= 1); the data stay deterministic.
    reference : {"uniform", "skewed"}
        ``pi_ref`` uniform, or (0.1, 0.3, 0.6) (mass on the dispreferred actions).

    Examples
    --------
    >>> bandit = azar_three_action_bandit()
    >>> bandit.dataset.counts().astype(int).tolist(), bandit.dataset.is_deterministic
    ([[0, 1, 1], [0, 0, 1], [0, 0, 0]], True)
    """
    repeats = check_int(repeats, "repeats", 1)
    refs = {"uniform": np.full(3, 1 / 3), "skewed": np.array([0.1, 0.3, 0.6])}
    if reference not in refs:
        raise ValueError(f"reference must be one of {sorted(refs)}, got {reference!r}")
    P = np.array([[0.5, 1.0, 1.0], [0.0, 0.5, 1.0], [0.0, 0.0, 0.5]])
    data = PreferenceDataset([0, 1, 0] * repeats, [1, 2, 2] * repeats, 3)
    return PreferenceBandit(
        P,
        refs[reference],
        dataset=data,
        name=f"azar_three_action_bandit(repeats={repeats},reference={reference})",
    )


def bradley_terry_bandit(
    K: int = 5, scale: float = 1.0, pairs: int = 50, seed: SeedLike = 0
) -> PreferenceBandit:
    """A Bradley–Terry bandit with rewards ``scale * N(0, 1)``, a Dirichlet(1) ``pi_ref``, a
    uniform ``mu`` and ``pairs`` pairs drawn from it
    (:func:`~mdptheory.preferences.sample_dataset`).

    With few pairs the dataset is often deterministic on some pairs (each compared once or
    always won by the same action) although every true preference is in (0, 1).

    Examples
    --------
    >>> bandit = bradley_terry_bandit(K=4, pairs=20, seed=1)
    >>> bandit.K, bandit.dataset.n
    (4, 20)
    """
    K = check_int(K, "K", 2)
    scale = check_real(scale, "scale", 0.0)
    n = check_int(pairs, "pairs", 1)
    rng = as_generator(seed)
    rewards = scale * rng.normal(size=K)
    reference = rng.dirichlet(np.ones(K))
    bandit = PreferenceBandit.bradley_terry(rewards, reference)
    data = sample_dataset(bandit.preferences, bandit.behaviour, n, rng)
    return bandit.with_dataset(data, name=f"bradley_terry_bandit(K={K},scale={scale:g},pairs={n})")


def rock_paper_scissors_bandit(
    pairs: int = 30, strength: float = 1.0, seed: SeedLike = 0
) -> PreferenceBandit:
    """Rock, paper, scissors: ``p(rock > scissors) = p(scissors > paper) = p(paper > rock) =
    (1 + strength) / 2``. Non-transitive: no reward vector reproduces it. ``pairs`` pairs drawn
    from a uniform ``mu``; uniform ``pi_ref``.

    Under a uniform ``mu`` every action has ``p(y > mu) = 1/2``, so the IPO population optimum
    is ``pi_ref`` for every tau.

    Examples
    --------
    >>> bandit = rock_paper_scissors_bandit(strength=1.0)
    >>> bandit.preferences.tolist()
    [[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]]
    """
    n = check_int(pairs, "pairs", 1)
    s = check_real(strength, "strength", 0.0, 1.0)
    win = (1.0 + s) / 2.0
    P = np.array([[0.5, 1 - win, win], [win, 0.5, 1 - win], [1 - win, win, 0.5]])
    bandit = PreferenceBandit(P)
    data = sample_dataset(P, bandit.behaviour, n, seed)
    return bandit.with_dataset(data, name=f"rock_paper_scissors_bandit(pairs={n},strength={s:g})")


def offline_preference_garnet(
    coverage: str = "full",
    S: int = 3,
    A: int = 2,
    H: int = 3,
    scale: float = 2.0,
    perturbation: float = 1.0,
    seed: SeedLike = 3,
):
    """An offline preference-based RL problem on a small Garnet (Zhan et al., ICLR 2024).

    The episodic ``garnet(S, A, branching=2, H, seed)`` with known transitions; the true
    trajectory reward ``theta* = scale * R`` (per-step rewards summed along the trajectory);
    the finite class ``G = {theta*} U {theta* +- perturbation * scale * e_(h,s,a)}`` (1 + 2 H S A
    members); the target ``pi_tar`` is the optimal policy of ``theta*``; ``mu_ref = mu_1``.

    ``coverage="full"``: ``mu_0 = mu_1`` uniform (the target is covered, ``C_r`` finite).
    ``coverage="partial"``: ``mu_0 = mu_1`` never take the target's action at the last stage,
    so the class members that lower the target's last-stage reward cannot be told from
    ``theta*`` (``C_r`` infinite) and pessimism avoids the target there.

    The default Garnet (seed 3) has a last-stage advantage of the target below the
    perturbation at some reachable state, so the uncovered problem's sub-optimality stays
    positive (0.61) however much data there is.

    Examples
    --------
    >>> problem = offline_preference_garnet()
    >>> problem.reward_class.shape, round(problem.concentrability(), 3) > 0
    ((37, 3, 3, 2), True)
    >>> offline_preference_garnet("partial").concentrability()
    inf
    """
    from instances.tabular import garnet
    from mdptheory.planning import backward_induction
    from mdptheory.preferences import OfflinePreferenceProblem
    from mdptheory.tabular import EpisodicMDP

    if coverage not in ("full", "partial"):
        raise ValueError(f"coverage must be 'full' or 'partial', got {coverage!r}")
    scale = check_real(scale, "scale", 0.0, low_open=True)
    perturbation = check_real(perturbation, "perturbation", 0.0, low_open=True)
    mdp = garnet(S=S, A=A, branching=min(2, S), H=H, seed=seed)
    theta = scale * np.broadcast_to(mdp.R, (mdp.H, mdp.S, mdp.A)).copy()
    P = np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S))
    star_mdp = EpisodicMDP(P, theta, H=mdp.H, initial=mdp.initial)
    target = np.asarray(backward_induction(star_mdp).policy, dtype=np.int64)
    size = mdp.H * mdp.S * mdp.A
    bumps = perturbation * scale * np.eye(size).reshape(size, mdp.H, mdp.S, mdp.A)
    reward_class = np.concatenate([theta[None], theta[None] + bumps, theta[None] - bumps])
    behaviour = np.full((mdp.H, mdp.S, mdp.A), 1.0 / mdp.A)
    if coverage == "partial":
        last = mdp.H - 1
        behaviour[last, np.arange(mdp.S), target[last]] = 0.0
        behaviour[last] /= behaviour[last].sum(axis=1, keepdims=True)
    return OfflinePreferenceProblem(
        mdp,
        theta,
        reward_class,
        behaviour,
        behaviour,
        behaviour,
        target,
        name=f"offline_preference_garnet(coverage={coverage},S={S},A={A},H={H})",
    )


def preference_lock_linear_mdp(H: int = 4, slip: float = 0.1, lure: float = 0.1):
    """A two-state combination lock as a linear MDP (one-hot features), for online
    preference-based RL: exploration is needed, a learner without randomisation is stuck.

    States ``good = 0`` and ``bad = 1``, actions 0 and 1. In ``good``, action 1 stays in
    ``good`` with probability ``1 - slip`` (else ``bad``) and pays 1; action 0 (the lure) pays
    ``lure`` and goes to ``bad``; ``bad`` is absorbing with reward 0. Start in ``good``.
    ``V* = sum_h (1 - slip)^h`` (up to H), so the returns of good and bad trajectories differ by
    several units and Bradley–Terry labels on them are informative; ties of a zero value function go
    to action 0, so a learner that never perturbs its estimates (which start at 0) takes the lure
    forever, its two trajectories per comparison are identical and no query is informative.

    Examples
    --------
    >>> model = preference_lock_linear_mdp(H=3)
    >>> model.d, model.H, model.assumptions().holds
    (4, 3, True)
    """
    from instances.linear import tabular_as_linear
    from mdptheory.tabular import EpisodicMDP

    H = check_int(H, "H", 2)
    slip = check_real(slip, "slip", 0.0, 1.0, high_open=True)
    lure = check_real(lure, "lure", 0.0, 1.0)
    P = np.zeros((2, 2, 2))
    P[0, 1] = [1.0 - slip, slip]
    P[0, 0] = [0.0, 1.0]
    P[1, :, 1] = 1.0
    R = np.zeros((H, 2, 2))
    R[:, 0, 0] = lure
    R[:, 0, 1] = 1.0
    mdp = EpisodicMDP(
        np.broadcast_to(P, (H, 2, 2, 2)).copy(),
        R,
        H=H,
        initial=np.array([1.0, 0.0]),
        name=f"preference_lock_linear_mdp(H={H},slip={slip:g},lure={lure:g})",
    )
    return tabular_as_linear(mdp)


def contextual_bt_bandit(
    contexts: int = 10, K: int = 5, d: int = 3, radius: float = 0.5, seed: SeedLike = 0
):
    """A contextual Bradley–Terry bandit (Saha, NeurIPS 2021 setting): ``contexts`` equally
    likely contexts of ``K`` arms whose features are uniform in the ball of the given radius in
    R^d, and ``theta*`` uniform on the unit sphere (``|theta*| = 1``, so every utility lies in
    ``[-radius, radius]``).

    Examples
    --------
    >>> bandit = contextual_bt_bandit(seed=1)
    >>> bandit.shape, round(float(np.linalg.norm(bandit.theta)), 12)
    ((10, 5, 3), 1.0)
    """
    from mdptheory.preferences.contextual import ContextualPreferenceBandit

    C = check_int(contexts, "contexts", 1)
    K = check_int(K, "K", 2)
    d = check_int(d, "d", 1)
    radius = check_real(radius, "radius", 0.0, low_open=True)
    rng = as_generator(seed)
    theta = rng.normal(size=d)
    theta /= np.linalg.norm(theta)
    direction = rng.normal(size=(C, K, d))
    direction /= np.linalg.norm(direction, axis=2, keepdims=True)
    # the radius of a uniform point in the d-ball has distribution function r^d
    length = radius * rng.uniform(size=(C, K, 1)) ** (1.0 / d)
    return ContextualPreferenceBandit(
        direction * length,
        theta,
        name=f"contextual_bt_bandit(contexts={C},K={K},d={d},radius={radius:g})",
    )
