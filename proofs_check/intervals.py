"""Verdicts from intervals over seeds and runs: Student-t intervals of a mean, paired seeds,
the fraction of seeds above a bound, the frequency of a failed event.

Every test here follows the three-way rule of :mod:`proofs_check.rates`: **pass** if the whole
interval agrees with the claim, **fail** if the whole interval contradicts it, **inconclusive**
if it straddles the bound.

* :func:`t_interval` is the Student-t interval of a mean over seeds (or instances);
* :func:`interval_test` judges an interval against a one-sided claim (``at_most`` or
  ``at_least`` a bound);
* :func:`paired_difference_test` compares two learners run on the same seeds (seed ``i`` of
  each gets the same child seed), through the interval of the paired differences;
* :func:`seeds_above_bound_test` judges a high-probability bound ("exceeded with probability at
  most delta") by the fraction of seeds above it;
* :func:`event_frequency_test` judges a high-probability event (optimism, coverage) by how
  often it failed, with :func:`proofs_check.rates.frequency_test`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from proofs_check.harness import Verdict
from proofs_check.rates import clopper_pearson_lower, frequency_test


def t_interval(x, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``x`` and its two-sided Student-t interval at ``level``
    (zero width for a single value).

    Examples
    --------
    >>> mean, low, high = t_interval([1.0, 2.0, 3.0])
    >>> mean, round(low, 4), round(high, 4)
    (2.0, -0.4841, 4.4841)
    >>> t_interval([5.0])
    (5.0, 5.0, 5.0)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty 1-d array, got shape {x.shape}")
    if not (0.0 < level < 1.0):
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    n = x.shape[0]
    mean = float(x.mean())
    half = (
        float(stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    )
    return mean, mean - half, mean + half


def interval_test(
    low: float,
    high: float,
    text: str,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    strict: bool = False,
) -> Verdict:
    """The interval ``[low, high]`` of a quantity against a one-sided claim, reason ``text``.

    ``at_most=b`` (the quantity is at most ``b``): **pass** if ``high <= b``, **fail** if
    ``low > b``; ``at_least=b``: **pass** if ``low >= b``, **fail** if ``high < b``;
    **inconclusive** otherwise. ``strict=True`` asks the pass strictly (``high < b``,
    ``low > b``), as for "the difference is positive".

    Examples
    --------
    >>> interval_test(0.01, 0.04, "miss rate", at_most=0.05).status
    'pass'
    >>> interval_test(-0.2, 0.3, "difference", at_least=0.0, strict=True).status
    'inconclusive'
    """
    if (at_most is None) == (at_least is None):
        raise ValueError("interval_test needs exactly one of at_most and at_least")
    if at_most is not None:
        ok = high < at_most if strict else high <= at_most
        wrong = low > at_most
    else:
        ok = low > at_least if strict else low >= at_least
        wrong = high < at_least
    if ok:
        return Verdict.passed(text)
    if wrong:
        return Verdict.failed(text)
    return Verdict.inconclusive(text)


def paired_difference_test(a, b, what: str) -> tuple[Verdict, dict[str, float]]:
    """The mean paired difference ``a - b`` over seeds is positive: its Student-t 95% interval
    lies above 0 (pass), below 0 (fail), or straddles it (inconclusive). Returns the verdict and
    ``{mean_difference, ci_low, ci_high}``.

    Examples
    --------
    >>> verdict, numbers = paired_difference_test([3.0, 4.0, 5.0], [1.0, 1.5, 2.5], "CH - BF")
    >>> verdict.status, numbers["mean_difference"]
    ('pass', 2.3333333333333335)
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mean, low, high = t_interval(d)
    text = (
        f"{what}: mean paired difference {mean:.4g} (95% CI [{low:.4g}, {high:.4g}]) over "
        f"{d.shape[0]} pairs, positive in {float(np.mean(d > 0)):.0%}"
    )
    verdict = interval_test(low, high, text, at_least=0.0, strict=True)
    return verdict, {"mean_difference": mean, "ci_low": low, "ci_high": high}


def seeds_above_bound_test(
    final, bound: float, allowed: float, key: str, what: str = "Regret(K)"
) -> Verdict:
    """A bound that holds with probability at least ``1 - allowed``: **pass** if the fraction of
    seeds whose ``final`` value exceeds ``bound`` is at most ``allowed``, else **fail**.

    Examples
    --------
    >>> seeds_above_bound_test([1.0, 2.0, 3.0], 2.5, 0.05, "UCBVI").reason
    'UCBVI: Regret(K) / bound at most 1.2; 33% of 3 seeds above the bound (allowed 0.05)'
    """
    final = np.asarray(final, dtype=np.float64)
    exceed = float(np.mean(final > bound))
    text = (
        f"{key}: {what} / bound at most {float(np.max(final / bound)):.3g}; "
        f"{exceed:.0%} of {final.shape[0]} seeds above the bound (allowed {allowed})"
    )
    return Verdict.passed_if(exceed <= allowed, text)


def event_frequency_test(
    held,
    allowed: float,
    what: str,
    event: str = "optimism",
    allowed_name: str = "delta",
    lower_end: bool = False,
) -> Verdict:
    """An event that holds with probability at least ``1 - allowed``, judged on the runs where
    it ``held`` (boolean per run) by :func:`proofs_check.rates.frequency_test`; ``lower_end``
    adds the 95% Clopper-Pearson lower end of the failure frequency to the reason.

    Examples
    --------
    >>> held = [True] * 58 + [False] * 2
    >>> event_frequency_test(held, 0.05, "UCBVI-BF").reason
    'UCBVI-BF: optimism failed in 2 of 60 runs (0.033; allowed delta = 0.05)'
    """
    held = np.asarray(held, dtype=bool)
    n = held.shape[0]
    failures = int((~held).sum())
    lower = f"; 95% lower end {clopper_pearson_lower(failures, n):.3f}" if lower_end else ""
    return frequency_test(
        failures,
        n,
        allowed,
        f"{what}: {event} failed in {failures} of {n} "
        f"runs ({failures / n:.3f}; allowed "
        f"{allowed_name} = {allowed}{lower})",
    )


__all__ = [
    "event_frequency_test",
    "interval_test",
    "paired_difference_test",
    "seeds_above_bound_test",
    "t_interval",
]
