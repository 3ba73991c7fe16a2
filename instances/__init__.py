"""instances: the catalogue of named, parameterised, seeded problems.

Build any family by name with :func:`make` and list them with :func:`available` (or print
:func:`available_table`). The tabular and risk families are importable from here; the linear
and bandit families live in ``instances.linear`` and ``instances.bandits``, and the Gymnasium
adapter (optional extra ``gym``) in ``instances.gym``.

Examples
--------
>>> import instances
>>> instances.make("chain", S=5, H=6).name
'chain(S=5,H=6)'
"""

from instances.registry import available, available_table, make, names
from instances.risk import safe_vs_risky_route
from instances.tabular import (
    DEFAULT_MAP,
    GridLayout,
    chain,
    combination_lock,
    deep_sea,
    garnet,
    gridworld,
    gridworld_layout,
    river_swim,
)

__all__ = [
    "DEFAULT_MAP",
    "GridLayout",
    "available",
    "available_table",
    "chain",
    "combination_lock",
    "deep_sea",
    "garnet",
    "gridworld",
    "gridworld_layout",
    "make",
    "names",
    "river_swim",
    "safe_vs_risky_route",
]
