"""Risk instances: MDPs whose risk-averse optimum differs from the mean optimum.

:func:`safe_vs_risky_route` is a four-state episodic MDP in which the policy that maximises the
expected return takes a risky route, while the policy that maximises the CVaR at level
``alpha`` of the return, both the static CVaR of the total return and the iterated CVaR
(Du, Wang and Huang, ICLR 2023, eq. (i)-(ii)), takes the safe one whenever
``alpha <= crash_prob``.

CVaR here is the lower-tail CVaR of a reward, ``CVaR^alpha(X) = sup_x {x - E[(x - X)^+]/alpha}``
(Rockafellar and Uryasev, 2000): ``alpha = 1`` gives the mean, ``alpha -> 0`` the minimum.
"""

from __future__ import annotations

import numpy as np

from instances.tabular import _check_float, _check_int, _check_size, _label, _one_hot
from mdptheory.linear import LowRankMDP
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "ROUTE_ACTIONS",
    "ROUTE_STATES",
    "du2023_hard_instance",
    "latent_cvar_garnet",
    "lucky_start_instance",
    "safe_vs_risky_route",
]

ROUTE_STATES = ("fork", "safe", "risky", "crashed")
"""State names of :func:`safe_vs_risky_route`, in index order."""

ROUTE_ACTIONS = ("safe", "risky")
"""Action names: 0 takes (or bails out to) the safe road, 1 takes (or stays on) the risky road."""


def safe_vs_risky_route(
    H: int = 3, safe_reward: float = 0.5, risky_reward: float = 1.0, crash_prob: float = 0.1
) -> EpisodicMDP:
    """A fork between a safe road with a sure reward and a risky road that may end in a crash.

    States (:data:`ROUTE_STATES`): 0 ``fork`` (the start), 1 ``safe``, 2 ``risky``,
    3 ``crashed``. Actions (:data:`ROUTE_ACTIONS`): 0 ``safe``, 1 ``risky``.

    ::

                   a=0, r=0                 any a, r=safe_reward
        fork ---------------------> safe <----------------------+ (stays)
          |                          ^
          | a=1, r=0                 | a=0 (bail out), r=safe_reward
          v                          |
        (1-p) --> risky --------------+
          |         |  a=1, r=risky_reward: stay w.p. 1-p, crash w.p. p
          p         v
          +-----> crashed  (absorbing, r=0)

    With ``p = crash_prob``, entering the risky road and every risky step crash with
    probability ``p``; a crash forfeits every later reward. The last decision is made at stage
    ``H - 1`` (stages ``h = 0..H-1``; papers count ``1..H``).

    What the criteria choose at the fork (returns are totals over the ``H`` stages):

    * safe road: the sure return ``(H-1) * safe_reward``;
    * mean: the risky road whenever its expected return beats that, e.g. with the defaults
      (``H=3``) the risky road returns 2, 1, 0 with probabilities 0.81, 0.09, 0.1, mean 1.71,
      against 1.0 on the safe road;
    * static CVaR_alpha of the return and iterated CVaR_alpha, for ``alpha <= crash_prob``: the
      safe road, since every policy that enters the risky road has return 0 with probability
      at least ``p >= alpha`` (static), and the fork's iterated CVaR of ``(V(risky), 0)`` with
      weights ``(1-p, p)`` is 0 (iterated).

    Rewards lie in [0, 1], as the iterated-CVaR theory assumes.

    Parameters
    ----------
    H : int
        Horizon, >= 2.
    safe_reward : float
        Reward per stage on the safe road, ``0 < safe_reward < risky_reward``.
    risky_reward : float
        Reward per stage on the risky road, ``<= 1``.
    crash_prob : float
        Crash probability per risky transition, in (0, 1).

    Returns
    -------
    EpisodicMDP
        Stationary, deterministic rewards, starting at ``fork``.

    Examples
    --------
    >>> mdp = safe_vs_risky_route()
    >>> mdp.name, mdp.S, mdp.A, mdp.H
    ('safe_vs_risky_route(H=3,safe_reward=0.5,risky_reward=1,crash_prob=0.1)', 4, 2, 3)
    """
    family = "safe_vs_risky_route"
    H = _check_int(family, "H", H, 2)
    risky_reward = _check_float(family, "risky_reward", risky_reward, 0.0, 1.0, low_open=True)
    safe_reward = _check_float(
        family, "safe_reward", safe_reward, 0.0, risky_reward, low_open=True, high_open=True
    )
    crash_prob = _check_float(
        family, "crash_prob", crash_prob, 0.0, 1.0, low_open=True, high_open=True
    )
    fork, safe, risky, crashed = range(4)
    P = np.zeros((4, 2, 4))
    R = np.zeros((4, 2))
    P[fork, 0, safe] = 1.0
    P[fork, 1, risky] = 1.0 - crash_prob
    P[fork, 1, crashed] = crash_prob
    P[safe, :, safe] = 1.0
    R[safe, :] = safe_reward
    P[risky, 0, safe] = 1.0
    R[risky, 0] = safe_reward
    P[risky, 1, risky] = 1.0 - crash_prob
    P[risky, 1, crashed] = crash_prob
    R[risky, 1] = risky_reward
    P[crashed, :, crashed] = 1.0
    name = _label(
        family, H=H, safe_reward=safe_reward, risky_reward=risky_reward, crash_prob=crash_prob
    )
    return EpisodicMDP(P, R, H=H, initial=_one_hot(4, fork), name=name)


def du2023_hard_instance(
    n: int = 4,
    A: int = 2,
    H: int = 60,
    alpha: float = 0.2,
    eta: float = 0.002,
    optimal_action: int | None = None,
) -> EpisodicMDP:
    """The lower-bound instance H8 of Du, Wang, Huang (ICLR 2023, arXiv:2206.02678), Figure 1.

    States ``s_1..s_n`` (indices ``0..n-1``) with reward 0 and absorbing ``x_1, x_2, x_3``
    (indices ``n, n+1, n+2``) with per-step rewards 1, 0.8 and 0.2. Under every action
    ``s_1 -> (s_2, x_1, x_2, x_3)`` with probabilities ``(alpha, 1 - 3 alpha, alpha, alpha)`` and
    ``s_i -> (s_{i+1}, x_1)`` with ``(alpha, 1 - alpha)`` for ``2 <= i <= n-1``. The bandit state
    ``s_n`` goes to ``(x_2, x_3)`` with ``(1 - alpha + eta, alpha - eta)`` under the optimal action
    and ``(1 - alpha, alpha)`` under the others. Start at ``s_1``; ``s_n`` is reached only at
    stage ``n - 1`` (paper step n), with probability ``alpha^{n-1}``. When ``eta < alpha (n - 1)
    / (3 (H - n))`` the iterated-CVaR gap at ``s_1`` between the optimal action at ``s_n`` and
    any other is exactly ``0.6 (eta / alpha) (H - n)`` (derived in docs/risk.md, not in the
    paper).

    ``optimal_action`` defaults to the last action, so that a learner breaking ties towards the
    smallest index does not pick it by luck.

    Examples
    --------
    >>> mdp = du2023_hard_instance(n=4, A=2, H=60, alpha=0.2, eta=0.002)
    >>> mdp.S, mdp.A, mdp.H
    (7, 2, 60)
    """
    family = "du2023_hard_instance"
    n = _check_int(family, "n", n, 2)
    A = _check_int(family, "A", A, 1)
    H = _check_int(family, "H", H, 1)
    alpha = _check_float(family, "alpha", alpha, 0.0, 1.0, low_open=True)
    if not alpha <= 1.0 / 3.0:
        raise ValueError(
            f"alpha must lie in (0, 1/3] (s_1 moves to x_1 w.p. 1 - 3 alpha), got {alpha!r}"
        )
    eta = _check_float(family, "eta", eta, 0.0)
    if not eta <= alpha:
        raise ValueError(f"eta must lie in [0, alpha], got {eta!r}")
    optimal_action = A - 1 if optimal_action is None else optimal_action
    optimal_action = _check_int(family, "optimal_action", optimal_action, 0, A - 1)
    _check_size(family, n + 3, A, H, f"n={n}, A={A}")
    S = n + 3
    x1, x2, x3 = n, n + 1, n + 2
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    P[0, :, 1] = alpha
    P[0, :, x1] += 1.0 - 3.0 * alpha
    P[0, :, x2] += alpha
    P[0, :, x3] += alpha
    for i in range(1, n - 1):
        P[i, :, i + 1] = alpha
        P[i, :, x1] = 1.0 - alpha
    P[n - 1, :, x2] = 1.0 - alpha
    P[n - 1, :, x3] = alpha
    P[n - 1, optimal_action, x2] = 1.0 - alpha + eta
    P[n - 1, optimal_action, x3] = alpha - eta
    for x, reward in ((x1, 1.0), (x2, 0.8), (x3, 0.2)):
        P[x, :, x] = 1.0
        R[x, :] = reward
    initial = np.zeros(S)
    initial[0] = 1.0
    name = f"du2023_hard(n={n},A={A},H={H},alpha={alpha:g},eta={eta:g})"
    return EpisodicMDP(P, R, H, initial=initial, name=name)


def lucky_start_instance() -> EpisodicMDP:
    """A 6-state, H = 3 instance where the static-CVaR optimum needs the accumulated reward.

    The start is ``lucky`` (reward 1) or ``unlucky`` (reward 0) with probability 1/2 each; both
    lead to the same state ``merge``, where action 0 is safe (reward 0.5 next) and action 1 a
    gamble (reward 1 with probability 0.6, else 0). A Markov policy sees only ``merge``; the
    CVaR-optimal policy gambles after the unlucky start and plays safe after the lucky one. At
    alpha = 0.6 the optimum is 0.75 and the best Markov policy (deterministic or randomised at
    ``merge``) gets 2/3.
    """
    S, A = 6, 2
    lucky, unlucky, merge, safe, win, lose = range(S)
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    P[lucky, :, merge] = 1.0
    R[lucky, :] = 1.0
    P[unlucky, :, merge] = 1.0
    P[merge, 0, safe] = 1.0
    P[merge, 1, win] = 0.6
    P[merge, 1, lose] = 0.4
    for s, reward in ((safe, 0.5), (win, 1.0), (lose, 0.0)):
        P[s, :, s] = 1.0
        R[s, :] = reward
    return EpisodicMDP(P, R, 3, initial=[0.5, 0.5, 0, 0, 0, 0], name="lucky_start")


def latent_cvar_garnet(
    S: int = 6, A: int = 2, H: int = 3, d: int = 3, levels: int = 4, seed: int = 1
) -> LowRankMDP:
    """A random latent-variable low-rank MDP with rewards on a budget grid (static CVaR with
    unknown features).

    ``P(s'|s, a) = phi(s, a) . psi(s')`` with ``phi(s, a) ~ Dirichlet(0.5 * 1_d)`` (a
    distribution over ``d`` latent states) and each latent state's next-state distribution
    ``~ Dirichlet(0.5 * 1_S)``, the same at every stage; rewards ``round(levels U) / levels`` so
    they lie on the grid of width ``1 / levels``. Initial distribution uniform. With ``d < S``
    the features are identifiable from transitions, so a maximum-likelihood choice among
    candidate feature maps can find them; with the default seed, planning with a wrong candidate
    class gives a policy whose static CVaR at 0.25 is below the optimum.

    Examples
    --------
    >>> mdp = latent_cvar_garnet()
    >>> mdp.S, mdp.A, mdp.H, mdp.d, bool(np.all(mdp.R * 4 == np.round(mdp.R * 4)))
    (6, 2, 3, 3, True)
    """
    family = "latent_cvar_garnet"
    S = _check_int(family, "S", S, 2)
    A = _check_int(family, "A", A, 1)
    H = _check_int(family, "H", H, 1)
    d = _check_int(family, "d", d, 1)
    levels = _check_int(family, "levels", levels, 1)
    seed = _check_int(family, "seed", seed, 0)
    _check_size(family, S, A, H, f"S={S}, A={A}, H={H}")
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.full(d, 0.5), size=(S, A))
    psi = np.broadcast_to(rng.dirichlet(np.full(S, 0.5), size=d).T, (H, S, d))
    reward = np.round(rng.random((S, A)) * levels) / levels
    name = _label(family, S=S, A=A, H=H, d=d, levels=levels, seed=seed)
    return LowRankMDP(phi, psi, reward, name=name)
