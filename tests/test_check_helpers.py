"""The helpers the checks are written with: Findings (evidence assembly), the interval criteria
over seeds, informative bounds, and the slope numbers of proofs_check.rates."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from proofs_check import findings, intervals, vacuity
from proofs_check.findings import Findings, rejected_by_every_part
from proofs_check.harness import Control, Evidence, Line, Outcome, Registry, Series, Verdict
from proofs_check.intervals import (
    event_frequency_test,
    interval_test,
    paired_difference_test,
    seeds_above_bound_test,
    t_interval,
)
from proofs_check.rates import (
    clopper_pearson_lower,
    fit_lines,
    fit_local_slopes,
    fit_loglog_slope,
    rate_shape_test,
    tail_start,
)
from proofs_check.vacuity import informative_bound

PROPERTY = settings(max_examples=60, deadline=None)
finite = st.floats(-1e6, 1e6, allow_nan=False)


@pytest.mark.parametrize("module", [findings, intervals, vacuity])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


# --------------------------------------------------------------------------------- Findings


def _rate_outcome_by_hand(x, Y, seed):
    """The assembly Findings replaces, written out: the oracle of the next test."""
    verdict, fit, local = rate_shape_test(x, Y, max_slope=0.5, n_boot=50, seed=seed)
    control_verdict, control_fit, _ = rate_shape_test(x, Y * x, max_slope=0.5, n_boot=50, seed=seed)
    evidence = Evidence(
        arrays={"x": x, "regret[a]": Y},
        fitted={
            "slope[a]": fit.slope,
            "slope_ci_low[a]": fit.ci_low,
            "slope_ci_high[a]": fit.ci_high,
        },
        series=(Series("a", x, Y),),
        lines=(
            *fit_lines(fit, reference_slope=0.5, label="a"),
            Line("bound", x, 2 * np.sqrt(x), role="bound"),
        ),
        local_slopes=(local.series("a"),),
        burn_in={"burn-in a": 100.0},
        xlabel="K",
        title="toy",
    )
    return Outcome(
        evidence,
        Verdict.combine([verdict]),
        (Control("linear", control_verdict, {"slope": control_fit.slope}),),
    )


def test_findings_builds_the_outcome_written_by_hand():
    x = np.geomspace(10, 1e4, 13)
    Y = np.outer([0.9, 1.0, 1.1], np.sqrt(x))
    expected = _rate_outcome_by_hand(x, Y, seed=3)
    found = Findings(arrays={"x": x})
    verdict, fit, local = rate_shape_test(x, Y, max_slope=0.5, n_boot=50, seed=3)
    found.judge(verdict)
    found.curve("a", x, Y, array="regret[a]")
    found.rate_fit("a", fit, local, reference=0.5)
    found.line("bound", x, 2 * np.sqrt(x), role="bound")
    found.burn_in["burn-in a"] = 100.0
    control_verdict, control_fit, _ = rate_shape_test(x, Y * x, max_slope=0.5, n_boot=50, seed=3)
    found.control("linear", control_verdict, {"slope": control_fit.slope})
    outcome = found.outcome(xlabel="K", title="toy")
    assert outcome.verdict == expected.verdict and outcome.controls == expected.controls
    a, b = outcome.evidence, expected.evidence
    assert list(a.fitted.items()) == list(b.fitted.items())
    assert list(a.arrays) == list(b.arrays) and a.burn_in == b.burn_in
    assert (a.xlabel, a.title) == (b.xlabel, b.title)
    for got, want in ((a.series, b.series), (a.lines, b.lines), (a.local_slopes, b.local_slopes)):
        assert [s.label for s in got] == [s.label for s in want]
        for s, t in zip(got, want, strict=True):
            np.testing.assert_array_equal(s.y, t.y)


def test_findings_verdict_numbers_and_explicit_verdict():
    found = Findings(fitted={"first": 1.0})
    found.judge(Verdict.passed("a"), {"second": 2.0})
    found.judge(Verdict.vacuous("b"))
    assert list(found.fitted) == ["first", "second"]
    assert found.outcome().verdict == Verdict("pass", "a; vacuous: b")
    assert found.outcome(Verdict.failed("own")).verdict.status == "fail"
    # A statistical check run through the registry keeps its power rule.
    reg = Registry()

    @reg.theorem(id="toy.found", paper="p", claim="c", formula="f", kind="bound", rule="r")
    def toy(scale, seed):
        f = Findings()
        f.judge(Verdict.passed("below"))
        f.control("planted", Verdict.passed("also below"))
        return f.outcome()

    result = reg.run_check("toy.found")
    assert result.status == "fail" and "no power" in result.verdict.reason


def test_findings_copies_its_inputs_and_rejects_a_non_verdict():
    fitted = {"a": 1.0}
    found = Findings(fitted=fitted, series=(Series("s", [1.0, 2.0], [1.0, 2.0]),))
    found.fitted["b"] = 2.0
    found.curve("t", [1.0, 2.0], [3.0, 4.0])
    assert fitted == {"a": 1.0} and len(found.series) == 2
    with pytest.raises(ValueError, match="judge needs a Verdict"):
        found.judge("pass")
    with pytest.raises(ValueError, match="combine needs at least one verdict"):
        Findings().outcome()


def test_rejected_by_every_part():
    assert rejected_by_every_part([Verdict.failed("a"), Verdict.failed("b")]).reason == "a; b"
    mixed = rejected_by_every_part(
        [Verdict.failed("a"), Verdict.inconclusive("b"), Verdict.passed("c")]
    )
    assert mixed == Verdict.passed("b; c")
    with pytest.raises(ValueError, match="at least one judged part"):
        rejected_by_every_part([])


# -------------------------------------------------------------------------------- intervals


@PROPERTY
@given(st.lists(finite, min_size=2, max_size=30), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_t_interval_is_the_student_t_interval(values, level):
    x = np.array(values)
    mean, low, high = t_interval(x, level)
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    assert mean == float(x.mean())
    assert low <= mean <= high and math.isclose(high - mean, half, rel_tol=1e-12, abs_tol=1e-9)


def test_t_interval_oracle_and_bad_input():
    mean, low, high = t_interval([1.0, 2.0, 3.0, 4.0])
    assert (mean, round(low, 5), round(high, 5)) == (2.5, 0.44574, 4.55426)
    assert t_interval([7.0]) == (7.0, 7.0, 7.0)
    with pytest.raises(ValueError, match="non-empty 1-d"):
        t_interval(np.ones((2, 2)))
    with pytest.raises(ValueError, match="level"):
        t_interval([1.0, 2.0], level=1.0)


@PROPERTY
@given(finite, finite, finite, st.booleans())
def test_interval_test_three_way_rule(a, b, bound, strict):
    low, high = min(a, b), max(a, b)
    upper = interval_test(low, high, "x", at_most=bound, strict=strict).status
    lower = interval_test(low, high, "x", at_least=bound, strict=strict).status
    assert upper == (
        "pass"
        if (high < bound if strict else high <= bound)
        else "fail"
        if low > bound
        else "inconclusive"
    )
    assert lower == (
        "pass"
        if (low > bound if strict else low >= bound)
        else "fail"
        if high < bound
        else "inconclusive"
    )


def test_interval_test_needs_one_side():
    for sides in ({}, {"at_most": 1.0, "at_least": 0.0}):
        with pytest.raises(ValueError, match="exactly one"):
            interval_test(0.0, 1.0, "x", **sides)


@PROPERTY
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=20))
def test_paired_difference_is_antisymmetric(pairs):
    a, b = np.array(pairs).T
    forward, numbers = paired_difference_test(a, b, "a - b")
    backward, _ = paired_difference_test(b, a, "b - a")
    flipped = {"pass": "fail", "fail": "pass", "inconclusive": "inconclusive"}
    # Exactly zero-width intervals at 0 are inconclusive both ways.
    assert backward.status == flipped[forward.status]
    assert numbers["ci_low"] <= numbers["mean_difference"] <= numbers["ci_high"]


def test_paired_difference_oracle():
    verdict, numbers = paired_difference_test([5.0, 6.0, 7.0], [1.0, 1.0, 1.0], "CH - BF")
    assert verdict.status == "pass" and numbers["mean_difference"] == 5.0
    assert verdict.reason.startswith("CH - BF: mean paired difference 5 (95% CI [2.516, 7.484])")
    assert paired_difference_test([1.0, 2.0], [1.5, 1.5], "x")[0].status == "inconclusive"


def test_seeds_above_bound():
    assert seeds_above_bound_test([1.0, 2.0, 3.0], 10.0, 0.05, "k").status == "pass"
    planted = seeds_above_bound_test(np.full(8, 2.0), 1.0, 0.05, "planted", what="gap")
    assert planted.status == "fail"
    assert planted.reason == (
        "planted: gap / bound at most 2; 100% of 8 seeds above the bound (allowed 0.05)"
    )
    # one seed in twenty above is allowed at delta = 0.05, two are not
    assert seeds_above_bound_test([2.0] + [0.0] * 19, 1.0, 0.05, "k").status == "pass"
    assert seeds_above_bound_test([2.0] * 2 + [0.0] * 18, 1.0, 0.05, "k").status == "fail"


def test_event_frequency():
    held = np.array([True] * 55 + [False] * 5)
    verdict = event_frequency_test(held, 0.05, "BF", lower_end=True)
    lower = clopper_pearson_lower(5, 60)
    assert verdict.status == "inconclusive"
    assert verdict.reason == (
        f"BF: optimism failed in 5 of 60 runs (0.083; allowed delta = "
        f"0.05; 95% lower end {lower:.3f})"
    )
    assert event_frequency_test(held[:55], 0.05, "x").status == "pass"
    coverage = event_frequency_test(
        np.zeros(40, dtype=bool), 0.1, "radius / 2", event="coverage", allowed_name="p"
    )
    assert coverage.status == "fail" and "coverage failed in 40 of 40 runs" in coverage.reason
    assert "allowed p = 0.1" in coverage.reason


# ---------------------------------------------------------------------------- vacuity


@PROPERTY
@given(st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=20), st.floats(1e-3, 1e3))
def test_informative_bound_is_the_part_below_the_trivial(bounds, trivial):
    x = np.arange(1.0, len(bounds) + 1)
    part = informative_bound(x, bounds, trivial)
    mask = np.array(bounds) < trivial
    np.testing.assert_array_equal(part.informative, mask)
    assert part.vacuous == (not mask.any()) and part.count == int(mask.sum())
    if mask.any():
        assert part.first == x[mask][0]
        measured = np.array(bounds) * 0.5
        assert part.holds(measured) and part.max_ratio(measured) == 0.5
        assert not part.holds(np.array(bounds) * 2.0)
    else:
        assert math.isnan(part.first)


def test_informative_bound_per_run_and_bad_input():
    upper = np.array([[5.0, 1.0, 0.5], [np.inf, 9.0, 4.0]])
    part = informative_bound(None, upper, np.array([[2.0], [5.0]]))
    assert part.count == 3 and part.holds(np.array([[9.0, 1.0, 0.1], [9.0, 9.0, 3.0]]))
    assert part.max_ratio(np.array([[9.0, 1.0, 0.1], [9.0, 9.0, 3.0]])) == 1.0
    with pytest.raises(ValueError, match="first needs the grid"):
        _ = part.first
    with pytest.raises(ValueError, match="measured has shape"):
        part.holds(np.zeros(3))
    with pytest.raises(ValueError, match="the grid x"):
        informative_bound([1.0, 2.0], [1.0, 2.0, 3.0], 10.0)
    with pytest.raises(ValueError, match="nowhere informative"):
        informative_bound([1.0], [20.0], 10.0).max_ratio([1.0])


# ------------------------------------------------------------------------------- rates


def test_slope_numbers_tail_start_and_local_maxima():
    x = np.geomspace(10, 1e4, 10)
    fit = fit_loglog_slope(x, np.outer([1.0, 1.2, 0.8], x**0.5), n_boot=50)
    assert fit.numbers() == {
        "slope": fit.slope,
        "slope_ci_low": fit.ci_low,
        "slope_ci_high": fit.ci_high,
    }
    assert list(fit.numbers("c=1", "trend")) == [
        "trend[c=1]",
        "trend_ci_low[c=1]",
        "trend_ci_high[c=1]",
    ]
    assert tail_start(x) == fit.x_tail[0] and tail_start(x, tail=1.0) == x[0]
    local = fit_local_slopes(x, np.outer([1.0, 1.2], np.where(x < 300, x, 300.0)), n_boot=20)
    after = local.after(300.0)
    assert local.max_after(300.0) == local.slopes[after].max()
    assert local.max_after(300.0, "ci_low") == local.ci_low[after].max()
    assert math.isnan(local.max_after(1e9))
    with pytest.raises(ValueError, match="of must be"):
        local.max_after(0.0, "width")


def test_passed_if():
    assert Verdict.passed_if(True, "r") == Verdict.passed("r")
    assert Verdict.passed_if(np.bool_(False), "r") == Verdict.failed("r")
