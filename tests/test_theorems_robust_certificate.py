"""The certificate check of robust value iteration passes at quick scale, rejects its control,
and fails when the solver's bound loses its 1/(1-gamma) factor."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
import pytest

from proofs_check import harness
from proofs_check.theorems import robust_certificate

CHECK = "robust-vi-certificate"


@pytest.fixture(scope="module")
def quick():
    return harness.run_check(CHECK, "quick", seed=0, raise_errors=True)


def test_registered_as_an_exact_robust_check():
    theorem = harness.get(CHECK)
    assert theorem.kind == "exact" and not theorem.verified
    assert {"robust", "certificate"} <= set(theorem.tags)
    assert theorem.module == "proofs_check.theorems.robust_certificate"
    assert theorem.paper and theorem.claim and theorem.formula and theorem.rule


def test_quick_scale_passes_and_rejects_its_control(quick):
    assert quick.verdict.status == "pass", quick.verdict.reason
    assert quick.controls and all(c.rejected for c in quick.controls), quick.power
    fitted = quick.evidence.fitted
    for gamma in (0.9, 0.99):
        # informative: every bound far below the trivial max|R| / (1 - gamma)
        assert fitted[f"largest bound / trivial, gamma={gamma}"] < 0.1
        # the bound is nearly attained at loose tolerances, so a factor 1/(1-gamma) shows
        assert fitted[f"max error / bound, gamma={gamma}"] > 0.5
        assert fitted[f"max error / bound, gamma={gamma}"] <= 1.0 + 1e-6


def test_reproducible_and_restores_the_numba_thread_count(quick):
    before = numba.get_num_threads()
    again = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert numba.get_num_threads() == before
    assert again.evidence.fitted == quick.evidence.fitted
    for key in quick.evidence.arrays:
        np.testing.assert_array_equal(again.evidence.arrays[key], quick.evidence.arrays[key])


def _bound_without_factor(real):
    def value_iteration(mdp, uncertainty, **kwargs):
        solution = real(mdp, uncertainty, **kwargs)
        return dataclasses.replace(solution, bound=(1.0 - mdp.gamma) * solution.bound)

    return value_iteration


def test_bound_without_its_factor_fails_the_check(monkeypatch):
    monkeypatch.setattr(
        robust_certificate,
        "robust_value_iteration",
        _bound_without_factor(robust_certificate.robust_value_iteration),
    )
    result = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "fail", result.verdict.reason


def test_a_bound_at_the_trivial_range_is_vacuous(monkeypatch):
    real = robust_certificate.robust_value_iteration

    def trivial(mdp, uncertainty, **kwargs):
        solution = real(mdp, uncertainty, **kwargs)
        return dataclasses.replace(solution, bound=1.0 / (1.0 - mdp.gamma))

    monkeypatch.setattr(robust_certificate, "robust_value_iteration", trivial)
    result = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "vacuous", result.verdict.reason
