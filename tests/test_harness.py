"""Tests of the check registry, verdicts, discovery and the `mdptheory check` runner."""

from __future__ import annotations

import argparse
import json
import sys
import types

import numpy as np
import pytest
import runner_jobs_toys

from proofs_check import harness, runner
from proofs_check.harness import (
    CheckResult,
    Evidence,
    Line,
    Outcome,
    Registry,
    Series,
    Verdict,
)


def toy_registry() -> Registry:
    reg = Registry()

    @reg.theorem(
        id="toy.sqrt",
        paper="Toy (2024), Thm 1",
        claim="Regret grows as sqrt T.",
        formula="R_T = O(sqrt T)",
        tags=("toy", "rates"),
    )
    def sqrt_check(scale: str, seed: int) -> Outcome:
        return runner_jobs_toys.sqrt_rate(
            seed, 8 if scale == "quick" else 16, n_seeds=10, n_boot=100
        )

    runner_jobs_toys.register_planted(reg, "toy.planted", "A planted wrong claim.")

    @reg.theorem(id="toy.raises", paper="Toy", claim="Raises.", formula="-", tags=("broken",))
    def raises(scale: str, seed: int) -> Outcome:
        raise ZeroDivisionError("planted")

    return reg


def test_verdicts():
    assert Verdict.passed("ok").ok and not Verdict.failed("no").ok
    with pytest.raises(ValueError, match="'maybe'"):
        Verdict("maybe", "x")
    with pytest.raises(ValueError, match="reason"):
        Verdict("pass", " ")
    combined = Verdict.combine(
        [Verdict.passed("a"), Verdict.failed("b"), Verdict.inconclusive("c"), Verdict.failed("d")]
    )
    assert combined.status == "fail" and combined.reason == "b; d"
    assert Verdict.combine([Verdict.passed("a"), Verdict.passed("b")]).reason == "a; b"


def test_registry_run_and_metadata():
    reg = toy_registry()
    assert [t.id for t in reg.registered()] == ["toy.planted", "toy.raises", "toy.sqrt"]
    assert [t.id for t in reg.registered(tag="rates")] == ["toy.sqrt"]
    theorem = reg.get("toy.sqrt")
    assert theorem.paper == "Toy (2024), Thm 1" and theorem.tags == ("toy", "rates")
    assert theorem.info()["module"] == __name__
    result = reg.run_check("toy.sqrt", "quick", 3)
    assert isinstance(result, CheckResult)
    assert result.status == "pass" and result.runtime >= 0 and result.scale == "quick"
    assert result.evidence.fitted["slope"] == pytest.approx(0.5)
    assert reg.run_check("toy.sqrt", "full", 3).evidence.series[0].x.size == 16
    # the same seed gives the same evidence
    again = reg.run_check("toy.sqrt", "quick", 3)
    np.testing.assert_array_equal(result.evidence.arrays["Y"], again.evidence.arrays["Y"])
    assert reg.run_check("toy.planted").status == "fail"


def test_a_raising_check_is_a_recorded_failure():
    reg = toy_registry()
    result = reg.run_check("toy.raises")
    assert result.status == "fail"
    assert "ZeroDivisionError: planted" in result.verdict.reason
    assert "Traceback" in result.error
    with pytest.raises(ZeroDivisionError):
        reg.run_check("toy.raises", raise_errors=True)


def test_registry_bad_input():
    reg = toy_registry()
    with pytest.raises(ValueError, match="no check with id 'nope'"):
        reg.get("nope")
    with pytest.raises(ValueError, match="scale"):
        reg.run_check("toy.sqrt", "medium")
    with pytest.raises(ValueError, match="seed"):
        reg.run_check("toy.sqrt", "quick", -1)
    with pytest.raises(ValueError, match="id"):
        reg.theorem(id="has space", paper="p", claim="c", formula="f")
    with pytest.raises(ValueError, match="claim"):
        reg.theorem(id="ok", paper="p", claim="", formula="f")
    with pytest.raises(ValueError, match="tags"):
        reg.theorem(id="ok", paper="p", claim="c", formula="f", tags="planning")

    def other(scale, seed):
        return Outcome(Evidence(), Verdict.passed("x"))

    with pytest.raises(ValueError, match="registered twice"):
        reg.theorem(id="toy.sqrt", paper="p", claim="c", formula="f")(other)

    @reg.theorem(id="toy.bad_return", paper="p", claim="c", formula="f")
    def bad_return(scale, seed):
        return Verdict.passed("not an outcome")

    with pytest.raises(ValueError, match="expected an Outcome"):
        reg.run_check("toy.bad_return")


def test_evidence_validation():
    with pytest.raises(ValueError, match=r"y has shape \(3,\)"):
        Series("s", np.arange(2.0), np.arange(3.0))
    with pytest.raises(ValueError, match="role"):
        Line("l", [1.0], [1.0], role="guess")
    with pytest.raises(ValueError, match="xscale"):
        Evidence(xscale="loglog")
    assert not Evidence().has_plot
    assert Evidence(series=(Series("s", [1.0, 2.0], [[1.0, 2.0], [2.0, 3.0]]),)).has_plot


def test_discovery_imports_every_module_and_fails_loudly(tmp_path, monkeypatch):
    package = tmp_path / "fakechecks"
    package.mkdir()
    (package / "__init__.py").write_text('"""Fake checks."""\n')
    (package / "good.py").write_text(
        "from proofs_check.harness import Evidence, Outcome, Verdict\n"
        "from tests_fake_registry import REG\n"
        "@REG.theorem(id='fake.good', paper='p', claim='c', formula='f')\n"
        "def good(scale, seed):\n"
        "    return Outcome(Evidence(), Verdict.passed('fine'))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("fakechecks")
    fake = types.ModuleType("tests_fake_registry")
    fake.REG = reg
    monkeypatch.setitem(sys.modules, "tests_fake_registry", fake)
    assert [t.id for t in reg.registered()] == ["fake.good"]

    (package / "broken.py").write_text("import this_module_does_not_exist\n")
    reg2 = Registry("fakechecks")
    fake.REG = reg2
    for name in ("fakechecks", "fakechecks.good", "fakechecks.broken"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ModuleNotFoundError, match="this_module_does_not_exist"):
        reg2.registered()


def test_default_registry_discovers_the_planning_checks():
    ids = [t.id for t in harness.registered()]
    assert ids == sorted(ids) and len(ids) >= 4
    assert all(harness.get(i).paper for i in ids)
    assert harness.registered(tag="planning")


def _args(reg_args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    runner.add_arguments(parser)
    return parser.parse_args(reg_args)


def test_runner_arguments():
    args = _args([])
    assert args.scale == "quick" and args.out == "mdptheory-report" and args.seed == 0
    assert not args.list and args.only == [] and args.tag == []
    args = _args(
        ["--full", "--only", "a", "b", "--only", "c", "--tag", "x", "--seed", "4", "--out", "dir"]
    )
    assert args.scale == "full" and args.only == ["a", "b", "c"] and args.tag == ["x"]
    assert args.seed == 4 and args.out == "dir"
    with pytest.raises(SystemExit):
        _args(["--quick", "--full"])


def test_runner_exit_codes_and_report(tmp_path, capsys):
    reg = toy_registry()
    out = tmp_path / "report"
    code = runner.run_from_args(_args(["--tag", "rates", "--out", str(out)]), registry=reg)
    assert code == 0
    printed = capsys.readouterr().out
    assert "toy.sqrt" in printed and "PASS" in printed and "report.md" in printed
    data = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in data["checks"]] == ["toy.sqrt"]

    code = runner.run_from_args(_args(["--out", str(out)]), registry=reg)
    assert code == 1  # the planted check and the raising check fail
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "ZeroDivisionError" in printed
    data = json.loads((out / "results.json").read_text())
    assert data["counts"] == {"pass": 1, "fail": 2, "inconclusive": 0, "vacuous": 0}

    assert (
        runner.run_from_args(_args(["--only", "toy.planted", "--out", str(out)]), registry=reg) == 1
    )
    assert runner.run_from_args(_args(["--only", "missing"]), registry=reg) == 2
    assert "no check with id 'missing'" in capsys.readouterr().err
    assert runner.run_from_args(_args(["--tag", "none-such"]), registry=reg) == 2
    assert runner.run_from_args(_args(["-k", "sqrt", "--out", str(out)]), registry=reg) == 0


def test_runner_list(capsys):
    assert runner.run_from_args(_args(["--list"]), registry=toy_registry()) == 0
    printed = capsys.readouterr().out
    assert "toy.planted" in printed and "toy.sqrt" in printed
