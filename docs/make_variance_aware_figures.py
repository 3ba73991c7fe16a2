"""Figure of docs/variance_aware.md: regret against the horizon H at fixed K, on the
horizon-free family, for the linear learners on one plot.

Run from the project root: ``python docs/make_variance_aware_figures.py`` (``--quick`` for a
smaller grid). Writes ``docs/figures/variance_aware_horizon.png`` and prints the numbers.

Family: ``horizon_free_stationary_simplex(S=10, A=3, H, d=4, seed=0)`` (simplex features, one
kernel and one reward vector for every stage, every reward divided by the exact largest total
reward of a trajectory, so every episode's return is at most 1; the same features, kernel and
rewards at every H), H in ``HORIZONS``; K episodes, ``SEEDS`` seeds; the y value is the mean
cumulative exact pseudo-regret at K (it cannot exceed K, the horizon-free trivial bound). A
slope near 0 in H is the horizon-free behaviour. The stationary family is used because HF-LSVI
pools its estimators over the stages and refuses a kernel that changes with h.

Learners are the entries of :data:`LEARNERS` (label -> factory of an object with
``run(model, budget, seed)`` returning a trace with ``cumulative``): add an entry to put
another linear learner on the same plot.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, save

from algorithms.linear import HFLSVI, LSVIUCB, ScaledHFLSVI, ScaledLSVIUCBPP
from instances.variance_aware import horizon_free_stationary_simplex

HORIZONS = (5, 10, 20, 40, 80)
K = 5_000
SEEDS = 3
LEARNERS: dict[str, Callable[[], object]] = {
    "LSVI-UCB (paper c = 1)": LSVIUCB,
    "LSVI-UCB++ (scaled c = 0.03, c_var = 1e-4)": ScaledLSVIUCBPP,
    "HF-LSVI (paper form c = 1, reconstructed)": HFLSVI,
    "HF-LSVI (scaled c = c_var = 0.03)": ScaledHFLSVI,
}
"""Curves of the figure; further linear learners go here."""


def regret_against_horizon(horizons: tuple[int, ...], K: int, seeds: int) -> dict[str, np.ndarray]:
    """Mean final cumulative pseudo-regret, shape (len(horizons),), per learner label."""
    out = {}
    for label, make in LEARNERS.items():
        values = []
        for H in horizons:
            model = horizon_free_stationary_simplex(S=10, A=3, H=H, d=4, seed=0)
            runs = [make().run(model, K, seed).cumulative[-1] for seed in range(seeds)]
            values.append(float(np.mean(runs)))
        out[label] = np.array(values)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="H up to 20, K = 1000")
    args = parser.parse_args(argv)
    horizons = HORIZONS[:3] if args.quick else HORIZONS
    budget = 1_000 if args.quick else K
    curves = regret_against_horizon(horizons, budget, SEEDS)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    H = np.array(horizons, dtype=float)
    for label, values in curves.items():
        ax.plot(H, values, marker="o", label=label)
        slope = np.polyfit(np.log(H), np.log(values), 1)[0]
        print(
            f"{label}: "
            + ", ".join(f"H={h}: {v:.4g}" for h, v in zip(horizons, values, strict=True))
        )
        print(f"  log-log slope in H: {slope:.2f}")
    log_log(
        ax,
        "horizon H",
        f"cumulative regret at K = {budget:,}",
        f"horizon_free_stationary_simplex(S=10, A=3, d=4): regret vs H, {SEEDS} seeds",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "variance_aware_horizon.png", dpi=120)


if __name__ == "__main__":
    main()
