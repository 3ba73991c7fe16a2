"""The report: Markdown, figures, results.json and arrays are written and readable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from proofs_check.harness import Evidence, Line, Outcome, Registry, Series, Verdict
from proofs_check.rates import fit_lines, fit_loglog_slope, slope_test
from proofs_check.report import file_stem, plot_result, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def report_registry() -> Registry:
    reg = Registry()

    @reg.theorem(
        id="demo:sqrt-rate",
        paper="Demo (2020) | Thm 2",
        claim="Regret is O(sqrt T).",
        formula="R_T <= C sqrt(T)",
        tags=("demo",),
    )
    def sqrt_rate(scale, seed):
        rng = np.random.default_rng(seed)
        x = np.geomspace(10, 1e4, 10)
        Y = (
            rng.uniform(0.5, 1.5, (12, 1))
            * np.sqrt(x)
            * np.exp(0.1 * rng.standard_normal((12, 10)))
        )
        fit = fit_loglog_slope(x, Y, n_boot=200)
        return Outcome(
            Evidence(
                arrays={"x": x, "Y": Y},
                fitted={"slope": fit.slope, "nan value": float("nan")},
                series=(Series("cumulative regret", x, Y),),
                lines=fit_lines(fit, reference_slope=0.5),
                xlabel="T",
                ylabel="regret",
            ),
            slope_test(fit, max_slope=0.5),
        )

    @reg.theorem(id="demo.callback", paper="Demo", claim="Draws itself.", formula="-")
    def callback(scale, seed):
        def draw(ax):
            ax.bar(["a", "b"], [1.0, 2.0])

        return Outcome(Evidence(figure=draw), Verdict.inconclusive("a CI straddles the bound"))

    @reg.theorem(id="demo.noplot", paper="Demo", claim="No plot.", formula="-")
    def noplot(scale, seed):
        return Outcome(Evidence(fitted={"value": 1.0}), Verdict.passed("exact"))

    @reg.theorem(
        id="demo.negative", paper="Demo", claim="Negative values on a log axis.", formula="-"
    )
    def negative(scale, seed):
        x = np.arange(1.0, 6.0)
        return Outcome(
            Evidence(
                series=(Series("y", x, x - 3.0, style="points"),),
                lines=(Line("bound", x, np.ones(5), role="bound"),),
            ),
            Verdict.passed("ok"),
        )

    @reg.theorem(id="demo.raises", paper="Demo", claim="Raises.", formula="-")
    def raises(scale, seed):
        raise RuntimeError("planted failure")

    return reg


def test_write_report(tmp_path):
    reg = report_registry()
    results = [reg.run_check(t.id, "quick", 1) for t in reg.registered()]
    report = write_report(results, tmp_path / "out", command="mdptheory check --quick")
    out = report.parent
    assert report.name == "report.md" and report.exists()

    text = report.read_text()
    assert "| id | paper | claim | verdict | power | reason | runtime (s) |" in text
    assert "Demo (2020) \\| Thm 2" in text  # a pipe in a cell is escaped
    assert "**PASS**" in text and "**FAIL**" in text and "**INCONCLUSIVE**" in text
    assert "RuntimeError: planted failure" in text
    assert "`mdptheory check --quick`" in text

    data = json.loads((out / "results.json").read_text())
    assert data["counts"] == {"pass": 3, "fail": 1, "inconclusive": 1, "vacuous": 0}
    by_id = {c["id"]: c for c in data["checks"]}
    assert set(by_id) == {t.id for t in reg.registered()}
    sqrt = by_id["demo:sqrt-rate"]
    assert sqrt["status"] == "pass" and sqrt["paper"] == "Demo (2020) | Thm 2"
    assert sqrt["fitted"]["nan value"] is None  # valid JSON: no NaN literal
    assert sqrt["arrays"]["Y"]["shape"] == [12, 10]
    assert by_id["demo.noplot"]["figure"] is None
    assert "Traceback" in by_id["demo.raises"]["error"]

    for check in data["checks"]:
        if check["figure"] is not None:
            png = out / check["figure"]
            assert png.read_bytes()[:8] == PNG_SIGNATURE
            assert f"]({check['figure']})" in text
        assert check["arrays_file"] == f"arrays/{file_stem(check['id'])}.npz"
        with np.load(out / check["arrays_file"]) as arrays:
            assert set(arrays.files) == set(check["arrays"])
    assert (out / "figures" / "demo_sqrt-rate.png").exists()
    assert not (out / "figures" / "demo.noplot.png").exists()
    np.testing.assert_array_equal(
        np.load(out / "arrays" / "demo_sqrt-rate.npz")["Y"], results[-1].evidence.arrays["Y"]
    )


def test_figure_size_and_rewrite(tmp_path):
    from matplotlib.image import imread

    reg = report_registry()
    result = reg.run_check("demo:sqrt-rate")
    path = plot_result(result, tmp_path / "fig.png")
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 500
    # the image is not blank: several distinct colours are drawn
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 20
    # writing twice into the same folder overwrites cleanly
    write_report([result], tmp_path / "r")
    write_report([result], tmp_path / "r")
    assert json.loads((tmp_path / "r" / "results.json").read_text())["counts"]["pass"] == 1


def test_file_stem():
    assert file_stem("a b/c:d") == "a_b_c_d"
    assert file_stem("puterman-6.3.1") == "puterman-6.3.1"


@pytest.mark.parametrize("status", ["pass", "fail", "inconclusive"])
def test_every_status_is_reported(tmp_path, status):
    reg = Registry()

    @reg.theorem(id=f"s.{status}", paper="p", claim="c", formula="f")
    def check(scale, seed):
        return Outcome(Evidence(), Verdict(status, "because"))

    report = write_report([reg.run_check(f"s.{status}")], tmp_path)
    assert f"**{status.upper()}**" in report.read_text()
