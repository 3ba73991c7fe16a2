"""PEVI (Jin, Yang, Wang 2021, Algorithm 2) transcribed sample by sample, without aggregation.

Test oracle and benchmark baseline for ``algorithms.offline.pevi``. It shares no code with the
learner: for every stage it rebuilds ``Lambda_h`` and the regression target from every logged
transition, one rank-one update at a time, inverts ``Lambda_h`` explicitly and evaluates the
pessimistic Q of each pair in a Python loop. Pure numpy, float64.
"""

from __future__ import annotations

import numpy as np


def reference_pevi(phi: np.ndarray, data, beta: float, lam: float):
    """``(Q, V)`` of Algorithm 2 on the log ``data`` (an ``OfflineDataset``): Q (H, S, A) and
    V (H, S), with ``Q_h = min(max(phi^T w_h - beta ||phi||_{Lambda_h^{-1}}, 0), H - h)``."""
    S, A, d = phi.shape
    H = data.H
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    rows_by_stage = [np.flatnonzero(data.stage == h) for h in range(H)]
    for h in range(H - 1, -1, -1):
        Lambda = lam * np.eye(d)
        target = np.zeros(d)
        for i in rows_by_stage[h]:
            x = phi[data.state[i], data.action[i]]
            Lambda += np.outer(x, x)
            target += x * (data.reward[i] + V[h + 1, data.next_state[i]])
        inv = np.linalg.inv(Lambda)
        w = inv @ target
        for s in range(S):
            for a in range(A):
                x = phi[s, a]
                q = x @ w - beta * np.sqrt(x @ inv @ x)
                Q[h, s, a] = min(max(q, 0.0), H - h)
            V[h, s] = Q[h, s].max()
    return Q, V[:H]
