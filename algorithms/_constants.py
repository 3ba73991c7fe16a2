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


def scaled_label(name: str, c: float, mark: str = "x", paper_c: float = 1.0) -> str:
    """``name`` at the paper's scale, otherwise ``name`` followed by ``mark`` and the scale.

    Examples
    --------
    >>> scaled_label("UCBVI-CH", 1.0)
    'UCBVI-CH'
    >>> scaled_label("ICVaR-L(alpha=0.1)", 0.05, mark="c=")
    'ICVaR-L(alpha=0.1) c=0.05'
    """
    return name if c == paper_c else f"{name} {mark}{c:g}"
