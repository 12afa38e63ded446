"""The one interface every forecaster speaks to the backtest, and the registry of method names.

A forecaster is any object with a ``name`` and a ``forecast`` method (see :class:`Forecaster`):
it receives the history (a :class:`~bayesgrowth.panel.Panel` holding only what was known at the
forecast origin) and a table of targets (``model, metric, t, t_exact``), and returns a
:class:`Forecast`:
a point forecast and the 5/25/50/75/95% quantiles per target row, optionally with the predictive
samples behind them (needed for CRPS).

Plugging in a new method
------------------------
Register a factory (a no-argument callable returning a forecaster) under a name, either as an
object or lazily as ``"module:attribute"`` so that importing the registry stays cheap::

    register_forecaster("bayes", "bayesgrowth.fitting:BayesForecaster")

``bayesgrowth backtest --method bayes`` then resolves the name through :func:`make_forecaster`.

Contract of a forecast
----------------------
* one row per target row, same order (``model, t`` equal to the targets');
* quantiles monotone: ``q05 <= q25 <= q50 <= q75 <= q95`` (NaN throughout for a method without an
  interval, which must then set ``has_interval=False``);
* cumulative counts never fall: point, quantiles and samples are at least the last value observed
  in the history (:func:`last_observed` gives it; :func:`floor` applies it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from bayesgrowth.errors import BayesGrowthError
from bayesgrowth.panel import Panel

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = ("q05", "q25", "q50", "q75", "q95")
FORECAST_COLUMNS = ("model", "t", "point", *QUANTILE_COLUMNS)
TARGET_COLUMNS = ("model", "metric", "t", "t_exact")


class ForecastError(BayesGrowthError, ValueError):
    """A forecast that breaks the contract, or a method name nobody registered."""


@dataclass
class Forecast:
    """What a forecaster returns for a table of targets.

    Attributes
    ----------
    table
        Columns :data:`FORECAST_COLUMNS`, one row per target row, in the targets' order.
    samples
        Optional predictive draws, shape ``(len(table), n_samples)``, rows aligned with ``table``;
        ``None`` for a method that has none (its CRPS is then that of a point mass at ``point``).
    has_interval
        False for a point-only method: its quantile columns are NaN and coverage is not scored.
    diagnostics
        Optional per-series notes from the method (e.g. the curve fit's status), keyed by
        ``model``; written beside the backtest's outputs.
    """

    table: pd.DataFrame
    samples: np.ndarray | None = None
    has_interval: bool = True
    diagnostics: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        missing = [c for c in FORECAST_COLUMNS if c not in self.table.columns]
        if missing:
            raise ForecastError(f"forecast table lacks columns {missing}")
        self.table = self.table[list(FORECAST_COLUMNS)].reset_index(drop=True)
        if self.samples is not None and self.samples.shape[0] != len(self.table):
            raise ForecastError(
                f"samples have {self.samples.shape[0]} rows for {len(self.table)} forecast rows"
            )
        if self.has_interval:
            q = self.table[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
            if np.isnan(q).any() or (np.diff(q, axis=1) < 0).any():
                raise ForecastError("quantiles must be set and monotone: q05<=q25<=q50<=q75<=q95")

    @classmethod
    def from_samples(
        cls,
        targets: pd.DataFrame,
        samples: np.ndarray,
        point: np.ndarray | None = None,
        diagnostics: pd.DataFrame | None = None,
    ) -> Forecast:
        """A forecast summarised from predictive draws (rows aligned with ``targets``).

        ``point`` defaults to the median of the draws. Quantiles interpolate between neighbouring
        draws (numpy's default), unlike :func:`bayesgrowth.forecast.summarise`, whose quantiles are
        draws (``inverted_cdf``): every recorded backtest was scored this way, so it is kept.
        """
        q = np.quantile(samples, QUANTILES, axis=1).T
        table = targets[["model", "t"]].reset_index(drop=True)
        table = table.assign(point=q[:, 2] if point is None else point)
        table[list(QUANTILE_COLUMNS)] = q
        return cls(table, samples=samples, diagnostics=diagnostics)

    @classmethod
    def point_only(cls, targets: pd.DataFrame, point: np.ndarray) -> Forecast:
        """A forecast with a point and no interval (quantiles NaN, no samples)."""
        table = targets[["model", "t"]].reset_index(drop=True).assign(point=point)
        table[list(QUANTILE_COLUMNS)] = np.nan
        return cls(table, has_interval=False)


@runtime_checkable
class Forecaster(Protocol):
    """A forecasting method as the backtest sees it."""

    name: str

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        """Forecast the cumulative count of each target row.

        Parameters
        ----------
        history
            Everything known at the forecast origin (already cut by the backtest protocol).
        targets
            Columns ``model, metric, t, t_exact``: ``t`` is the integer step after creation (months
            for fine-tunes, days for downloads), later than the series' last step in ``history``;
            ``t_exact`` is the time the outcome was read, equal to ``t`` except for a partial last
            month of the data (count read part-way through month ``t``, at ``t - 1 + fraction``).
            Forecast the count at ``t_exact``.
        seed
            Seed for every random draw: equal seeds give equal forecasts.

        Returns
        -------
        Forecast
            One row per target row, in the same order.
        """
        ...


Factory = Callable[[], Forecaster]

_REGISTRY: dict[str, Factory | str] = {
    "paper": "bayesgrowth.baseline:PaperForecaster",
    "last-value": "bayesgrowth.naive:LastValue",
    "linear-trend": "bayesgrowth.naive:LinearTrend",
    "bayes": "bayesgrowth.fitting:BayesForecaster",
}


def register_forecaster(name: str, factory: Factory | str, *, replace: bool = False) -> None:
    """Make ``name`` usable as ``--method name``.

    Parameters
    ----------
    name
        The method name (no commas: the CLI splits ``--method`` on them).
    factory
        A no-argument callable returning a :class:`Forecaster`, or ``"module:attribute"`` naming
        one, imported only when the method is used.
    replace
        Allow re-registering an existing name.
    """
    if "," in name or not name:
        raise ForecastError(f"invalid method name {name!r}")
    if name in _REGISTRY and not replace:
        raise ForecastError(f"method {name!r} is already registered")
    _REGISTRY[name] = factory


def known_forecasters() -> list[str]:
    """Registered method names, sorted."""
    return sorted(_REGISTRY)


def make_forecaster(name: str) -> Forecaster:
    """A fresh forecaster for a registered method name; an unknown name lists the known ones."""
    if name not in _REGISTRY:
        raise ForecastError(
            f"unknown method {name!r}; known methods: {', '.join(known_forecasters())}"
        )
    factory = _REGISTRY[name]
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    return factory()


def last_observed(history: Panel, targets: pd.DataFrame) -> pd.DataFrame:
    """Per target row, the series' last observation in ``history``.

    Returns
    -------
    pandas.DataFrame
        The targets' columns plus ``origin_t`` (step), ``origin_t_exact`` (time the count was read,
        fractional for a partial month) and ``origin_value`` (the count), rows as in ``targets``.

    Raises
    ------
    ForecastError
        If a target's series has no history.
    """
    last = history.last_values()[["model", "metric", "t", "t_exact", "cumulative"]]
    last = last.rename(
        columns={"t": "origin_t", "t_exact": "origin_t_exact", "cumulative": "origin_value"}
    )
    out = targets.reset_index(drop=True).merge(last, on=["model", "metric"], how="left")
    if out["origin_t"].isna().any():
        missing = out.loc[out["origin_t"].isna(), "model"].unique()[:5]
        raise ForecastError(f"targets without history: {', '.join(missing)}")
    return out.astype({"origin_t": "int64", "origin_value": "int64"})


def floor(values: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Cumulative counts never fall: ``values`` (1-D, or 2-D with rows per target) at least ``last``."""
    last = np.asarray(last, dtype=float)
    return np.maximum(values, last[:, None] if np.ndim(values) == 2 else last)
