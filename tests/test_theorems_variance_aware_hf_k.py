"""The check ``zhang2024-hf-lsvi-sqrt-k``: HF-LSVI's regret slope in K at H = 64."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_check import harness

CHECK = "zhang2024-hf-lsvi-sqrt-k"


def test_check_is_registered_unverified_with_the_hf_lsvi_tag():
    theorem = harness.get(CHECK)
    assert theorem.kind == "slope" and "revision 0" in theorem.rule.lower()
    assert "hf-lsvi" in theorem.tags and not theorem.verified and theorem.source
    assert theorem.module == "proofs_check.theorems.variance_aware_hf_k"


@pytest.mark.slow
def test_check_passes_at_quick_scale_and_rejects_the_per_stage_control():
    result = harness.run_check(CHECK, "quick", seed=0, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    assert "paper form" in result.verdict.reason and "not run" in result.verdict.reason
    assert len(result.controls) == 1 and result.controls[0].rejected
    regret = result.evidence.arrays["regret[HF-LSVI c=0.03 c_var=0.03]"]
    control = result.evidence.arrays["regret[control per-stage]"]
    # the pooled learner's regret at K is far below the per-stage estimator's
    assert regret[:, -1].mean() * 10 < control[:, -1].mean()
    assert np.all(np.diff(regret, axis=1) >= 0)
