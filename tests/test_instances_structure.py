"""The instances built for the structural diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import refusal_test

from instances import available, make
from instances.structure import (
    effective_horizon_lure,
    effective_horizon_lure_layout,
    interval_walk,
)
from mdptheory import backward_induction


def test_lure_values_in_closed_form():
    H, k_star, A = 9, 3, 3
    mdp = effective_horizon_lure(H=H, k_star=k_star, A=A, seed=4)
    layout = effective_horizon_lure_layout(k_star)
    solution = backward_induction(mdp)
    n = H - k_star
    assert solution.values[0, layout["start"]] == pytest.approx(n)
    meadow = n * (1 + 1 / A) / 2
    q = solution.q[0, layout["start"]]
    assert sorted(np.round(q, 12).tolist()) == sorted([float(n)] + [meadow] * (A - 1))
    assert np.all((mdp.R >= 0) & (mdp.R <= 1))


def test_lure_is_seeded():
    a = effective_horizon_lure(H=6, k_star=4, A=3, seed=1)
    np.testing.assert_array_equal(a.P, effective_horizon_lure(H=6, k_star=4, A=3, seed=1).P)
    assert any(
        not np.array_equal(a.P, effective_horizon_lure(H=6, k_star=4, A=3, seed=s).P)
        for s in range(2, 6)
    )


test_lure_bad_parameters = refusal_test(
    effective_horizon_lure,
    [
        ({"k_star": 0}, "k_star"),
        ({"H": 3, "k_star": 3}, "H must be"),
        ({"A": 1}, "A must be"),
        ({"k_star": 2.5}, "k_star"),
    ],
)


def test_interval_walk_is_a_discretised_uniform_walk():
    mdp = interval_walk(N=40, width=0.05, drift=0.1, seed=0)
    np.testing.assert_allclose(mdp.P.sum(axis=2), 1.0, atol=1e-12)
    centres = (np.arange(40) + 0.5) / 40
    mean_next = mdp.P @ centres  # (S, A)
    inner = slice(8, 32)  # away from the clipped ends
    np.testing.assert_allclose(mean_next[inner, 1] - centres[inner], 0.1, atol=1e-12)
    np.testing.assert_allclose(mean_next[inner, 0] - centres[inner], -0.1, atol=1e-12)
    assert np.all((mdp.R >= 0.05 - 1e-12) & (mdp.R <= 0.95 + 1e-12))


def test_interval_walk_mass_beyond_the_ends_goes_to_the_end_cells():
    mdp = interval_walk(N=10, width=0.01, drift=0.9)
    assert mdp.P[9, 1, 9] == pytest.approx(1.0) and mdp.P[0, 0, 0] == pytest.approx(1.0)


test_interval_walk_bad_parameters = refusal_test(
    interval_walk,
    [
        ({"N": 1}, "N must be"),
        ({"width": 0.0}, "width"),
        ({"gamma": 1.0}, "gamma"),
        ({"frequency": -1.0}, "frequency"),
        ({"drift": -0.1}, "drift"),
    ],
)


def test_registered_in_the_catalogue():
    names = {entry.name: entry for entry in available()}
    assert names["effective_horizon_lure"].parameters["k_star"] == 3
    assert names["interval_walk"].parameters["N"] == 32
    assert make("effective_horizon_lure", H="7", k_star="2").name == (
        "effective_horizon_lure(H=7,k_star=2,A=2,seed=0)"
    )
    assert make("interval_walk", N="12").S == 12
