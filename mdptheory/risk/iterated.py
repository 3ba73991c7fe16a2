r"""Iterated CVaR dynamic programming (Du, Wang, Huang, ICLR 2023, eqs. (i), (ii) and (2)).

* :class:`ICVaRSolution`, :func:`icvar_backward_induction`, :func:`icvar_evaluate`: the
  optimal iterated-CVaR values and policy (eq. (ii)) and the values of a policy (eq. (i)).
* :func:`worst_path_backward_induction`, :func:`worst_path_evaluate`: the ``alpha -> 0``
  limit, eq. (2).
* :func:`icvar_max_episode_regret`: the largest iterated-CVaR regret of one episode.

The backups run in the compiled kernels of :mod:`mdptheory.risk._kernels`. Stages are
``h = 0..H-1`` here and ``1..H`` in the paper (``V[h]`` is the paper's ``V_{h+1}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_value_scale
from mdptheory.planning import Solution
from mdptheory.risk._kernels import cvar_rows_kernel, icvar_dp_kernel, icvar_evaluate_kernel
from mdptheory.risk.measures import check_alpha
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "ICVaRSolution",
    "icvar_backward_induction",
    "icvar_evaluate",
    "icvar_max_episode_regret",
    "worst_path_backward_induction",
    "worst_path_evaluate",
]


@dataclass(frozen=True)
class ICVaRSolution(Solution):
    """Result of :func:`icvar_backward_induction` (a :class:`~mdptheory.planning.Solution`).

    ``values`` (H, S) are the optimal iterated-CVaR values ``V*_h`` of Du, Wang, Huang (2023),
    eq. (ii) (eq. (2) for the worst path), ``q`` (H, S, A) the ``Q*_h``, ``policy`` (H, S) a
    greedy deterministic Markov policy (ties to the smallest action), ``policy_values`` its
    exact iterated-CVaR value computed by a separate evaluation pass (eq. (i)); ``bound`` is 0.

    Attributes
    ----------
    alpha : float
        Risk level; 0.0 marks the worst-path limit.
    """

    alpha: float = 1.0

    @property
    def objective(self) -> str:
        return "worst-path" if self.alpha == 0.0 else f"iterated CVaR (alpha={self.alpha:g})"


def _episodic_arrays(mdp: EpisodicMDP, name: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(f"{name} needs an EpisodicMDP as mdp, got {type(mdp).__name__}")
    check_value_scale(mdp, name)
    P4 = np.ascontiguousarray(mdp.dense_P(), dtype=np.float64)
    R3 = np.ascontiguousarray(mdp.R, dtype=np.float64)
    return P4, R3


def _deterministic_policy(mdp: EpisodicMDP, policy) -> np.ndarray:
    pi = np.asarray(policy)
    if not np.issubdtype(pi.dtype, np.integer):
        raise ValueError(
            f"the iterated-CVaR value is defined here for deterministic policies: "
            f"pass an integer array of shape ({mdp.H}, {mdp.S}), got dtype "
            f"{pi.dtype}"
        )
    if pi.shape != (mdp.H, mdp.S):
        raise ValueError(f"policy has shape {pi.shape}, expected ({mdp.H}, {mdp.S})")
    bad = (pi < 0) | (pi >= mdp.A)
    if bad.any():
        h, s = np.unravel_index(int(np.flatnonzero(bad)[0]), pi.shape)
        raise ValueError(f"policy[{h}, {s}] is {int(pi[h, s])}, outside 0..{mdp.A - 1}")
    return np.ascontiguousarray(pi, dtype=np.int64)


def icvar_backward_induction(mdp: EpisodicMDP, alpha: float) -> ICVaRSolution:
    r"""Optimal iterated-CVaR values and policy (Du, Wang, Huang, ICLR 2023, eq. (ii)).

    ::

        Q*_h(s, a) = r_h(s, a) + CVaR^alpha_{s' ~ P_h(.|s, a)}( V*_{h+1}(s') ),
        V*_h(s) = max_a Q*_h(s, a),   V*_H = 0      (h = 0..H-1; the paper's h + 1)

    A deterministic Markov policy is optimal (Chu and Zhang 2014). ``V*_{h+1}`` is sorted once
    per stage and every (s, a) walks it in that order, so a stage costs O(S log S + S A S) with
    an early stop at mass ``alpha``. Mean rewards ``R`` are used (the paper's rewards are
    deterministic); a non-stationary kernel is supported.

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]. ``alpha = 1`` is risk-neutral backward induction.

    Returns
    -------
    ICVaRSolution

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((4, 2, 4))
    >>> P[0, 0, 1] = 1.0                        # fork -> safe road
    >>> P[0, 1, 2], P[0, 1, 3] = 0.9, 0.1       # fork -> win or crash
    >>> P[1:, :, 1:] = np.eye(3)[:, None, :]    # absorbing
    >>> R = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0], [0.0, 0.0]])
    >>> mdp = EpisodicMDP(P, R, H=2, initial=[1, 0, 0, 0])
    >>> [int(icvar_backward_induction(mdp, a).policy[0, 0]) for a in (0.05, 1.0)]
    [0, 1]
    """
    alpha = check_alpha(alpha)
    return _icvar_solve(mdp, alpha, "icvar_backward_induction")


def worst_path_backward_induction(mdp: EpisodicMDP) -> ICVaRSolution:
    """Optimal worst-path values: ``CVaR`` replaced by ``min`` over the support (eq. (2)).

    The ``alpha -> 0`` limit of :func:`icvar_backward_induction`: ``V*_h(s)`` is the largest
    cumulative reward that a policy guarantees from ``s`` on every path of positive probability.
    It equals the iterated-CVaR optimum for every ``alpha`` at most the smallest positive
    transition probability. Returned with ``alpha = 0.0``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=3, initial=[1, 0])
    >>> worst_path_backward_induction(mdp).values[0].tolist()
    [0.0, 3.0]
    """
    return _icvar_solve(mdp, 0.0, "worst_path_backward_induction")


def _icvar_solve(mdp: EpisodicMDP, alpha: float, method: str) -> ICVaRSolution:
    P4, R3 = _episodic_arrays(mdp, method)
    Q, V, policy = icvar_dp_kernel(P4, R3, alpha)
    V_pi = icvar_evaluate_kernel(P4, R3, alpha, policy)
    return ICVaRSolution(
        values=V[:-1],
        q=Q,
        policy=policy,
        policy_values=V_pi[:-1],
        bound=0.0,
        iterations=mdp.H,
        stop_reason="exact",
        method=method,
        alpha=alpha,
    )


def icvar_evaluate(mdp: EpisodicMDP, policy, alpha: float) -> np.ndarray:
    """Iterated-CVaR values ``V^pi_h(s)`` (H, S) of a deterministic policy (eq. (i)).

    ``V^pi_h(s) = r_h(s, a) + CVaR^alpha_{s' ~ P_h(.|s, a)}(V^pi_{h+1}(s'))``, ``a = pi[h, s]``,
    ``V^pi_H = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> icvar_evaluate(mdp, np.zeros((2, 2), dtype=int), 0.5)[0].tolist()
    [0.0, 2.0]
    """
    alpha = check_alpha(alpha)
    P4, R3 = _episodic_arrays(mdp, "icvar_evaluate")
    return icvar_evaluate_kernel(P4, R3, alpha, _deterministic_policy(mdp, policy))[:-1]


def worst_path_evaluate(mdp: EpisodicMDP, policy) -> np.ndarray:
    """Worst-path values (H, S) of a deterministic policy: eq. (2) with ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    >>> mdp = EpisodicMDP(P, [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> worst_path_evaluate(mdp, np.zeros((2, 2), dtype=int))[0].tolist()
    [0.0, 2.0]
    """
    P4, R3 = _episodic_arrays(mdp, "worst_path_evaluate")
    return icvar_evaluate_kernel(P4, R3, 0.0, _deterministic_policy(mdp, policy))[:-1]


def icvar_max_episode_regret(mdp: EpisodicMDP, alpha: float) -> float:
    r"""The largest iterated-CVaR regret one episode can have:
    ``V*_1(rho) - min_pi V^pi_1(rho)`` with iterated-CVaR values (Du, Wang, Huang 2023, eq. (i)).

    Exact: ``V*`` by :func:`icvar_backward_induction` and the minimum by the same backward
    induction with ``min`` over actions, ``W_h(s) = min_a r_h(s, a) + CVaR^alpha_{s' ~
    P_h(.|s, a)}(W_{h+1}(s'))``. CVaR is monotone in the values, so by induction ``W_h <= V^pi_h``
    in every state for every deterministic Markov policy ``pi``, with equality for the policy
    that attains the minima: ``W`` is the worst policy's iterated-CVaR value. Every episode's
    iterated-CVaR pseudo-regret ``rho @ (V*_1 - V^pi_1)`` (ICVaR-RM's, whose policies are
    deterministic Markov) lies in ``[0, icvar_max_episode_regret(mdp, alpha)]``.

    This range is not bounded by the risk-neutral one,
    :func:`mdptheory.evaluation.max_episode_regret`: a rare bad outcome counts ``1 / alpha``
    times more under CVaR than in the mean, so the iterated-CVaR range can exceed the mean range
    by up to that factor (example below); it is at most ``H`` times the reward range.

    Parameters
    ----------
    mdp : EpisodicMDP
    alpha : float
        Risk level in (0, 1]; ``alpha = 1`` gives the risk-neutral range.

    Returns
    -------
    float

    Examples
    --------
    A fork with a sure road (reward 1 afterwards) and a road that crashes (reward 0) with
    probability 0.1: the mean loses 0.1, the CVaR at alpha = 0.5 loses 0.2.

    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from mdptheory.evaluation import max_episode_regret
    >>> P = np.zeros((3, 2, 3))
    >>> P[0, 0, 1], P[0, 1, 1], P[0, 1, 2] = 1.0, 0.9, 0.1     # fork: sure road or risky one
    >>> P[1:, :, 1:] = np.eye(2)[:, None, :]                   # absorbing
    >>> R = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    >>> mdp = EpisodicMDP(P, R, H=2, initial=[1, 0, 0])
    >>> round(icvar_max_episode_regret(mdp, 0.5), 12), round(max_episode_regret(mdp), 12)
    (0.2, 0.1)
    """
    alpha = check_alpha(alpha)
    P4, R3 = _episodic_arrays(mdp, "icvar_max_episode_regret")
    _, V, _ = icvar_dp_kernel(P4, R3, alpha)
    H, S, A = R3.shape
    low = np.zeros(S)
    backup = np.empty(S * A)
    for h in range(H - 1, -1, -1):
        rows = np.ascontiguousarray(P4[h if P4.shape[0] > 1 else 0].reshape(S * A, S))
        cvar_rows_kernel(rows, low, alpha, backup)
        low = (R3[h] + backup.reshape(S, A)).min(axis=1)
    return float(np.asarray(mdp.initial, dtype=np.float64) @ (V[0] - low))
