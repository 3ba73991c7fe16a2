"""Figures of docs/diagnostics.md.

Run from the project root: ``python docs/make_diagnostics_figures.py``. Writes

* ``docs/figures/diagnostics_bisimulation.png``: (a) the bisimulation metric of
  ``interval_walk(N=64)`` (c_T = gamma = 0.9); (b) the largest change of the metric at 8 fixed
  points when the discretisation is refined, against N, for 4 reward phases, with the N^{-1}
  of a piecewise-constant approximation; (c) ``|V*(s) - V*(t)|`` against ``d(s, t) / c_R``
  for every pair of ``river_swim(S=8, gamma=0.9)`` (on the diagonal) and of the walk: no pair
  above the diagonal.
* ``docs/figures/diagnostics_effective_horizon.png``: episodes per stage SQIRL with
  ``k = k*`` needs before its first optimal policy on ``effective_horizon_lure(H=12, A=2)``,
  ``k* = 1..6`` (median and range over 16 seeds), against ``A^{k*}`` and ``A^H``, with the
  combination lock of the same horizon (``k* = 1``, effective horizon H).
* ``docs/figures/diagnostics_coverability.png``: ``C_h / (S A)`` per stage for catalogue
  instances.

Metrics, k* and coverability are exact; only SQIRL's episodes are sampled.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from algorithms.effective_horizon import SQIRL
from instances.structure import effective_horizon_lure, interval_walk
from instances.tabular import combination_lock, deep_sea, garnet, gridworld, river_swim
from mdptheory import solve
from mdptheory.diagnostics.bisimulation import bisimulation_metric
from mdptheory.diagnostics.coverability import coverability
from mdptheory.diagnostics.effective_horizon import effective_horizon
from mdptheory.seeding import spawn_seeds

POINTS = (np.arange(8) + 0.5) / 8


def bisimulation_figure(path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    walk = interval_walk(N=64)
    metric = bisimulation_metric(walk).distance
    image = axes[0].imshow(metric, origin="lower", extent=(0, 1, 0, 1), cmap="viridis")
    fig.colorbar(image, ax=axes[0], fraction=0.046)
    axes[0].set_title("(a) d(x, y) on interval_walk(N=64)", fontsize=10)
    axes[0].set_xlabel("x")
    axes[0].set_ylabel("y")

    resolutions = (8, 16, 32, 64, 128)
    for seed in range(4):
        previous, changes = None, []
        for N in resolutions:
            d = bisimulation_metric(interval_walk(N=N, seed=seed), tol=1e-8).distance
            cells = np.minimum((POINTS * N).astype(int), N - 1)
            current = d[np.ix_(cells, cells)]
            if previous is not None:
                changes.append(np.abs(current - previous).max())
            previous = current
        axes[1].loglog(resolutions[1:], changes, "o-", lw=1, label=f"reward phases, seed {seed}")
    x = np.array(resolutions[1:], dtype=float)
    axes[1].loglog(x, 0.6 / x, "k:", label="N^-1")
    axes[1].set_xticks(x, [str(int(n)) for n in x])
    axes[1].minorticks_off()
    axes[1].set_xlabel("cells N")
    axes[1].set_ylabel("max |d_N - d_{N/2}| at 8 points")
    axes[1].set_title("(b) refining the discretisation", fontsize=10)
    axes[1].legend(fontsize=7)

    top = 0.0
    for mdp, colour in ((river_swim(S=8, gamma=0.9), "C3"), (walk, "C0")):
        result = bisimulation_metric(mdp)
        V = solve(mdp).values
        upper = np.triu_indices(mdp.S, k=1)
        bound = result.distance[upper] / result.c_R
        gap = np.abs(V[:, None] - V[None, :])[upper]
        top = max(top, float(bound.max()))
        axes[2].scatter(bound, gap, s=5, alpha=0.5, color=colour, label=mdp.name.split("(")[0])
    axes[2].plot([0, top], [0, top], "k--", lw=1, label="|V*(s) - V*(t)| = d(s, t) / c_R")
    axes[2].set_xlabel("d(s, t) / c_R")
    axes[2].set_ylabel("|V*(s) - V*(t)|")
    axes[2].set_title("(c) value bound, every pair (gamma = c_T = 0.9)", fontsize=10)
    axes[2].legend(fontsize=8)
    save(fig, path, 110)


def first_success(mdp, k: int, grid: np.ndarray, seed) -> float:
    for m, child in zip(grid, spawn_seeds(seed, grid.size), strict=True):
        if SQIRL(k=k, episodes_per_stage=int(m)).learn(mdp, seed=child).optimal():
            return float(m)
    return np.nan


def effective_horizon_figure(path: Path) -> None:
    H, A, n_seeds = 12, 2, 16
    grid = 2.0 ** np.arange(0, H + 2)
    k_values = np.arange(1, 7)
    needed = np.empty((n_seeds, k_values.size))
    for j, k_star in enumerate(k_values):
        mdp = effective_horizon_lure(H=H, k_star=int(k_star), A=A, seed=int(k_star))
        assert effective_horizon(mdp).k_star == k_star
        for i, child in enumerate(spawn_seeds(int(k_star), n_seeds)):
            needed[i, j] = first_success(mdp, int(k_star), grid, child)
    lock = combination_lock(S=H + 1, A=A, H=H, seed=0)
    lock_needed = [first_success(lock, 1, grid, child) for child in spawn_seeds(99, n_seeds)]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    median = np.median(needed, axis=0)
    ax.fill_between(k_values, needed.min(axis=0), needed.max(axis=0), color="C0", alpha=0.2)
    ax.semilogy(k_values, median, "o-", color="C0", label="SQIRL(k = k*), median and range")
    ax.semilogy(k_values, float(A) ** k_values, "k:", label="A^k*")
    ax.axhline(float(A) ** H, color="C3", ls="--", label=f"A^H = {A**H}")
    ax.errorbar(
        [1],
        [np.nanmedian(lock_needed)],
        yerr=[
            [np.nanmedian(lock_needed) - np.nanmin(lock_needed)],
            [np.nanmax(lock_needed) - np.nanmedian(lock_needed)],
        ],
        fmt="s",
        color="C3",
        capsize=3,
        label="combination lock: k* = 1, effective horizon H",
    )
    ax.set_xlabel("k* (every instance has H = 12, A = 2)")
    ax.set_ylabel("episodes per stage to the first optimal policy")
    ax.set_title("SQIRL needs about A^k* rollouts per stage, not A^H", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, path, 110)


def coverability_figure(path: Path) -> None:
    models = [
        garnet(S=20, A=4, H=15, seed=0),
        river_swim(S=6, H=15),
        deep_sea(N=10),
        gridworld(H=15),
        combination_lock(S=10, A=2, H=15, seed=0),
        effective_horizon_lure(H=15, k_star=4),
    ]
    fig, ax = plt.subplots(figsize=(7, 6))
    for mdp in models:
        result = coverability(mdp)
        stages = np.arange(1, mdp.H + 1)
        ax.plot(
            stages,
            result.per_stage / (mdp.S * mdp.A),
            "o-",
            ms=3,
            lw=1,
            label=f"{mdp.name} (C_cov = {result.value:.3g}, SA = {mdp.S * mdp.A})",
        )
    ax.axhline(1.0, color="k", ls="--", lw=1, label="SA")
    ax.set_xlabel("stage h (papers)")
    ax.set_ylabel("C_h / (S A)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Coverability per stage, exact (reachability DP)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.12))
    save(fig, path, 110)


def main() -> None:
    bisimulation_figure(FIGURES / "diagnostics_bisimulation.png")
    effective_horizon_figure(FIGURES / "diagnostics_effective_horizon.png")
    coverability_figure(FIGURES / "diagnostics_coverability.png")
    print(f"wrote the diagnostics figures to {FIGURES}")


if __name__ == "__main__":
    main()
