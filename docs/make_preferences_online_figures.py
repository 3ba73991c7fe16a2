"""Figures of the "Online" section of docs/preferences.md.

Run from the project root: ``python docs/make_preferences_online_figures.py``. Writes

* ``docs/figures/preferences_online_regret.png``: (a) MaxInP (radius scales 0.3 and 0.1) and
  the two controls (uniform pairs, greedy MLE pair) on the six-arm Bradley–Terry bandit of
  ``saha2021-maxinp-regret-slope``, cumulative exact pseudo-regret against T; (b) PR-LSVI
  (sigma = 0.5, eps = 0) and the learner without randomisation on the preference lock,
  cumulative exact regret against K. Mean and range over 8 seeds.
* ``docs/figures/preferences_online_frontier.png``: PR-LSVI's regret at K against its queries
  at K for eps in {1, 0.6, 0.3, 0.1, 0}, one point per seed and the seed means.

The runs are those of the checks (same instances, learners, budgets and seeds at quick scale).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, range_band, save

from algorithms.preferences import PRLSVI, MaxInP
from proofs_check.theorems.preferences_online import (
    EPS_GRID,
    SIGMA,
    _duel_curves,
    _pbrl_runs,
)

SEEDS = 8


band = partial(range_band, alpha=0.2)


def regret_figure(path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    T = 20_000
    t = np.arange(1, T + 1)
    learners = (
        (MaxInP(c=0.3), "C0"),
        (MaxInP(c=0.1), "C2"),
        (MaxInP(rule="uniform"), "C3"),
        (MaxInP(rule="greedy"), "C1"),
    )
    for learner, colour in learners:
        band(axes[0], t, _duel_curves(learner, T, SEEDS, 0), colour, learner.label)
    axes[0].plot(t, 3 * np.sqrt(t), "k--", lw=0.8, label="3 sqrt(T)")
    axes[0].set_title("MaxInP on a 6-arm BT bandit (one-hot)", fontsize=10)
    axes[0].set_xlabel("rounds T")
    axes[0].set_ylabel("cumulative pseudo-regret")
    K = 3_000
    k = np.arange(1, K + 1)
    for learner, colour in (
        (PRLSVI(eps=0.0, sigma_r=SIGMA, sigma_p=SIGMA), "C0"),
        (PRLSVI(eps=0.0, sigma_r=0.0, sigma_p=0.0), "C3"),
    ):
        band(axes[1], k, _pbrl_runs(learner, K, SEEDS, 0)[0], colour, learner.label)
    axes[1].plot(k, 3 * np.sqrt(k), "k--", lw=0.8, label="3 sqrt(K)")
    axes[1].set_title("PR-LSVI on the preference lock (H = 4)", fontsize=10)
    axes[1].set_xlabel("episodes K")
    axes[1].set_ylabel("cumulative exact regret")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    save(fig, path, dpi=120)


def frontier_figure(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4.2))
    K = 3_000
    means = []
    for i, eps in enumerate(EPS_GRID):
        regret, queries = _pbrl_runs(PRLSVI(eps=eps, sigma_r=SIGMA, sigma_p=SIGMA), K, SEEDS, 0)
        r, q = regret[:, -1], np.maximum(queries[:, -1], 1.0)
        ax.scatter(q, r, color=f"C{i}", s=14, alpha=0.6, label=f"eps = {eps:g}")
        means.append((q.mean(), r.mean()))
    means = np.array(means)
    ax.plot(means[:, 0], means[:, 1], "k-o", ms=4, label="seed means")
    ax.set_xscale("log")
    ax.set_xlabel(f"queries in K = {K} episodes")
    ax.set_ylabel("cumulative exact regret at K")
    ax.set_title("PR-LSVI: regret against queries, eps swept (8 seeds)", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, path, dpi=120)


def main() -> None:
    regret_figure(FIGURES / "preferences_online_regret.png")
    print(f"wrote {FIGURES / 'preferences_online_regret.png'}")
    frontier_figure(FIGURES / "preferences_online_frontier.png")
    print(f"wrote {FIGURES / 'preferences_online_frontier.png'}")


if __name__ == "__main__":
    main()
