"""Hyperpriors of the growth model (:class:`Priors`, with their reasons) and draws from the
hierarchical prior for prior predictive checks (:func:`prior_curves`).

Light to import (no PyMC): the command line and the plots read the priors without building a
model; :mod:`bayesgrowth.model` turns them into the PyMC graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from numbers import Real

import numpy as np

from bayesgrowth.errors import SettingsError
from bayesgrowth.panel import METRICS

CENTRED_DOWNLOAD_SPAN = 42.0
"""Days of counted history (six weekly blocks) from which a download series' μ, and the means
of an organisation whose median series has that much, are sampled centred
(:meth:`Priors.for_metric`)."""


@dataclass(frozen=True)
class Priors:
    """Hyperprior locations and scales (normal means ``*_loc``, half-normal scales ``*_scale``).

    Defaults, for fine-tunes on the month axis with m = 1:

    * ``log_lam``: global mean N(1, 1). λ = ln(1 + final size); final sizes of 1 to 30,000 give
      log λ from -0.4 to 2.3, so N(1, 1) covers them without favouring either end.
    * ``mu``: global mean N(2.5, 1). e^μ is the time of half the log-growth: 1 month to 5 years
      (μ = 0 … 4) is the plausible range for an adoption wave of fine-tunes.
    * ``log_sigma``: global mean N(0.5, 0.5). σ between 0.6 and 4.5; σ ≈ 20 (the extreme curve_fit
      values) would spread growth over e^±40 months, which no series here can support.
    * organisation spread of the means of log λ and μ HalfNormal(0.5); series spread
      HalfNormal(1) for both. σ is one value for all fine-tune series (longevity is mostly a
      property of how the ecosystem adopts, and the data identify little more; see
      :func:`bayesgrowth.model.build_model`); ``sigma_by_organisation`` gives each organisation its own σ around
      that mean, with the same spread. How they are sampled: an organisation's means are
      centred when its active series have a median counted history of at least
      ``centred_org_span`` steps (for fine-tunes 2 months: every organisation in a fit of
      longer histories; non-centred where the series have one month, ``--history 1``, where
      centred means gave R-hat 1.63 on the global mean of μ), a series' μ when its own
      history reaches ``centred_mu_span`` steps and it has grown by at least
      ``centred_mu_count`` since it was first counted (for fine-tunes 12 months and 100
      fine-tunes: such a series' data pin its μ, and sampled as an offset from its organisation
      mean it tied that mean to itself, so the mean of an organisation of few large series,
      OpenAI's, mixed slowest of all; downloads: see :meth:`for_metric`), and a series' log λ
      through its log-level when it has at least ``level_min_increments`` increments, else
      non-centred (:func:`bayesgrowth.model._series_log_lam`; for downloads 1, every series by
      its level: one weekly block of thousands of downloads pins a level).
    * dispersion: organisation intercepts of log α around N(0, 1.5), slope on size N(0, 0.5).
    * onset: cloglog intercept N(-3, 1.5) (a few per cent per step, at the mean log step at risk),
      organisations' intercepts spread around it HalfNormal(1) (fixed in
      :func:`bayesgrowth.model.build_model`, not a field: one organisation's models may start
      e^±1 ≈ 0.4–2.7 times as fast as a typical organisation's, and the data of the many
      organisations with dormant models set the spread),
      log-step slope N(0, 1) (``onset_slope_scale``; 0 drops the slope, as for downloads),
      slope on the log release batch N(0, 1) (``onset_batch_scale``, likewise; a factor e in
      the batch may change the hazard by a factor of e either way, and more if the data say
      so),
      frailty variance θ HalfNormal(1) (``onset_frailty_scale``): θ = 1
      puts the 10% quantile of a series' hazard at 0.15 of the median series',
      and θ = 0, no heterogeneity, stays in reach.
    * pause: logit intercept N(-2, 1.5) (a month without fine-tunes right after one with some is
      unusual but not rare), slope on log(1 + months already at zero) N(0.5, 1): the longer a
      series has been quiet, the likelier it stays so, without ruling out the opposite; slope on
      size N(0, 0.5), as for the dispersion.
    * recent rate: the last ``recent_steps`` steps (3 months; downloads 7 days) of a series may
      run at :math:`e^{\\delta}` times its curve, with a series spread HalfNormal(0.5) (a factor
      of e^±0.5 ≈ 0.6–1.6 is a large but common change of pace); 0 steps switches the term off.
      A whole number, so that the forecast moves the pace every ``recent_steps`` steps too.

    The curve priors are checked by a prior predictive plot
    (:func:`bayesgrowth.plots.plot_prior_predictive`, which ``bayesgrowth run`` writes as
    ``prior-predictive-METRIC.png``; the fine-tune defaults in
    ``results/prior-predictive-finetunes.png``): bands of c(t) drawn from the hierarchy beside the
    observed last counts.

    ``metric`` names the metric the priors are for (:meth:`for_metric`; a fit of the other metric
    refuses them), and every field is checked when the priors are made: scales must be positive
    and finite, locations finite, the centring thresholds may be ``inf`` (never centred).
    """

    log_lam_loc: float = 1.0
    log_lam_scale: float = 1.0
    mu_loc: float = 2.5
    mu_scale: float = 1.0
    log_sigma_loc: float = 0.5
    log_sigma_scale: float = 0.5
    org_spread: float = 0.5
    series_spread_log_lam: float = 1.0
    series_spread_mu: float = 1.0
    disp_loc: float = 0.0
    disp_scale: float = 1.5
    onset_loc: float = -3.0
    onset_scale: float = 1.5
    pause_loc: float = -2.0
    pause_scale: float = 1.5
    pause_slope_loc: float = 0.5
    sigma_by_organisation: bool = False
    centred_org_span: float = 2.0
    recent_steps: float = 3.0
    recent_scale: float = 0.5
    onset_frailty_scale: float = 1.0
    onset_slope_scale: float = 1.0
    onset_batch_scale: float = 1.0
    centred_mu_span: float = 12.0
    centred_mu_count: float = 100.0
    level_min_increments: int = 2
    metric: str = "finetunes"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "metric":
                if value not in METRICS:
                    raise SettingsError(
                        f"Priors: metric must be one of {', '.join(METRICS)}, not {value!r}"
                    )
            elif f.name == "sigma_by_organisation":
                if not isinstance(value, bool):
                    raise SettingsError("Priors: sigma_by_organisation must be True or False")
            elif not _in_range(f.name, value):
                raise SettingsError(f"Priors: {f.name} must be {_RANGES[f.name]}, not {value!r}")

    @classmethod
    def for_metric(cls, metric: str) -> Priors:
        """Default priors for a metric.

        Downloads run on a day axis and reach millions: λ = ln(1 + final size) of 5 to 21
        (hundreds to a billion downloads) gives log λ around 2.5, and half the log-growth within
        3 days to a year puts μ (log days) around 3 ± 1.5. Onset of a first download is fast
        (most models are downloaded within days), so its intercept is centred higher.

        Log λ is a log of a log of the count, so its spreads must be small: with N(2.5, 0.7) and a
        series spread of HalfNormal(1) the prior predictive put 5% of series above 10^22
        downloads by day 20. N(2.5, 0.3) with a series spread of HalfNormal(0.3) gives, by day 20,
        a 5–95% range of 0.3 to 7·10^8 around a median of 300 (the 2025-02-18 snapshot: 0 to
        1.7·10^6 around 3,500), and a day-29/day-20 ratio of 1.07–11 (observed 1.6–10). σ is
        centred higher and wider, log σ ~ N(0.8, 0.6) (σ ≈ 0.7–7.4): downloads of many models
        grow steadily for months, a drawn-out curve that N(0.5, 0.5) pulled in. Download
        increments are far less over-dispersed than monthly fine-tune counts (fitted α of 3–65 by
        organisation), so log α is centred at 2 (α ≈ 7). σ varies by organisation: the
        fine-tune choice of one σ measured worse here (on the 20 → 29-day backtest, 500 + 500
        draws: median error 0.057 against 0.050, linear trend 0.055).

        How the hierarchy is sampled depends on how much history the series have
        (:data:`CENTRED_DOWNLOAD_SPAN`, 42 days). With 20 days, as in the backtests and the
        DeepSeek fit, organisation means and μ are non-centred: 20 days say little about either
        (organisation means centred: R-hat 1.106 and 4 divergences). A fit of the full snapshot
        (up to 222 days a series) pins both down for long series, where non-centred
        parametrisation mixes worst: on 150 series, 300 + 300 draws, min bulk ESS 12 all
        non-centred, 102 with μ and organisation means centred from 42 days of history.

        The onset hazard has no slope on log step, only the frailty: with both, the two
        explained the same falling hazard of series at zero (posterior correlation 0.97 on the
        full snapshot, ESS 60 per 2,000 draws of the onset part alone; frailty alone, ESS above
        2,000, and the slope's posterior with it straddled 0). Nor has it the release batch's
        slope, which was not tried here: the snapshot's 830 download series are models chosen
        for their downloads. The priors were checked with
        :func:`bayesgrowth.plots.plot_prior_predictive` (``results/deepseek/prior.png``).

        The recent-rate term covers the last weekly block (``recent_steps`` = 7 days), so a
        forecast's pace walks once a week. Without it, forecasts from long histories had far
        too narrow bands: as of 2024-12-20 (690 series, forecast to 2025-02-18, 60 days on),
        90% bands covered 54.8% (40% for series older than 60 days, whose curves the data pin
        down); with it the fit puts s_δ at 0.56 and they cover 90.1% (randomised PIT 54% → 90%),
        CRPS 0.318 → 0.299, median error 0.156 → 0.160. A 14-day window (s_δ 0.88) covered
        93.6%. Checked on 2024-11-20, which chose nothing (90 days on): 58.4% → 78.2% (PIT
        58% → 78%), CRPS 0.415 → 0.396, median error 0.202 → 0.205; better, still too narrow
        (s_δ 0.29 there). In a fit of 20-day histories the last week hardly departs from the
        curve (s_δ 0.04) and the term changes little (fifteenth round of
        ``results/model-experiments.md``). What it does not fix: 60 days ahead of 2024-12-20
        the median forecast of series past their first three weeks runs high (by a factor 1.5
        at 21–60 days), and a three-day linear trend has half the median error
        (``results/backtest-downloads``). The cause (sixteenth round): downloads drift from
        week to week (median coefficient of variation of weekly sums 0.33 on older series,
        0.10 from day to day within a week), the model has no term for that drift, and its
        weekly negative binomial takes it in as noise (α about 3.6), so the posterior trusts
        the last week's pace to ±25% only and shrinks it towards the curve. A latent weekly
        walk of the pace (sixteenth round) and an observation-driven persistence from block to
        block (seventeenth round) were tried and not kept: the first did not finish within 40
        minutes on the full cut and missed the sampling bar on 80 series, and the second cut
        the median error on this cut but not on 2024-11-20, with narrower bands and no better
        CRPS.
        """
        if metric == "downloads":
            return cls(
                metric="downloads",
                log_lam_loc=2.5,
                log_lam_scale=0.3,
                series_spread_log_lam=0.3,
                mu_loc=3.0,
                mu_scale=1.5,
                log_sigma_loc=0.8,
                log_sigma_scale=0.6,
                disp_loc=2.0,
                onset_loc=-1.0,
                sigma_by_organisation=True,
                centred_org_span=CENTRED_DOWNLOAD_SPAN,
                centred_mu_span=CENTRED_DOWNLOAD_SPAN,
                centred_mu_count=0.0,
                level_min_increments=1,
                recent_steps=7.0,
                onset_slope_scale=0.0,
                onset_batch_scale=0.0,
            )
        if metric != "finetunes":
            raise SettingsError(f"no priors for metric {metric!r}; choose {', '.join(METRICS)}")
        return cls()


def checked_priors(priors: Priors | None, metric: str) -> Priors:
    """The priors a model of ``metric`` is built with: ``priors``, or the metric's own
    (:meth:`Priors.for_metric`) when ``None``.

    Raises
    ------
    SettingsError
        For priors that are not a :class:`Priors`, or are for the other metric.
    """
    if priors is None:
        return Priors.for_metric(metric)
    if not isinstance(priors, Priors):
        raise SettingsError(
            f"priors must be a Priors, not {type(priors).__name__} {priors!r}: start "
            f"from Priors.for_metric({metric!r}) and change fields with dataclasses.replace"
        )
    if priors.metric != metric:
        raise SettingsError(
            f"these priors are for {priors.metric}, not {metric}: start from "
            f"Priors.for_metric({metric!r}) and change fields with dataclasses.replace"
        )
    return priors


_RULES = {
    "a positive finite number": (
        lambda v: 0 < v < math.inf,
        [
            "log_lam_scale",
            "mu_scale",
            "log_sigma_scale",
            "org_spread",
            "series_spread_log_lam",
            "series_spread_mu",
            "disp_scale",
            "onset_scale",
            "pause_scale",
            "recent_scale",
            "onset_frailty_scale",
        ],
    ),
    "a finite number": (
        math.isfinite,
        ["log_lam_loc", "mu_loc", "log_sigma_loc", "disp_loc", "onset_loc", "pause_loc"]
        + ["pause_slope_loc"],
    ),
    "a finite number >= 0": (
        lambda v: 0 <= v < math.inf,
        ["onset_slope_scale", "onset_batch_scale"],
    ),
    # the model's recent window and the forecast's pace windows are the same whole steps; a
    # count of increments is whole too
    "a whole number >= 0": (
        lambda v: 0 <= v < math.inf and v == int(v),
        ["recent_steps", "level_min_increments"],
    ),
    "a number >= 0 (inf: never centred)": (
        lambda v: v >= 0,
        ["centred_org_span", "centred_mu_span", "centred_mu_count"],
    ),
}
"""What the numeric fields of :class:`Priors` accept: description → (test, fields)."""
_RANGES = {name: rule for rule, (_, names) in _RULES.items() for name in names}


def _in_range(name: str, value: object) -> bool:
    """Whether ``value`` is a number that the rule of field ``name`` (:data:`_RULES`) accepts."""
    if not isinstance(value, Real) or isinstance(value, bool) or math.isnan(value):
        return False
    return bool(_RULES[_RANGES[name]][0](value))


def prior_curves(
    priors: Priors, t: np.ndarray, n: int = 500, seed: int = 0, m: float = 1.0
) -> np.ndarray:
    """Curves c(t) of series drawn from the hierarchical prior, for prior predictive checks.

    Draws global means, organisation means and series values in the order of the model (σ
    shared, or by organisation where the priors say so), then evaluates the WSB curve.

    Returns
    -------
    numpy.ndarray
        Shape (n, len(t)).
    """
    from bayesgrowth.curves import cumulative

    rng = np.random.default_rng(seed)
    p = priors

    def draw(loc, scale, series_spread):
        g = rng.normal(loc, scale, n)
        org = g + np.abs(rng.normal(0, p.org_spread, n)) * rng.standard_normal(n)
        return org + np.abs(rng.normal(0, series_spread, n)) * rng.standard_normal(n)

    log_lam = draw(p.log_lam_loc, p.log_lam_scale, p.series_spread_log_lam)
    mu = draw(p.mu_loc, p.mu_scale, p.series_spread_mu)
    log_sigma = (
        draw(p.log_sigma_loc, p.log_sigma_scale, 0.0)
        if p.sigma_by_organisation
        else rng.normal(p.log_sigma_loc, p.log_sigma_scale, n)
    )
    # The widest prior draws overflow to inf: a legitimate answer for a curve that explodes.
    with np.errstate(over="ignore"):
        return cumulative(
            t[None, :], np.exp(log_lam)[:, None], mu[:, None], np.exp(log_sigma)[:, None], m
        )
