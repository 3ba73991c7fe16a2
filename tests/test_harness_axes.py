"""Tests of the shared figure axes of the checks (proofs_check.axes)."""

from __future__ import annotations

import pytest

from proofs_check import axes
from proofs_check.findings import Findings
from proofs_check.harness import Evidence, Verdict


def test_axes_give_the_evidence_labels_and_labels_given_too_take_precedence():
    found = Findings()
    found.judge(Verdict.passed("fine"))
    evidence = found.outcome(axes=axes.OFFLINE_SUBOPTIMALITY, title="t").evidence
    assert (evidence.xlabel, evidence.ylabel) == (
        "episodes n in the data set",
        "exact sub-optimality",
    )
    assert (evidence.xscale, evidence.yscale, evidence.title) == ("log", "linear", "t")
    linear = found.outcome(axes=axes.ROBUST_SUBOPTIMALITY, yscale="linear").evidence
    assert (linear.ylabel, linear.yscale) == (axes.ROBUST_SUBOPTIMALITY.ylabel, "linear")
    assert Evidence(**axes.GAP_REGRET.labels()).xlabel == "steps T"


def test_every_shared_axes_record_is_valid_and_a_bad_scale_is_an_error():
    for name in axes.__all__:
        if name != "Axes":
            spec = getattr(axes, name)
            assert Evidence(**spec.labels()).ylabel == spec.ylabel
    with pytest.raises(ValueError, match="yscale must be 'linear' or 'log', got 'loglog'"):
        axes.Axes("x", "y", yscale="loglog")
