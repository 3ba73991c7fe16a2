"""Thinned traces (policy-gradient learners record on a geometric grid of iterations) through
`mdptheory sweep` and `mdptheory run`: curves are read at the recorded iterations, seeds are
averaged only where they recorded the same ones."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_argv
from saved_figures import capture_saved_figures

from algorithms.registry import make_learner
from instances import make
from mdptheory.cli import main
from mdptheory.experiment import load_trace
from mdptheory.regret import ConvergenceTrace, RegretTrace
from mdptheory.sweep import build_cells, parse_spec, run_sweep, summarise_sweep
from mdptheory.sweep.execute import Outcome, assemble, curve_grid, kept_positions
from mdptheory.sweep.positions import positions_at, recorded_positions, shared_positions

PG_SPEC = """
seeds = 2
seed = 1
budgets = [3000]

[[instances]]
name = "bernoulli_bandit"
params = { K = 3 }

[[learners]]
name = "softmax-pg"
"""


def _thinned(gap, iterations):
    return ConvergenceTrace(
        np.asarray(gap, dtype=float), {"iteration": np.asarray(iterations, dtype=float)}
    )


def test_pg_sweep_beyond_1000_iterations_reads_the_recorded_iterations(tmp_path):
    spec = parse_spec(PG_SPEC)
    cells = build_cells(spec, make, make_learner)
    result = run_sweep(cells, spec.seeds, spec.seed, tmp_path, progress=False)
    (cell,) = result.cells
    assert cell.errors == {} and cell.unit == "iteration"
    trace = load_trace(next(cell.folder.glob("rep_0000/seed_0000")))
    iterations = trace.extras["iteration"].astype(np.int64)
    assert trace.gap.shape[0] < 3000 and iterations[-1] == 3000  # thinned, to the budget
    # Kept points: recorded iterations, the first at or after each point of the curve grid.
    assert set(cell.grid.tolist()) <= set(iterations.tolist())
    assert cell.grid[0] == 1 and cell.grid[-1] == 3000
    expected = trace.gap[np.searchsorted(iterations, cell.grid)]
    np.testing.assert_array_equal(cell.curves[0], expected)
    assert cell.finals[0] == trace.gap[-1]
    (row,) = summarise_sweep(result)
    assert row.slope_note == "" and np.isfinite(row.slope)


def test_every_step_traces_keep_the_curve_grid_exactly():
    trace = RegretTrace(np.full(500, 0.1), np.zeros(500), np.zeros(500))
    columns, grid = kept_positions(trace, 500)
    np.testing.assert_array_equal(grid, curve_grid(500))
    np.testing.assert_array_equal(columns, curve_grid(500) - 1)
    with pytest.raises(ValueError, match="last entry is at 500 .* the budget is 600"):
        kept_positions(trace, 600)


def test_seeds_with_other_recorded_positions_are_refused_by_name():
    a, b = _thinned([3, 2, 1], [1, 10, 100]), _thinned([3, 2, 1], [1, 20, 100])
    np.testing.assert_array_equal(shared_positions([a, a]), [1, 10, 100])
    with pytest.raises(
        ValueError,
        match=r"repetition 1 .*\(entry 1 is at 20, in repetition 0 "
        r"at 10",
    ):
        shared_positions([a, b])
    with pytest.raises(ValueError, match="it has 2 entries, repetition 0 has 3"):
        shared_positions([a, _thinned([1, 1], [1, 100])])
    # The sweep's rule, whatever order the outcomes arrive in: the lowest repetition decides.
    from mdptheory.sweep.execute import CellResult

    def outcome(rep, grid):
        return Outcome(0, rep, np.ones(len(grid)), 1.0, "gap", grid=np.array(grid), unit="i")

    result = CellResult(None, None, np.arange(3), np.full((3, 3), np.nan), np.full(3, np.nan))
    assemble(result, [outcome(2, [1, 5, 9]), outcome(0, [1, 4, 9]), outcome(1, [1, 4, 9])])
    assert list(result.errors) == [2]
    assert (
        "repetition 2 recorded its curve at other positions than repetition 0" in result.errors[2]
    )
    assert np.isnan(result.finals[2]) and np.isfinite(result.finals[:2]).all()


@pytest.mark.parametrize(
    "iterations, message",
    [
        ([1, 1.5, 3], r"\[1\] is 1.5, not a whole number"),
        ([0, 2, 3], r"\[0\] is 0.0"),
        ([1, 3, 2], r"\[2\] = 2 does not follow"),
        ([1, 2], "has shape"),
    ],
)
def test_bad_recorded_positions_name_the_entry(iterations, message):
    trace = ConvergenceTrace(np.ones(3), {"iteration": np.array(iterations, dtype=float)})
    with pytest.raises(ValueError, match=message):
        recorded_positions(trace)


def test_positions_at_takes_the_first_recorded_at_or_after_each_target():
    positions = np.array([1, 2, 3, 1000, 1023, 1047])
    assert positions_at(positions, np.array([1, 3, 4, 1010, 1047, 5000])).tolist() == [
        0,
        2,
        3,
        4,
        5,
    ]


def test_run_plots_a_thinned_trace_against_its_iterations(tmp_path, capsys, monkeypatch):
    saved = capture_saved_figures(monkeypatch)
    command = "run softmax-pg bernoulli_bandit --K 3 --budget 3000 --seeds 2"
    assert main(cli_argv(command, "--no-progress", out=tmp_path)) == 0
    out = capsys.readouterr().out
    assert "log-log slope of the gap" in out
    (folder,) = tmp_path.glob("softmax-pg__bernoulli_bandit__*")
    trace = load_trace(folder / "seed_0000")
    ((axes,),) = saved
    lines = axes["lines"]
    x = lines[next(name for name in lines if name.startswith("gap"))]
    np.testing.assert_array_equal(x, trace.extras["iteration"])
    assert x[-1] == 3000 and x.shape[0] < 3000
    assert axes["xlabel"] == "iteration t"
