"""Draw the figures of ``docs/policy_gradient.md`` (PNG files in ``docs/figures/``).

Usage::

    python docs/make_policy_gradient_figures.py

Figures
-------
``policy_gradient_t_gap.png``
    Left: exact softmax PG on bandits (eta = 2/5, 10^6 iterations, 8 random instances for each
    K in {3, 5, 10}): ``t * gap_t`` against ``t``, with the limit ``(K - 1)/(eta K)`` (derived
    in docs/policy_gradient.md) as dashed lines. Right: exact softmax PG on a garnet MDP (S = 5,
    A = 3, gamma = 0.5): ``t * gap_t`` with the paper's ``eta = (1 - gamma)^3 / 8`` and a tuned
    ``eta = 1``, and Mei et al.'s Theorem 4 constant ``C`` (dotted).
``policy_gradient_stochastic.png``
    Left: the stochastic gradient bandit (eta = 0.2, Bernoulli means (0.9, 0.6, 0.3), 128
    runs): mean exact gap and mean ``min_a pi_t(a)`` with a slope -1 guide. Right: stochastic
    NPG on r = (1, 0.9) from ``pi_0(a*) = 0.1``: ``pi_t(a*)`` of 40 runs with and without the
    value baseline.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from algorithms.policy_gradient import (
    GradientBandit,
    SoftmaxPG,
    StochasticNPG,
    bandit_limit,
    mei_theorem4_constant,
)
from instances.tabular import garnet


def _finish(
    ax, title: str, ylabel: str | None = None, yscale: str = "log", title_size: int = 9, **legend
) -> None:
    """Log-scaled iteration axis, labels, legend and grid of one panel."""
    ax.set_xscale("log")
    ax.set_yscale(yscale)
    ax.set_xlabel("iteration t")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=title_size)
    ax.legend(**{"fontsize": 8, **legend})
    ax.grid(alpha=0.3)


def t_gap_figure(path: Path) -> None:
    rng = np.random.default_rng(0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    budget, every, eta = 1_000_000, 1000, 0.4
    for color, K in zip(("C0", "C1", "C2"), (3, 5, 10), strict=True):
        means = rng.random((8, K))
        batch = SoftmaxPG(eta=eta).run_batch(means, budget, record_every=every)
        t = batch.iterations
        curves = t * batch.gap
        for i, curve in enumerate(curves):
            left.plot(
                t,
                curve,
                color=color,
                lw=0.8,
                alpha=0.7,
                label=f"K = {K} (8 random instances)" if i == 0 else None,
            )
        limit = bandit_limit(K, eta)
        left.axhline(limit, color=color, ls="--", lw=1.2, label=f"(K-1)/(eta K) = {limit:.3f}")
    left.set_ylim(0, 6)
    _finish(
        left,
        "Exact softmax PG on bandits, eta = 2/5",
        "t * (r(a*) - pi_t^T r)",
        yscale="linear",
        title_size=10,
        fontsize=7,
        loc="upper right",
    )

    mdp = garnet(S=5, A=3, branching=3, gamma=0.5, seed=0)
    budget, every = 200_000, 100
    t = np.arange(every, budget + 1, every, dtype=np.float64)
    paper = SoftmaxPG().run(mdp, budget, record_every=every)
    c = min(float(paper.extras["opt_prob"].min()), 1.0 / mdp.A)
    C = mei_theorem4_constant(mdp, c)
    right.plot(
        t,
        t * paper.gap,
        color="C0",
        label=f"eta = (1-gamma)^3/8 = {paper.metadata['eta']:.4f} (paper)",
    )
    right.axhline(C, color="C0", ls=":", label=f"Mei et al. Thm 4 constant C = {C:.3g}")
    tuned = SoftmaxPG(eta=1.0).run(mdp, budget, record_every=every)
    right.plot(t, t * tuned.gap, color="C2", label="eta = 1 (tuned)")
    _finish(
        right,
        f"Exact softmax PG on {mdp.name}",
        "t * (V*(rho) - V^pi_t(rho))",
        fontsize=7,
        loc="center right",
    )
    save(fig, path, 130)


def stochastic_figure(path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    budget, every = 50_000, 10
    batch = GradientBandit(eta=0.2).run_batch(
        np.array([0.9, 0.6, 0.3]), budget, seed=0, noise="bernoulli", n_runs=128, record_every=every
    )
    t = batch.iterations.astype(np.float64)
    left.plot(t, batch.gap.mean(axis=0), label="mean exact gap r(a*) - pi_t^T r")
    left.plot(t, batch.extras["min_prob"].mean(axis=0), label="mean min_a pi_t(a)")
    anchor = batch.gap.mean(axis=0)[np.searchsorted(t, 1000)]
    left.plot(t, anchor * 1000 / t, color="k", ls="--", lw=1, label="slope -1")
    _finish(left, "Stochastic gradient bandit, eta = 0.2, Bernoulli (0.9, 0.6, 0.3), 128 runs")

    theta0 = np.array([np.log(0.1 / 0.9), 0.0])
    for color, baseline in (("C0", True), ("C3", False)):
        runs = StochasticNPG(eta=1.0, baseline=baseline).run_batch(
            np.array([1.0, 0.9]), 4000, seed=1, theta0=theta0, n_runs=40
        )
        tt = runs.iterations
        lost = int((runs.extras["opt_prob"][:, -1] < 1e-3).sum())
        name = "with value baseline" if baseline else "without baseline"
        for i, curve in enumerate(runs.extras["opt_prob"]):
            right.plot(
                tt,
                curve,
                color=color,
                lw=0.7,
                alpha=0.6,
                label=f"{name}: a* lost in {lost} of 40 runs" if i == 0 else None,
            )
    right.set_ylim(1e-12, 2)
    _finish(
        right, "Stochastic NPG, r = (1, 0.9), pi_0(a*) = 0.1, eta = 1: 40 runs each", "pi_t(a*)"
    )
    save(fig, path, 130)


def main() -> None:
    t_gap_figure(FIGURES / "policy_gradient_t_gap.png")
    stochastic_figure(FIGURES / "policy_gradient_stochastic.png")
    print(
        f"wrote {FIGURES / 'policy_gradient_t_gap.png'} and "
        f"{FIGURES / 'policy_gradient_stochastic.png'}"
    )


if __name__ == "__main__":
    main()
