"""Checks that can fail: vacuous verdicts, negative controls, pre-registration, local slopes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from proofs_check.harness import Control, Evidence, Outcome, Registry, Verdict, vacuous_bound
from proofs_check.rates import (
    fit_local_slopes,
    fit_loglog_slope,
    local_slope_test,
    rate_shape_test,
    slope_test,
)
from proofs_check.report import write_report

RULE = "tolerance 0.05 fixed before any run"


def _sqrt_or_linear(seed: int, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.geomspace(10, 1e4, 10)
    return x, rng.uniform(0.8, 1.2, (8, 1)) * x**exponent


def power_registry() -> Registry:
    reg = Registry()

    def judged(seed: int, exponent: float) -> Verdict:
        x, Y = _sqrt_or_linear(seed, exponent)
        return slope_test(fit_loglog_slope(x, Y, n_boot=200, seed=seed), max_slope=0.5)

    @reg.theorem(
        id="power.good",
        paper="Toy",
        claim="sqrt",
        formula="O(sqrt T)",
        kind="slope",
        rule=RULE,
        source="Toy, p. 1",
        verified=True,
    )
    def good(scale, seed):
        control = Control("linear learner", judged(seed, 1.0), {"exponent": 1.0})
        return Outcome(Evidence(), judged(seed, 0.5), (control,))

    @reg.theorem(
        id="power.blind", paper="Toy", claim="sqrt", formula="O(sqrt T)", kind="slope", rule=RULE
    )
    def blind(scale, seed):
        # The control grows as T^0.52: within the tolerance, so it is not rejected.
        control = Control("nearly sqrt learner", judged(seed, 0.52), {"exponent": 0.52})
        return Outcome(Evidence(), judged(seed, 0.5), (control,))

    @reg.theorem(
        id="power.none", paper="Toy", claim="sqrt", formula="O(sqrt T)", kind="slope", rule=RULE
    )
    def none(scale, seed):
        return Outcome(Evidence(), judged(seed, 0.5))

    @reg.theorem(
        id="power.vacuous", paper="Toy", claim="bound", formula="R <= B", kind="bound", rule=RULE
    )
    def vac(scale, seed):
        # A vacuous criterion cannot reject its control either: the check stays vacuous.
        control = Control("planted", Verdict.vacuous("bound above H K"), {})
        return Outcome(Evidence(), vacuous_bound(2e4, 1e4, "Theorem 1 at K = 1000"), (control,))

    return reg


def test_controls_decide_power():
    reg = power_registry()
    good = reg.run_check("power.good")
    assert good.status == "pass" and good.power == "1/1" and good.controls[0].rejected
    blind = reg.run_check("power.blind")
    assert blind.status == "fail" and "no power" in blind.verdict.reason
    assert "nearly sqrt learner" in blind.verdict.reason and blind.power == "0/1"
    none = reg.run_check("power.none")
    assert none.status == "fail" and "at least one negative control" in none.verdict.reason
    assert reg.run_check("power.vacuous").status == "vacuous"


def test_statistical_checks_need_a_rule_and_a_known_kind():
    reg = Registry()
    with pytest.raises(ValueError, match="rule"):
        reg.theorem(id="x", paper="p", claim="c", formula="f", kind="slope")
    with pytest.raises(ValueError, match="kind"):
        reg.theorem(id="x", paper="p", claim="c", formula="f", kind="rate")
    with pytest.raises(ValueError, match="verified"):
        reg.theorem(id="x", paper="p", claim="c", formula="f", verified="yes")


def test_combine_orders_vacuous_below_pass():
    assert Verdict.combine([Verdict.vacuous("a"), Verdict.vacuous("b")]).status == "vacuous"
    both = Verdict.combine([Verdict.vacuous("a"), Verdict.passed("b")])
    assert both.status == "pass" and both.reason == "b; vacuous: a"
    assert (
        Verdict.combine([Verdict.vacuous("a"), Verdict.inconclusive("b")]).status == "inconclusive"
    )
    assert vacuous_bound(9.99e3, 1e4, "x") is None
    assert vacuous_bound(float("inf"), 1e4, "x").status == "vacuous"


def test_report_shows_power_vacuity_and_sources(tmp_path):
    reg = power_registry()
    results = [reg.run_check(t.id) for t in reg.registered()]
    report = write_report(results, tmp_path)
    text = report.read_text()
    assert "VACUOUS" in text and "| 1/1 |" in text and "| 0/1 |" in text
    unverified = text.split("## Statements not verified")[1].split("## Checks")[0]
    assert "power.blind" in unverified and "power.good" not in unverified
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["counts"]["vacuous"] == 1
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["power.good"]["controls"][0]["rejected"] is True
    assert by_id["power.good"]["verified"] is True and by_id["power.good"]["rule"] == RULE
    assert by_id["power.blind"]["controls"][0]["name"] == "nearly sqrt learner"


def test_local_slopes_see_a_bend_the_tail_fit_misses():
    x = np.geomspace(10, 1e5, 13)
    bent = np.where(x < 3e3, x, 3e3 * np.sqrt(x / 3e3))  # linear for 2.5 decades, then sqrt
    Y = np.outer([0.9, 1.0, 1.1], bent)
    tail = slope_test(fit_loglog_slope(x, Y, tail=0.3, n_boot=100), max_slope=0.5)
    assert tail.status == "pass"
    verdict, _, local = rate_shape_test(x, Y, max_slope=0.5, tail=0.3, n_boot=100)
    assert verdict.status == "fail" and local.slopes.max() == pytest.approx(1.0)
    # Judged only after the bend (a burn-in computed beforehand), the shape agrees.
    assert local_slope_test(local, max_slope=0.5, start=3e3).status == "pass"
    assert local_slope_test(local, max_slope=0.5, start=1e6).status == "inconclusive"


def test_local_slopes_are_exact_on_power_laws_and_reproducible():
    x = np.geomspace(1, 1e4, 17)
    for exponent in (0.0, 0.5, 1.0, 2.0):
        local = fit_local_slopes(x, np.outer([1.0, 2.0], x**exponent), n_boot=20)
        np.testing.assert_allclose(local.slopes, exponent, atol=1e-12)
        np.testing.assert_allclose(local.ci_low, exponent, atol=1e-12)
    Y = np.random.default_rng(0).uniform(1, 2, (5, 17)) * np.sqrt(x)
    a, b = fit_local_slopes(x, Y, seed=3), fit_local_slopes(x, Y, seed=3)
    np.testing.assert_array_equal(a.ci_low, b.ci_low)
    assert np.all(a.x_low[1:] == a.x_high[:-1]) and a.x_high[-1] == x[-1]
    with pytest.raises(ValueError, match="decades"):
        fit_local_slopes(x, Y, decades=0.0)
    with pytest.raises(ValueError, match="positive"):
        fit_local_slopes(x, -Y)


def test_control_validation():
    with pytest.raises(ValueError, match="name"):
        Control(" ", Verdict.failed("x"))
    with pytest.raises(ValueError, match="Verdict"):
        Control("c", "fail")
    with pytest.raises(ValueError, match="Control"):
        Outcome(Evidence(), Verdict.passed("x"), ("not a control",))


def test_local_slope_panel_is_drawn(tmp_path):
    from proofs_check.harness import Series

    reg = Registry()
    x = np.geomspace(10, 1e4, 10)
    Y = np.outer([0.9, 1.1], np.sqrt(x))
    local = fit_local_slopes(x, Y, n_boot=20)

    @reg.theorem(id="panel", paper="Toy", claim="sqrt", formula="O(sqrt T)")
    def panel(scale, seed):
        return Outcome(
            Evidence(
                series=(Series("R", x, Y),),
                local_slopes=(local.series("R"),),
                slope_references={"claim 1/2": 0.5},
                burn_in={"burn-in": 100.0},
            ),
            local_slope_test(local, max_slope=0.5, start=100.0),
        )

    report = write_report([reg.run_check("panel")], tmp_path)
    assert (report.parent / "figures" / "panel.png").stat().st_size > 0


def test_every_registered_check_declares_kind_source_and_rule():
    from proofs_check.harness import KINDS, registered

    theorems = registered()
    assert len(theorems) >= 49
    for t in theorems:
        assert t.kind in KINDS, f"{t.id}: kind {t.kind!r}"
        assert t.source.strip(), f"{t.id}: no source recorded"
        if t.statistical:
            assert t.rule.strip(), f"{t.id}: a {t.kind} check without its pre-registration rule"
