r"""The optimal static CVaR of the total return, exactly, by state augmentation.

:class:`StaticCVaRSolution` and :func:`static_cvar_optimum`: ``max_pi CVaR^alpha(G^pi)`` over
history-dependent policies, with the state augmented by the reward accumulated so far
(Bauerle and Ott 2011; distributional DP with stock augmentation, Avila Pires, Rowland, Borsa,
Guo, Khetarpal, Barreto, Abel, Munos, Dabney, "Optimizing Return Distributions with
Distributional Dynamic Programming", JMLR 2025, arXiv:2501.13028). Stages are ``h = 0..H-1``
here and ``1..H`` in the papers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mdptheory.risk.distribution import ATOM_DECIMALS, ReturnDistribution, _reward_atoms
from mdptheory.risk.measures import check_alpha
from mdptheory.tabular import EpisodicMDP

__all__ = ["StaticCVaRSolution", "static_cvar_optimum"]


@dataclass(frozen=True)
class StaticCVaRSolution:
    """Result of :func:`static_cvar_optimum`.

    Attributes
    ----------
    value : float
        ``max_pi CVaR^alpha(G^pi)`` over all history-dependent policies, ``G`` the total return
        from the start distribution.
    threshold : float
        The maximising ``x*`` of ``x - E[(x - G)^+]/alpha`` (the optimal policy's VaR).
    alpha : float
    policy : dict
        ``policy[(h, s, c)] = a``: the optimal action at stage ``h`` in state ``s`` after
        accumulating reward ``c`` (rounded to :data:`ATOM_DECIMALS` decimals), for every
        augmented state reachable under some policy.
    distribution : ReturnDistribution
        Exact return distribution of that augmented policy.
    policy_value : float
        ``CVaR^alpha`` of ``distribution`` by sorting: a certificate equal to ``value`` up to
        rounding.
    n_augmented_states : int
        Reachable (stage, state, accumulated reward) triples.
    thresholds : ndarray
        Candidate ``x`` (every achievable total return) and ``objective`` the optimised
        ``x - min_pi E[(x - G)^+]/alpha`` at each.
    """

    value: float
    threshold: float
    alpha: float
    policy: dict[tuple[int, int, float], int]
    distribution: ReturnDistribution
    policy_value: float
    n_augmented_states: int
    thresholds: np.ndarray = field(repr=False)
    objective: np.ndarray = field(repr=False)

    def act(self, h: int, s: int, accumulated: float) -> int:
        """The optimal action at stage ``h`` in state ``s`` after accumulating ``accumulated``."""
        return self.policy[(int(h), int(s), _key(accumulated))]


def _key(x: float) -> float:
    return float(np.round(x, ATOM_DECIMALS)) + 0.0


def static_cvar_optimum(mdp: EpisodicMDP, alpha: float) -> StaticCVaRSolution:
    r"""The optimal static CVaR of the total return, exactly, by state augmentation.

    ``max_pi CVaR^alpha(G^pi) = max_x { x - (1/alpha) min_pi E[(x - G^pi)^+] }``
    (Rockafellar-Uryasev; Bauerle and Ott 2011, Thm 3.3). For fixed ``x`` the inner problem is
    an MDP on the augmented state ``(s, c)``, ``c`` the reward accumulated so far (the "stock"
    of distributional DP, Avila Pires et al., JMLR 2025, arXiv:2501.13028)::

        W_H(s, c) = (x - c)^+,
        W_h(s, c) = min_a sum_{r, s'} Pr(r | h, s, a) P_h(s' | s, a) W_{h+1}(s', c + r),

    so history enters only through ``c``. The optimal ``x`` is an atom of the optimal return
    distribution, hence an achievable total return; the DP runs for every such ``x`` at once
    (one vector per augmented state) and the best is kept. Exact; the cost grows with the
    number of reachable accumulated rewards, so this is for small instances (deterministic or
    Bernoulli rewards).

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]; ``alpha = 1`` gives the risk-neutral optimum.

    Returns
    -------
    StaticCVaRSolution

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((3, 2, 3))
    >>> P[0, 0, 1] = 1.0                        # a sure 0.4 now, then nothing
    >>> P[0, 1] = [0.0, 0.5, 0.5]               # a coin flip for 1 later
    >>> P[1:, :, 1:] = np.eye(2)[:, None, :]
    >>> mdp = EpisodicMDP(P, [[0.4, 0.0], [0.0, 0.0], [1.0, 1.0]], H=2, initial=[1, 0, 0])
    >>> sol = static_cvar_optimum(mdp, 0.5)
    >>> round(sol.value, 12), sol.act(0, 0, 0.0)
    (0.4, 0)
    """
    alpha = check_alpha(alpha)
    if not isinstance(mdp, EpisodicMDP):
        raise ValueError(f"static_cvar_optimum needs an EpisodicMDP, got {type(mdp).__name__}")
    if mdp.noise.kind == "gaussian":
        raise ValueError(
            "static_cvar_optimum needs finitely many reward values "
            "(deterministic or Bernoulli noise), got Gaussian noise"
        )
    H, S, A = mdp.H, mdp.S, mdp.A
    rho = np.asarray(mdp.initial)
    reward_atoms = [
        [[_reward_atoms(mdp, float(mdp.R[h, s, a])) for a in range(A)] for s in range(S)]
        for h in range(H)
    ]
    # Forward: reachable augmented states (s, c) per stage, under any policy. States are keyed
    # by c rounded (sums of the same rewards in another order differ by ulps); each keeps the
    # exact c of its first path, and every computation uses that exact value.
    layers: list[dict[tuple[int, float], int]] = []
    exact: list[list[float]] = []
    layer: dict[tuple[int, float], int] = {}
    for s in np.flatnonzero(rho > 0):
        layer[(int(s), 0.0)] = len(layer)
    layers.append(layer)
    exact.append([0.0] * len(layer))
    for h in range(H):
        P = mdp.transition(h)
        nxt: dict[tuple[int, float], int] = {}
        nxt_exact: list[float] = []
        for (s, _), i in layers[h].items():
            c = exact[h][i]
            for a in range(A):
                r_atoms, _ = reward_atoms[h][s][a]
                for s_next in np.flatnonzero(P[s, a] > 0):
                    for r in r_atoms:
                        key = (int(s_next), _key(c + r))
                        if key not in nxt:
                            nxt[key] = len(nxt)
                            nxt_exact.append(c + r)
        layers.append(nxt)
        exact.append(nxt_exact)
    terminal = np.array(exact[H])
    X = np.unique(terminal)
    # Backward: W[i, j] = min_pi E[(X_j - G)^+ | augmented state i at stage h].
    W = np.maximum(X[None, :] - terminal[:, None], 0.0)
    choices: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * H
    for h in range(H - 1, -1, -1):
        P = mdp.transition(h)
        nxt = layers[h + 1]
        W_h = np.empty((len(layers[h]), X.shape[0]))
        best_a = np.zeros((len(layers[h]), X.shape[0]), dtype=np.int64)
        for (s, _), i in layers[h].items():
            c = exact[h][i]
            best = np.full(X.shape[0], np.inf)
            for a in range(A):
                r_atoms, r_probs = reward_atoms[h][s][a]
                expected = np.zeros(X.shape[0])
                for s_next in np.flatnonzero(P[s, a] > 0):
                    for r, w in zip(r_atoms, r_probs, strict=True):
                        expected += (P[s, a, s_next] * w) * W[nxt[(int(s_next), _key(c + r))]]
                # Strict improvement only: ties keep the smallest action, as elsewhere.
                better = expected < best
                best = np.where(better, expected, best)
                best_a[i] = np.where(better, a, best_a[i])
            W_h[i] = best
        W = W_h
        choices[h] = best_a
    start = np.zeros(X.shape[0])
    for (s, _), i in layers[0].items():
        start += rho[s] * W[i]
    objective = X - start / alpha
    j = int(np.argmax(objective))
    policy = {(h, s, c): int(choices[h][i, j]) for h in range(H) for (s, c), i in layers[h].items()}
    distribution = _augmented_return_distribution(mdp, policy, reward_atoms)
    return StaticCVaRSolution(
        value=float(objective[j]),
        threshold=float(X[j]),
        alpha=alpha,
        policy=policy,
        distribution=distribution,
        policy_value=distribution.cvar(alpha),
        n_augmented_states=sum(len(layer) for layer in layers),
        thresholds=X,
        objective=objective,
    )


def _augmented_return_distribution(
    mdp: EpisodicMDP, policy: dict, reward_atoms
) -> ReturnDistribution:
    """Forward propagation of the law of (s, c) under a policy of the augmented state."""
    # key -> (probability, exact accumulated reward of the first path reaching the key)
    mass: dict[tuple[int, float], tuple[float, float]] = {
        (int(s), 0.0): (float(mdp.initial[s]), 0.0) for s in np.flatnonzero(mdp.initial > 0)
    }
    for h in range(mdp.H):
        P = mdp.transition(h)
        nxt: dict[tuple[int, float], tuple[float, float]] = {}
        for (s, c_key), (m, c) in mass.items():
            a = policy[(h, s, c_key)]
            r_atoms, r_probs = reward_atoms[h][s][a]
            for s_next in np.flatnonzero(P[s, a] > 0):
                for r, w in zip(r_atoms, r_probs, strict=True):
                    key = (int(s_next), _key(c + r))
                    previous, c_first = nxt.get(key, (0.0, c + r))
                    nxt[key] = (previous + m * P[s, a, s_next] * w, c_first)
        mass = nxt
    values = np.array([c for (_, c) in mass.values()])
    probs = np.array([m for (m, _) in mass.values()])
    return ReturnDistribution.from_atoms(values, probs / probs.sum())
