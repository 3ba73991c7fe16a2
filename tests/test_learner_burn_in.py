"""The burn-in of any learner with a bonus (algorithms.burn_in) and the run's policy changes."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.bandits import UCB1
from algorithms.burn_in import SCALE_GRID, WITHIN, learner_burn_in
from algorithms.linear import LSVIUCB
from algorithms.risk import ICVaRRM
from algorithms.tabular import UCBVI, QLearningUCB
from algorithms.tabular.burn_in import burn_in as tabular_burn_in
from instances import make
from mdptheory.cli import policy_changes
from mdptheory.regret import RegretTrace


@pytest.fixture(scope="module")
def river():
    return make("river_swim", S=6, H=10)


@pytest.mark.parametrize(
    "learner", [UCBVI(), UCBVI(bonus="bernstein"), QLearningUCB(), ICVaRRM(alpha=0.3)]
)
def test_suggestion_is_the_largest_scale_within_the_budget(river, learner):
    budget = 5000
    burn = learner_burn_in(learner, river, budget)
    assert burn.episodes > 0 and burn.scale == getattr(learner, burn.scale_name)
    assert burn.suggested_scale in SCALE_GRID
    assert burn.suggested_episodes <= WITHIN * budget
    larger = [c for c in SCALE_GRID if c > burn.suggested_scale]
    for c in larger:  # every larger scale of the grid ends its burn-in later than allowed
        from dataclasses import replace

        assert (
            learner_burn_in(replace(learner, **{burn.scale_name: c}), river, budget).episodes
            > WITHIN * budget
        )


def test_tabular_burn_in_matches_the_family_function(river):
    burn = learner_burn_in(UCBVI(bonus_scale=0.3), river, 5000)
    assert burn.episodes == tabular_burn_in(UCBVI(bonus_scale=0.3), river, 5000).episodes


def test_burn_in_grows_with_the_scale(river):
    episodes = [learner_burn_in(UCBVI(bonus_scale=c), river, 5000).episodes for c in SCALE_GRID]
    assert episodes == sorted(episodes, reverse=True)


def test_linear_and_bonus_free_learners():
    linear = make("simplex_feature_linear_mdp")
    burn = learner_burn_in(LSVIUCB(), linear, 1000)
    assert burn.scale_name == "c" and burn.episodes > burn.suggested_episodes > 0
    assert learner_burn_in(LSVIUCB(c=0.0), linear, 1000) is None
    assert learner_burn_in(UCB1(), make("bernoulli_bandit"), 1000) is None


def test_policy_changes_counts_value_changes():
    trace = RegretTrace(np.array([1.0, 1.0, 0.5, 0.5, 0.5, 0.0, 0.5]), np.zeros(7), np.zeros(7))
    assert policy_changes(trace) == 3
    assert policy_changes(RegretTrace(np.zeros(3), np.zeros(3), np.zeros(3))) == 0
