"""What ``mdptheory diagnose`` prints: one :class:`Diagnosis` per structural quantity.

Each diagnostic module registers a function ``model -> Diagnosis | None`` with
:func:`diagnostic`; it returns ``None`` when the quantity does not apply to the model (for
example an effective horizon of a model with no finite horizon). :func:`diagnose` runs every
registered function in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Diagnosis:
    """One structural quantity of one model, with its definition.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"bisimulation metric"``.
    definition : str
        The definition in one or two sentences, with the paper it comes from.
    values : dict
        Named numbers (``float``, ``int``) or short strings that summarise the quantity.
    complexity : str
        The cost of computing it, e.g. ``"O(S^2 A S^3 log S) per iteration"``.
    """

    name: str
    definition: str
    values: dict[str, Any] = field(default_factory=dict)
    complexity: str = ""

    def lines(self) -> list[str]:
        """The diagnosis as printable lines: name, definition, then one line per value."""
        out = [self.name, f"  {self.definition}"]
        for key, value in self.values.items():
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            out.append(f"  {key}: {shown}")
        if self.complexity:
            out.append(f"  cost: {self.complexity}")
        return out


DiagnosticFunction = Callable[[Any], "Diagnosis | None"]
_REGISTRY: list[tuple[str, DiagnosticFunction]] = []


def diagnostic(name: str) -> Callable[[DiagnosticFunction], DiagnosticFunction]:
    """Register ``function(model) -> Diagnosis | None`` under ``name`` (decorator)."""

    def register(function: DiagnosticFunction) -> DiagnosticFunction:
        if any(existing == name for existing, _ in _REGISTRY):
            raise ValueError(f"a diagnostic named {name!r} is already registered")
        _REGISTRY.append((name, function))
        return function

    return register


def registered_diagnostics() -> list[str]:
    """Names of the registered diagnostics, in registration order."""
    return [name for name, _ in _REGISTRY]


def diagnose(model: Any) -> list[Diagnosis]:
    """Every registered diagnosis that applies to ``model``, in registration order."""
    out = []
    for _, function in _REGISTRY:
        result = function(model)
        if result is not None:
            out.append(result)
    return out
