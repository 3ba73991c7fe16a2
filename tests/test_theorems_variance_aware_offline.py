"""The variance-aware offline checks at quick scale: verdicts, controls rejected, metadata; and
their criteria on planted curves."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass

from proofs_check.harness import get
from proofs_check.theorems import variance_aware_offline as checks

IDS = (
    "xiong2023-vw-pevi-below-pevi-heteroscedastic",
    "xiong2023-vw-pevi-agrees-homoscedastic",
    "xiong2023-vw-pevi-coverage-correlation",
)


@pytest.mark.slow
@pytest.mark.parametrize("check_id", IDS)
def test_check_passes_with_its_controls_rejected(check_id):
    assert_quick_pass(check_id)
    theorem = get(check_id)
    assert theorem.kind == "comparison" and theorem.rule and theorem.verified is False
    assert "vw-pevi" in theorem.tags


def _curves(level_first, level_last, n_seeds=12, seed=0):
    rng = np.random.default_rng(seed)
    base = np.linspace(level_first, level_last, len(checks.N_GRID))
    return base[None, :] + rng.normal(0.0, 0.005, (n_seeds, len(checks.N_GRID)))


def test_below_criterion_on_planted_curves():
    pevi = _curves(0.2, 0.01)
    assert checks._below_criterion(pevi, pevi - 0.05, "better").status == "pass"
    assert checks._below_criterion(pevi, pevi + 0.05, "worse").status == "fail"
    rising = _curves(0.005, 0.05, seed=1)
    assert checks._below_criterion(pevi, rising, "rising").status == "fail"


def test_agreement_and_correlation_criteria_on_planted_data():
    a = _curves(0.2, 0.01)
    assert checks._agree_criterion(a, a + 0.01, "close")[0].status == "pass"
    assert checks._agree_criterion(a, a + 0.2, "apart")[0].status == "fail"
    term = np.linspace(1.0, 2.0, 6)[:, None] + np.zeros((6, 10))
    rising = term * 0.1 + np.random.default_rng(0).normal(0, 0.001, (6, 10))
    assert checks._correlation_criterion(rising, term, 0, "up")[0].status == "pass"
    assert checks._correlation_criterion(-rising, term, 0, "down")[0].status == "fail"
