"""Draw the figure of docs/average_reward.md and print the numbers the page quotes.

Run from the project root: ``PYTHONPATH=. python docs/make_average_reward_figures.py`` (a
minute or two on 2 cores). It writes ``docs/figures/average_reward_regret.png``:

* left: the cumulative gap regret of UCRL2 (the paper's radii), UCRL2-B and TSDE on
  ``river_swim(S=6)``, T = 10^6, 8 seeds (mean and 95% band), with the frozen policy (action 0)
  as a linear-regret reference and a slope-1/2 line;
* right: one UCRL2 run's realised regret minus its gap regret against the bounded term
  ``h*(s_(t+1)) - h*(s_1)`` (within ``sp(h*)``) plus the two martingales of the identity,
  which add up to it exactly.

The runs are those of ``mdptheory run`` (root seed 0), e.g.
``mdptheory run ucrl2 river_swim --budget 1000000 --seeds 8``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from algorithms.average_reward import TSDE, UCRL2, UCRL2B, FixedPolicy
from instances.tabular import river_swim
from mdptheory.average_reward import optimal_gain_bias, span
from mdptheory.experiment import run_seeds, summarise

T = 1_000_000
SEEDS = 8


def main() -> None:
    mdp = river_swim(S=6)
    x = np.unique(np.geomspace(1, T, 300).astype(np.int64))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    for color, learner in zip(
        ("C0", "C1", "C2", "C3"), (UCRL2(), UCRL2B(), TSDE(), FixedPolicy()), strict=True
    ):
        traces = run_seeds(learner, mdp, T, seeds=SEEDS, seed=0, progress=False)
        summary = summarise(traces)
        final = summary.mean[-1]
        half = summary.ci_high[-1] - final
        epochs = np.mean([t.extras["epoch_start"].size for t in traces])
        print(
            f"{learner.label:24s} Regret(T = {T}) = {final:,.0f} +- {half:,.0f} "
            f"(95%), {epochs:.0f} epochs on average"
        )
        left.plot(x, summary.mean[x - 1], color=color, label=learner.label)
        left.fill_between(
            x,
            np.maximum(summary.ci_low[x - 1], 1e-3),
            summary.ci_high[x - 1],
            color=color,
            alpha=0.2,
            lw=0,
        )
    left.plot(x, 30 * np.sqrt(x), "k:", label="slope 1/2")
    left.set(
        xscale="log",
        yscale="log",
        xlabel="steps T",
        ylabel="cumulative gap regret",
        title=f"{mdp.name}, {SEEDS} seeds",
    )
    left.legend(fontsize=8)
    left.grid(alpha=0.3)

    solution = optimal_gain_bias(mdp)
    h, rho = solution.bias, solution.gain
    trace = UCRL2().run(mdp, T, seed=0, record_trajectory=True)
    states, actions = trace.extras["states"], trace.extras["actions"]
    difference = np.cumsum(trace.realised_regret) - np.cumsum(trace.pseudo_regret)
    boundary = h[states[1:]] - h[states[0]]
    martingale = np.cumsum((mdp.P @ h)[states[:-1], actions] - h[states[1:]])
    noise = np.cumsum(mdp.R[states[:-1], actions] - (rho - trace.realised_regret))
    t = np.arange(1, T + 1)
    step = max(1, T // 4000)
    right.plot(
        t[::step], difference[::step], color="C0", lw=1.2, label="realised regret - gap regret"
    )
    right.plot(t[::step], boundary[::step], color="C1", lw=0.6, label="h*(s_(t+1)) - h*(s_1)")
    right.plot(
        t[::step], (martingale + noise)[::step], color="C2", lw=0.8, label="martingale terms"
    )
    sp = span(h)
    right.axhline(sp, color="k", ls=":", lw=0.8, label=f"+- sp(h*) = {sp:.3g}")
    right.axhline(-sp, color="k", ls=":", lw=0.8)
    residual = np.abs(difference - boundary - martingale - noise).max()
    right.set(
        xscale="log", xlabel="steps t", title=f"UCRL2, seed 0: the identity holds to {residual:.1e}"
    )
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    print(f"identity residual over {T} steps: {residual:.2e}; sp(h*) = {sp:.6g}; rho* = {rho:.6g}")
    save(fig, FIGURES / "average_reward_regret.png", 110)


if __name__ == "__main__":
    main()
