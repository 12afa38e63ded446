"""Naive baselines: what any forecast must beat.

``last-value`` carries the last observed count forward; ``linear-trend`` extends the mean growth
per step over the last three steps. Both give a point and no interval, and neither can fall below
the last observed count (the trend's slope is never negative on a cumulative series).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesgrowth.forecasters import Forecast, last_observed
from bayesgrowth.panel import Panel

TREND_STEPS = 3
"""The linear trend's slope is the mean increment per step over this many last steps."""


class LastValue:
    """Forecast every target at the series' last observed count."""

    name = "last-value"

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        """See :meth:`bayesgrowth.forecasters.Forecaster.forecast` (``seed`` is unused)."""
        origin = last_observed(history, targets)
        return Forecast.point_only(targets, origin["origin_value"].to_numpy(dtype=float))


class LinearTrend:
    """Extend the slope of the last :data:`TREND_STEPS` steps (fewer where the series is shorter).

    The slope is ``(c_last - c_first) / (t_last - t_first)`` over the last ``TREND_STEPS + 1``
    observations, extended from the last observation to the target's ``t_exact`` (exact times: a
    partial month counts as the fraction elapsed); a series with a single observation has slope 0.
    """

    name = "linear-trend"

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        """See :meth:`bayesgrowth.forecasters.Forecaster.forecast` (``seed`` is unused)."""
        origin = last_observed(history, targets)
        tail = history.observations.groupby(["metric", "model"], sort=False).tail(TREND_STEPS + 1)
        start = tail.groupby(["metric", "model"], sort=False)[["t_exact", "cumulative"]].first()
        start = start.rename(columns={"t_exact": "start_t", "cumulative": "start_value"})
        rows = origin.merge(start.reset_index(), on=["model", "metric"], how="left")
        span = (rows["origin_t_exact"] - rows["start_t"]).to_numpy()
        rise = (rows["origin_value"] - rows["start_value"]).to_numpy(dtype=float)
        slope = np.divide(rise, span, out=np.zeros_like(rise), where=span > 0)
        ahead = (rows["t_exact"] - rows["origin_t_exact"]).clip(lower=0).to_numpy()
        return Forecast.point_only(targets, rows["origin_value"].to_numpy() + slope * ahead)
