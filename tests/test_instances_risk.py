"""safe_vs_risky_route: the mean optimum takes the risky road, both CVaR optima the safe one.

The oracle enumerates every deterministic Markov policy over the (stage, state) pairs reachable
from the start, computes each policy's exact return distribution by forward propagation, and
takes the lower-tail CVaR by sorting (Rockafellar and Uryasev 2000, with the supremum attained
at an atom). The iterated CVaR optimum comes from its own dynamic programme (Du, Wang and Huang
2023, eq. (ii)).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from instances.risk import ROUTE_STATES, safe_vs_risky_route
from mdptheory import EpisodicMDP
from mdptheory._kernels import backward_induction_kernel

FAST = settings(max_examples=25, deadline=None)
FORK, SAFE_ACTION, RISKY_ACTION = 0, 0, 1


def cvar(values, probabilities, alpha: float) -> float:
    """Lower-tail CVaR_alpha of a discrete distribution: greedy weights on sorted atoms."""
    order = np.argsort(values, kind="stable")
    remaining, total = 1.0, 0.0
    for i in order:
        weight = min(probabilities[i] / alpha, remaining)
        total += weight * values[i]
        remaining -= weight
        if remaining <= 0:
            break
    return total


def reachable(mdp: EpisodicMDP) -> list[list[int]]:
    """States reachable at each stage under some policy."""
    P = mdp.dense_P()[0]
    stages = [sorted(np.flatnonzero(mdp.initial > 0).tolist())]
    for _ in range(mdp.H - 1):
        nxt = {int(s2) for s in stages[-1] for s2 in np.flatnonzero(P[s].sum(axis=0) > 0)}
        stages.append(sorted(nxt))
    return stages


def return_distribution(mdp: EpisodicMDP, policy: dict[tuple[int, int], int]):
    """Exact distribution of the total return of a deterministic Markov policy."""
    P = mdp.dense_P()[0]
    atoms = {(int(s), 0.0): float(p) for s, p in enumerate(mdp.initial) if p > 0}
    for h in range(mdp.H):
        nxt: dict[tuple[int, float], float] = {}
        for (s, total), p in atoms.items():
            a = policy[(h, s)]
            new_total = total + float(mdp.R[h, s, a])
            for s2 in np.flatnonzero(P[s, a] > 0):
                key = (int(s2), new_total)
                nxt[key] = nxt.get(key, 0.0) + p * float(P[s, a, s2])
        atoms = nxt
    values = np.array([total for (_, total) in atoms])
    probabilities = np.array(list(atoms.values()))
    return values, probabilities


def enumerate_policies(mdp: EpisodicMDP):
    """Every deterministic Markov policy on the reachable (stage, state) pairs."""
    pairs = [(h, s) for h, states in enumerate(reachable(mdp)) for s in states]
    for actions in itertools.product(range(mdp.A), repeat=len(pairs)):
        yield dict(zip(pairs, actions, strict=True))


def static_optima(mdp: EpisodicMDP, alpha: float):
    """(best mean, fork actions attaining it, best CVaR, fork actions attaining it)."""
    scored = []
    for policy in enumerate_policies(mdp):
        values, probabilities = return_distribution(mdp, policy)
        scored.append(
            (policy[(0, FORK)], float(values @ probabilities), cvar(values, probabilities, alpha))
        )
    best_mean = max(mean for _, mean, _ in scored)
    best_cvar = max(c for _, _, c in scored)
    mean_actions = {a for a, mean, _ in scored if mean >= best_mean - 1e-12}
    cvar_actions = {a for a, _, c in scored if c >= best_cvar - 1e-12}
    return best_mean, mean_actions, best_cvar, cvar_actions


def iterated_cvar(mdp: EpisodicMDP, alpha: float):
    """Q (H, S, A) of the iterated-CVaR Bellman equation with V_H = 0."""
    P = mdp.dense_P()[0]
    V = np.zeros(mdp.S)
    Q = np.zeros((mdp.H, mdp.S, mdp.A))
    for h in range(mdp.H - 1, -1, -1):
        for s in range(mdp.S):
            for a in range(mdp.A):
                Q[h, s, a] = mdp.R[h, s, a] + cvar(V, P[s, a], alpha)
        V = Q[h].max(axis=1)
    return Q


def test_cvar_helper_on_known_distributions():
    values, probabilities = np.array([0.0, 1.0, 2.0]), np.array([0.1, 0.09, 0.81])
    assert cvar(values, probabilities, 1.0) == pytest.approx(1.71)
    assert cvar(values, probabilities, 0.1) == 0.0
    assert cvar(values, probabilities, 0.19) == pytest.approx(0.09 / 0.19)
    assert cvar(values, probabilities, 1e-6) == 0.0


def test_default_instance_documented_numbers():
    mdp = safe_vs_risky_route()
    assert ROUTE_STATES[int(np.argmax(mdp.initial))] == "fork"
    always_risky = {
        pair: RISKY_ACTION
        for pair in [(h, s) for h, states in enumerate(reachable(mdp)) for s in states]
    }
    values, probabilities = return_distribution(mdp, always_risky)
    distribution = {}
    for v, p in zip(values, probabilities, strict=True):
        distribution[round(v, 12)] = distribution.get(round(v, 12), 0.0) + p
    assert distribution == pytest.approx({0.0: 0.1, 1.0: 0.09, 2.0: 0.81})
    _, V, policy = backward_induction_kernel(mdp.dense_P(), mdp.R)
    assert V[0, FORK] == pytest.approx(1.71) and policy[0, FORK] == RISKY_ACTION
    best_mean, mean_actions, best_cvar, cvar_actions = static_optima(mdp, alpha=0.1)
    assert best_mean == pytest.approx(1.71) and mean_actions == {RISKY_ACTION}
    assert best_cvar == pytest.approx(1.0) and cvar_actions == {SAFE_ACTION}
    Q = iterated_cvar(mdp, alpha=0.1)
    assert Q[0, FORK, SAFE_ACTION] == pytest.approx(1.0) and Q[0, FORK, RISKY_ACTION] == 0.0
    # alpha = 1 is the mean: every criterion agrees
    _, _, _, cvar_actions = static_optima(mdp, alpha=1.0)
    assert cvar_actions == {RISKY_ACTION}
    assert np.argmax(iterated_cvar(mdp, alpha=1.0)[0, FORK]) == RISKY_ACTION


@FAST
@given(
    H=st.integers(2, 4),
    safe=st.floats(0.05, 0.9),
    gain=st.floats(0.05, 1.0),
    crash=st.floats(0.01, 0.5),
    alpha_fraction=st.floats(0.01, 1.0),
)
def test_mean_and_cvar_optima_differ(H, safe, gain, crash, alpha_fraction):
    risky = min(1.0, safe + gain * (1.0 - safe))
    assume(risky > safe)
    mdp = safe_vs_risky_route(H=H, safe_reward=safe, risky_reward=risky, crash_prob=crash)
    Q, _, _ = backward_induction_kernel(mdp.dense_P(), mdp.R)
    # the family differs from the CVaR optimum exactly when the mean prefers the risky road
    assume(Q[0, FORK, RISKY_ACTION] > Q[0, FORK, SAFE_ACTION] + 1e-9)
    alpha = alpha_fraction * crash  # the documented range: alpha <= crash_prob
    best_mean, mean_actions, best_cvar, cvar_actions = static_optima(mdp, alpha)
    assert mean_actions == {RISKY_ACTION}
    assert best_mean == pytest.approx(Q[0, FORK].max(), abs=1e-12)
    assert cvar_actions == {SAFE_ACTION}
    assert best_cvar == pytest.approx((H - 1) * safe, abs=1e-12)
    iterated = iterated_cvar(mdp, alpha)
    assert iterated[0, FORK, SAFE_ACTION] > iterated[0, FORK, RISKY_ACTION]


@FAST
@given(H=st.integers(2, 6), safe=st.floats(0.01, 0.5), crash=st.floats(0.01, 0.99))
def test_structure(H, safe, crash):
    mdp = safe_vs_risky_route(H=H, safe_reward=safe, risky_reward=1.0, crash_prob=crash)
    assert isinstance(mdp, EpisodicMDP) and (mdp.S, mdp.A, mdp.H) == (4, 2, H)
    np.testing.assert_allclose(mdp.dense_P().sum(axis=-1), 1.0, atol=1e-15)
    assert np.all((mdp.R >= 0) & (mdp.R <= 1))
    again = safe_vs_risky_route(H=H, safe_reward=safe, risky_reward=1.0, crash_prob=crash)
    assert np.array_equal(again.P, mdp.P) and again.name == mdp.name


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"H": 1}, "H must be an int >= 2, got 1"),
        ({"crash_prob": 0.0}, "crash_prob must be a finite number in (0.0, 1.0), got 0.0"),
        ({"crash_prob": 1.0}, "got 1.0"),
        ({"safe_reward": 1.0}, "safe_reward must be a finite number in (0.0, 1.0), got 1.0"),
        ({"safe_reward": 0.0}, "got 0.0"),
        ({"risky_reward": 1.5}, "risky_reward must be a finite number in (0.0, 1.0], got 1.5"),
    ],
)
def test_rejects(params, fragment):
    with pytest.raises(ValueError) as info:
        safe_vs_risky_route(**params)
    assert fragment in str(info.value)
