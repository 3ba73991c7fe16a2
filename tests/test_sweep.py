"""Tests of `mdptheory sweep`: the spec, the cells, resume, the summary, and the Dask backend
(same traces, array for array, as a local run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from algorithms.registry import make_learner
from instances import make
from mdptheory.cli import main
from mdptheory.experiment import load_trace
from mdptheory.sweep import build_cells, load_spec, loglog_slope, parse_spec, run_sweep
from mdptheory.sweep.execute import curve_grid, slope_grid

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "sweep_quick.toml"

TINY = """
seeds = 3
seed = 4
budgets = [40]

[[instances]]
name = "bernoulli_bandit"
params = { K = 3 }
grid = { gap = [0.1, 0.3] }

[[instances]]
name = "river_swim"
params = { S = 3, H = 4 }

[[learners]]
name = "ucb1"
instances = ["bernoulli_bandit"]

[[learners]]
name = "thompson-bernoulli"
label = "thompson"
instances = ["bernoulli_bandit"]

[[learners]]
name = "ucbvi"
hyperparameters = { bonus = "bernstein" }
grid = { bonus_scale = [0.05, 1.0] }
instances = ["river_swim"]
"""


def _cells(text: str = TINY):
    spec = parse_spec(text)
    return spec, build_cells(spec, make, make_learner)


def _traces(out: Path) -> dict[str, object]:
    return {str(p.relative_to(out)): load_trace(p) for p in sorted(out.glob("*/rep_*/seed_0000"))}


def _assert_same_traces(a: Path, b: Path) -> int:
    one, two = _traces(a), _traces(b)
    assert one.keys() == two.keys() and one
    for key, ta in one.items():
        tb = two[key]
        # Everything but the measured episode times, array for array.
        np.testing.assert_array_equal(ta.pseudo_regret, tb.pseudo_regret, err_msg=key)
        np.testing.assert_array_equal(ta.realised_regret, tb.realised_regret, err_msg=key)
        assert ta.extras.keys() == tb.extras.keys()
        for name in ta.extras:
            np.testing.assert_array_equal(ta.extras[name], tb.extras[name], err_msg=key)
        timing = ("seconds", "time")
        assert {k: v for k, v in ta.metadata.items() if not any(t in k for t in timing)} == {
            k: v for k, v in tb.metadata.items() if not any(t in k for t in timing)
        }
    return len(one)


# ----------------------------------------------------------------------------------- spec


def test_example_spec_parses_into_five_learners_on_four_instances():
    spec = load_spec(EXAMPLE)
    cells = build_cells(spec, make, make_learner)
    assert spec.seeds == 10 and len(cells) == 20
    assert len({c.cell.learner_label for c in cells}) == 5
    assert len({c.cell.instance_label for c in cells}) == 4
    assert len({c.cell.folder_name(spec.seed) for c in cells}) == 20


def test_docs_page_shows_the_example_spec_as_committed():
    page = (ROOT / "docs" / "sweeps.md").read_text()
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert block.strip() in EXAMPLE.read_text()
    assert "sweeps.md" in (ROOT / "mkdocs.yml").read_text()
    assert "mdptheory sweep" in (ROOT / "README.md").read_text()


def test_cells_expand_grids_and_respect_instance_restrictions():
    _, cells = _cells()
    labels = [(c.cell.learner_label, c.cell.instance_label) for c in cells]
    assert labels == [
        ("ucb1", "bernoulli_bandit[gap=0.1]"),
        ("thompson", "bernoulli_bandit[gap=0.1]"),
        ("ucb1", "bernoulli_bandit[gap=0.3]"),
        ("thompson", "bernoulli_bandit[gap=0.3]"),
        ("ucbvi[bonus_scale=0.05]", "river_swim"),
        ("ucbvi[bonus_scale=1.0]", "river_swim"),
    ]
    assert cells[4].learner.bonus_scale == 0.05 and cells[4].learner.bonus == "bernstein"
    assert cells[0].model is cells[1].model  # one model per instance variant
    assert cells[4].cell.learner_swept == {"bonus_scale": 0.05}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seeds = 3", "seeds = 0"), "spec: seeds: expects a positive int, got 0"),
        (("budgets = [40]", "budgets = [40, -5]"), "budgets[1]: expects a positive int, got -5"),
        (("budgets = [40]", "budgets = [1.5]"), "budgets[0]: expects a positive int, got 1.5"),
        (("budgets = [40]", "budgets = []"), "budgets: expects a non-empty list"),
        (("seed = 4", "seed = 4\nbudget = 3"), "budget: unknown key (value 3)"),
        (('name = "ucb1"', 'name = "ucb2"'), "learners[0]: ucb2(): unknown learner 'ucb2'"),
        (
            ('name = "river_swim"', 'name = "river"'),
            "instances[1]: river(S=3, H=4): unknown instance 'river'",
        ),
        (
            ('{ bonus = "bernstein" }', '{ bonus = "bernstien" }'),
            "learners[2]: ucbvi(bonus='bernstien', bonus_scale=0.05): bonus must be one of",
        ),
        (
            ('{ bonus = "bernstein" }', "{ bonus_scaling = 2 }"),
            "learners[2]: ucbvi(bonus_scaling=2, bonus_scale=0.05): learner 'ucbvi' has no "
            "hyperparameter ['bonus_scaling']",
        ),
        (
            ("bonus_scale = [0.05, 1.0]", 'bonus_scale = [0.05, "big"]'),
            "hyperparameter bonus_scale expects a float, got 'big'",
        ),
        (
            ("bonus_scale = [0.05, 1.0]", "bonus_scale = []"),
            "learners[2].grid.bonus_scale: expects a non-empty list of values, got []",
        ),
        (
            ("params = { S = 3, H = 4 }", "params = { S = 3.5, H = 4 }"),
            "river_swim: parameter S expects an int, got '3.5'",
        ),
        (
            ("params = { K = 3 }", "params = { K = 3, gap = 0.2 }"),
            "instances[0].grid.gap: is both fixed and swept",
        ),
        (
            ('instances = ["river_swim"]', 'instances = ["lake"]'),
            "learners[2].instances: 'lake' is not the name or label of an instance",
        ),
        (('label = "thompson"', 'label = "ucb1"'), "learners[1].label: 'ucb1' is also the label"),
    ],
)
def test_bad_specs_give_one_line_naming_key_and_value(change, message):
    old, new = change
    assert old in TINY
    with pytest.raises(ValueError) as info:
        _cells(TINY.replace(old, new, 1))
    text = str(info.value)
    assert message in text and "\n" not in text


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_spec("seeds = [")
    with pytest.raises(ValueError, match="cannot read the sweep spec"):
        load_spec(tmp_path / "absent.toml")


# ------------------------------------------------------------------------ running, resume


def test_tiny_sweep_from_the_command_line_writes_the_summary(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "6 cells x 3 seeds" in printed and "18 runs, 0 loaded" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["cells"]) == 6 and summary["repetitions_run"] == 18
    row = summary["cells"][0]
    assert row["learner"] == "ucb1" and row["seeds"] == 3 and row["final_mean"] > 0
    assert row["slope"] is not None and row["slope_low"] <= row["slope"] <= row["slope_high"]
    assert (out / "summary.md").read_text().count("| bernoulli_bandit[gap=0.1] |") == 2
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "slope_vs_instance.gap.png" in figures
    assert "slope_vs_learner.bonus_scale.png" in figures
    assert "regret_river_swim.png" in figures
    # A rerun loads everything and reports the same numbers.
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert "0 runs, 18 loaded" in capsys.readouterr().out
    again = json.loads((out / "summary.json").read_text())
    assert again["cells"] == summary["cells"]


def test_dry_run_lists_the_cells_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(EXAMPLE), "--out", str(out), "--dry-run"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 21 and lines[-1].startswith("20 cells x 10 seeds = 200 runs")
    assert "ucb1-tuned" in lines[3] and "bernoulli_bandit[gap=0.05]" in lines[3]
    assert not out.exists()


def test_resume_reruns_only_missing_repetitions_with_the_same_numbers(tmp_path):
    spec, cells = _cells()
    first = run_sweep(cells, spec.seeds, spec.seed, tmp_path / "a", progress=False)
    assert (first.ran, first.loaded) == (18, 0)
    # Interrupted: two repetitions never finished (one folder gone, one left half-written).
    shutil.rmtree(first.cells[2].folder / "rep_0001")
    (first.cells[5].folder / "rep_0002" / "seed_0000" / "trace.json").unlink()
    second = run_sweep(cells, spec.seeds, spec.seed, tmp_path / "a", progress=False)
    assert (second.ran, second.loaded) == (2, 16)
    for a, b in zip(first.cells, second.cells, strict=True):
        np.testing.assert_array_equal(a.curves, b.curves)
        np.testing.assert_array_equal(a.finals, b.finals)
    # Extending the sweep to more seeds keeps the first ones.
    third = run_sweep(cells, 4, spec.seed, tmp_path / "a", progress=False)
    assert (third.ran, third.loaded) == (6, 18)
    np.testing.assert_array_equal(third.cells[0].finals[:3], first.cells[0].finals)


def test_failing_cell_is_reported_and_others_finish(tmp_path, capsys):
    text = TINY.replace('name = "ucb1"\ninstances = ["bernoulli_bandit"]', 'name = "ucb1"')
    path = tmp_path / "fail.toml"
    path.write_text(text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "mdptheory sweep: ucb1 on river_swim (K=40): 3 of 3 seeds failed, seed 0: "
        "ValueError: UCB1 needs a mdptheory.bandits.Bandit (K arms with scalar "
        "means), got EpisodicMDP"
    ]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert sum(bool(c["errors"]) for c in summary["cells"]) == 1


def test_local_processes_give_the_in_process_traces(tmp_path):
    spec, cells = _cells()
    cells = cells[:2]
    run_sweep(cells, 2, spec.seed, tmp_path / "one", jobs=1, progress=False)
    run_sweep(cells, 2, spec.seed, tmp_path / "two", jobs=2, progress=False)
    assert _assert_same_traces(tmp_path / "one", tmp_path / "two") == 4


@pytest.mark.dask
def test_dask_local_cluster_gives_the_local_traces(tmp_path, dask_local_client):
    spec, cells = _cells()
    local = run_sweep(cells, spec.seeds, spec.seed, tmp_path / "local", progress=False)
    remote = run_sweep(
        cells, spec.seeds, spec.seed, tmp_path / "dask", client=dask_local_client, progress=False
    )
    assert remote.backend.startswith("Dask distributed") and remote.ran == 18
    assert _assert_same_traces(tmp_path / "local", tmp_path / "dask") == 18
    for a, b in zip(local.cells, remote.cells, strict=True):
        np.testing.assert_array_equal(a.curves, b.curves)


@pytest.mark.dask
def test_example_spec_runs_small_on_dask_and_locally(tmp_path, dask_local_client):
    text = EXAMPLE.read_text().replace("seeds = 10", "seeds = 2").replace("[2000]", "[30]")
    spec = parse_spec(text)
    cells = build_cells(spec, make, make_learner)
    local = run_sweep(cells, spec.seeds, spec.seed, tmp_path / "local", progress=False)
    remote = run_sweep(
        cells, spec.seeds, spec.seed, tmp_path / "dask", client=dask_local_client, progress=False
    )
    assert all(c.complete for c in local.cells)
    assert _assert_same_traces(tmp_path / "local", tmp_path / "dask") == 40
    assert [c.finals.tolist() for c in local.cells] == [c.finals.tolist() for c in remote.cells]


@pytest.mark.dask
def test_command_line_on_a_dask_local_cluster_matches_the_local_summary(tmp_path, capsys):
    pytest.importorskip("distributed")
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY.replace("seeds = 3", "seeds = 2"))
    assert main(["sweep", str(spec), "--out", str(tmp_path / "local"), "--no-progress"]) == 0
    assert (
        main(
            [
                "sweep",
                str(spec),
                "--out",
                str(tmp_path / "dask"),
                "--dask-local",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert "Dask: tcp://" in printed.err and "on Dask distributed (1 worker)" in printed.out
    one, two = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("local", "dask"))
    assert one["cells"] == two["cells"]
    assert _assert_same_traces(tmp_path / "local", tmp_path / "dask") == 12


# ------------------------------------------------------------------------- dask optional


def test_missing_dask_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    assert main(["sweep", str(spec), "--dask-local", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "mdptheory[dask]"' in err[0]
    assert not (tmp_path / "o").exists()


def test_importing_the_sweep_does_not_import_dask():
    code = (
        "import sys, mdptheory.sweep, mdptheory.cli, mdptheory.distributed; "
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scheduler", "tcp://h:1", "--dask-local", "2"], "exclude each other"),
        (["--dask-local", "0"], "--dask-local must be a positive number of workers, got 0"),
        (["--scheduler", "localhost"], "--scheduler expects an address such as tcp://HOST:8786"),
        (["--jobs", "2", "--dask-local", "1"], "--jobs 2 sets local processes"),
        (["--jobs", "0"], "--jobs must be a positive number of processes or -1, got 0"),
    ],
)
def test_bad_backend_options(tmp_path, capsys, argv, message):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


# ------------------------------------------------------------------------------- summary


def test_loglog_slope_agrees_with_proofs_check_rates():
    from proofs_check.rates import fit_loglog_slope

    rng = np.random.default_rng(1)
    x = slope_grid(5000).astype(float)
    Y = rng.uniform(0.5, 1.5, (7, 1)) * x**0.6 + rng.uniform(0, 3, (7, x.size))
    fit = fit_loglog_slope(x, Y, tail=0.5, n_boot=300, seed=3)
    assert loglog_slope(x, Y, tail=0.5, n_boot=300, seed=3) == (fit.slope, fit.ci_low, fit.ci_high)


def test_curve_grid_holds_the_slope_grid_and_the_end():
    for budget in (1, 7, 40, 999, 10**5):
        grid = curve_grid(budget)
        assert grid[0] == 1 and grid[-1] == budget and (np.diff(grid) > 0).all()
        assert set(slope_grid(budget)) <= set(grid.tolist())
