"""Plot helpers shared by the ``docs/make_*`` scripts (run them from the project root).

Each figure script draws its own curves; the folder they go to, the mean-and-band curves over
seeds, the framing every log-log panel repeats (scales, labels, title, legend) and the writing
of the file are done here, the same way for all.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

FIGURES = Path(__file__).resolve().parent / "figures"
"""The folder every script writes its figures to (``docs/figures``)."""


def log_log(
    ax,
    xlabel: str,
    ylabel: str | None,
    title: str,
    *,
    title_size: int = 10,
    legend: dict | None = None,
) -> None:
    """Log-scale both axes of ``ax``, label them (no y label for ``None``), set the title in
    ``title_size`` points and, given ``legend`` (keywords of ``ax.legend``), draw the legend."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=title_size)
    if legend is not None:
        ax.legend(**legend)


def save(fig, path: Path, dpi: int, *, tight: bool = True) -> None:
    """Write ``fig`` to ``path`` at ``dpi`` (after ``tight_layout`` unless ``tight`` is False,
    for figures laid out by a constrained layout), making its folder if need be, and close it."""
    if tight:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def mean_band(ax, x, Y, color, label, style="-"):
    """Draw the mean over the rows (seeds) of ``Y`` against ``x`` with its 95% Student-t band
    (clipped at 0 below) and return the mean."""
    import numpy as np
    from scipy import stats

    mean = Y.mean(axis=0)
    half = stats.t.ppf(0.975, Y.shape[0] - 1) * Y.std(axis=0, ddof=1) / np.sqrt(Y.shape[0])
    ax.plot(x, mean, style, color=color, lw=1.6, label=label)
    ax.fill_between(x, np.maximum(mean - half, 0.0), mean + half, color=color, alpha=0.2)
    return mean


def range_band(ax, x, Y, color, label, style="-", alpha=0.15):
    """Draw the mean over the rows (seeds) of ``Y`` against ``x`` with the band from their
    minimum to their maximum."""
    ax.plot(x, Y.mean(axis=0), style, color=color, label=label)
    ax.fill_between(x, Y.min(axis=0), Y.max(axis=0), color=color, alpha=alpha)
