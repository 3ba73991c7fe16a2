"""Tests of `mdptheory check --jobs N`: checks in worker processes, same results as serially.

The toy checks are module-level functions of this module and of ``runner_jobs_toys`` registered
in a module-level registry, so a worker process imports them by reference; a second registry
of closures is sent by value.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

import numpy as np
import pytest
import runner_jobs_toys

from mdptheory.cli import main
from proofs_check import runner
from proofs_check.harness import Evidence, Outcome, Registry, Series, Verdict

REG = Registry()


@REG.theorem(
    id="jobs.slow-first",
    paper="Toy",
    claim="Sorted first, finishes last.",
    formula="-",
    tags=("toy",),
)
def slow_first(scale: str, seed: int) -> Outcome:
    time.sleep(0.4)
    return runner_jobs_toys.sqrt_rate(seed, 8, n_seeds=6, n_boot=200, reference=True)


runner_jobs_toys.register_planted(REG, "jobs.planted", "A planted wrong rate.")


@REG.theorem(id="jobs.raises", paper="Toy", claim="Raises.", formula="-", tags=("toy",))
def raises(scale: str, seed: int) -> Outcome:
    raise ZeroDivisionError(f"planted at scale {scale}")


@REG.theorem(id="jobs.random", paper="Toy", claim="Seeded draws.", formula="-", tags=("toy",))
def random_draws(scale: str, seed: int) -> Outcome:
    draws = np.random.default_rng(seed).standard_normal(5 if scale == "quick" else 50)
    return Outcome(
        Evidence(
            arrays={"draws": draws},
            fitted={"mean": draws.mean()},
            series=(Series("draws", np.arange(1.0, draws.size + 1), np.abs(draws)),),
        ),
        Verdict.passed(f"mean {draws.mean():.6f}"),
    )


@REG.theorem(
    id="jobs.figure", paper="Toy", claim="Draws its own figure.", formula="-", tags=("toy",)
)
def own_figure(scale: str, seed: int) -> Outcome:
    def draw(ax):
        ax.plot([1, 2, 3], [3, 1, 2])

    return Outcome(Evidence(fitted={"x": 1.0}, figure=draw), Verdict.inconclusive("by design"))


REG.theorem(
    id="jobs.toy-fast", paper="Toy", claim="Fast, another module.", formula="-", tags=("toy",)
)(runner_jobs_toys.fast)
REG.theorem(
    id="jobs.toy-seeded", paper="Toy", claim="Seeded, another module.", formula="-", tags=("toy",)
)(runner_jobs_toys.seeded)


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    return parser.parse_args(argv)


def _same_result(a, b) -> None:
    assert a.id == b.id and a.theorem == b.theorem
    assert a.verdict == b.verdict and a.scale == b.scale and a.seed == b.seed
    assert a.error == b.error
    assert a.evidence.fitted == b.evidence.fitted
    assert a.evidence.arrays.keys() == b.evidence.arrays.keys()
    for name in a.evidence.arrays:
        np.testing.assert_array_equal(a.evidence.arrays[name], b.evidence.arrays[name])
    assert len(a.evidence.series) == len(b.evidence.series)
    for sa, sb in zip(a.evidence.series, b.evidence.series, strict=True):
        np.testing.assert_array_equal(sa.y, sb.y)


def test_jobs_argument_and_resolution():
    assert _args([]).jobs == 1 and _args(["--jobs", "2"]).jobs == 2
    assert runner.resolve_jobs(4, 2) == 2 and runner.resolve_jobs(1, 9) == 1
    assert runner.resolve_jobs(-1, 100) == (os.cpu_count() or 1)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="--jobs"):
            runner.resolve_jobs(bad, 3)


def test_task_groups_keep_a_module_together_when_there_are_enough_modules():
    theorems = REG.registered()
    modules = [t.module for t in theorems]
    assert set(modules) == {__name__, "runner_jobs_toys"}
    everything = list(range(len(theorems)))
    groups = runner.task_groups(theorems, everything, 2)
    assert sorted(i for g in groups for i in g) == everything
    assert len(groups) == 2 and all(len({modules[i] for i in g}) == 1 for g in groups)
    assert runner.task_groups(theorems, everything, 3) == [[i] for i in everything]
    assert runner.task_groups(theorems, [], 2) == []


def test_results_identical_for_any_jobs_and_in_selection_order():
    theorems = REG.registered()
    # selection order = sorted ids; "jobs.slow-first" is not first alphabetically, so put it
    # first by hand: it finishes last in the pool but must come back first.
    theorems = sorted(theorems, key=lambda t: t.id != "jobs.slow-first")
    serial = runner.run_checks(theorems, "quick", 3, REG, progress=False, jobs=1)
    parallel = runner.run_checks(theorems, "quick", 3, REG, progress=False, jobs=2)
    assert [r.id for r in parallel] == [t.id for t in theorems] == [r.id for r in serial]
    for a, b in zip(serial, parallel, strict=True):
        _same_result(a, b)
    # the caller's function objects come back, not copies
    assert all(r.theorem.func is t.func for r, t in zip(parallel, theorems, strict=True))
    assert parallel[theorems.index(REG.get("jobs.raises"))].error.count("ZeroDivisionError")
    assert {r.status for r in parallel} == {"pass", "fail", "inconclusive"}


def test_report_identical_apart_from_runtimes(tmp_path, capsys):
    codes = []
    for jobs in (1, 2):
        codes.append(
            runner.run_from_args(
                _args(["--out", str(tmp_path / f"jobs{jobs}"), "--seed", "5", "--jobs", str(jobs)]),
                registry=REG,
            )
        )
    assert codes == [1, 1]  # the planted and the raising checks fail either way
    capsys.readouterr()
    one, two = (json.loads((tmp_path / f"jobs{j}" / "results.json").read_text()) for j in (1, 2))
    for payload in (one, two):
        for key in ("created", "command"):
            payload.pop(key)
        for record in payload["checks"]:
            assert record.pop("runtime_seconds") >= 0
    assert one == two
    assert [c["id"] for c in one["checks"]] == [t.id for t in REG.registered()]
    for stem in ("jobs.random", "jobs.slow-first", "jobs.toy-seeded"):
        a = np.load(tmp_path / "jobs1" / "arrays" / f"{stem}.npz")
        b = np.load(tmp_path / "jobs2" / "arrays" / f"{stem}.npz")
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])
    figures = sorted(p.name for p in (tmp_path / "jobs1" / "figures").iterdir())
    assert figures == sorted(p.name for p in (tmp_path / "jobs2" / "figures").iterdir())
    assert "jobs.figure.png" in figures


def _closure_registry(lock: threading.Lock | None = None) -> Registry:
    reg = Registry()
    offset = 0.25

    @reg.theorem(id="closure.pid", paper="Toy", claim="Where it ran.", formula="-")
    def pid(scale: str, seed: int) -> Outcome:
        if lock is not None:
            with lock:
                pass
        return Outcome(
            Evidence(fitted={"pid": os.getpid(), "offset": offset}), Verdict.passed("ran")
        )

    @reg.theorem(id="closure.other", paper="Toy", claim="Second check.", formula="-")
    def other(scale: str, seed: int) -> Outcome:
        return Outcome(Evidence(fitted={"seed": seed}), Verdict.passed("ran"))

    return reg


def test_closures_are_sent_to_workers_by_value():
    reg = _closure_registry()
    results = runner.run_checks(reg.registered(), "quick", 7, reg, progress=False, jobs=2)
    by_id = {r.id: r for r in results}
    assert by_id["closure.pid"].evidence.fitted["pid"] != os.getpid()
    assert by_id["closure.pid"].evidence.fitted["offset"] == 0.25
    assert by_id["closure.other"].evidence.fitted["seed"] == 7


def test_unpicklable_check_runs_in_this_process(capsys):
    reg = _closure_registry(threading.Lock())
    results = runner.run_checks(reg.registered(), "quick", 0, reg, progress=False, jobs=2)
    assert [r.id for r in results] == ["closure.other", "closure.pid"]
    assert results[1].evidence.fitted["pid"] == os.getpid()
    assert "closure.pid: its function cannot be pickled" in capsys.readouterr().out


def test_bad_jobs_is_a_selection_error(capsys):
    assert runner.run_from_args(_args(["--jobs", "0"]), registry=REG) == 2
    assert "--jobs" in capsys.readouterr().err


def test_registered_checks_run_in_workers_from_the_command_line(tmp_path, capsys):
    ids = ["puterman-6.3.1-vi-contraction", "scherrer-2013-pi-iterations"]
    for jobs in ("1", "2"):
        code = main(["check", "--only", *ids, "--jobs", jobs, "--out", str(tmp_path / jobs)])
        assert code == 0
    capsys.readouterr()
    one, two = (json.loads((tmp_path / j / "results.json").read_text()) for j in ("1", "2"))
    assert [c["id"] for c in two["checks"]] == sorted(ids)
    for a, b in zip(one["checks"], two["checks"], strict=True):
        assert (a["status"], a["reason"], a["fitted"]) == (b["status"], b["reason"], b["fitted"])


@pytest.mark.dask
def test_results_identical_on_a_dask_local_cluster(dask_local_client, capsys):
    theorems = sorted(REG.registered(), key=lambda t: t.id != "jobs.slow-first")
    serial = runner.run_checks(theorems, "quick", 3, REG, progress=False, jobs=1)
    remote = runner.run_checks(theorems, "quick", 3, REG, progress=False, client=dask_local_client)
    assert [r.id for r in remote] == [t.id for t in theorems]
    for a, b in zip(serial, remote, strict=True):
        _same_result(a, b)
    assert all(r.theorem.func is t.func for r, t in zip(remote, theorems, strict=True))
    assert "Dask: 2 workers, dashboard http" in capsys.readouterr().out


def test_dask_options_of_check(monkeypatch, capsys):
    assert _args(["--dask-local", "2"]).dask_local == 2
    assert _args(["--scheduler", "tcp://h:8786"]).scheduler == "tcp://h:8786"
    assert runner.run_from_args(_args(["--dask-local", "2", "--jobs", "2"]), registry=REG) == 2
    assert "drop --jobs" in capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    assert runner.run_from_args(_args(["--dask-local", "1"]), registry=REG) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and 'pip install "mdptheory[dask]"' in out[0]
