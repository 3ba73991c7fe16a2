"""The generative-model checks pass at quick scale with their controls rejected, and a broken
learner fails them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass

from proofs_check import harness

EXACT = "kozuno2022-mdvi-exact-regularised-fixed-point"
SLOPE = "kitamura2023-vwls-mdvi-samples-to-eps"
RATIO = "kitamura2023-weighting-gain-grows-with-horizon"


def _passes(check_id: str, seed: int = 0) -> harness.CheckResult:
    result = assert_quick_pass(check_id, seed=seed)
    assert harness.get(check_id).module == "proofs_check.theorems.generative"
    assert not harness.get(check_id).verified  # the recursion and the rates are recalled
    return result


def test_exact_fixed_point_passes():
    result = _passes(EXACT)
    assert max(result.evidence.fitted.values()) < 1e-9


def test_exact_fixed_point_fails_without_the_kl_term(monkeypatch):
    # v_k = w_k instead of w_k - alpha w_{k-1}: the iteration leaves the regularised fixed point
    from algorithms.generative import _mdvi

    original = _mdvi.soft_max

    def doubled(s, beta):
        return 2.0 * original(s, beta)

    monkeypatch.setattr(_mdvi, "soft_max", doubled)
    result = harness.run_check(EXACT, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "fail"


@pytest.mark.slow
def test_samples_to_eps_passes_and_reports_the_vacuous_policy_part():
    result = _passes(SLOPE)
    assert abs(result.evidence.fitted["samples_to_eps_exponent"] - 2.0) < 0.5
    assert result.evidence.fitted["suboptimality_zero_fraction"] == 1.0
    assert "vacuous" in result.verdict.reason


@pytest.mark.slow
def test_weighting_gain_passes():
    result = _passes(RATIO)
    ratios = [v for k, v in result.evidence.fitted.items() if k.startswith("samples_ratio")]
    assert ratios[-1] > ratios[0]
    np.testing.assert_allclose(result.evidence.arrays["H"], [5.0, 10.0, 20.0, 40.0])
