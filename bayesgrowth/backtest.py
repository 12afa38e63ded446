"""Honest backtests: cut the data as it was known at a forecast origin, forecast, score.

A protocol turns the full panel into a :class:`Split`: the ``history`` a forecaster may see and the
``targets`` it must forecast (whose outcomes ``y`` it never sees). Forecasters only ever receive
``history`` and the target columns ``model, metric, t``, so nothing after the origin can leak in
(the history holds no ``paper_fits``: the authors fitted them to the whole snapshot).

Only ``--as-of`` has one origin in calendar time. ``--history K`` and ``--first-days F`` cut each
series at its own age, so a method that learns across series (``bayes``: organisation means,
onset hazard, dispersion) also learns from other series' first steps that came after a
series' target date; methods that fit each series alone (``paper``, ``last-value``,
``linear-trend``) see nothing of it. On the 2025-02-18 snapshot the fit for 95.8% of the 791
targets of ``--first-days 20 --target-day 29`` holds counts dated after the target's own date
(for the median target, 45% of the history's rows), 66.9% of the 641 targets at day 75 (11%),
and 29.7%, 37.4% and 45.6% of the 2,408 targets of ``--history 1``, ``3`` and ``6`` (for the
median target none of them). A comparison of ``bayes`` with the others under those protocols
may favour it by that much; ``--as-of`` is the clean one.

Protocols
---------
Each takes a panel of one metric (:meth:`~bayesgrowth.panel.Panel.metric`): its targets are
steps on one time axis, scored together.

:func:`as_of_split` (``--as-of D``)
    Pretend today is D: every series keeps the steps fully elapsed by D (month k ends at
    ``created_at + k`` calendar months; day t is the count recorded on that date), series with
    fewer than ``min_history`` elapsed steps (default 6) are not scored (they stay in the history:
    the bayes fit learns from what was known of them at D), and each other is forecast to its
    last value in the full data, which for a fine-tune series can be a partial month read at
    ``t_exact`` (the target carries both ``t`` and ``t_exact``; the published snapshot has none).
    A series with no count after D stays in the history unscored: which series go on being
    recorded is not known at D.
:func:`holdout_split` (``--holdout H``)
    Drop the last H observations of every series with at least ``min_history`` left; the target is
    the last one dropped (H steps ahead).
:func:`first_steps_split` (``--history K``, ``--first-days F --target-day T``)
    Keep steps ``t <= K`` of every series observed up to step T; the target is step T (issue 4:
    months, T = 12; issue 5: download days).

A partial last month is never in a history (it belongs to a later state of the data than any
origin before the data date); it is a target only under ``--as-of``, where "the last value in the
full data" is exactly that count. The other protocols target whole steps.

Subsets
-------
``all``; ``nonzero_at_origin`` (last count in the history > 0); ``ten_plus_at_origin`` (>= 10).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bayesgrowth.errors import DataError
from bayesgrowth.forecasters import (
    QUANTILE_COLUMNS,
    TARGET_COLUMNS,
    Forecast,
    Forecaster,
    ForecastError,
    known_forecasters,
    last_observed,
)
from bayesgrowth.panel import Panel, summarise_series, to_utc
from bayesgrowth.scores import SCORE_COLUMNS, score_rows, summarise

DEFAULT_MIN_HISTORY = 6
"""Steps (months, days) a series must have by the as-of date. Six months leaves out models too new
for any curve, and gives the issue's reference set of 596 fine-tune series nonzero on 2024-08-18."""

SUBSETS = {
    "all": lambda rows: np.ones(len(rows), dtype=bool),
    "nonzero_at_origin": lambda rows: rows["origin_value"] > 0,
    "ten_plus_at_origin": lambda rows: rows["origin_value"] >= 10,
    f"nonzero_under_{DEFAULT_MIN_HISTORY}_steps": lambda rows: (
        (rows["origin_value"] > 0) & (rows["origin_t"] < DEFAULT_MIN_HISTORY)
    ),
    f"zero_under_{DEFAULT_MIN_HISTORY}_steps": lambda rows: (
        (rows["origin_value"] == 0) & (rows["origin_t"] < DEFAULT_MIN_HISTORY)
    ),
}
"""Subsets of targets, by the last count in the history (the forecast origin) and, for series
younger than the default ``--min-history`` (kept with ``--min-history 1``), by the steps elapsed
at the origin. A subset without targets is not reported, nor are the young ones when every
target is young (``--history K`` with K < 6: they would repeat the others)."""

_YOUNG_SUBSETS = {name for name in SUBSETS if name.endswith(f"_under_{DEFAULT_MIN_HISTORY}_steps")}


@dataclass(frozen=True)
class Split:
    """A backtest problem.

    Attributes
    ----------
    protocol
        What was done, e.g. ``"as-of 2024-08-18"``.
    history
        The data a forecaster may see: every series the protocol keeps at its origin, including
        any without a later count to score (whether a series has one is not known then).
    targets
        ``model, metric, t, y, origin_t, origin_value``: the step to forecast, its outcome and the
        series' last observation in ``history``.
    """

    protocol: str
    history: Panel
    targets: pd.DataFrame


def complete_steps(panel: Panel) -> Panel:
    """The panel without partial months (counts read before their month ended)."""
    obs = panel.observations[~panel.observations["partial"]]
    return replace(panel, observations=obs, series=summarise_series(obs, panel.series))


def _rows_of(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` whose series (model, metric) is in ``keys``."""
    wanted = pd.MultiIndex.from_frame(keys[["model", "metric"]])
    return frame[pd.MultiIndex.from_frame(frame[["model", "metric"]]).isin(wanted)]


def _restrict(panel: Panel, keys: pd.DataFrame, obs: pd.DataFrame) -> Panel:
    """``panel`` with the series in ``keys`` (model, metric) and the observations ``obs`` of them."""
    obs = _rows_of(obs, keys)
    return replace(
        panel, observations=obs, series=summarise_series(obs, _rows_of(panel.series, keys))
    )


def _one_metric(panel: Panel) -> None:
    """Refuse a panel of both metrics: a split is forecast and scored on one time axis.

    Raises
    ------
    DataError
        Naming the metrics and how to choose one.
    """
    metrics = sorted(panel.series["metric"].unique())
    if len(metrics) > 1:
        raise DataError(
            f"the panel holds {' and '.join(metrics)} series: a backtest forecasts and scores one "
            f"metric (months or days); pass panel.metric({metrics[-1]!r}) or "
            f"panel.metric({metrics[0]!r})"
        )


def _split(protocol: str, history: Panel, outcomes: pd.DataFrame) -> Split:
    """A split from a history and outcome rows (model, metric, t, t_exact, cumulative) beyond it.

    The history is kept whole: a series in it without a later outcome is not scored but stays
    for the forecasters to learn from, since whether it has one is known only after the origin.
    """
    outcomes = outcomes.rename(columns={"cumulative": "y"})[[*TARGET_COLUMNS, "y"]]
    targets = last_observed(history, _rows_of(outcomes, history.series))
    targets = targets[targets["t"] > targets["origin_t"]]
    if targets.empty:
        raise DataError(f"{protocol}: no series has both a history and a later target")
    # The authors' parameters were fitted to the whole snapshot (and name models created after
    # the origin): no forecaster may see them.
    history = replace(history, paper_fits=pd.DataFrame())
    columns = [*TARGET_COLUMNS, "y", "origin_t", "origin_value"]
    targets = targets[columns].sort_values(["metric", "model"], ignore_index=True)
    return Split(protocol, history, targets)


def as_of_split(
    panel: Panel, as_of: pd.Timestamp | str, min_history: int = DEFAULT_MIN_HISTORY
) -> Split:
    """Forecast every series from what was known on ``as_of`` to its last value in ``panel``.

    Parameters
    ----------
    panel
        The full data, of one metric.
    as_of
        The forecast origin D (UTC; a date means its midnight).
    min_history
        Steps that must have elapsed since creation by D for a series to be scored; a younger one
        stays in the history (models created later are left out).
    """
    _one_metric(panel)
    as_of = as_of_date(as_of)
    if as_of >= panel.data_date:
        raise DataError(
            f"--as-of {as_of.date()} is not before the data date {panel.data_date.date()}"
        )
    # The data date may lie after the metric's own counts (a snapshot's downloads end before its
    # fine-tune collection), and its counts may begin long after the first model's creation.
    dates = panel.observations["date"]
    metric = panel.series["metric"].iat[0]
    if as_of < dates.min():
        raise DataError(
            f"--as-of {as_of.date()} is before the first {metric} count of the data "
            f"({dates.min().date()}): there is no history to forecast from"
        )
    if as_of >= dates.max():
        raise DataError(
            f"--as-of {as_of.date()} is not before the last {metric} count of the data "
            f"({dates.max().date()}): there is no later count to score"
        )
    history = panel.truncate(as_of)
    # A younger series is not scored, but what was known of it at D stays in the history.
    scored = history.series[history.series["last_t"] >= min_history]
    return _split(f"as-of {as_of.date()}", history, _rows_of(panel.last_values(), scored))


def as_of_date(as_of: pd.Timestamp | str) -> pd.Timestamp:
    """The forecast origin of :func:`as_of_split` (UTC), checked before any data are read.

    Raises
    ------
    DataError
        For a value that is not a date (text must be ISO 8601, ``YYYY-MM-DD``).
    """
    try:
        return to_utc(as_of)
    except ValueError:
        raise DataError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None


def check_holdout(h: int) -> None:
    """Refuse a :func:`holdout_split` of fewer than one step, before any data are read."""
    if h < 1:
        raise DataError(f"--holdout must be at least 1, got {h}")


def holdout_split(panel: Panel, h: int, min_history: int = 3) -> Split:
    """Hold out the last ``h`` observations of every series with ``min_history`` more."""
    check_holdout(h)
    _one_metric(panel)
    full = complete_steps(panel)
    enough = full.series[full.series["n_obs"] >= h + min_history]
    full = _restrict(full, enough, full.observations)
    return _split(f"holdout {h}", full.drop_last(h), full.last_values())


def first_steps_split(panel: Panel, first: int, target: int) -> Split:
    """Keep steps ``t <= first`` of every series observed at step ``target``; forecast ``target``."""
    if not 0 <= first < target:
        raise DataError(f"need 0 <= kept steps ({first}) < target step ({target})")
    _one_metric(panel)
    full = complete_steps(panel)
    outcomes = full.observations[full.observations["t"] == target]
    history = _restrict(full, outcomes, full.observations[full.observations["t"] <= first])
    return _split(f"first {first} steps -> step {target}", history, outcomes)


@dataclass
class BacktestResult:
    """Scored forecasts of several methods on one split.

    Attributes
    ----------
    forecasts
        One row per (method, target): ``method, model, metric, t, y, origin_t, origin_value, point,
        q05 .. q95`` and the per-row scores of :func:`bayesgrowth.scores.score_rows`.
    metrics
        ``method, subset`` and :data:`bayesgrowth.scores.SCORE_COLUMNS`.
    diagnostics
        Per method, what its forecast reported per series (if anything).
    seconds
        Wall time of each method's forecast.
    """

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    diagnostics: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _check(name: str, forecast: Forecast, targets: pd.DataFrame) -> None:
    """The contract of :mod:`bayesgrowth.forecasters`, checked on what a method returned."""
    table = forecast.table
    if len(table) != len(targets) or not (
        (table["model"].to_numpy() == targets["model"].to_numpy()).all()
        and (table["t"].to_numpy() == targets["t"].to_numpy()).all()
    ):
        raise ForecastError(f"{name}: forecast rows do not match the targets row for row")
    columns = ["point", *QUANTILE_COLUMNS] if forecast.has_interval else ["point"]
    values = table[columns].to_numpy(dtype=float)
    if forecast.samples is not None:
        values = np.hstack([values, forecast.samples])
    origin = targets["origin_value"].to_numpy(dtype=float)[:, None]
    for broken, what in (
        (~np.isfinite(values), "that is NaN or infinite"),
        (values < origin, "below the last observed count"),
    ):
        if broken.any():
            model = targets["model"].iat[int(np.argwhere(broken)[0, 0])]
            raise ForecastError(f"{name}: a forecast {what} (model {model})")


def run_backtest(split: Split, forecasters: Sequence[Forecaster], seed: int = 0) -> BacktestResult:
    """Forecast the split's targets with each method and score them per subset.

    Parameters
    ----------
    split
        History and targets from one of the protocols.
    forecasters
        The methods; each sees only ``split.history`` and the targets' ``model, metric, t``.
    seed
        Passed to every method.

    Raises
    ------
    ForecastError
        If no method is given, one is given twice, or a method breaks the forecast contract.
    """
    if not forecasters:
        raise ForecastError(
            f"no forecasting method given; known methods: {', '.join(known_forecasters())}"
        )
    names = [method.name for method in forecasters]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ForecastError(
            f"method(s) {', '.join(repeated)} given more than once: each is scored once"
        )
    targets = split.targets
    frames, metrics, diagnostics, seconds = [], [], {}, {}
    for method in forecasters:
        start = time.perf_counter()
        forecast = method.forecast(split.history, targets[list(TARGET_COLUMNS)].copy(), seed)
        seconds[method.name] = time.perf_counter() - start
        _check(method.name, forecast, targets)
        table = forecast.table
        quantiles = table[list(QUANTILE_COLUMNS)].to_numpy() if forecast.has_interval else None
        scores = score_rows(
            targets["y"], table["point"], quantiles, forecast.samples, targets["origin_value"]
        )
        rows = pd.concat([targets, table.drop(columns=["model", "t"]), scores], axis=1)
        frames.append(rows.assign(method=method.name))
        all_young = bool((rows["origin_t"] < DEFAULT_MIN_HISTORY).all())
        for subset, keep in SUBSETS.items():
            chosen = rows[keep(rows)]
            if chosen.empty or (all_young and subset in _YOUNG_SUBSETS):
                continue
            metrics.append(
                summarise(chosen)
                .rename(None)
                .to_frame()
                .T.assign(method=method.name, subset=subset)
            )
        if forecast.diagnostics is not None:
            diagnostics[method.name] = forecast.diagnostics
    forecasts = pd.concat(frames, ignore_index=True)
    forecasts = forecasts[["method", *[c for c in forecasts.columns if c != "method"]]]
    table = pd.concat(metrics, ignore_index=True)[["method", "subset", *SCORE_COLUMNS]]
    return BacktestResult(forecasts, table.astype({"n": "int64"}), diagnostics, seconds)
