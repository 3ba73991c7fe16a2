"""Draw the regret figures of docs/bandits.md and docs/tabular.md and print their numbers.

Run from the project root: ``python docs/make_online_figures.py`` (about a minute on 2 cores;
``--jobs 2`` runs the seeds in two processes). It writes

* ``docs/figures/bandits_regret.png``: UCB1, KL-UCB and Beta-Bernoulli Thompson sampling on
  ``bernoulli_bandit(K=5, gap=0.2, best_mean=0.6)``, T = 10^6, with the Lai-Robbins line
  ``C_LR log T``;
* ``docs/figures/oful_regret.png``: OFUL on unit-sphere arm sets in d = 2, 4, 8, T = 2 * 10^4,
  and its regret over ``d sqrt(T) log T``;
* ``docs/figures/tabular_regret.png``: UCBVI-CH, UCBVI-BF and Q-learning UCB-H (the papers'
  constants and the named tuned variants of the checks) on ``river_swim(S=6, H=10)`` and
  ``garnet(S=5, A=2, branching=2, H=5)``, K = 2 * 10^4;

* ``docs/figures/check_<id>.png``: the report figures of the registered checks
  ``auer2002-ucb1-logarithmic-regret``, ``lai-robbins-ratio-thompson-klucb`` and
  ``jin2018-qlearning-ucbh-regret-slope`` at quick scale, seed 0, as ``mdptheory check`` draws them;

and prints the final regrets with their 95% intervals, which the pages quote. The runs are
those of ``mdptheory run`` (:func:`mdptheory.experiment.run_seeds`, seeds spawned from root
seed 0), so every curve can be reproduced from the command line, e.g.
``mdptheory run ucb1 bernoulli_bandit --K 5 --gap 0.2 --best_mean 0.6 --budget 1000000``.
"""

from __future__ import annotations

import argparse
import math
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, save

from algorithms.bandits import KLUCB, OFUL, UCB1, ThompsonBernoulli
from algorithms.tabular import UCBVI, QLearningUCB
from instances.bandits import bernoulli_bandit
from instances.tabular import garnet, river_swim
from mdptheory.experiment import run_seeds, summarise
from proofs_check.theorems.bandits import (
    lai_robbins_constant,
    oful_arms,
    sphere_bandit,
)


def _grid(n: int, points: int = 200) -> np.ndarray:
    """Indices 1..n on a geometric grid (for light log-axis plots of long curves)."""
    return np.unique(np.geomspace(1, n, points).astype(np.int64))


def _band(ax, x, summary, label, color, style="-") -> None:
    ax.plot(x, summary.mean[x - 1], style, color=color, lw=1.6, label=label)
    ax.fill_between(x, summary.ci_low[x - 1], summary.ci_high[x - 1], color=color, alpha=0.2, lw=0)


def _final(summary) -> str:
    return f"{summary.mean[-1]:.1f} [{summary.ci_low[-1]:.1f}, {summary.ci_high[-1]:.1f}]"


def bandit_figure(seeds: int, jobs: int) -> None:
    T = 1_000_000
    model = bernoulli_bandit(K=5, gap=0.2, best_mean=0.6)
    constant = lai_robbins_constant(model)
    x = _grid(T)
    fig, ax = plt.subplots(figsize=(7.0, 4.4), layout="constrained")
    print(f"{model.name}: T = {T:,}, {seeds} seeds, C_LR = {constant:.4f}")
    for learner, label, color in (
        (UCB1(), "UCB1 (c = 2, paper)", "C0"),
        (KLUCB(), "KL-UCB (c = 0, paper's experiments)", "C1"),
        (ThompsonBernoulli(), "Thompson, Beta(1, 1)", "C2"),
    ):
        summary = summarise(
            run_seeds(learner, model, T, seeds=seeds, seed=0, n_jobs=jobs, progress=False)
        )
        _band(ax, x, summary, label, color)
        ratio = summary.mean[-1] / (constant * math.log(T))
        print(f"  {label:38s} Regret(T) = {_final(summary)}; Regret / (C_LR log T) = {ratio:.3f}")
    ax.plot(
        x,
        constant * np.log(x),
        "k--",
        lw=1.2,
        label=f"Lai-Robbins: C_LR log T, C_LR = {constant:.2f}",
    )
    ax.set_xscale("log")
    ax.set_xlabel("round T")
    ax.set_ylabel("cumulative exact pseudo-regret")
    ax.set_title(f"{model.name}: mean of {seeds} seeds, 95% bands", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    save(fig, FIGURES / "bandits_regret.png", 110, tight=False)


def oful_figure(seeds: int, jobs: int) -> None:
    T = 20_000
    x = _grid(T)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.2), layout="constrained")
    print(f"OFUL (lambda = 1, delta = 0.01, S = 1, R = 1): T = {T:,}, {seeds} seeds")
    for d, color in ((2, "C0"), (4, "C1"), (8, "C2")):
        model = sphere_bandit(d, oful_arms(d))
        summary = summarise(
            run_seeds(
                OFUL(lambda_=1.0, delta=0.01, S=1.0),
                model,
                T,
                seeds=seeds,
                seed=0,
                n_jobs=jobs,
                progress=False,
            )
        )
        _band(left, x, summary, f"d = {d}, K = {oful_arms(d)}", color)
        tail = x[x >= 10]
        scale = d * np.sqrt(tail) * np.log(tail)
        right.plot(tail, summary.mean[tail - 1] / scale, color=color, label=f"d = {d}")
        ratio = summary.mean[-1] / (d * math.sqrt(T) * math.log(T))
        print(f"  d = {d}: Regret(T) = {_final(summary)}; Regret / (d sqrt(T) log T) = {ratio:.4f}")
    log_log(
        left,
        "round T",
        "cumulative exact pseudo-regret",
        "OFUL on unit-sphere arms, 95% bands",
        title_size=9,
        legend={"fontsize": 8},
    )
    right.axhspan(0.03, 0.3, color="0.85", label=f"band of the check at T = {T:,}")
    right.set_xscale("log")
    right.set_xlabel("round T")
    right.set_ylabel("Regret(T) / (d sqrt(T) log T)")
    right.set_title("ratio to the Theorem 3 rate", fontsize=9)
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    save(fig, FIGURES / "oful_regret.png", 110, tight=False)


def tabular_figure(seeds: int, jobs: int) -> None:
    K = 20_000
    x = _grid(K)
    models = (river_swim(S=6, H=10), garnet(S=5, A=2, branching=2, H=5, seed=0))
    learners = (
        (UCBVI(bonus="hoeffding"), "C0", "-"),
        (UCBVI(bonus="bernstein"), "C1", "-"),
        (QLearningUCB(), "C2", "-"),
        (UCBVI(bonus="hoeffding", bonus_scale=0.02), "C0", "--"),
        (QLearningUCB(c=0.05), "C2", "--"),
    )
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.4), layout="constrained")
    for ax, model in zip(axes, models, strict=True):
        print(f"{model.name}: K = {K:,}, {seeds} seeds")
        finals = []
        for learner, color, style in learners:
            summary = summarise(
                run_seeds(learner, model, K, seeds=seeds, seed=0, n_jobs=jobs, progress=False)
            )
            _band(ax, x, summary, learner.label, color, style)
            finals.append(summary.mean[-1])
            print(
                f"  {learner.label:26s} Regret(K) = {_final(summary)}; per episode over the "
                f"last tenth {np.mean(np.diff(summary.mean)[-K // 10 :]):.4f}"
            )
        # A sqrt(k) line through the lowest final regret, for the eye.
        anchor = min(finals)
        ax.plot(
            x[x >= K // 100],
            anchor * np.sqrt(x[x >= K // 100] / K),
            "k:",
            lw=1.2,
            label="slope 1/2",
        )
        log_log(
            ax,
            "episode k",
            "cumulative exact pseudo-regret",
            f"{model.name}, 95% bands",
            title_size=9,
        )
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    save(fig, FIGURES / "tabular_regret.png", 110, tight=False)


CHECKS = (
    "auer2002-ucb1-logarithmic-regret",
    "lai-robbins-ratio-thompson-klucb",
    "jin2018-qlearning-ucbh-regret-slope",
)


def check_figures(seeds: int, jobs: int) -> None:
    """Report figures of a few registered checks (quick scale, seed 0)."""
    from proofs_check import harness
    from proofs_check.report import file_stem, plot_result

    for check_id in CHECKS:
        result = harness.run_check(check_id, scale="quick", seed=0)
        plot_result(result, FIGURES / f"check_{file_stem(check_id)}.png")
        print(f"{check_id}: {result.status.upper()}: {result.verdict.reason}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="repetitions per curve")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    args = parser.parse_args(argv)
    for draw in (bandit_figure, oful_figure, tabular_figure, check_figures):
        start = time.perf_counter()
        draw(args.seeds, args.jobs)
        print(f"  ({time.perf_counter() - start:.1f} s)\n")


if __name__ == "__main__":
    main()
