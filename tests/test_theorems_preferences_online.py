"""The online preference checks at quick scale: verdicts, controls rejected, metadata."""

from __future__ import annotations

import pytest

from proofs_check.harness import discover, get, run_check

IDS = (
    "saha2021-maxinp-regret-slope",
    "wu2024-pr-lsvi-regret-slope",
    "wu2024-pr-lsvi-queries",
    "wu2024-pr-lsvi-frontier",
)


@pytest.fixture(scope="module")
def results():
    discover()
    return {check_id: run_check(check_id, "quick", 0, raise_errors=True) for check_id in IDS}


@pytest.mark.parametrize("check_id", IDS)
def test_check_passes_with_its_controls_rejected(results, check_id):
    result = results[check_id]
    assert result.status == "pass", result.verdict.reason
    assert result.controls and all(control.rejected for control in result.controls)
    theorem = get(check_id)
    assert theorem.kind is not None and theorem.source and theorem.verified is False
    assert "preferences" in theorem.tags
    if theorem.statistical:
        assert theorem.rule
