"""Figure of docs/robust.md: R2PVI's exact robust sub-optimality against the data size.

Run from the project root: ``python docs/make_robust_offline_figures.py``. Writes
``docs/figures/robust_offline.png``:

* (a) well-explored data (uniform behaviour) on ``simplex_feature_linear_mdp(S=10, A=3, H=5,
  d=4)``, one instance per seed: the mean over 16 seeds of R2PVI's robust sub-optimality for
  the KL, TV and chi-square penalties (lambda = 0.3, c = 0.03), log-log, with an ``n^{-1/2}``
  reference line;
* (b) ``robust_route_linear_mdp()``: R2PVI-TV (lambda = 0.8) on data that cover the robust
  optimum (uniform) and on data that never take the safe road, and non-robust PEVI on the
  uniform data, all measured in robust sub-optimality; the dashed line is the exact level
  ``V*_rob - V^{fast}_rob = 0.08``.

Every sub-optimality is exact (:mod:`mdptheory.robust.d_rectangular` on the known model).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from algorithms.offline import (
    PEVI,
    R2PVI,
    collect,
    partial_coverage_behaviour,
    uniform_behaviour,
)
from instances.linear import robust_route_linear_mdp, simplex_feature_linear_mdp
from mdptheory.robust import d_rectangular_evaluate
from mdptheory.seeding import spawn_seeds

C = 0.03


def rate_panel(ax, n_seeds: int = 16) -> None:
    grid = np.unique(np.geomspace(30, 3000, 10).astype(np.int64))
    learners = [R2PVI(kind, penalty=0.3, c=C) for kind in ("kl", "tv", "chi2")]
    sub = np.zeros((n_seeds, grid.size, len(learners)))
    for i, ss in enumerate(spawn_seeds(0, n_seeds)):
        model_seed, data_seed = ss.spawn(2)
        model = simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=model_seed)
        data = collect(model, "uniform", int(grid[-1]), data_seed)
        for k, n in enumerate(grid):
            prefix = data.first_episodes(int(n))
            for j, learner in enumerate(learners):
                sub[i, k, j] = learner.fit(model, prefix).suboptimality
    for j, learner in enumerate(learners):
        ax.loglog(grid, sub[:, :, j].mean(axis=0), marker="o", ms=3, label=learner.label)
    anchor = sub[:, 3, :].mean()
    ax.loglog(grid, anchor * np.sqrt(grid[3] / grid), "k:", lw=0.8, label="slope -1/2")
    ax.set_xlabel("episodes n")
    ax.set_ylabel("mean robust sub-optimality")
    ax.set_title("(a) well-explored data, random d-rectangular family", fontsize=10)
    ax.legend(fontsize=7)


def coverage_panel(ax, n_seeds: int = 8) -> None:
    model = robust_route_linear_mdp()
    learner = R2PVI("tv", penalty=0.8, c=C)
    pevi = PEVI(c=C)
    full = uniform_behaviour(model)
    partial = partial_coverage_behaviour(model, [(0, 0, 1)], base=full)
    grid = np.unique(np.geomspace(10, 3000, 10).astype(np.int64))
    curves = {
        "R2PVI-TV, robust optimum covered": np.zeros((n_seeds, grid.size)),
        "R2PVI-TV, safe road never taken": np.zeros((n_seeds, grid.size)),
        "PEVI (non-robust), covered": np.zeros((n_seeds, grid.size)),
    }
    names = list(curves)
    level = None
    for i, ss in enumerate(spawn_seeds(1, n_seeds)):
        covered = collect(model, full, int(grid[-1]), ss.spawn(2)[0])
        uncovered = collect(model, partial, int(grid[-1]), ss.spawn(2)[1])
        for k, n in enumerate(grid):
            a = learner.fit(model, covered.first_episodes(int(n)))
            b = learner.fit(model, uncovered.first_episodes(int(n)))
            policy = pevi.fit(model, covered.first_episodes(int(n))).policy
            robust = d_rectangular_evaluate(model, learner.uncertainty, policy).value
            curves[names[0]][i, k] = a.suboptimality
            curves[names[1]][i, k] = b.suboptimality
            curves[names[2]][i, k] = a.robust_optimal_value - robust
            level = a.robust_optimal_value
    fast = np.zeros((model.H, model.S), dtype=np.int64)
    level -= d_rectangular_evaluate(model, learner.uncertainty, fast).value
    for name, values in curves.items():
        ax.semilogx(grid, values.mean(axis=0), marker="o", ms=3, label=name)
    ax.axhline(level, color="grey", ls="--", lw=0.8, label=f"V*_rob - V^fast_rob = {level:.2f}")
    ax.set_xlabel("episodes n")
    ax.set_ylabel("mean robust sub-optimality")
    ax.set_title("(b) robust_route_linear_mdp: coverage of the robust optimum", fontsize=10)
    ax.legend(fontsize=7)


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    rate_panel(axes[0])
    coverage_panel(axes[1])
    save(fig, FIGURES / "robust_offline.png", dpi=110)


if __name__ == "__main__":
    main()
