"""The UCRL-VTR checks run at quick scale: each passes and rejects its controls."""

from __future__ import annotations

import pytest

from proofs_check.harness import registered, run_check

IDS = ("ayoub2020-ucrl-vtr-regret-slope", "ayoub2020-ucrl-vtr-confidence-set")


def test_the_checks_are_registered_with_their_sources():
    found = {t.id: t for t in registered() if t.module == "proofs_check.theorems.linear_mixture"}
    assert set(IDS) <= set(found)
    for check_id in IDS:
        assert found[check_id].rule and found[check_id].source
        assert found[check_id].verified is False  # the radius of Eq. (6) was not read


@pytest.mark.parametrize("check_id", IDS)
def test_check_passes_at_quick_scale_and_rejects_its_controls(check_id):
    result = run_check(check_id, scale="quick", seed=0, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    assert result.controls
    assert all(c.rejected for c in result.controls), [c.record() for c in result.controls]
