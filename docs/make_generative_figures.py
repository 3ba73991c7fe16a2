"""Figures of docs/generative.md: the rate of VWLS-MDVI and the pay-off of variance weighting.

Run from the project root: ``python docs/make_generative_figures.py``. It runs the two
statistical checks of :mod:`proofs_check.theorems.generative` at quick scale, seed 0, prints
their verdicts and draws their measurements:

* ``docs/figures/generative_samples_to_eps.png``: on ``discounted_linear_mdp(S=20, A=3, d=4,
  gamma=0.9, seed=0)``, the error ``||V* - v_K||_inf`` of VWLS-MDVI's value estimate after a run
  of N generative samples (mean and range over 16 seeds, N = 2e4..2e6), with the slope -1/2
  of ``eps ~ N^{-1/2}`` (samples ``~ eps^-2``), and the control that spends only ``sqrt(N N_0)``
  of its samples;
* ``docs/figures/generative_weighting_gain.png``: on ``variance_contrast_linear_mdp(gamma)``,
  (a) the mean squared value error of LS-MDVI and VWLS-MDVI at 1e5 samples against
  ``H = 1 / (1 - gamma)`` (24 seeds), (b) their ratio, the samples LS-MDVI needs over
  VWLS-MDVI's for the same error, with the control (LS-MDVI against itself).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save

from proofs_check import harness

SLOPE = "kitamura2023-vwls-mdvi-samples-to-eps"
RATIO = "kitamura2023-weighting-gain-grows-with-horizon"


_band = partial(range_band, style="o-", alpha=0.2)


def samples_to_eps(result) -> None:
    arrays = result.evidence.arrays
    N = np.asarray(arrays["N"], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _band(ax, N, arrays["value_error"], "C0", "VWLS-MDVI")
    _band(ax, N, arrays["control_value_error"], "C3", "control: spends sqrt(N N_0)")
    mean = arrays["value_error"].mean(axis=0)
    ax.plot(N, mean[0] * (N / N[0]) ** -0.5, "k--", lw=1, label="slope -1/2 (eps ~ N^-1/2)")
    fitted = result.evidence.fitted
    log_log(
        ax,
        "generative samples N",
        "||V* - v_K||_inf",
        f"VWLS-MDVI, discounted_linear_mdp(d=4, gamma=0.9)\nslope "
        f"{fitted['slope[VWLS-MDVI]']:.3f} [{fitted['slope_ci_low[VWLS-MDVI]']:.3f}, "
        f"{fitted['slope_ci_high[VWLS-MDVI]']:.3f}], {result.status}",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "generative_samples_to_eps.png", 120)


def weighting_gain(result) -> None:
    arrays = result.evidence.arrays
    H = np.asarray(arrays["H"], dtype=np.float64)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    _band(left, H, arrays["ls_sq_error"], "C1", "LS-MDVI")
    _band(left, H, arrays["vwls_sq_error"], "C0", "VWLS-MDVI")
    log_log(
        left,
        "H = 1 / (1 - gamma)",
        "squared value error at 1e5 samples",
        "(a) variance_contrast_linear_mdp(gamma)",
        legend={"fontsize": 8},
    )
    ratio = arrays["ls_sq_error"].mean(axis=0) / arrays["vwls_sq_error"].mean(axis=0)
    control = arrays["ls_sq_error"].mean(axis=0) / arrays["control_sq_error"].mean(axis=0)
    right.plot(H, ratio, "o-", color="C0", label="LS-MDVI / VWLS-MDVI")
    right.plot(H, control, "s-", color="C3", label="control: LS-MDVI / LS-MDVI")
    right.plot(H, ratio[0] * H / H[0], "k--", lw=1, label="factor H")
    fitted = result.evidence.fitted
    log_log(
        right,
        "H = 1 / (1 - gamma)",
        "samples ratio for equal error",
        f"(b) slope {fitted['slope[LS / VWLS]']:.2f} "
        f"[{fitted['slope_ci_low[LS / VWLS]']:.2f}, {fitted['slope_ci_high[LS / VWLS]']:.2f}], "
        f"{result.status}",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "generative_weighting_gain.png", 120)


def main() -> None:
    harness.discover()
    for check, draw in ((SLOPE, samples_to_eps), (RATIO, weighting_gain)):
        result = harness.run_check(check, "quick", seed=0, raise_errors=True)
        print(f"{check}: {result.status} | {result.verdict.reason}")
        for control in result.controls:
            print(f"  control {control.name}: {control.verdict.status} | {control.verdict.reason}")
        for key, value in result.evidence.fitted.items():
            print(f"  {key} = {value:.4g}")
        draw(result)


if __name__ == "__main__":
    main()
