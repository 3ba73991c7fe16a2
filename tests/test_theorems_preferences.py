"""The preference checks at quick scale: verdicts, controls rejected, declared metadata."""

from __future__ import annotations

import numpy as np
from conftest import quick_check_tests

from proofs_check.harness import Verdict, run_check
from proofs_check.theorems import preferences as checks

IDS = (
    "azar2024-dpo-pitfall",
    "azar2024-ipo-gradient-reaches-minimiser",
    "bradley-terry-mle-coverage",
    "zhan2024-offline-pbrl-coverage",
)


results, test_check_passes_with_its_controls_rejected = quick_check_tests(IDS, tag="preferences")


def test_coverage_check_is_reproducible():
    a = run_check("bradley-terry-mle-coverage", "quick", 3, raise_errors=True)
    b = run_check("bradley-terry-mle-coverage", "quick", 3, raise_errors=True)
    assert a.evidence.fitted == b.evidence.fitted
    for key, value in a.evidence.arrays.items():
        np.testing.assert_array_equal(value, b.evidence.arrays[key])


def test_criteria_tell_collapse_and_distance_apart():
    dispreferred = np.array([False, True, True])
    assert checks.collapse_criterion("x", np.array([1.0, 0.0, 0.0]), dispreferred).status == "pass"
    assert (
        checks.collapse_criterion("x", np.array([0.9, 0.05, 0.05]), dispreferred).status == "fail"
    )
    assert checks.collapse_criterion("x", None, dispreferred).status == "fail"
    ref = np.full(3, 1 / 3)
    assert checks.tau_distance_criterion("x", ref, ref, 0.0).status == "pass"
    assert checks.tau_distance_criterion("x", np.array([1.0, 0.0, 0.0]), ref, 1e9).status == "fail"
    held = np.array([True] * 90 + [False] * 10)
    assert checks.coverage_criterion("x", held).status == "pass"
    assert checks.coverage_criterion("x", np.array([True] * 50 + [False] * 50)).status == "fail"
    assert isinstance(checks.reaches_minimiser("x", np.array([1e-3])), Verdict)
    assert checks.reaches_minimiser("x", np.array([1e-3])).status == "fail"
