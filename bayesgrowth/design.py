"""Arrays the model is built from: a :class:`~bayesgrowth.panel.Panel` turned into index vectors.

The model never reads files or pandas tables; it reads a :class:`Design`. Two parts:

* the **curve part**: every series with a count above zero ("active"), as increments
  ``d = y_k - y_{k-1}`` over ``(t_{k-1}, t_k]`` (``t_exact``, so a partial month has a short
  interval); a download series whose only count above zero is its last has none yet. Where
  the curve part starts is said below.
* the **onset part**: for every series, the steps it spent at zero, as binary outcomes
  "first count > 0 during step k" aggregated by (organisation, step, release batch) — a
  discrete-time hazard. A series' **release batch** is the number of series of its organisation
  in the panel created in the same calendar month (UTC), itself included: a repository released
  beside hundreds of siblings (checkpoints, sizes, languages) is less often fine-tuned than one
  released on its own.

Time and the start of the curve part
------------------------------------
Curve time is ``t_exact``, time since creation, and the curve is 0 at t = 0.

* **Fine-tunes**: month 0 is the creation instant with count 0, so the curve part starts there
  (base 0 at t = 0) and explains every count from it.
* **Downloads**: the day-t count (t = calendar date − creation date, in UTC days) is used at
  curve time t; the forecast's t is that same integer day index. When in the day a count was
  read is not known, and Hub download counts show up with a lag: in the 2025-02-18 snapshot 610
  of 830 series are still 0 on day 1 (deepseek-ai/DeepSeek-V3: 0, 0, 0, then 9,398 on day 3 and
  11,929 more on day 4), while 28 already count downloads on the creation day itself. The first non-zero count therefore
  says when the counter started, not how adoption began: explaining it from c(0) = 0 would bend
  the curve to fit the lag (a jump from 0 to thousands in one day after days at zero), and
  shifting time (t + ½, t + 1) would fit the 28 at the expense of the 610. So the curve part of
  a download series starts at its **first non-zero count**, which is conditioned on (``base_value``,
  ``base_t``), and only the increments after it are explained by c(t₁) − c(t₀). The days at zero
  before it, lag included, are the onset part's data. A series non-zero on its creation day
  conditions on that count at t = 0; one at zero throughout is dormant (forecast by the onset
  hazard). One that has not grown since its first non-zero count (read once, 0 then 2, or flat
  since) has started, so it is active: its curve comes from its organisation, and its zero
  increments, where it has any, say it grows slowly. Forecast as dormant, it stayed near its
  count (facebook/sapiens-pose-1b-torchscript, first counted on day 20 of the download
  backtest at 132: forecast 132, reached 1,719 by day 29).
* **The curve's clock** of such a download series starts on the last day it was seen at zero
  (``origin``; the curve is evaluated at t − origin), the clock a dormant series' forecast
  already uses from its onset. Many repositories are created days or weeks before the model is
  released (meta-llama/Llama-3.2-3B-Instruct: first downloads on day 7, then daily increments
  rising from 16 thousand to 590 thousand by day 29); on the creation clock a week at zero
  squeezes the whole rise into a narrow span of log time and the forecast flattens too soon.
  On the first-20-days → day-29 backtest (791 series) the onset clock took the share off by
  more than 2× from 13.4% to 10.6% (the linear trend: 13.4%) and the median error from 0.047 to
  0.044; at day 75 it scored about the same (median error 0.384 against 0.370, off by 2× 55.4%
  against 54.9%). Fine-tune series and left-censored series keep the creation clock (origin 0).
* **Left-censored** series (either metric: counts before the stated creation date, or recording
  that began after release) start at their first recorded count, conditioned on the same way and
  left out of the onset part, since their time at zero was never seen. Their increments start
  from the first recorded day, however long the model existed before: the first recorded value
  is never read as one day's (or one month's) growth.

Weekly download increments
--------------------------
The likelihood treats increments as independent given the curve. Daily download increments are
not: the counts are smooth, so a day's departure from any smooth curve carries over to the next
(median lag-1 autocorrelation 0.43 in the snapshot, even around a centred 7-day mean), and on 9
calendar days over 90% of the growing series' increments equal the day before's to ±1 (a day
the collector missed, filled in by interpolation). Read as independent, 20 days of increments
claim far more than they hold: fitted on days 0–20 of the 791 series observed on day 29 (500
draws), the 90% intervals for day 29 covered 68% of outcomes. So a download series' increments
are summed over blocks of :data:`BLOCK_STEPS` = 7 days, counted back from its last observation
(the first block, from the count the curve starts at, may be shorter), which brought that
coverage to 87% (blocks of 4 days: 83%; both chosen on that same backtest, so the 20 → 75 day
backtest in ``results/backtest-downloads`` is the check that was not used to choose). Forecasts
still run day by day, each day drawn with a seventh of the fitted dispersion α, so that a week of
days sums to the fitted weekly negative binomial (:class:`bayesgrowth.forecast.CurveDraws`);
fine-tune months are used one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesgrowth.errors import DataError
from bayesgrowth.panel import Panel

BLOCK_STEPS = {"finetunes": 1, "downloads": 7}
"""Consecutive increments summed into one increment of the likelihood (see the module docstring)."""

PAUSES = {"finetunes": True, "downloads": False}
"""Whether a metric's curve part has the pause term (see :mod:`bayesgrowth.model`). Download
increments are summed into weekly blocks but forecast day by day, so a pause learned per block
would not carry to a day; and active download series do not stop (no week at zero among the
growing series of the snapshot)."""


@dataclass(frozen=True)
class Design:
    """Index vectors and data of one metric, ready for the PyMC graph.

    Attributes
    ----------
    metric
        ``finetunes`` or ``downloads``.
    models, organizations
        Coordinates: every series' model id (in panel order) and the organisation names.
    series_org
        Organisation index of each series.
    active
        Indices (into ``models``) of series with a count > 0: they carry curve parameters.
    inc_series
        For each increment, its position in ``active`` (0 … n_active-1).
    t0, t1, inc
        Start and end time (``t_exact``) and size of each increment.
    size
        log1p of each active series' last count, centred: a covariate of its dispersion.
    inc_run
        For each increment, the number of zero increments straight before it since the series'
        last non-zero one; -1 up to and including its first non-zero increment (before a series
        has started, a zero is not a pause) and for every increment of a metric without pauses.
    last_run
        Per series, the same count at its last observation (-1 where it does not apply).
    onset_org, onset_step, onset_batch, onset_at_risk, onset_events
        Hazard cells: organisation index, step k, log release batch, number of series at zero
        entering step k, number whose first count > 0 happened in step k.
    last_t, last_t_exact, last_value
        Per series: last observed step, its exact time, and the count there.
    release_batch
        Per series: its release batch (see the module docstring), counted among the panel's
        series, so a panel cut at a date counts only the series created by then.
    base_value, base_t
        Per series: the count and time the curve part starts from and conditions on (0 and 0 for
        a fine-tune series that is not left-censored; see the module docstring).
    origin
        Per series: the time its curve's clock starts from, the last time it was seen at zero
        before a curve part that starts at its first non-zero count (downloads), else 0. Every
        time above is on the creation clock; the curve is evaluated at ``t - origin``.
    """

    metric: str
    models: np.ndarray
    organizations: np.ndarray
    series_org: np.ndarray
    active: np.ndarray
    inc_series: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    inc: np.ndarray
    size: np.ndarray
    inc_run: np.ndarray
    last_run: np.ndarray
    onset_org: np.ndarray
    onset_step: np.ndarray
    onset_batch: np.ndarray
    onset_at_risk: np.ndarray
    onset_events: np.ndarray
    last_t: np.ndarray
    last_t_exact: np.ndarray
    last_value: np.ndarray
    release_batch: np.ndarray
    base_value: np.ndarray
    base_t: np.ndarray
    origin: np.ndarray

    @property
    def n_series(self) -> int:
        """Number of series."""
        return len(self.models)

    @property
    def onset_centre(self) -> float:
        """Mean log step of the onset part's at-risk steps: the log step at which the onset
        intercepts are defined (centring keeps intercepts and slope from trading off)."""
        return self._at_risk_mean(np.log(self.onset_step))

    @property
    def onset_batch_centre(self) -> float:
        """Mean log release batch of the onset part's at-risk steps, likewise."""
        return self._at_risk_mean(self.onset_batch)

    def _at_risk_mean(self, values: np.ndarray) -> float:
        """Mean of a per-cell quantity over the onset part's at-risk steps (0 when none)."""
        if not self.onset_at_risk.sum():
            return 0.0
        return float(np.average(values, weights=self.onset_at_risk))


def build_design(panel: Panel, metric: str = "finetunes") -> Design:
    """Turn one metric of a panel into a :class:`Design`.

    Parameters
    ----------
    panel
        Validated panel (possibly truncated for a backtest).
    metric
        Which series to use.

    Returns
    -------
    Design
    """
    panel = panel.metric(metric)
    series = panel.series.reset_index(drop=True)
    if series.empty:
        raise DataError(f"no {metric} series to fit")
    obs = panel.observations
    order = {m: i for i, m in enumerate(series["model"])}
    idx = obs["model"].map(order).to_numpy()
    sort = np.lexsort((obs["t_exact"].to_numpy(), idx))
    idx = idx[sort]
    t = obs["t_exact"].to_numpy(dtype=float)[sort]
    y = obs["cumulative"].to_numpy(dtype=float)[sort]
    step = obs["t"].to_numpy()[sort]
    complete = ~obs["partial"].to_numpy()[sort]

    orgs, series_org = np.unique(series["organization"].to_numpy(dtype=str), return_inverse=True)
    n = len(series)
    first = np.r_[True, idx[1:] != idx[:-1]]
    last = np.r_[idx[1:] != idx[:-1], True]
    censored = series["left_censored"].to_numpy(dtype=bool)
    start = _curve_start(first, y, from_first_nonzero=metric == "downloads")
    conditioned = censored | (metric == "downloads")
    base_value = np.where(conditioned, y[start], 0.0)
    base_t = np.where(conditioned, t[start], 0.0)
    seen_at_zero = conditioned & ~censored & (start > np.flatnonzero(first))
    origin = np.where(seen_at_zero, t[np.maximum(start - 1, 0)], 0.0)

    last_value = y[last]
    # A series is active once it has a count above zero, grown since its start or not (a
    # download series read once, 0 then 2, has started: its curve comes from its organisation).
    active = np.flatnonzero(last_value > 0)
    pos = np.full(n, -1)
    pos[active] = np.arange(len(active))
    # Increments between consecutive observations after each series' start; an uncensored
    # fine-tune series starts at its implicit c(0) = 0, recorded as the 0-month cell (t = 0).
    prev = ~first
    keep = prev & (pos[idx] >= 0) & (np.arange(len(y)) > start[idx])
    inc_series = pos[idx[keep]]
    t1 = t[keep]
    t0 = t[np.flatnonzero(keep) - 1]
    inc = y[keep] - y[np.flatnonzero(keep) - 1]
    t0 = np.where(t0 <= 0, 0.0, t0)
    if BLOCK_STEPS[metric] > 1:
        inc_series, t0, t1, inc = _blocks(inc_series, t0, t1, inc, BLOCK_STEPS[metric])
    size = np.log1p(last_value[active])
    size = size - size.mean() if len(size) else size
    inc_run, run_at_end = _zero_runs(inc_series, inc, len(active))
    last_run = np.full(n, -1)
    last_run[active] = run_at_end
    if not PAUSES[metric]:
        inc_run, last_run = np.full_like(inc_run, -1), np.full_like(last_run, -1)

    # Onset hazard: steps spent at zero. Step k is at risk when the count at k-1 is 0 (and k-1
    # is observed); the event is a count > 0 at k. Partial steps are left out: a hazard per full
    # step is what forecasting needs. After an unrecorded step the previous row is earlier than
    # k - 1, and a first count seen then may have come in any step since it.
    after_k_minus_1 = np.r_[False, step[1:] - step[:-1] == 1]
    at_risk = prev & after_k_minus_1 & (np.r_[np.nan, y[:-1]] == 0) & complete & ~censored[idx]
    release_batch = _release_batch(series)
    cells = pd.DataFrame(
        {
            "org": series_org[idx[at_risk]],
            "step": step[at_risk],
            "batch": release_batch[idx[at_risk]],
            "event": y[at_risk] > 0,
        }
    )
    grouped = (
        cells.groupby(["org", "step", "batch"])
        .agg(n=("event", "size"), k=("event", "sum"))
        .reset_index()
    )

    return Design(
        metric=metric,
        models=series["model"].to_numpy(dtype=str),
        organizations=orgs,
        series_org=series_org,
        active=active,
        inc_series=inc_series,
        t0=t0,
        t1=t1,
        inc=inc,
        size=size,
        inc_run=inc_run,
        last_run=last_run,
        onset_org=grouped["org"].to_numpy(),
        onset_step=grouped["step"].to_numpy(dtype=float),
        onset_batch=np.log(grouped["batch"].to_numpy(dtype=float)),
        onset_at_risk=grouped["n"].to_numpy(dtype=float),
        onset_events=grouped["k"].to_numpy(dtype=float),
        last_t=step[last],
        last_t_exact=t[last],
        last_value=last_value,
        release_batch=release_batch,
        base_value=base_value,
        base_t=base_t,
        origin=origin,
    )


def _zero_runs(series: np.ndarray, inc: np.ndarray, n_active: int) -> tuple[np.ndarray, np.ndarray]:
    """Zero increments straight before each increment since its series' last non-zero one.

    Parameters
    ----------
    series, inc
        Each increment's series (0 … n_active-1) and size, sorted by series, then time.
    n_active
        Number of series.

    Returns
    -------
    tuple of numpy.ndarray
        Per increment the run (-1 until the series' first non-zero increment, inclusive), and per
        series the run after its last increment (-1 if it never had a non-zero one).
    """
    runs = np.full(len(inc), -1)
    at_end = np.full(n_active, -1)
    for i, (s, d) in enumerate(zip(series, inc, strict=True)):
        runs[i] = at_end[s]
        at_end[s] = 0 if d > 0 else (at_end[s] + 1 if at_end[s] >= 0 else -1)
    return runs, at_end


def _release_batch(series: pd.DataFrame) -> np.ndarray:
    """Per series, how many series of its organisation were created in its calendar month (UTC)."""
    created = series["created_at"].dt.tz_convert("UTC")
    month = created.dt.year * 12 + created.dt.month
    return series.groupby([series["organization"], month])["model"].transform("size").to_numpy()


def _curve_start(first: np.ndarray, y: np.ndarray, *, from_first_nonzero: bool) -> np.ndarray:
    """Per series, the position (in the sorted observations) its curve part starts from.

    Parameters
    ----------
    first
        Marks each series' first observation; observations are sorted by series, then time.
    y
        The counts.
    from_first_nonzero
        Start at the first count > 0 (the first observation where there is none) instead of the
        first observation.

    Returns
    -------
    numpy.ndarray
        One position per series, in series order.
    """
    begin = np.flatnonzero(first)
    if not from_first_nonzero:
        return begin
    never = len(y)
    candidate = np.where(y > 0, np.arange(len(y)), never)
    found = np.minimum.reduceat(candidate, begin)  # the minimum over each series' own rows
    return np.where(found < never, found, begin)


def _blocks(
    series: np.ndarray, t0: np.ndarray, t1: np.ndarray, inc: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each series' consecutive increments summed over blocks of ``steps``, counted back from its
    last time (so the last block ends at the last observation; the first may be shorter)."""
    end = pd.Series(t1).groupby(series).transform("max").to_numpy()
    frame = pd.DataFrame(
        {"s": series, "b": np.floor((end - t1) / steps), "t0": t0, "t1": t1, "inc": inc}
    )
    blocks = (
        frame.groupby(["s", "b"], sort=False)
        .agg(t0=("t0", "min"), t1=("t1", "max"), inc=("inc", "sum"))
        .reset_index()
        .sort_values(["s", "t1"], ignore_index=True)
    )
    return (
        blocks["s"].to_numpy(),
        blocks["t0"].to_numpy(dtype=float),
        blocks["t1"].to_numpy(dtype=float),
        blocks["inc"].to_numpy(dtype=float),
    )
