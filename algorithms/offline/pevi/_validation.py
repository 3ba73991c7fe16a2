"""Input checks of PEVI: a linear MDP with ``||phi|| <= 1``, mean rewards in [0, 1], data of
the model's sizes."""

from __future__ import annotations

from typing import Any

import numpy as np

from algorithms._validation import check_unit_rewards
from algorithms.offline.datasets import OfflineDataset, TransitionCounts
from mdptheory.linear import LinearMDP
from mdptheory.tabular import EpisodicMDP

FEATURE_NORM_TOL = 1e-9


def _check_rewards(mdp: EpisodicMDP, learner: str) -> None:
    check_unit_rewards(mdp.R, learner, "clip to [0, H - h + 1] and bound")


def _check_linear_model(model: Any, learner: str) -> tuple[LinearMDP, np.ndarray]:
    if not isinstance(model, LinearMDP):
        raise ValueError(
            f"{learner} needs a LinearMDP (features phi), got {type(model).__name__}: {model!r}"
        )
    norms = np.linalg.norm(model.phi, axis=2)
    if (norms > 1.0 + FEATURE_NORM_TOL).any():
        s, a = np.unravel_index(int(np.argmax(norms)), norms.shape)
        raise ValueError(
            f"||phi[{s}, {a}]|| is {float(norms[s, a])!r} > 1; the linear MDP of "
            "Jin et al. needs ||phi(x, a)|| <= 1"
        )
    _check_rewards(model.tabular(), learner)
    features = np.ascontiguousarray(model.phi.reshape(model.S * model.A, model.d))
    return model, features


def _statistics(mdp: EpisodicMDP, data: OfflineDataset | TransitionCounts) -> TransitionCounts:
    if isinstance(data, OfflineDataset):
        stats = data.aggregate()
    elif isinstance(data, TransitionCounts):
        stats = data
    else:
        raise ValueError(
            f"data must be an OfflineDataset or TransitionCounts, got {type(data).__name__}"
        )
    _check_sizes(stats, mdp)
    return stats


def _check_sizes(data: OfflineDataset | TransitionCounts, mdp: EpisodicMDP) -> None:
    if (data.S, data.A, data.H) != (mdp.S, mdp.A, mdp.H):
        raise ValueError(
            f"the data are for (S, A, H) = {(data.S, data.A, data.H)}, the "
            f"model has {(mdp.S, mdp.A, mdp.H)}"
        )
