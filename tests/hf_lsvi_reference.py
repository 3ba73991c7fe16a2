"""What the numpy transcriptions of the horizon-free LSVI learners share (test oracles in
``test_horizon_free_lsvi.py`` and ``test_horizon_free_lsvi_range.py``): the sizes and radii
read off the recorded run, and the variance level of Algorithm 1's weighted regressions. Pure
numpy and the learners' public parameters; no code of the compiled learners."""

from __future__ import annotations

import math

from algorithms.linear import HFLSVI
from algorithms.linear.horizon_free_lsvi import hf_levels
from mdptheory.linear import LinearMDP


def transcription_constants(model: LinearMDP, learner: HFLSVI, actions):
    """``(K, H, S, A, d, phi, R, L, beta, beta_var)`` of a recorded run with ``actions`` (K, H):
    episodes, stages, sizes, the features as an (S A, d) matrix, the rewards ``R[h, s, a]``,
    the number of levels, and the radii of the value regressions and of the variance ones
    (the learner's ``c_var`` and ``p``)."""
    K, H = actions.shape
    S, A, d = model.phi.shape
    phi = model.phi.reshape(S * A, d)
    R = model.tabular().R
    beta = learner.beta(d, H, K)
    beta_var = HFLSVI(c=learner.c_var, p=learner.p).beta(d, H, K)
    return K, H, S, A, d, phi, R, hf_levels(H), beta, beta_var


def variance_level(v: float, L: int) -> int:
    """The level of a variance bound ``v``: floor(-log_4 v) clipped to 0..L-1, and the last
    level L - 1 when ``v <= 0``."""
    return L - 1 if v <= 0 else min(max(math.floor(-0.5 * math.log2(v)), 0), L - 1)
