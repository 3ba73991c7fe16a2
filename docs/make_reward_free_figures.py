"""Figures of docs/reward_free.md.

Run from the project root: ``python docs/make_reward_free_figures.py``. Writes

* ``docs/figures/reward_free_rates.png``: (a) the worst exact planning sub-optimality over the
  battery and the planner's value error against the exploration episodes, for the horizon-free
  learner (c = 1) and its control without pseudo-reward (c = 0) on
  ``reward_free_hard_instance(d=4, H=5, epsilon=1, seed=1)``, 4 seeds (means with ranges);
  (b) the value error at K = 5000 against H for the horizon-free learner and RF-Express x0.001
  on ``random_linear_mixture_mdp(S=6, A=3, d=4)``, 3 seeds.
* ``docs/figures/reward_free_weighted.png``: (a) the planner's worst value error over the
  battery against K for HF-UCRL-RFE x1e-4 on the hard chain and the random mixture and its
  control c = 0 (the runs of ``zhang2023-reward-free-value-error-rate``, 4 seeds); (b) the
  worst exact sub-optimality on ``reward_free_lower_bound(d=4, H=5, epsilon=1, seed=1)`` for
  HF-UCRL-RFE x1e-4 and the indicator-target learner, 4 seeds.
* ``docs/figures/ucrl_vtr_regret.png``: UCRL-VTR's cumulative exact regret (paper radius) on
  ``random_linear_mixture_mdp(S=6, A=3, H=5, d=4, rewards="per_step")`` beside greedy VTR on
  river swim as a linear mixture, 6 seeds; the runs of the checks.
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save

from algorithms.mixture import UCRLVTR, GreedyVTR
from algorithms.reward_free import HFUCRLRFE, HorizonFreeRFE
from instances.linear_mixture import reward_free_lower_bound
from mdptheory.experiment import run_seeds
from proofs_check.theorems import linear_mixture as lm
from proofs_check.theorems import reward_free as rf
from proofs_check.theorems import reward_free_weighted as rw

_band = partial(range_band, style="o-")


def rates_figure() -> None:
    K, n_seeds = rf._PLAN["quick"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for c, colour, name in ((1.0, "C0", "HF-RFE (c = 1)"), (0.0, "C3", "control: c = 0")):
        traces = rf._traces(c, rf._HARD, K, n_seeds, 0)
        x = traces[0].extras["iteration"]
        worst = np.stack([t.gap for t in traces])
        error = np.stack([t.extras["value_error"] for t in traces])
        _band(ax, x, np.maximum(worst, 1e-5), colour, f"{name}: worst sub-optimality")
        _band(ax, x, error, colour, f"{name}: value error", style="s--")
    ax.plot(x, 0.3 * np.sqrt(x[0] / x), "k:", label="slope -1/2")
    ax.axhline(rf.EPSILON, color="grey", lw=0.8)
    log_log(
        ax,
        "exploration episodes K",
        "error (sub-optimality floored at 1e-5)",
        "(a) reward_free_hard_instance(d=4, H=5, epsilon=1)",
        legend={"fontsize": 7},
    )
    H = np.array(rf.H_GRID, dtype=float)
    _band(bx, H, rf._h_errors("hf-rfe-indicator", 3, 0), "C0", "HF-RFE (indicator targets)")
    _band(bx, H, rf._h_errors("rf-express", 3, 0), "C3", f"RF-Express x{rf.RF_EXPRESS_C:g}")
    log_log(
        bx,
        "horizon H",
        "value error at K = 5000",
        "(b) random_linear_mixture_mdp(S=6, A=3, d=4), total reward <= 1",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "reward_free_rates.png", 110)


def weighted_figure() -> None:
    K, n_seeds = rw._PLAN["quick"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for c, kind, colour, name in (
        (rw.C_JUDGED, "hard", "C0", "HF-UCRL-RFE x1e-4, hard chain"),
        (rw.C_JUDGED, "random", "C2", "HF-UCRL-RFE x1e-4, random mixture"),
        (0.0, "hard", "C3", "control: c = 0, hard chain"),
    ):
        x, errors = rw._errors(c, kind, K, n_seeds, 0)
        _band(ax, x, errors, colour, name)
    ax.plot(x, 0.3 * np.sqrt(x[0] / x), "k:", label="slope -1/2")
    log_log(
        ax,
        "exploration episodes K",
        "max_r |V_hat*(rho; r) - V*(rho; r)|",
        "(a) planner's worst value error over the battery",
        legend={"fontsize": 7},
    )
    model = reward_free_lower_bound(d=4, H=5, epsilon=1.0, seed=1)
    for learner, colour, name in (
        (HFUCRLRFE(c=rw.C_JUDGED), "C0", "HF-UCRL-RFE x1e-4 (hf-rfe)"),
        (HorizonFreeRFE(), "C1", "indicator targets (hf-rfe-indicator)"),
    ):
        traces = run_seeds(learner, model, K, seeds=n_seeds, seed=0, progress=False)
        worst = np.stack([t.gap for t in traces])
        _band(bx, traces[0].extras["iteration"], np.maximum(worst, 1e-5), colour, name)
    log_log(
        bx,
        "exploration episodes K",
        "worst sub-optimality (floored at 1e-5)",
        "(b) reward_free_lower_bound(d=4, H=5, epsilon=1)",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "reward_free_weighted.png", 110)


def regret_figure() -> None:
    K, n_seeds, _ = lm._PLAN["quick"]
    grid = np.unique(np.geomspace(10, K, 40).astype(int))
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for learner, params, colour, label in (
        (UCRLVTR(), lm._QUICK, "C0", "UCRL-VTR (paper radius), random mixture"),
        (GreedyVTR(), "river", "C3", "control: greedy VTR, river swim as a mixture"),
    ):
        traces = lm._traces(learner, params, K, n_seeds, 0)
        Y = np.stack([t.cumulative for t in traces])[:, grid - 1]
        _band(ax, grid, np.maximum(Y, 1e-3), colour, label, style="-")
    ax.plot(grid, 2.0 * np.sqrt(grid), "k:", label="slope 1/2")
    log_log(
        ax,
        "episodes K",
        "cumulative exact pseudo-regret",
        "UCRL-VTR against greedy VTR",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "ucrl_vtr_regret.png", 110)


if __name__ == "__main__":
    rates_figure()
    weighted_figure()
    regret_figure()
