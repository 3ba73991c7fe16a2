"""Burn-in of the tabular learners, from the bonus formulas (algorithms/tabular/burn_in.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from algorithms.tabular import (
    UCBVI,
    BurnIn,
    QLearningUCB,
    burn_in,
    qlearning_bernstein_branch_visits,
    qlearning_burn_in,
    ucbvi_burn_in,
    ucbvi_log_factor,
)
from algorithms.tabular.burn_in import qlearning_iota
from algorithms.tabular.q_learning_ucb import DEFAULT_C, DEFAULT_C1, DEFAULT_C2
from instances.tabular import garnet

SIZES = [(5, 2, 5, 20_000), (10, 3, 10, 100_000), (2, 2, 2, 1_000), (1, 1, 1, 1)]


def ch_bonus(n, S, A, H, K, delta=0.05, scale=1.0):
    return scale * 7.0 * H * ucbvi_log_factor(S, A, H, K, delta) / math.sqrt(n)


def bf_bonus_bound(n, S, A, H, K, delta=0.05, scale=1.0):
    # Algorithm 4 with the variance at H^2/4 and the third term's min at H^2.
    L = ucbvi_log_factor(S, A, H, K, delta)
    return scale * (
        math.sqrt(8 * L * H * H / 4 / n) + 14 * H * L / (3 * n) + math.sqrt(8 * H * H / n)
    )


@pytest.mark.parametrize("S, A, H, K", SIZES)
@pytest.mark.parametrize("scale", [1.0, 0.3, 0.01])
@pytest.mark.parametrize("level_factor", [1.0, 0.1])
def test_ucbvi_burn_in_is_the_first_count_with_the_bonus_below_the_level(
    S, A, H, K, scale, level_factor
):
    level = level_factor * H
    for bonus, formula in (("hoeffding", ch_bonus), ("bernstein", bf_bonus_bound)):
        b = ucbvi_burn_in(S, A, H, K, bonus=bonus, bonus_scale=scale, level=level)
        assert formula(b.visits, S, A, H, K, scale=scale) < level
        if b.visits > 1:
            assert formula(b.visits - 1, S, A, H, K, scale=scale) >= level
        assert b.units == S * A and b.horizon == H
        assert b.episodes == math.ceil(S * A * b.visits / H)


def test_ucbvi_ch_burn_in_closed_form_and_paper_numbers():
    S, A, H, K = 5, 2, 5, 20_000
    L = ucbvi_log_factor(S, A, H, K, 0.05)
    assert ucbvi_burn_in(S, A, H, K).visits == math.floor((7 * L) ** 2) + 1
    # The figure: CH's paper bonus stays >= H until ~(7 L)^2 visits, ~1.7e4 here.
    assert 1.6e4 < ucbvi_burn_in(S, A, H, K).visits < 1.7e4
    # The default level is H.
    assert ucbvi_burn_in(S, A, H, K, level=H) == ucbvi_burn_in(S, A, H, K)


@pytest.mark.parametrize("S, A, H, K", SIZES)
@pytest.mark.parametrize("c", [DEFAULT_C, 1.0, 0.03])
def test_qlearning_hoeffding_burn_in_closed_form(S, A, H, K, c):
    iota = qlearning_iota(S, A, H, K, 0.05)
    b = qlearning_burn_in(S, A, H, K, c=c)
    assert b.visits == max(1, math.floor(4 * c * c * H * iota) + 1)
    assert b.units == H * S * A and b.episodes == S * A * b.visits
    # Lemma 4.1(a): Q's bonus term is at most 2 c sqrt(H^3 iota / t), below H from b.visits on.
    assert 2 * c * math.sqrt(H**3 * iota / b.visits) < H
    lower = qlearning_burn_in(S, A, H, K, c=c, level=H / 3)
    assert lower.visits >= b.visits


@pytest.mark.parametrize("S, A, H, K", SIZES)
def test_qlearning_bernstein_burn_in_is_the_first_visit_below_the_level(S, A, H, K):
    iota = qlearning_iota(S, A, H, K, 0.05)
    W = H * H / 4.0

    def term(t):
        bern = DEFAULT_C1 * (math.sqrt(H * (W + H) * iota / t) + math.sqrt(H**7 * S * A) * iota / t)
        return min(bern, DEFAULT_C2 * math.sqrt(H**3 * iota / t)) / 2.0

    b = qlearning_burn_in(S, A, H, K, bonus="bernstein")
    assert term(b.visits) < H
    if b.visits > 1:
        assert term(b.visits - 1) >= H


def test_bernstein_branch_threshold():
    S, A, H, K = 2, 2, 2, 20_000
    iota = qlearning_iota(S, A, H, K, 0.05)
    for W in (0.0, 0.5, H * H / 4.0):
        t = qlearning_bernstein_branch_visits(S, A, H, K, variance=W)

        def bern(t, W=W):
            return DEFAULT_C1 * (
                math.sqrt(H * (W + H) * iota / t) + math.sqrt(H**7 * S * A) * iota / t
            )

        def hoef(t):
            return DEFAULT_C2 * math.sqrt(H**3 * iota / t)

        assert bern(t) < hoef(t) and bern(t - 1) >= hoef(t - 1)
    early = qlearning_bernstein_branch_visits(S, A, H, K, variance=0.0)
    late = qlearning_bernstein_branch_visits(S, A, H, K, variance=H * H / 4.0)
    assert early < late
    # The figure: with the derived constants on a 5-state garnet the branch needs
    # tens of thousands of visits of one stage-pair.
    assert qlearning_bernstein_branch_visits(5, 2, 5, 20_000) > 4e4
    # A c2 too small for the Bernstein branch ever to win.
    assert qlearning_bernstein_branch_visits(S, A, H, K, c2=0.1) == math.inf


def test_burn_in_dispatches_on_the_learner():
    mdp = garnet(S=5, A=2, branching=2, H=5, seed=0)
    K = 20_000
    assert burn_in(UCBVI(bonus="bernstein", bonus_scale=0.3), mdp, K) == ucbvi_burn_in(
        5, 2, 5, K, bonus="bernstein", bonus_scale=0.3
    )
    assert burn_in(QLearningUCB(c=0.1), mdp, K, level=1.0) == qlearning_burn_in(
        5, 2, 5, K, c=0.1, level=1.0
    )
    assert burn_in(QLearningUCB(bonus="bernstein", c1=2.0), mdp, K) == qlearning_burn_in(
        5, 2, 5, K, bonus="bernstein", c1=2.0
    )
    with pytest.raises(ValueError, match="burn_in knows UCBVI and QLearningUCB"):
        burn_in(object(), mdp, K)


def test_burn_in_decreases_with_the_scale_and_grows_with_K():
    scales = [1.0, 0.3, 0.1, 0.03]
    episodes = [ucbvi_burn_in(5, 2, 5, 20_000, bonus_scale=s).episodes for s in scales]
    assert episodes == sorted(episodes, reverse=True)
    assert ucbvi_burn_in(5, 2, 5, 10**6).episodes > ucbvi_burn_in(5, 2, 5, 10**3).episodes


def test_within():
    b = BurnIn(visits=10, units=4, horizon=2, episodes=20, formula="x")
    assert b.within(200) and not b.within(199) and b.within(40, fraction=0.5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ucbvi_burn_in(5, 2, 5, 100, bonus="freedman"), "bonus must be"),
        (lambda: ucbvi_burn_in(5, 2, 5, 0), "number of episodes"),
        (lambda: ucbvi_burn_in(5, 2, 5, 100, bonus_scale=0.0), "bonus_scale"),
        (lambda: ucbvi_burn_in(5, 2, 5, 100, level=-1.0), "level"),
        (lambda: qlearning_burn_in(5, 2, 5, 100, p=1.0), "p must lie"),
        (lambda: qlearning_burn_in(5, 2, 5, 100, bonus="x"), "bonus must be"),
        (lambda: qlearning_bernstein_branch_visits(2, 2, 2, 100, variance=2.0), "variance"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_bonus_is_at_its_clip_during_the_ch_burn_in():
    # On a learner's run: while every pooled count is below the CH burn-in's visits, Q = H.
    mdp = garnet(S=3, A=2, branching=2, H=3, seed=1)
    K = 300
    assert (K - 1) * mdp.H < ucbvi_burn_in(3, 2, 3, K).visits
    trace = UCBVI().run(mdp, K, 0)
    from mdptheory.planning import backward_induction

    clip_gap = float((mdp.H - backward_induction(mdp).q).min())
    np.testing.assert_allclose(trace.extras["optimism_gap"], clip_gap, atol=1e-12)


def test_docstring_examples_run():
    import doctest
    import importlib

    # The package exports the function burn_in, which hides the submodule of the same name.
    for name in ("algorithms.tabular.burn_in", "mdptheory.evaluation"):
        module = importlib.import_module(name)
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, name
