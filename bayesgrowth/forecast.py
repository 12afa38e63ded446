"""Posterior predictive forecasts of cumulative counts, as pure numpy simulation.

Counts are drawn as Poisson–Gamma mixtures (the negative binomial of the likelihood, written out)
with the Gamma mean capped at :data:`MEAN_CAP`: a few exploding posterior draws otherwise ask numpy
for Poisson means it cannot sample, and crash the whole forecast.

Three kinds of series are forecast:

* **active** series (a count > 0 at the fit): their own posterior curve parameters, continued from
  their last observed time and count, with the pause chance (see :mod:`bayesgrowth.model`)
  continued from the number of steps each series has already spent without growth;
* **dormant** series (still at zero): a first count arrives by the organisation's onset hazard;
  from then on the series grows along a curve drawn from its organisation's population (the
  posterior of the organisation means and series spreads);
* **new** models (no data yet): dormant series of age 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import expit

from bayesgrowth.curves import growth_between, log_growth
from bayesgrowth.errors import BayesGrowthError

MEAN_CAP = 1e12
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_DRAWS = 2**29
"""Most simulated counts one forecast may hold (series × steps × samples; 4 GiB of float64,
and a forecast's peak memory is about three times that, with the copies its sort and the
growing series' part take): a year of days for 830 download series at 1,000 samples is 0.3
billion. Past it, a forecast is refused at once instead of failing to allocate, or exhausting
the machine's memory, part-way."""


def check_size(n_series: int, horizon: int, n_samples: int) -> None:
    """Refuse a forecast whose draws would pass :data:`MAX_DRAWS`, before anything is allocated.

    Parameters
    ----------
    n_series
        Series forecast.
    horizon
        Steps forecast per series.
    n_samples
        Posterior draws simulated per series and step.

    Raises
    ------
    BayesGrowthError
        When ``n_series`` × ``horizon`` × ``n_samples`` is above :data:`MAX_DRAWS`, saying what
        the forecast would hold and what to ask for instead.
    """
    values = n_series * horizon * n_samples
    if values > MAX_DRAWS:
        raise BayesGrowthError(
            f"a forecast of {n_series:,} series × {horizon:,} steps × {n_samples:,} samples "
            f"holds {values:,} draws ({values * 8 / 2**30:,.1f} GiB), more than the "
            f"{MAX_DRAWS:,} ({MAX_DRAWS * 8 / 2**30:g} GiB) a forecast may hold: ask for "
            "a shorter horizon or fewer samples, or forecast fewer series"
        )


def poisson_gamma(mean: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Negative-binomial draws with mean ``mean`` and dispersion ``alpha`` (variance m + m²/α).

    The Gamma rate is drawn first and capped at :data:`MEAN_CAP` before the Poisson draw.
    """
    mean = np.clip(np.nan_to_num(mean, nan=0.0, posinf=MEAN_CAP), 0.0, MEAN_CAP)
    alpha = np.broadcast_to(alpha, mean.shape)
    rate = np.where(mean > 0, rng.gamma(alpha, np.where(mean > 0, mean, 1.0) / alpha), 0.0)
    return rng.poisson(np.minimum(rate, MEAN_CAP)).astype(np.float64)


@dataclass(frozen=True)
class CurveDraws:
    """Posterior draws of curve parameters and dispersion, shape (n_series, n_draws) each.

    ``recent`` is each series' recent-rate departure δ (0 for a series with too little history
    for the term); ``pace_spread``, shape (S,), the spread s_δ of such departures, by which
    every series' pace moves again in every future window of ``pace_window`` steps, from δ or
    from 0 (``pace_spread`` 0: the departure persists unchanged).

    ``alpha`` is the dispersion of the likelihood's increment, a sum over ``block`` steps
    (:data:`bayesgrowth.design.BLOCK_STEPS`: 7 days for downloads). A forecast draws one step at
    a time with dispersion ``alpha / block``, so that ``block`` steps of mean M/``block`` each sum
    to the fitted negative binomial (variance M + M²/α); drawing each day with α itself would cut
    the extra-Poisson variance of a week ``block``-fold.
    """

    log_lam: np.ndarray
    mu: np.ndarray
    log_sigma: np.ndarray
    alpha: np.ndarray
    recent: np.ndarray | float = 0.0
    pace_spread: np.ndarray | float = 0.0
    pace_window: int = 1
    block: int = 1

    @property
    def step_alpha(self) -> np.ndarray:
        """The dispersion each forecast step is drawn with: ``alpha / block``."""
        return self.alpha / self.block


@dataclass(frozen=True)
class PauseDraws:
    """Posterior draws of the pause term: logit intercept per series and draw, shape (n, S) or
    (S,), and slope on log(1 + run) per draw, shape (S,)."""

    intercept: np.ndarray
    slope: np.ndarray

    def probability(self, run: np.ndarray) -> np.ndarray:
        """Chance of a paused step after ``run`` steps at zero, shape (n, S); 0 where run < 0."""
        p = expit(self.intercept + self.slope * np.log1p(np.maximum(run, 0)))
        return np.where(run >= 0, p, 0.0)


def increment(
    mean: np.ndarray,
    alpha: np.ndarray,
    run: np.ndarray,
    pause: PauseDraws | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One step's increments and the updated run of steps without growth.

    Parameters
    ----------
    mean, alpha
        Negative-binomial mean and dispersion of the step, shape (n, S).
    run
        Steps already spent without growth (-1: the pause does not apply yet), shape (n, S).
    pause
        Pause term, or ``None``.
    rng
        Random generator.

    Returns
    -------
    tuple of numpy.ndarray
        The increments and the new run, shape (n, S) each.
    """
    inc = poisson_gamma(mean, alpha, rng)
    if pause is not None:
        inc = np.where(rng.random(inc.shape) < pause.probability(run), 0.0, inc)
    return inc, np.where(inc > 0, 0, np.where(run >= 0, run + 1, -1))


def grow(
    draws: CurveDraws,
    start_t: np.ndarray,
    start_value: np.ndarray,
    steps: np.ndarray,
    rng: np.random.Generator,
    m: float = 1.0,
    pause: PauseDraws | None = None,
    start_run: np.ndarray | None = None,
) -> np.ndarray:
    """Cumulative counts at ``steps`` continuing each series from (start_t, start_value).

    Parameters
    ----------
    draws
        Curve parameters per series and draw, shape (n, S).
    start_t, start_value
        Per series: time and count of the last observation, shape (n,) or (n, S).
    steps
        Future times, increasing, shape (H,) or (n, H).
    rng
        Random generator.
    m
        Curve scale.
    pause
        Pause term, or ``None`` for a metric without one.
    start_run
        Per series, steps already spent without growth at ``start_t`` (-1: pause does not apply).

    Returns
    -------
    numpy.ndarray
        Shape (n, H, S): simulated cumulative counts, never below ``start_value``.
    """
    n, s = draws.log_lam.shape
    steps = np.broadcast_to(
        np.asarray(steps, dtype=float).reshape(-1, np.shape(steps)[-1]), (n, np.shape(steps)[-1])
    )
    lam, sigma = np.exp(draws.log_lam), np.exp(draws.log_sigma)
    pace = np.broadcast_to(np.asarray(draws.recent, dtype=float), (n, s)).copy()
    rate = np.exp(pace)
    moves = np.broadcast_to(np.asarray(draws.pace_spread, dtype=float), (s,))
    level = np.broadcast_to(np.asarray(start_value, dtype=float).reshape(n, -1), (n, s)).copy()
    prev_x = log_growth(
        np.broadcast_to(np.asarray(start_t, float).reshape(n, -1), (n, s)), lam, draws.mu, sigma
    )
    run = np.broadcast_to(
        np.full((n, 1), -1) if start_run is None else np.asarray(start_run).reshape(n, 1), (n, s)
    )
    out = np.empty((n, steps.shape[1], s))
    for h in range(steps.shape[1]):
        if h % draws.pace_window == 0 and np.any(moves):
            pace = pace + moves * rng.standard_normal((n, s))
            rate = np.exp(pace)
        x = log_growth(steps[:, h : h + 1], lam, draws.mu, sigma)
        inc, run = increment(growth_between(prev_x, x, m) * rate, draws.step_alpha, run, pause, rng)
        level += inc
        out[:, h] = level
        prev_x = x
    return out


@dataclass(frozen=True)
class OnsetDraws:
    """Posterior draws of the onset hazard: the cloglog intercept of each series' organisation,
    shape (n, S), the slope on log step and the frailty variance θ, shape (S,) each, and the
    log step ``centre`` at which the intercept is defined
    (:attr:`bayesgrowth.design.Design.onset_centre`)."""

    intercept: np.ndarray
    slope: np.ndarray
    frailty: np.ndarray
    centre: float = 0.0
    sums: np.ndarray | None = field(default=None, repr=False)
    """The baseline sums through some step, computed once by :meth:`through`, or ``None``."""

    def through(self, last: int) -> OnsetDraws:
        """These draws with the baseline sums through step ``last`` computed once: a forecast
        asks for the hazard at each of its steps, and summing afresh at each made its work grow
        with the square of the horizon (a new download model: 19 s for 500 days, 207 s for
        2,000)."""
        return replace(self, sums=self._baseline(last))

    def cumulative_hazard(self, step: np.ndarray) -> np.ndarray:
        """Cumulative hazard :math:`e^{h} H(x)` at ``step`` x (shape (n, 1) or broadcastable to
        the intercept): :math:`H_k = \\sum_{j \\le k} e^{\\eta_j}` at an integer step k, 0 at
        x <= 0, and part-way through step k (a partial month, k − 1 < x < k) the hazard accrues
        evenly, :math:`H_{k-1} + (x - k + 1)(H_k - H_{k-1})`."""
        x = np.broadcast_to(np.maximum(np.asarray(step, dtype=float), 0.0), self.intercept.shape)
        k = np.ceil(x).astype(int)
        last = int(k.max())
        summed = self.sums is not None and len(self.sums) > last
        base = self.sums if summed else self._baseline(last)
        lower, upper = self._at(k - 1, base), self._at(k, base)
        return lower + (x - k + 1) * (upper - lower)

    def probability(self, step: np.ndarray, since: np.ndarray | None = None) -> np.ndarray:
        """Chance a series at zero through ``since`` gets its first count by ``step``: by default
        ``since`` is k − 1, so the chance of a first count during step k, or during its elapsed
        part when ``step`` is fractional (k − 1 < x < k)."""
        x = np.asarray(step, dtype=float)
        since = np.ceil(x) - 1 if since is None else np.asarray(since, dtype=float)
        gap = frailty_log_survival(self.cumulative_hazard(x), self.frailty) - (
            frailty_log_survival(self.cumulative_hazard(since), self.frailty)
        )
        return -np.expm1(gap)

    def _baseline(self, last: int) -> np.ndarray:
        """:math:`\\sum_{j \\le k} e^{\\beta(\\log j - \\bar\\ell)}` for k = 0 … ``last``, per
        draw: shape (last + 1, S)."""
        slope = np.asarray(self.slope, dtype=float).reshape(-1)
        j = np.arange(1, max(last, 1) + 1, dtype=float)
        base = np.cumsum(np.exp(np.outer(np.log(j) - self.centre, slope)), axis=0)
        return np.vstack([np.zeros((1, len(slope))), base])

    def _at(self, step: np.ndarray, base: np.ndarray) -> np.ndarray:
        """:math:`e^{h} \\times` the baseline sum at ``step``, for each series and draw."""
        draw = np.broadcast_to(np.arange(base.shape[1]), self.intercept.shape)
        return np.exp(self.intercept) * base[np.maximum(step, 0), draw]


def frailty_log_survival(hazard: np.ndarray, frailty: np.ndarray) -> np.ndarray:
    """Log of the chance to stay at zero under cumulative hazard ``hazard`` when each series'
    hazard is scaled by a Gamma frailty of mean 1 and variance θ: :math:`-\\log(1 + θH)/θ`
    (:math:`-H` as θ → 0)."""
    theta = np.asarray(frailty, dtype=float)
    x = theta * hazard
    small = x < 1e-8
    return -np.where(small, hazard, np.log1p(x) / np.where(small, 1.0, theta))


def dormant(
    onset: OnsetDraws,
    population: CurveDraws,
    steps: np.ndarray,
    rng: np.random.Generator,
    m: float = 1.0,
    pause: PauseDraws | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Cumulative counts of series at zero: onset by the hazard, then growth from the onset step.

    Parameters
    ----------
    onset
        Onset hazard draws, intercepts of shape (n, S). The chance of a first count during a
        future step is conditional on zero until it began, so it falls with the wait
        where the frailty is large.
    population
        Curve parameters drawn from each series' organisation population, shape (n, S).
    steps
        Future steps, shape (n, H): whole steps, or the time a target was read part-way
        through its step (:meth:`bayesgrowth.result.GrowthFit.predictive`).
    rng
        Random generator.
    m
        Curve scale.
    pause
        Pause term (applies from the step after onset), or ``None``.
    start
        Per series, the time it was last seen at zero, shape (n,): its last observation, part-way
        through a step for a partial month. Default: the step before the first of ``steps``.

    Returns
    -------
    numpy.ndarray
        Shape (n, H, S) of cumulative counts (0 until onset).
    """
    n, s = onset.intercept.shape
    h_steps = steps.shape[1]
    onset = onset.through(int(np.ceil(steps.max())))
    out = np.zeros((n, h_steps, s))
    started = np.zeros((n, s), dtype=bool)
    onset_at = np.zeros((n, s))
    # Each step's chance is conditional on zero through the time before it (the series' last
    # observation for the first step), and a curve that starts then has its clock start there:
    # growth follows a population curve in time since the series was last at zero, and the first
    # count is at least 1 (that is what onset means). One pass per step, so a step's draws
    # depend only on the steps before it, never on the horizon asked for.
    since = np.ceil(steps[:, :1]) - 1 if start is None else np.reshape(start, (n, 1))
    lam, sigma = np.exp(population.log_lam), np.exp(population.log_sigma)
    prev_x = np.zeros((n, s))
    level = np.zeros((n, s))
    run = np.full((n, s), -1)
    for h in range(h_steps):
        k = steps[:, h : h + 1]
        new = ~started & (rng.random((n, s)) < onset.probability(k, since))
        onset_at = np.where(new, since, onset_at)
        since = k
        started |= new
        x = log_growth(np.where(started, k - onset_at, 0.0), lam, population.mu, sigma)
        mean = np.where(started, growth_between(prev_x, x, m), 0.0)
        inc, run = increment(mean, population.step_alpha, run, pause, rng)
        first = started & (level == 0)
        run = np.where(first, 0, run)
        level = np.where(first, np.maximum(level + inc, 1.0), level + np.where(started, inc, 0.0))
        out[:, h] = level
        prev_x = np.where(started, x, 0.0)
    return out


def summarise(samples: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and the :data:`QUANTILES` over the last axis, monotone by construction.

    The quantiles are draws themselves (``inverted_cdf``), so counts, returned as integers. The
    mean is the plain mean of the draws: their upper tail is long (fast curves among the posterior
    draws, or drawn from an organisation for a series still at zero), and a few draws, up to
    :data:`MEAN_CAP` per step, can put it above the 95% quantile.
    """
    q = np.quantile(samples, QUANTILES, axis=-1, method="inverted_cdf")
    q = np.maximum.accumulate(q, axis=0)
    if not np.all(np.isfinite(q) & (q == np.floor(q))):
        raise ValueError("forecast draws must be whole counts")
    q = q.astype(np.int64)
    out = {"mean": samples.mean(axis=-1)}
    out.update({f"q{int(round(p * 100)):02d}": q[i] for i, p in enumerate(QUANTILES)})
    return out
