"""Figure of docs/variance_aware.md: LSVI-UCB++ against LSVI-UCB over d on the hypercube family.

Run from the project root: ``python docs/make_variance_aware_gap_figures.py`` (``--quick`` for
2 seeds). Writes ``docs/figures/variance_aware_d_gap.png`` and prints the numbers.

The setting of the check ``he2023-lsvi-ucb-pp-d-gap`` at its quick scale
(``proofs_check/theorems/variance_aware_gap.py``): ``hypercube_gap_linear_mdp(d, H=3, K=K/16,
n_actions=16, seed=0)``, d in {8, 16, 32}, K = 2e4, both learners at the same radius scale c,
for c = 0.03 (the first run, before revision 1 of the check's rule) and c = 0.001 (the c the
rule chooses). The y value is ``Regret(K) / sqrt(d^2 H^3 K)`` (mean over seeds with a 95%
Student-t band); the instance's exact cap ``K (V* - V_worst)`` and the exact regret of the
uniformly random policy are drawn on the same scale.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, mean_band, save
from matplotlib.ticker import NullFormatter

from proofs_check.theorems.variance_aware_gap import (
    GAP_DIMENSIONS,
    _curves,
    _instance,
    _normaliser,
    learners,
    regret_cap,
)

K = 20_000
SEEDS = 6
SCALES = (0.03, 0.001)


def uniform_regret(model, K: int) -> float:
    """``K (V* - V^uniform)`` from the start state (exact backward induction)."""
    mdp = model.tabular()
    P = np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S))
    best, uniform = np.zeros(mdp.S), np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        best = (mdp.R[h] + P[h] @ best).max(axis=-1)
        uniform = (mdp.R[h] + P[h] @ uniform).mean(axis=-1)
    return float(K * (mdp.initial @ best - mdp.initial @ uniform))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds")
    args = parser.parse_args(argv)
    seeds = 2 if args.quick else SEEDS
    d = np.array(GAP_DIMENSIONS, dtype=float)
    norm = np.array([_normaliser(k, K) for k in GAP_DIMENSIONS])
    cap = np.array([regret_cap(_instance(k, K), K) for k in GAP_DIMENSIONS]) / norm
    uniform = np.array([uniform_regret(_instance(k, K), K) for k in GAP_DIMENSIONS]) / norm
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    colors = {"LSVI-UCB++": "tab:blue", "LSVI-UCB": "tab:red"}
    for c, style in zip(SCALES, ("-", "--"), strict=True):
        for learner, name in zip(learners(c), ("LSVI-UCB++", "LSVI-UCB"), strict=True):
            C = _curves(learner, K, seeds, 0)
            Y = C[:, :, -1] / norm
            mean = mean_band(ax, d, Y, colors[name], f"{name}, c = {c:g}", style)
            late = (C[:, :, 2] - C[:, :, 1]).mean(axis=0) / (K - K // 2)
            early = C[:, :, 0].mean(axis=0) / (K // 10)
            slope = np.polyfit(np.log(d), np.log(mean), 1)[0]
            print(
                f"{name} c={c:g}: "
                + ", ".join(f"d={k}: {v:.4f}" for k, v in zip(GAP_DIMENSIONS, mean, strict=True))
                + f"; slope in d {slope:.3f}; late/early per-episode regret "
                + ", ".join(f"{v:.2f}" for v in late / early)
            )
    ax.plot(d, cap, "k:", marker="s", label="instance cap K (V* - V_worst)")
    ax.plot(d, uniform, color="gray", ls=":", marker="^", label="uniform random policy")
    print("cap: " + ", ".join(f"{v:.4f}" for v in cap))
    print("uniform: " + ", ".join(f"{v:.4f}" for v in uniform))
    log_log(
        ax,
        "feature dimension d",
        "Regret(K) / sqrt(d^2 H^3 K)",
        f"hypercube_gap_linear_mdp(H=3, K/16, 16 actions), K = {K:,}, {seeds} seeds",
        legend={"fontsize": 7},
    )
    ax.set_xticks(d, [str(k) for k in GAP_DIMENSIONS])
    ax.xaxis.set_minor_formatter(NullFormatter())
    save(fig, FIGURES / "variance_aware_d_gap.png", dpi=120)


if __name__ == "__main__":
    main()
