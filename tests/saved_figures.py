"""What the command line draws: the axes of every figure it saves, captured in tests."""

from __future__ import annotations

import numpy as np


def capture_saved_figures(monkeypatch) -> list[list[dict]]:
    """Record, for every figure saved while the test runs, one dict per axes: its x label and
    its lines as ``{label: x data}``. Returns the (growing) list of figures."""
    from matplotlib.figure import Figure

    saved: list[list[dict]] = []
    original = Figure.savefig

    def capture(self, *args, **kwargs):
        saved.append(
            [
                {
                    "xlabel": ax.get_xlabel(),
                    "lines": {line.get_label(): np.asarray(line.get_xdata()) for line in ax.lines},
                }
                for ax in self.axes
            ]
        )
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", capture)
    return saved
