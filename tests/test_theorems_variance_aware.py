"""The LSVI-UCB++ checks: registered, pass at quick scale with their controls rejected, and the
burn-in rule decides what is judged."""

from __future__ import annotations

import pytest
from conftest import assert_quick_pass

from proofs_check import harness
from proofs_check.theorems import variance_aware

IDS = ("he2023-lsvi-ucb-pp-regret-slope", "he2023-lsvi-ucb-pp-ratio-band")


def test_checks_are_registered_with_their_rules():
    ids = {t.id for t in harness.registered() if t.module == variance_aware.__name__}
    assert set(IDS) <= ids
    for check_id in IDS:
        theorem = harness.get(check_id)
        assert theorem.kind in ("slope", "ratio") and theorem.rule and theorem.source
        assert not theorem.verified  # the radii's log factors are [S]


@pytest.mark.slow
@pytest.mark.parametrize("check_id", IDS)
def test_quick_scale_passes_and_rejects_its_controls(check_id):
    result = assert_quick_pass(check_id)
    if check_id == IDS[0]:  # the paper's constants are vacuous at this K, and say so
        assert "vacuous" in result.verdict.reason and "paper (c = 1)" in result.verdict.reason
        burn = [v for k, v in result.evidence.fitted.items() if "LSVI-UCB++ on" in k]
        assert burn and burn[0] > 10**9
