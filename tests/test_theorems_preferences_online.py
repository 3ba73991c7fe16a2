"""The online preference checks at quick scale: verdicts, controls rejected, metadata."""

from __future__ import annotations

import pytest
from conftest import assert_passes_with_controls_rejected, quick_results

from proofs_check.harness import get

IDS = (
    "saha2021-maxinp-regret-slope",
    "wu2024-pr-lsvi-regret-slope",
    "wu2024-pr-lsvi-queries",
    "wu2024-pr-lsvi-frontier",
)


@pytest.fixture(scope="module")
def results():
    return quick_results(IDS)


@pytest.mark.parametrize("check_id", IDS)
def test_check_passes_with_its_controls_rejected(results, check_id):
    assert_passes_with_controls_rejected(results[check_id], get(check_id), tag="preferences")
