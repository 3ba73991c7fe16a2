"""The cooperative-game checks at quick scale: verdicts, controls rejected, declared metadata,
and the criteria on planted curves."""

from __future__ import annotations

import numpy as np
from conftest import quick_check_tests

from proofs_check.theorems.games import _global_criterion, _monotone_criterion

IDS = (
    "zhao2023-multi-agent-pdl",
    "zhao2023-mappo-monotone",
    "zhao2023-mappo-global-optimality",
    "zhao2023-sampled-mappo-escapes-local-optimum",
)


results, test_check_passes_with_its_controls_rejected = quick_check_tests(IDS, slow=True)


def test_global_criterion_on_planted_curves():
    it = np.arange(1, 1001, dtype=np.float64)
    sqrt_rate = _global_criterion("k^-1/2", it, 3.0 / np.sqrt(it), 0)[0]
    fast = _global_criterion("k^-1", it, 3.0 / it, 0)[0]
    stalled = _global_criterion("plateau", it, 1.2 + 1.0 / it, 0)[0]
    slow = _global_criterion("k^-1/4", it, 3.0 / it**0.25, 0)[0]
    assert (sqrt_rate.status, fast.status, stalled.status, slow.status) == (
        "pass",
        "pass",
        "fail",
        "fail",
    )
    early = _global_criterion("at the floor", it, np.where(it < 50, 1.0 / it, 0.0), 0)[0]
    assert early.status == "inconclusive"


def test_monotone_criterion():
    assert _monotone_criterion("down", np.array([[3.0, 2.0, 2.0, 1.0]]))[0].status == "pass"
    assert _monotone_criterion("up", np.array([[3.0, 2.0, 2.5]]))[0].status == "fail"
