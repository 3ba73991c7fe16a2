"""Exact values of an episodic MDP by plain numpy backward recursions.

Test oracle and benchmark baseline (``bench/tabular.py``): it shares no code with the library
and reads only the model's arrays ``P``, ``R`` and ``initial``.
"""

from __future__ import annotations

import numpy as np


def stage_kernel(mdp, h: int) -> np.ndarray:
    """The dense stage-``h`` kernel (S, A, S) of an episodic MDP, read from ``mdp.P``."""
    P = np.asarray(mdp.P)
    return P[h] if P.shape[0] > 1 else P[0]


def optimal_q(mdp) -> np.ndarray:
    """Optimal Q-values (H, S, A) by backward induction."""
    Q = np.zeros((mdp.H, mdp.S, mdp.A))
    v = np.zeros(mdp.S)
    for h in reversed(range(mdp.H)):
        Q[h] = mdp.R[h] + np.einsum("sat,t->sa", stage_kernel(mdp, h), v)
        v = Q[h].max(axis=1)
    return Q


def policy_value(mdp, policy: np.ndarray) -> float:
    """Value of the start distribution under the deterministic policy ``policy[h, s]``."""
    v = np.zeros(mdp.S)
    states = np.arange(mdp.S)
    for h in reversed(range(mdp.H)):
        a = policy[h]
        v = mdp.R[h][states, a] + stage_kernel(mdp, h)[states, a] @ v
    return float(mdp.initial @ v)
