"""The planning checks pass at quick scale, and fail when a planted bug breaks their claim."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from proofs_check import harness
from proofs_check.theorems import planning

PLANNING_IDS = (
    "kakade-langford-2002-pdl",
    "puterman-6.3.1-vi-contraction",
    "puterman-6.9-lp-duality",
    "scherrer-2013-pi-iterations",
)


def test_planning_checks_are_registered():
    ids = {t.id for t in harness.registered(tag="planning")}
    assert set(PLANNING_IDS) <= ids
    for check_id in PLANNING_IDS:
        theorem = harness.get(check_id)
        assert theorem.paper and theorem.claim and theorem.formula
        assert theorem.module == "proofs_check.theorems.planning"


@pytest.mark.parametrize("check_id", PLANNING_IDS)
def test_quick_scale_passes(check_id):
    result = harness.run_check(check_id, "quick", seed=0, raise_errors=True)
    assert result.verdict.status == "pass", result.verdict.reason
    assert result.evidence.has_plot and result.evidence.fitted
    assert harness.get(check_id).kind == "exact"
    # each planning check also runs a planted slip through its criterion, which must fail it
    assert result.controls and all(c.rejected for c in result.controls), result.power


def test_checks_are_reproducible():
    a = harness.run_check("kakade-langford-2002-pdl", "quick", seed=5, raise_errors=True)
    b = harness.run_check("kakade-langford-2002-pdl", "quick", seed=5, raise_errors=True)
    np.testing.assert_array_equal(a.evidence.arrays["lhs"], b.evidence.arrays["lhs"])
    c = harness.run_check("kakade-langford-2002-pdl", "quick", seed=6, raise_errors=True)
    assert not np.array_equal(a.evidence.arrays["lhs"], c.evidence.arrays["lhs"])


def _inflated(real):
    return lambda mdp, pi, pi_prime: real(mdp, pi, pi_prime) * (1 + 1e-6) + 1e-6


def _off_by_a_little(real):
    def off_by_a_little(mdp, **kwargs):
        solution = real(mdp, **kwargs)
        return dataclasses.replace(solution, values=solution.values + 1e-6)

    return off_by_a_little


def _normalised_occupancy(real):
    def normalised(mdp, **kwargs):
        # the classic slip: returning d^pi (summing to 1) where the dual variable is wanted
        solution = real(mdp, **kwargs)
        return dataclasses.replace(solution, occupancy=solution.occupancy * (1 - mdp.gamma))

    return normalised


def _tight_bound(real):
    return lambda S, A, gamma: 1


PLANTED = [
    ("kakade-langford-2002-pdl", "performance_difference", _inflated),
    ("puterman-6.3.1-vi-contraction", "policy_iteration", _off_by_a_little),
    ("puterman-6.9-lp-duality", "linear_program", _normalised_occupancy),
    ("scherrer-2013-pi-iterations", "scherrer_bound", _tight_bound),
]


@pytest.mark.parametrize(
    ("check_id", "name", "plant"), PLANTED, ids=[name for _, name, _ in PLANTED]
)
def test_a_planted_slip_fails_its_check(monkeypatch, check_id, name, plant):
    """``planning.<name>`` replaced by a slightly wrong version: the check must fail."""
    monkeypatch.setattr(planning, name, plant(getattr(planning, name)))
    result = harness.run_check(check_id, "quick", raise_errors=True)
    assert result.verdict.status == "fail"


def test_garnet_is_seeded_and_valid():
    a = planning.garnet(6, 3, 0.9, seed=1)
    b = planning.garnet(6, 3, 0.9, seed=1)
    np.testing.assert_array_equal(a.P, b.P)
    assert np.all((a.P > 0).sum(axis=2) == 3)
    np.testing.assert_allclose(a.P.sum(axis=2), 1.0)
    assert planning.scherrer_bound(10, 3, 0.9) == 480
