"""The preference bandits a learner accepts, read into stacked float64 arrays.

One :class:`~mdptheory.preferences.PreferenceBandit` with a dataset, or a sequence of them
with the same K. Every loss depends on a dataset only through its win counts ``W[i, j]``, so
datasets of different sizes stack as ``W`` (N, K, K).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mdptheory.preferences import PreferenceBandit


@dataclass(frozen=True)
class PreferenceBatch:
    """Win counts (N, K, K), ``log pi_ref`` (N, K) and names of N preference bandits."""

    counts: np.ndarray
    log_reference: np.ndarray
    names: tuple[str, ...]
    models: tuple[PreferenceBandit, ...]


def read_preference_bandits(models: Any) -> PreferenceBatch:
    """Read one preference bandit with a dataset, or a sequence of them of equal K.

    Examples
    --------
    >>> from mdptheory.preferences import PreferenceBandit, PreferenceDataset
    >>> bandit = PreferenceBandit.bradley_terry([1.0, 0.0], dataset=PreferenceDataset([0], [1], 2))
    >>> read_preference_bandits(bandit).counts.tolist()
    [[[0.0, 1.0], [0.0, 0.0]]]
    """
    model_list = (models,) if isinstance(models, PreferenceBandit) else models
    if not isinstance(model_list, Sequence) or isinstance(model_list, str) or not model_list:
        raise ValueError(
            f"expected a PreferenceBandit or a sequence of them, got {type(models).__name__}"
        )
    for i, m in enumerate(model_list):
        if not isinstance(m, PreferenceBandit):
            raise ValueError(f"model {i} is a {type(m).__name__}, not a PreferenceBandit")
        if m.dataset is None:
            raise ValueError(
                f"model {i} ({m.name}) has no dataset: IPO and DPO learn from a "
                "finite dataset of pairs"
            )
    sizes = sorted({m.K for m in model_list})
    if len(sizes) != 1:
        raise ValueError(f"preference bandits in a batch need the same K, got {sizes}")
    counts = np.stack([m.dataset.counts() for m in model_list])
    log_ref = np.stack([np.log(m.reference) for m in model_list])
    return PreferenceBatch(counts, log_ref, tuple(m.name for m in model_list), tuple(model_list))
