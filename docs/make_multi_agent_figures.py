"""Figure of docs/multi_agent.md: multi-agent PPO against independent PG on coordination games.

Run from the project root: ``python docs/make_multi_agent_figures.py``. Writes
``docs/figures/multi_agent_mappo.png``: the exact global sub-optimality ``V*(rho) -
V^{pi_k}(rho)`` of the executed joint policy against the update ``k`` (log-log), on

* (a) ``climbing_game(S=3)`` and (b) ``penalty_game(S=3, k=-100)`` (gamma = 0.9, seed 0):
  exact MAPPO (default step ``(1 - gamma) log |A|``), independent softmax PG at ``eta = 1`` and
  ``eta = 10``, and on (a) sampled MAPPO (4 rollouts per state and joint action per update,
  ``eta = 0.2``; mean and range over 4 runs);
* a reference slope -1/2 (the claimed rate).

Exact curves are computed by linear solves on the joint twin; the sampled runs draw their
rollouts and are evaluated exactly.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, save

from algorithms.multi_agent import MAPPO, IndependentPG, SampledMAPPO
from instances.games import climbing_game, penalty_game

BUDGET = 2000
SAMPLED_BUDGET = 500


def panel(ax, game, title: str, sampled: bool) -> None:
    exact = MAPPO().run_batch(game, BUDGET)
    k = exact.iterations.astype(float)
    positive = exact.gap[0] > 0
    ax.plot(k[positive], exact.gap[0][positive], color="C0", label="MAPPO (exact Q_{1:i})")
    control = IndependentPG().run_batch(game, BUDGET, etas=[1.0, 10.0])
    for row, (eta, style) in enumerate(((1.0, "-"), (10.0, "--"))):
        ax.plot(k, control.gap[row], color="C3", ls=style, label=f"independent PG, eta={eta:g}")
    if sampled:
        runs = SampledMAPPO(eta=0.2).run_batch(game, SAMPLED_BUDGET, seed=0, n_runs=4)
        ks = runs.iterations.astype(float)
        floor = 1e-12
        ax.plot(ks, np.maximum(runs.gap.mean(axis=0), floor), color="C2", label="MAPPO (sampled)")
        ax.fill_between(
            ks,
            np.maximum(runs.gap.min(axis=0), floor),
            np.maximum(runs.gap.max(axis=0), floor),
            color="C2",
            alpha=0.2,
        )
    ax.plot(k, exact.initial_gap[0] * k**-0.5, color="grey", ls=":", label="slope -1/2")
    ax.set_ylim(1e-10, 20)
    log_log(
        ax,
        "update k",
        "V*(rho) - V^{pi_k}(rho)",
        title,
        legend={"fontsize": 8, "loc": "lower left"},
    )


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panel(axes[0], climbing_game(S=3), "(a) climbing game, S = 3", sampled=True)
    panel(axes[1], penalty_game(S=3, k=-100.0), "(b) penalty game k = -100, S = 3", False)
    save(fig, FIGURES / "multi_agent_mappo.png", dpi=110)


if __name__ == "__main__":
    main()
