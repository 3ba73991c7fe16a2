"""The naming of a learner's bonus scale, shared by LSVI-UCB, PEVI, ICVaR-L and CVaR-UCB."""

import doctest

from algorithms import _constants
from algorithms.linear import LSVIUCB
from algorithms.offline import PEVI
from algorithms.risk import ICVaRL, LowRankCVaRUCB


def test_docstring_examples():
    failures, tried = doctest.testmod(_constants)
    assert tried > 0 and failures == 0


def test_each_learner_names_its_three_cases():
    assert [LSVIUCB(c=c).constants for c in (1.0, 0.0, 0.1)] == [
        "paper (c = 1)",
        "no bonus (LSVI)",
        "scaled (c = 0.1)",
    ]
    assert PEVI(c=0.0).constants == "none (greedy control)"
    assert ICVaRL(alpha=0.2).constants == "reconstructed (c = 1)"
    assert LowRankCVaRUCB(alpha=0.2, eta=0.1, c=0.03).constants == "scaled (c = 0.03)"
