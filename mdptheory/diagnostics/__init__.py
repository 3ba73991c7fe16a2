"""Structural diagnostics of finite MDPs, computed exactly: one module per concept.

:func:`diagnose` returns every registered diagnosis that applies to a model; the modules below
register theirs on import.
"""

from mdptheory.diagnostics.registry import (
    Diagnosis,
    diagnose,
    diagnostic,
    registered_diagnostics,
)

__all__ = ["Diagnosis", "diagnose", "diagnostic", "registered_diagnostics"]
