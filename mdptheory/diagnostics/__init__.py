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

# Modules that register a diagnosis on import.
from mdptheory.diagnostics import inherent_bellman_error, spectral, td_vs_mc  # noqa: F401
