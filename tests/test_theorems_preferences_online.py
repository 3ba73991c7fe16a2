"""The online preference checks at quick scale: verdicts, controls rejected, metadata."""

from __future__ import annotations

from conftest import quick_check_tests

IDS = (
    "saha2021-maxinp-regret-slope",
    "wu2024-pr-lsvi-regret-slope",
    "wu2024-pr-lsvi-queries",
    "wu2024-pr-lsvi-frontier",
)


results, test_check_passes_with_its_controls_rejected = quick_check_tests(IDS, tag="preferences")
