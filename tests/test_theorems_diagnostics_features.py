"""The checks of the feature and estimator diagnostics pass at quick scale, with power, and fail
when a planted error breaks their claim."""

from __future__ import annotations

import numpy as np
import pytest

from mdptheory.diagnostics import td_vs_mc as td_module
from proofs_check import harness
from proofs_check.theorems import diagnostics_features as checks

IDS = (
    "cheikhi-russo-2023-crossing-time",
    "cheikhi-russo-2023-pooling-ratio",
    "spectral-features-subspace-rate",
    "speder-lsvi-ucb-estimated-features",
    "speder-q-pi-in-spectral-span",
    "tsitsiklis-van-roy-1996-fqi-diverges",
    "zanette2020-ibe-zero-on-linear-mdps",
)


def test_checks_are_registered_with_section_7_metadata():
    assert set(IDS) <= {t.id for t in harness.registered(tag="diagnostics")}
    for check_id in IDS:
        theorem = harness.get(check_id)
        assert theorem.module == "proofs_check.theorems.diagnostics_features"
        assert theorem.kind in harness.KINDS and theorem.source
        if theorem.statistical:
            assert theorem.rule


@pytest.mark.parametrize("check_id", IDS)
def test_quick_scale_passes_and_controls_are_rejected(check_id):
    result = harness.run_check(check_id, "quick", seed=0, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    assert result.evidence.has_plot and result.evidence.fitted
    assert result.controls and all(c.rejected for c in result.controls), result.power


def test_statistical_checks_are_reproducible():
    a = harness.run_check("cheikhi-russo-2023-pooling-ratio", "quick", seed=3, raise_errors=True)
    b = harness.run_check("cheikhi-russo-2023-pooling-ratio", "quick", seed=3, raise_errors=True)
    np.testing.assert_array_equal(
        a.evidence.arrays["ratio_pooled"], b.evidence.arrays["ratio_pooled"]
    )
    c = harness.run_check("cheikhi-russo-2023-pooling-ratio", "quick", seed=4, raise_errors=True)
    assert not np.array_equal(a.evidence.arrays["ratio_pooled"], c.evidence.arrays["ratio_pooled"])


def test_a_wrong_pooling_formula_fails(monkeypatch):
    real = td_module.td_vs_mc

    def squared_visits(mdp, policy=None):
        out = real(mdp, policy)
        # a classic slip: dividing by p^2 instead of p in the TD variance
        return type(out)(**{**out.__dict__, "pooling": out.pooling**0.5})

    monkeypatch.setattr(checks, "td_vs_mc", squared_visits)
    result = harness.run_check("cheikhi-russo-2023-pooling-ratio", "quick", raise_errors=True)
    assert result.status == "fail"


def test_a_nonzero_error_on_linear_features_fails(monkeypatch):
    real = checks.inherent_bellman_error

    def off(model, **kwargs):
        out = real(model, **kwargs)
        return type(out)(**{**out.__dict__, "upper": out.upper + 1e-6})

    monkeypatch.setattr(checks, "inherent_bellman_error", off)
    result = harness.run_check("zanette2020-ibe-zero-on-linear-mdps", "quick", raise_errors=True)
    assert result.status == "fail"


def test_truncated_features_fail_the_span_check(monkeypatch):
    real = checks.spectral_decomposition

    def truncated(mdp, d=None):
        full = real(mdp)
        return real(mdp, d=max(1, (full.d if d is None else d) - 1))

    monkeypatch.setattr(checks, "spectral_decomposition", truncated)
    result = harness.run_check("speder-q-pi-in-spectral-span", "quick", raise_errors=True)
    assert result.status == "fail"
