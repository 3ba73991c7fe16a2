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

# Each module below registers its diagnosis on import; mdptheory diagnose prints them in the
# order of registration.
from mdptheory.diagnostics import bisimulation as bisimulation
from mdptheory.diagnostics import coverability as coverability
from mdptheory.diagnostics import effective_horizon as effective_horizon
from mdptheory.diagnostics import inherent_bellman_error as inherent_bellman_error
from mdptheory.diagnostics import spectral as spectral
from mdptheory.diagnostics import td_vs_mc as td_vs_mc
