"""How a learner names the scale ``c`` of its bonus or penalty in traces and reports."""

from __future__ import annotations


def scale_constants(c: float, paper: str, zero: str, paper_c: float = 1.0) -> str:
    """``paper`` at the paper's scale, ``zero`` at ``c = 0`` (the control), otherwise
    ``"scaled (c = ...)"``.

    Examples
    --------
    >>> scale_constants(1.0, "paper (c = 1)", "greedy (c = 0)")
    'paper (c = 1)'
    >>> scale_constants(0.03, "paper (c = 1)", "greedy (c = 0)")
    'scaled (c = 0.03)'
    """
    if c == paper_c:
        return paper
    if c == 0.0:
        return zero
    return f"scaled (c = {c:g})"
