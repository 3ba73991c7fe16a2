"""The Kiefer–Wolfowitz check passes at quick scale with its control rejected, and fails when
Frank–Wolfe's line search is broken."""

from __future__ import annotations

import numpy as np

from mdptheory import optimal_design
from proofs_check import harness

CHECK = "kiefer-wolfowitz-g-optimal-design"


def test_quick_scale_passes_with_its_control_rejected():
    result = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "pass", result.verdict.reason
    assert result.evidence.has_plot
    assert result.controls and all(c.rejected for c in result.controls)
    assert harness.get(CHECK).module == "proofs_check.theorems.optimal_design"


def test_a_design_that_stops_early_fails_the_check(monkeypatch):
    original = optimal_design.frank_wolfe_design

    def stops_early(X, tol=1e-2, max_iter=1_000_000, initial=None):
        return original(X, tol=tol, max_iter=min(max_iter, 3), initial=initial)

    monkeypatch.setattr("proofs_check.theorems.optimal_design.frank_wolfe_design", stops_early)
    result = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "fail"
    assert "claim <= 1e-06" in result.verdict.reason


def test_same_seed_same_evidence():
    first = harness.run_check(CHECK, "quick", seed=3, raise_errors=True)
    second = harness.run_check(CHECK, "quick", seed=3, raise_errors=True)
    assert first.evidence.fitted == second.evidence.fitted
    np.testing.assert_array_equal(
        first.evidence.arrays["excess_along_steps"], second.evidence.arrays["excess_along_steps"]
    )
