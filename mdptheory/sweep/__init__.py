"""Sweeps: a grid of instances x learners x budgets x seeds from a TOML spec, run on local
processes or a Dask cluster, persisted per repetition as it finishes, then summarised.

``mdptheory sweep SPEC.toml`` is the command; in Python::

    from algorithms.registry import make_learner
    from instances import make
    from mdptheory.sweep import build_cells, load_spec, run_sweep, write_summary

    spec = load_spec("docs/examples/sweep_quick.toml")
    cells = build_cells(spec, make, make_learner)
    result = run_sweep(cells, spec.seeds, spec.seed, "sweep-out", jobs=2)
    write_summary(result, spec=spec.to_dict())

The modules: :mod:`~mdptheory.sweep.spec` (the TOML file and the cells),
:mod:`~mdptheory.sweep.execute` (tasks, seeds, backends, persistence) and
:mod:`~mdptheory.sweep.summary` (table, slopes, figures). Nothing here imports Dask; a
``distributed.Client`` is passed in (see :mod:`mdptheory.distributed`).
"""

from mdptheory.sweep.execute import CellResult, SweepResult, run_repetition, run_sweep
from mdptheory.sweep.spec import (
    BuiltCell,
    Cell,
    InstanceSpec,
    LearnerSpec,
    SweepSpec,
    build_cells,
    load_spec,
    parse_spec,
)
from mdptheory.sweep.summary import Row, loglog_slope, summarise_sweep, write_summary

__all__ = [
    "BuiltCell",
    "Cell",
    "CellResult",
    "InstanceSpec",
    "LearnerSpec",
    "Row",
    "SweepResult",
    "SweepSpec",
    "build_cells",
    "load_spec",
    "loglog_slope",
    "parse_spec",
    "run_repetition",
    "run_sweep",
    "summarise_sweep",
    "write_summary",
]
