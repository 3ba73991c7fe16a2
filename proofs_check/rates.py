"""Rates from curves: log-log slopes with bootstrap CIs over seeds, ratio bands, rate ratios.

A rate claim such as "regret is O(sqrt T)" is checked on curves ``Y[i, j]`` measured for seed
``i`` at the points ``x[j]`` of a geometric grid:

* :func:`fit_loglog_slope` fits ``log mean_i Y[i, j] = intercept + slope * log x[j]`` by least
  squares on the tail of the grid (where the asymptotic rate should show) and resamples the
  seeds to get a bootstrap confidence interval for the slope;
* :func:`slope_test` turns the interval into a :class:`~proofs_check.harness.Verdict` against
  an upper and/or lower bound on the exponent;
* :func:`ratio_to_rate` and :func:`rate_test` divide the curves by a named rate (``"sqrt"``,
  ``"log"``, ``"inverse"``, ...) and test that the ratio stays bounded (does not grow) on the
  tail; this is the sharper test for rates such as ``log T`` whose log-log slope only tends
  to zero slowly;
* :func:`ratio_band_test` checks that measured / predicted stays in a band ``[lo, hi]`` across
  a parameter grid;
* :func:`fit_local_slopes` fits the slope on consecutive windows of the grid (half a decade by
  default) and :func:`local_slope_test` asks every window after the burn-in to agree with the
  claim, so a curve that is linear for half the run and then bends is seen for what it is;
  :func:`rate_shape_test` combines the tail fit and the local slopes into one verdict.

The three-way rule used throughout: **pass** if the whole confidence interval is consistent
with the claim, **fail** if the whole interval contradicts it, **inconclusive** otherwise (the
interval straddles the bound).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mdptheory.seeding import SeedLike, as_generator
from proofs_check.harness import Line, Verdict

RATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sqrt": np.sqrt,
    "log": np.log,
    "inverse": lambda x: 1.0 / x,
    "linear": lambda x: x,
    "sqrt_log": lambda x: np.sqrt(x * np.log(x)),
}
"""Named rates ``r(x)`` for :func:`ratio_to_rate`: sqrt x, log x, 1/x, x and sqrt(x log x)."""

RATE_SLOPES: dict[str, float] = {
    "sqrt": 0.5,
    "log": 0.0,
    "inverse": -1.0,
    "linear": 1.0,
    "sqrt_log": 0.5,
}
"""Asymptotic log-log slope of each named rate (the log factor has slope 0 in the limit)."""


def geometric_grid(start: float, stop: float, num: int, integer: bool = False) -> np.ndarray:
    """A geometric grid from ``start`` to ``stop`` (rounded to distinct integers if asked).

    Examples
    --------
    >>> geometric_grid(10, 1000, 3).tolist()
    [10.0, 100.0, 1000.0]
    >>> geometric_grid(1, 20, 6, integer=True).tolist()
    [1, 2, 3, 6, 11, 20]
    """
    if not (np.isfinite(start) and np.isfinite(stop) and 0 < start < stop):
        raise ValueError(f"need 0 < start < stop, got start={start!r}, stop={stop!r}")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 2:
        raise ValueError(f"num must be an int >= 2, got {num!r}")
    grid = np.geomspace(float(start), float(stop), int(num))
    if integer:
        return np.unique(np.rint(grid).astype(np.int64))
    return grid


@dataclass(frozen=True)
class SlopeFit:
    """A log-log slope fitted on the tail of a grid, with a bootstrap CI over seeds.

    Attributes
    ----------
    slope : float
        Least-squares slope of ``log(mean curve)`` against ``log x`` on the tail.
    ci_low, ci_high : float
        Percentile bootstrap interval (level ``ci``) of the slope, resampling seeds with
        replacement. Zero width for a single seed (an exact curve).
    intercept : float
        ``log mean ~ intercept + slope * log x`` on the tail.
    x_tail : ndarray
        The grid points used.
    mean_tail : ndarray
        The mean curve on those points.
    residual_rms : float
        Root mean square residual of the log-log fit (large values signal curvature: the tail
        is not yet a power law).
    ci, tail : float
        Confidence level and tail fraction used.
    n_seeds, n_boot, n_boot_dropped : int
        Seeds, bootstrap replicates, and replicates dropped because their mean curve was not
        positive on the tail (the log is undefined there).
    boot_slopes : ndarray
        The bootstrap slopes kept.
    """

    slope: float
    ci_low: float
    ci_high: float
    intercept: float
    x_tail: np.ndarray
    mean_tail: np.ndarray
    residual_rms: float
    ci: float
    tail: float
    n_seeds: int
    n_boot: int
    n_boot_dropped: int
    boot_slopes: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The fitted power law ``exp(intercept) * x ** slope``."""
        return np.exp(self.intercept) * np.asarray(x, dtype=np.float64) ** self.slope

    def contains(self, value: float) -> bool:
        """True when ``value`` lies in the confidence interval."""
        return bool(self.ci_low <= value <= self.ci_high)

    def numbers(self, key: str | None = None, name: str = "slope") -> dict[str, float]:
        """The slope and its CI as fitted numbers: ``{name: slope, name_ci_low: .., name_ci_high:
        ..}``, each name followed by ``[key]`` when a key is given.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.geomspace(10, 1e4, 10)
        >>> fit = fit_loglog_slope(x, np.outer([1.0, 1.1], x), n_boot=10)
        >>> sorted(fit.numbers("c=1"))
        ['slope[c=1]', 'slope_ci_high[c=1]', 'slope_ci_low[c=1]']
        """
        tag = "" if key is None else f"[{key}]"
        return {
            f"{name}{tag}": self.slope,
            f"{name}_ci_low{tag}": self.ci_low,
            f"{name}_ci_high{tag}": self.ci_high,
        }

    def describe(self) -> str:
        level = round(100 * self.ci)
        return (
            f"slope {self.slope:.3f} ({level}% CI [{self.ci_low:.3f}, {self.ci_high:.3f}], "
            f"{self.n_seeds} seeds, x in [{self.x_tail[0]:.3g}, {self.x_tail[-1]:.3g}])"
        )


def _check_level(ci: float) -> float:
    if not (0.0 < ci < 1.0):
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")
    return float(ci)


def _first_not_positive(values: np.ndarray) -> int | None:
    """The index of the first value that is not finite and positive, or None."""
    bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
    return int(bad[0]) if bad.size else None


def _grid_and_curves(x, Y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] < 2:
        raise ValueError(f"x must be 1-d with at least 2 points, got shape {x.shape}")
    if (j := _first_not_positive(x)) is not None:
        raise ValueError(f"x[{j}] is {float(x[j])!r}; the grid must be finite and positive")
    steps = np.diff(x)
    if (steps <= 0).any():
        j = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"x must be strictly increasing, but x[{j + 1}] = "
            f"{float(x[j + 1])!r} <= x[{j}] = {float(x[j])!r}"
        )
    if Y.ndim == 1:
        Y = Y[None, :]
    if Y.ndim != 2 or Y.shape[1] != x.shape[0]:
        raise ValueError(f"Y must have shape (n_seeds, {x.shape[0]}), got {Y.shape}")
    if Y.shape[0] == 0:
        raise ValueError("Y holds no seeds")
    bad = ~np.isfinite(Y)
    if bad.any():
        i, j = np.unravel_index(int(np.flatnonzero(bad)[0]), Y.shape)
        raise ValueError(f"Y[{i}, {j}] is {float(Y[i, j])!r}, not a finite number")
    return x, Y


def _tail_slice(n: int, tail: float) -> slice:
    if not (0.0 < tail <= 1.0):
        raise ValueError(f"tail must be a fraction in (0, 1], got {tail!r}")
    k = max(2, math.ceil(tail * n))
    return slice(n - k, n)


def tail_start(x, tail: float = 0.5) -> float:
    """The first grid point of the tail that :func:`fit_loglog_slope` fits with ``tail``.

    Examples
    --------
    >>> tail_start([10.0, 100.0, 1000.0, 10000.0])
    1000.0
    """
    x = np.asarray(x, dtype=np.float64)
    return float(x[_tail_slice(x.shape[0], tail)][0])


def fit_loglog_slope(
    x, Y, tail: float = 0.5, n_boot: int = 1000, seed: SeedLike = 0, ci: float = 0.95
) -> SlopeFit:
    """Fit the log-log slope of the mean curve on the tail of a grid, with a bootstrap CI.

    Parameters
    ----------
    x : array_like, shape (n,)
        Positive, strictly increasing grid, normally geometric so that least squares in
        ``log x`` weighs every decade equally.
    Y : array_like, shape (n_seeds, n) or (n,)
        One curve per seed (a 1-d array is one exact curve).
    tail : float
        Fraction of the grid points, taken from the right end, used by the fit (at least 2).
    n_boot : int
        Bootstrap replicates. Each replicate draws ``n_seeds`` seeds with replacement, averages
        their curves and refits the slope.
    seed : int, SeedSequence or Generator
        Seed of the resampling; the same seed gives the same interval.
    ci : float
        Level of the percentile interval.

    Returns
    -------
    SlopeFit

    Raises
    ------
    ValueError
        On a bad grid or shape, a non-finite value, or a mean curve that is not positive on
        the tail (naming the point).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e4, 10)
    >>> Y = np.outer(np.linspace(1.0, 2.0, 8), np.sqrt(x))
    >>> fit = fit_loglog_slope(x, Y, n_boot=200)
    >>> round(fit.slope, 6), fit.contains(0.5)
    (0.5, True)
    """
    x, Y = _grid_and_curves(x, Y)
    ci = _check_level(ci)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}")
    part = _tail_slice(x.shape[0], tail)
    x_tail = x[part]
    Y_tail = Y[:, part]
    mean_tail = Y_tail.mean(axis=0)
    if (mean_tail <= 0).any():
        j = int(np.flatnonzero(mean_tail <= 0)[0])
        raise ValueError(
            f"the mean curve is {float(mean_tail[j])!r} at x = "
            f"{float(x_tail[j])!r}; a log-log fit needs it positive on the tail"
        )
    lx = np.log(x_tail)
    centred = lx - lx.mean()
    denom = centred @ centred

    def slopes(log_means: np.ndarray) -> np.ndarray:
        return (log_means - log_means.mean(axis=-1, keepdims=True)) @ centred / denom

    log_mean = np.log(mean_tail)
    slope = float(slopes(log_mean))
    intercept = float(log_mean.mean() - slope * lx.mean())
    residual = log_mean - (intercept + slope * lx)
    residual_rms = float(np.sqrt(np.mean(residual**2)))

    n_seeds = Y.shape[0]
    rng = as_generator(seed)
    # Resampling seeds with replacement = multinomial counts per seed; a matrix product then
    # gives every replicate's mean curve without materialising the resampled arrays.
    counts = rng.multinomial(n_seeds, np.full(n_seeds, 1.0 / n_seeds), size=int(n_boot))
    boot_means = counts @ Y_tail / n_seeds
    valid = (boot_means > 0).all(axis=1)
    if not valid.any():
        raise ValueError("every bootstrap replicate has a non-positive mean on the tail")
    boot = slopes(np.log(boot_means[valid]))
    low, high = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2])
    return SlopeFit(
        slope=slope,
        ci_low=float(low),
        ci_high=float(high),
        intercept=intercept,
        x_tail=x_tail,
        mean_tail=mean_tail,
        residual_rms=residual_rms,
        ci=ci,
        tail=float(tail),
        n_seeds=n_seeds,
        n_boot=int(n_boot),
        n_boot_dropped=int((~valid).sum()),
        boot_slopes=boot,
    )


def slope_test(
    fit: SlopeFit, max_slope: float | None = None, min_slope: float | None = None, tol: float = 0.05
) -> Verdict:
    """Compare a fitted slope's confidence interval with bounds on the exponent.

    The rule, with ``[L, U]`` the interval of ``fit``:

    * upper bound ``b = max_slope`` (the curve grows no faster than ``x^b``): **pass** if
      ``U <= b + tol``, **fail** if ``L > b + tol``, **inconclusive** otherwise;
    * lower bound ``a = min_slope`` (the curve grows at least as fast as ``x^a``): **pass** if
      ``L >= a - tol``, **fail** if ``U < a - tol``, **inconclusive** otherwise;
    * with both bounds: fail if either fails, pass if both pass, inconclusive otherwise.

    ``tol`` absorbs the pre-asymptotic bias of finite grids (a ``sqrt(T log T)`` curve has a
    local slope above 1/2, a ``log T`` curve a local slope ``1/log T`` above 0).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e4, 10)
    >>> fit = fit_loglog_slope(x, np.outer([1.0, 1.1, 0.9], x ** 0.5), n_boot=100)
    >>> slope_test(fit, max_slope=0.5).status, slope_test(fit, max_slope=0.3).status
    ('pass', 'fail')
    """
    if max_slope is None and min_slope is None:
        raise ValueError("slope_test needs max_slope, min_slope or both")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    if max_slope is not None and min_slope is not None and min_slope > max_slope:
        raise ValueError(f"min_slope {min_slope!r} exceeds max_slope {max_slope!r}")
    verdicts = []
    desc = fit.describe()
    if max_slope is not None:
        bound = max_slope + tol
        if fit.ci_high <= bound:
            verdicts.append(
                Verdict.passed(f"{desc} is within the bound <= {max_slope:g} (tolerance {tol:g})")
            )
        elif fit.ci_low > bound:
            verdicts.append(
                Verdict.failed(f"{desc} lies entirely above the bound {max_slope:g} + {tol:g}")
            )
        else:
            verdicts.append(
                Verdict.inconclusive(f"{desc} straddles the bound {max_slope:g} + {tol:g}")
            )
    if min_slope is not None:
        bound = min_slope - tol
        if fit.ci_low >= bound:
            verdicts.append(
                Verdict.passed(f"{desc} is within the bound >= {min_slope:g} (tolerance {tol:g})")
            )
        elif fit.ci_high < bound:
            verdicts.append(
                Verdict.failed(f"{desc} lies entirely below the bound {min_slope:g} - {tol:g}")
            )
        else:
            verdicts.append(
                Verdict.inconclusive(f"{desc} straddles the bound {min_slope:g} - {tol:g}")
            )
    if len(verdicts) == 2 and all(v.status == "pass" for v in verdicts):
        return Verdict.passed(
            f"{desc} is within [{min_slope:g}, {max_slope:g}] (tolerance {tol:g})"
        )
    return Verdict.combine(verdicts)


def ratio_band_test(
    measured, predicted, lo: float, hi: float, grid=None, ci: float = 0.95
) -> Verdict:
    """Test that measured / predicted stays within ``[lo, hi]`` across a parameter grid.

    Parameters
    ----------
    measured : array_like, shape (n,) or (n_seeds, n)
        The measured quantity at each of ``n`` grid points (per seed if 2-d).
    predicted : array_like, shape (n,) or scalar
        The theory's prediction (positive).
    lo, hi : float
        The band, ``0 <= lo <= hi``.
    grid : array_like, shape (n,), optional
        Parameter values, only used to name the worst point in the reason.
    ci : float
        Level of the Student-t interval of the mean ratio over seeds (2-d ``measured``).

    Notes
    -----
    For 1-d (exact) measurements the ratio is known exactly: **pass** if every ratio is in the
    band, **fail** otherwise. For 2-d measurements each point's mean ratio gets a t-interval:
    **pass** if every interval lies in the band, **fail** if some interval lies entirely
    outside it, **inconclusive** otherwise.

    Examples
    --------
    >>> ratio_band_test([2.0, 4.1, 7.9], [1.0, 2.0, 4.0], lo=1.5, hi=2.5).status
    'pass'
    >>> ratio_band_test([2.0, 4.1, 20.0], [1.0, 2.0, 4.0], lo=1.5, hi=2.5).status
    'fail'
    """
    measured = np.asarray(measured, dtype=np.float64)
    if measured.ndim not in (1, 2) or measured.shape[-1] == 0:
        raise ValueError(f"measured must have shape (n,) or (n_seeds, n), got {measured.shape}")
    n = measured.shape[-1]
    predicted = np.broadcast_to(np.asarray(predicted, dtype=np.float64), (n,))
    if not np.all(np.isfinite(measured)):
        raise ValueError("measured holds a non-finite value")
    if (j := _first_not_positive(predicted)) is not None:
        raise ValueError(f"predicted[{j}] is {float(predicted[j])!r}; predictions must be positive")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi):
        raise ValueError(f"need 0 <= lo <= hi, got lo={lo!r}, hi={hi!r}")
    ci = _check_level(ci)
    labels = (np.arange(n) if grid is None else np.asarray(grid)).tolist()
    if len(labels) != n:
        raise ValueError(f"grid has {len(labels)} points, measured has {n}")
    name = "index" if grid is None else "grid value"
    ratio = measured / predicted
    if ratio.ndim == 1 or ratio.shape[0] == 1:
        r = ratio.reshape(-1)
        low = high = r
        mean = r
    else:
        k = ratio.shape[0]
        mean = ratio.mean(axis=0)
        half = stats.t.ppf(0.5 + ci / 2, k - 1) * ratio.std(axis=0, ddof=1) / np.sqrt(k)
        low, high = mean - half, mean + half
    span = f"ratio from {mean.min():.3g} to {mean.max():.3g} over {n} points, band [{lo:g}, {hi:g}]"
    outside = (high < lo) | (low > hi)
    if outside.any():
        j = int(np.argmax(np.maximum(lo - high, low - hi)))
        return Verdict.failed(
            f"{span}: at {name} {labels[j]} the ratio {mean[j]:.3g} is outside the band"
        )
    straddle = (low < lo) | (high > hi)
    if straddle.any():
        j = int(np.flatnonzero(straddle)[0])
        return Verdict.inconclusive(
            f"{span}: at {name} {labels[j]} the interval "
            f"[{low[j]:.3g}, {high[j]:.3g}] crosses the band edge"
        )
    return Verdict.passed(span)


def clopper_pearson_lower(failures: int, n: int, level: float = 0.95) -> float:
    """Lower end of the two-sided Clopper-Pearson interval of a failure frequency.

    Examples
    --------
    >>> clopper_pearson_lower(0, 60)
    0.0
    >>> round(clopper_pearson_lower(10, 60), 4)
    0.0829
    """
    if failures == 0:
        return 0.0
    return float(stats.beta.ppf((1 - level) / 2, failures, n - failures + 1))


def frequency_test(failures: int, n: int, allowed: float, text: str) -> Verdict:
    """An event that may fail in at most a fraction ``allowed`` of ``n`` runs (e.g. optimism
    with probability ``1 - delta``): **pass** if the observed failure frequency is at most
    ``allowed``, **fail** if the 95% Clopper-Pearson lower end exceeds it, **inconclusive**
    otherwise; ``text`` is the reason.

    Examples
    --------
    >>> frequency_test(2, 60, 0.05, "optimism").status, frequency_test(30, 60, 0.05, "x").status
    ('pass', 'fail')
    """
    if failures / n <= allowed:
        return Verdict.passed(text)
    if clopper_pearson_lower(failures, n) > allowed:
        return Verdict.failed(text)
    return Verdict.inconclusive(text)


def _rate_function(rate: str | Callable[[np.ndarray], np.ndarray]):
    if callable(rate):
        return rate
    if rate not in RATES:
        raise ValueError(f"rate must be one of {sorted(RATES)} or a callable, got {rate!r}")
    return RATES[rate]


def ratio_to_rate(x, Y, rate: str | Callable[[np.ndarray], np.ndarray] = "sqrt") -> np.ndarray:
    """Curves divided by a rate: ``Y[i, j] / r(x[j])``.

    ``rate`` is one of :data:`RATES` (``"sqrt"``, ``"log"``, ``"inverse"``, ``"linear"``,
    ``"sqrt_log"``) or a callable. ``"log"`` and ``"sqrt_log"`` need ``x > 1``.

    Examples
    --------
    >>> ratio_to_rate([4.0, 16.0], [[2.0, 4.0]], "sqrt").tolist()
    [[1.0, 1.0]]
    """
    x, Y = _grid_and_curves(x, Y)
    r = np.asarray(_rate_function(rate)(x), dtype=np.float64)
    if r.shape != x.shape:
        raise ValueError(f"rate {rate!r} returned shape {r.shape} for a grid of shape {x.shape}")
    if (j := _first_not_positive(r)) is not None:
        raise ValueError(
            f"rate {rate!r} is {float(r[j])!r} at x = {float(x[j])!r}; it must be "
            "positive and finite on the grid"
        )
    return Y / r


@dataclass(frozen=True)
class RateCheck:
    """Result of :func:`rate_test`: the ratio to the rate, its tail slope fit, the verdict."""

    rate: str
    x: np.ndarray
    ratio: np.ndarray
    fit: SlopeFit
    verdict: Verdict


def rate_test(
    x,
    Y,
    rate: str | Callable[[np.ndarray], np.ndarray],
    tail: float = 0.5,
    tol: float = 0.05,
    two_sided: bool = False,
    n_boot: int = 1000,
    seed: SeedLike = 0,
    ci: float = 0.95,
) -> RateCheck:
    """Test that ``Y = O(rate(x))`` (or ``Theta``) through the trend of ``Y / rate`` on the tail.

    The ratio's log-log slope on the tail is fitted with :func:`fit_loglog_slope`. ``Y`` is
    ``O(rate)`` on the grid when the ratio does not grow: :func:`slope_test` with
    ``max_slope=0``. With ``two_sided=True`` the ratio must also not decay (``min_slope=0``),
    i.e. the rate is tight. This resolves rates a log-log slope cannot, e.g. ``log T`` against
    ``sqrt T``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 12)
    >>> Y = np.outer([1.0, 1.2, 0.8], 3 * np.log(x))
    >>> rate_test(x, Y, "log", two_sided=True, n_boot=200).verdict.status
    'pass'
    >>> rate_test(x, np.outer([1.0, 1.2], x ** 0.5), "log", n_boot=200).verdict.status
    'fail'
    """
    ratio = ratio_to_rate(x, Y, rate)
    fit = fit_loglog_slope(x, ratio, tail=tail, n_boot=n_boot, seed=seed, ci=ci)
    name = rate if isinstance(rate, str) else getattr(rate, "__name__", "rate")
    verdict = slope_test(fit, max_slope=0.0, min_slope=0.0 if two_sided else None, tol=tol)
    claim = "Theta" if two_sided else "O"
    verdict = Verdict(
        verdict.status, f"Y / {name}(x), testing Y = {claim}({name}): {verdict.reason}"
    )
    return RateCheck(name, np.asarray(x, dtype=np.float64), ratio, fit, verdict)


@dataclass(frozen=True)
class LocalSlopes:
    """Slopes of the mean curve on consecutive windows of a grid, with bootstrap CIs.

    Attributes
    ----------
    x_low, x_high : ndarray, shape (m,)
        The ends of each window (grid points).
    slopes, ci_low, ci_high : ndarray, shape (m,)
        The least-squares log-log slope of the mean curve on each window and its percentile
        interval over seed resamples.
    ci : float
    n_seeds : int
    """

    x_low: np.ndarray
    x_high: np.ndarray
    slopes: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci: float
    n_seeds: int

    @property
    def x_mid(self) -> np.ndarray:
        """Geometric midpoints of the windows (where the slopes are plotted)."""
        return np.sqrt(self.x_low * self.x_high)

    def after(self, start: float) -> np.ndarray:
        """Mask of the windows that begin at or after ``start`` (e.g. the burn-in)."""
        return self.x_low >= float(start)

    def max_after(self, start: float, of: str = "slopes") -> float:
        """The largest of ``of`` (``"slopes"``, ``"ci_low"`` or ``"ci_high"``) over the windows
        that begin at or after ``start``; NaN when no window does.

        Examples
        --------
        >>> import numpy as np
        >>> grid = np.geomspace(1, 1e4, 9)
        >>> flat = np.outer([1.0, 2.0], np.minimum(grid, 100.0))   # slope 1, then 0
        >>> windows = fit_local_slopes(grid, flat, n_boot=20)
        >>> round(windows.max_after(100.0), 6), windows.max_after(1e5)
        (0.0, nan)
        """
        if of not in ("slopes", "ci_low", "ci_high"):
            raise ValueError(f"of must be 'slopes', 'ci_low' or 'ci_high', got {of!r}")
        judged = self.after(start)
        return float(getattr(self, of)[judged].max()) if judged.any() else float("nan")

    def series(self, label: str):
        """The local slopes as a :class:`~proofs_check.harness.Series` with their band."""
        from proofs_check.harness import Series

        return Series(
            label, self.x_mid, self.slopes, band=(self.ci_low, self.ci_high), style="points"
        )


def _windows(x: np.ndarray, decades: float) -> list[tuple[int, int]]:
    """Index ranges ``[i, j]`` (inclusive) of consecutive windows spanning ``decades`` each;
    every window holds at least two grid points and the last one ends at the grid's end."""
    lx = np.log10(x)
    windows = []
    i = 0
    while i < x.shape[0] - 1:
        j = i + 1
        while j < x.shape[0] - 1 and lx[j] - lx[i] < decades - 1e-9:
            j += 1
        windows.append((i, j))
        i = j
    return windows


def fit_local_slopes(
    x, Y, decades: float = 0.5, n_boot: int = 1000, seed: SeedLike = 0, ci: float = 0.95
) -> LocalSlopes:
    """Log-log slopes of the mean curve on consecutive windows of ``decades`` each.

    Window ``[x_i, x_j]`` covers the grid points between two ends that lie ``decades`` apart
    (in ``log10 x``), consecutive windows share their ends, and each slope is the least-squares
    slope of ``log mean Y`` on ``log x`` inside its window. The bootstrap resamples seeds once
    per replicate for every window, as :func:`fit_loglog_slope` does for the tail.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 13)
    >>> bent = np.where(x < 1e3, x, 1e3 * np.sqrt(x / 1e3))   # linear, then sqrt
    >>> local = fit_local_slopes(x, np.outer([0.9, 1.0, 1.1], bent), n_boot=50)
    >>> np.round(local.slopes, 2).tolist()
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    """
    x, Y = _grid_and_curves(x, Y)
    ci = _check_level(ci)
    if not (np.isfinite(decades) and decades > 0):
        raise ValueError(f"decades must be positive and finite, got {decades!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}")
    mean = Y.mean(axis=0)
    if (mean <= 0).any():
        j = int(np.flatnonzero(mean <= 0)[0])
        raise ValueError(
            f"the mean curve is {float(mean[j])!r} at x = {float(x[j])!r}; local "
            "log-log slopes need it positive"
        )
    n_seeds = Y.shape[0]
    rng = as_generator(seed)
    counts = rng.multinomial(n_seeds, np.full(n_seeds, 1.0 / n_seeds), size=int(n_boot))
    boot_means = counts @ Y / n_seeds
    lx = np.log(x)
    windows = _windows(x, decades)
    slopes, low, high = [], [], []
    for i, j in windows:
        part = slice(i, j + 1)
        centred = lx[part] - lx[part].mean()
        denom = centred @ centred
        slopes.append(float((np.log(mean[part]) - np.log(mean[part]).mean()) @ centred / denom))
        bm = boot_means[:, part]
        valid = (bm > 0).all(axis=1)
        logs = np.log(bm[valid])
        boot = (logs - logs.mean(axis=1, keepdims=True)) @ centred / denom
        lo_q, hi_q = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2])
        low.append(float(lo_q))
        high.append(float(hi_q))
    ends = np.array(windows, dtype=np.int64)
    return LocalSlopes(
        x_low=x[ends[:, 0]],
        x_high=x[ends[:, 1]],
        slopes=np.array(slopes),
        ci_low=np.array(low),
        ci_high=np.array(high),
        ci=ci,
        n_seeds=n_seeds,
    )


def local_slope_test(
    local: LocalSlopes,
    max_slope: float | None = None,
    min_slope: float | None = None,
    tol: float = 0.1,
    start: float | None = None,
) -> Verdict:
    """Every local slope from ``start`` on must agree with the claimed exponent.

    Each window after ``start`` is judged by the rule of :func:`slope_test` (its CI against
    ``max_slope + tol`` and/or ``min_slope - tol``); the verdict is **fail** if any window
    contradicts the claim, **pass** if every window is consistent with it, **inconclusive**
    otherwise. Windows that begin before ``start`` (the burn-in, computed from the bonus
    formula) are shown but not judged; with no window left the verdict is inconclusive.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 13)
    >>> bent = np.where(x < 1e3, x, 1e3 * np.sqrt(x / 1e3))
    >>> local = fit_local_slopes(x, np.outer([0.9, 1.0, 1.1], bent), n_boot=50)
    >>> local_slope_test(local, max_slope=0.5).status
    'fail'
    >>> local_slope_test(local, max_slope=0.5, start=1e3).status
    'pass'
    """
    if max_slope is None and min_slope is None:
        raise ValueError("local_slope_test needs max_slope, min_slope or both")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    judged = np.ones(local.slopes.shape, dtype=bool) if start is None else local.after(start)
    if not judged.any():
        return Verdict.inconclusive(
            f"no local slope window begins after the burn-in "
            f"{start:.4g} (the grid ends at {local.x_high[-1]:.4g})"
        )
    lo, hi = local.ci_low[judged], local.ci_high[judged]
    xl, xh = local.x_low[judged], local.x_high[judged]
    bad = np.zeros(lo.shape, dtype=bool)
    unsure = np.zeros(lo.shape, dtype=bool)
    parts = []
    if max_slope is not None:
        bad |= lo > max_slope + tol
        unsure |= hi > max_slope + tol
        parts.append(f"<= {max_slope:g} + {tol:g}")
    if min_slope is not None:
        bad |= hi < min_slope - tol
        unsure |= lo < min_slope - tol
        parts.append(f">= {min_slope:g} - {tol:g}")
    claim = " and ".join(parts)
    shown = ", ".join(
        f"[{a:.3g}, {b:.3g}]: {s:.2f}" for a, b, s in zip(xl, xh, local.slopes[judged], strict=True)
    )
    text = f"local slopes ({shown}) against {claim}"
    if start is not None:
        text += f", windows from the burn-in {start:.4g} on"
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        return Verdict.failed(
            f"{text}: on [{xl[j]:.3g}, {xh[j]:.3g}] the CI "
            f"[{lo[j]:.3f}, {hi[j]:.3f}] contradicts the claim"
        )
    if unsure.any():
        j = int(np.flatnonzero(unsure)[0])
        return Verdict.inconclusive(
            f"{text}: on [{xl[j]:.3g}, {xh[j]:.3g}] the CI "
            f"[{lo[j]:.3f}, {hi[j]:.3f}] straddles the bound"
        )
    return Verdict.passed(text)


def burn_in_slope_numbers(
    fit: SlopeFit,
    local: LocalSlopes,
    burn: float,
    key: str | None = None,
    local_ci_low: bool = False,
) -> dict[str, float]:
    """The fitted numbers of a rate judged after a burn-in: the tail slope and its CI
    (:meth:`SlopeFit.numbers`), the largest local slope over the windows from ``burn`` on
    (with ``local_ci_low``, also the largest lower CI end there) and the burn-in itself, each
    name followed by ``[key]`` when a key is given.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e4, 10)
    >>> Y = np.outer([1.0, 1.1], x)
    >>> fit, local = fit_loglog_slope(x, Y, n_boot=10), fit_local_slopes(x, Y, n_boot=10)
    >>> list(burn_in_slope_numbers(fit, local, 100, "c=1"))[3:]
    ['max_local_slope_after_burn_in[c=1]', 'burn_in[c=1]']
    """
    tag = "" if key is None else f"[{key}]"
    numbers = fit.numbers(key)
    numbers[f"max_local_slope_after_burn_in{tag}"] = local.max_after(burn)
    if local_ci_low:
        numbers[f"max_local_ci_low_after_burn_in{tag}"] = local.max_after(burn, "ci_low")
    numbers[f"burn_in{tag}"] = float(burn)
    return numbers


def control_slope_numbers(fit: SlopeFit, local: LocalSlopes) -> dict[str, float]:
    """The measured numbers of a negative control judged by a rate criterion: the tail slope
    and its CI (:meth:`SlopeFit.numbers`) and the smallest local slope over the whole grid
    (a control with linear regret keeps it near 1).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e4, 10)
    >>> local = fit_local_slopes(x, np.outer([1.0, 1.1], x), n_boot=10)
    >>> fit = fit_loglog_slope(x, np.outer([1.0, 1.1], x), n_boot=10)
    >>> sorted(control_slope_numbers(fit, local))
    ['min_local_slope', 'slope', 'slope_ci_high', 'slope_ci_low']
    """
    return {**fit.numbers(), "min_local_slope": float(local.slopes.min())}


def rate_shape_test(
    x,
    Y,
    max_slope: float | None = None,
    min_slope: float | None = None,
    tol: float = 0.05,
    local_tol: float = 0.1,
    start: float | None = None,
    tail: float = 0.5,
    decades: float = 0.5,
    n_boot: int = 1000,
    seed: SeedLike = 0,
    ci: float = 0.95,
) -> tuple[Verdict, SlopeFit, LocalSlopes]:
    """A rate claim judged on the tail fit **and** on every local slope after ``start``.

    Returns the combined verdict (:meth:`Verdict.combine` of :func:`slope_test` on the tail fit
    and :func:`local_slope_test` on the windows), the tail fit and the local slopes.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 13)
    >>> Y = np.outer([0.9, 1.0, 1.1], np.sqrt(x))
    >>> rate_shape_test(x, Y, max_slope=0.5, n_boot=50)[0].status
    'pass'
    >>> rate_shape_test(x, Y * x ** 0.5, max_slope=0.5, n_boot=50)[0].status
    'fail'
    """
    fit = fit_loglog_slope(x, Y, tail=tail, n_boot=n_boot, seed=seed, ci=ci)
    local = fit_local_slopes(x, Y, decades=decades, n_boot=n_boot, seed=seed, ci=ci)
    tail_verdict = slope_test(fit, max_slope=max_slope, min_slope=min_slope, tol=tol)
    local_verdict = local_slope_test(
        local, max_slope=max_slope, min_slope=min_slope, tol=local_tol, start=start
    )
    verdict = Verdict.combine(
        [
            tail_verdict.about("tail"),
            Verdict(local_verdict.status, local_verdict.reason),
        ]
    )
    return verdict, fit, local


def sqrt_growth_shape_test(
    x, Y, start: float | None, seed: SeedLike, tol: float = 0.05, local_tol: float = 0.1
) -> tuple[Verdict, SlopeFit, LocalSlopes]:
    """The criterion of the regret-slope checks: ``Y`` grows at most as ``x^(1/2)``.

    :func:`rate_shape_test` with ``max_slope=1/2``, the tail fit on the last half of the grid,
    half-decade local windows judged from ``start`` (the burn-in) on and 1000 bootstrap
    resamples; ``tol`` and ``local_tol`` are the tail and local tolerances.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 13)
    >>> sqrt_growth_shape_test(x, np.outer([0.9, 1.0, 1.1], np.sqrt(x)), None, 0)[0].status
    'pass'
    """
    # tail=0.5, decades=0.5 and n_boot=1000 are rate_shape_test's defaults.
    return rate_shape_test(
        x, Y, max_slope=0.5, tol=tol, local_tol=local_tol, start=start, seed=seed
    )


def labelled_rate_shape_test(
    label: str,
    x,
    Y,
    seed: SeedLike,
    *,
    tol: float,
    local_tol: float,
    max_slope: float | None = None,
    min_slope: float | None = None,
    start: float | None = None,
    tail: float = 0.5,
    decades: float = 0.5,
    n_boot: int = 1000,
) -> tuple[Verdict, SlopeFit, LocalSlopes]:
    """:func:`rate_shape_test` of the curve ``label`` with the check's tolerances ``tol`` (tail)
    and ``local_tol`` (windows), its verdict's reason prefixed by ``label``
    (:meth:`Verdict.about`); returns the verdict, the tail fit and the local slopes.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(10, 1e5, 13)
    >>> Y = np.outer([0.9, 1.0, 1.1], np.sqrt(x))
    >>> kw = dict(tol=0.05, local_tol=0.1, max_slope=0.5, n_boot=50)
    >>> labelled_rate_shape_test("sqrt", x, Y, 0, **kw)[0].reason[:6]
    'sqrt: '
    """
    verdict, fit, local = rate_shape_test(
        x,
        Y,
        max_slope=max_slope,
        min_slope=min_slope,
        tol=tol,
        local_tol=local_tol,
        start=start,
        tail=tail,
        decades=decades,
        n_boot=n_boot,
        seed=seed,
    )
    return verdict.about(label), fit, local


def fit_lines(
    fit: SlopeFit,
    reference_slope: float | None = None,
    label: str = "fit",
    reference_label: str | None = None,
    x=None,
) -> tuple[Line, ...]:
    """Lines to plot with a fit: the fitted power law and, optionally, a reference slope.

    The reference line has slope ``reference_slope`` and passes through the fitted curve at the
    first tail point, so the two can be compared by eye. Both are drawn over ``x`` (default
    the tail of the fit).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.geomspace(1, 100, 5)
    >>> lines = fit_lines(fit_loglog_slope(x, x ** 2.0, n_boot=10), reference_slope=2.0)
    >>> [line.role for line in lines]
    ['fit', 'reference']
    """
    xs = fit.x_tail if x is None else np.asarray(x, dtype=np.float64)
    lines = [
        Line(
            f"{label}: slope {fit.slope:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]",
            xs,
            fit.predict(xs),
            role="fit",
        )
    ]
    if reference_slope is not None:
        x0 = fit.x_tail[0]
        y0 = float(fit.predict(x0))
        ref = y0 * (xs / x0) ** reference_slope
        lines.append(
            Line(reference_label or f"theory: slope {reference_slope:g}", xs, ref, role="reference")
        )
    return tuple(lines)


__all__ = [
    "RATES",
    "RATE_SLOPES",
    "LocalSlopes",
    "RateCheck",
    "SlopeFit",
    "burn_in_slope_numbers",
    "clopper_pearson_lower",
    "control_slope_numbers",
    "fit_lines",
    "fit_local_slopes",
    "fit_loglog_slope",
    "frequency_test",
    "geometric_grid",
    "local_slope_test",
    "rate_shape_test",
    "rate_test",
    "ratio_band_test",
    "ratio_to_rate",
    "slope_test",
    "sqrt_growth_shape_test",
    "tail_start",
]
