"""Arrays the model is built from: a :class:`~bayesgrowth.panel.Panel` turned into index vectors.

The model never reads files or pandas tables; it reads a :class:`Design`. Two parts:

* the **curve part**: every series that has at least one count > 0 ("active"), as increments
  ``d = y_k - y_{k-1}`` over ``(t_{k-1}, t_k]`` (``t_exact``, so a partial month has a short
  interval). A left-censored series starts at its first recorded count, which is conditioned on.
* the **onset part**: for every series, the steps it spent at zero, as binary outcomes
  "first count > 0 during step k" aggregated by (organisation, step) — a discrete-time hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesgrowth.errors import DataError
from bayesgrowth.panel import Panel


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
    onset_org, onset_step, onset_at_risk, onset_events
        Hazard cells: organisation index, step k, number of series at zero entering step k,
        number whose first count > 0 happened in step k.
    last_t, last_t_exact, last_value
        Per series: last observed step, its exact time, and the count there.
    base_value, base_t
        Per series: the count and time the curve part conditions on (0 and 0 unless
        left-censored).
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
    onset_org: np.ndarray
    onset_step: np.ndarray
    onset_at_risk: np.ndarray
    onset_events: np.ndarray
    last_t: np.ndarray
    last_t_exact: np.ndarray
    last_value: np.ndarray
    base_value: np.ndarray
    base_t: np.ndarray

    @property
    def n_series(self) -> int:
        """Number of series."""
        return len(self.models)


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
    base_value = np.where(censored, y[first], 0.0)
    base_t = np.where(censored, t[first], 0.0)

    last_value = y[last]
    active = np.flatnonzero(last_value > base_value)
    pos = np.full(n, -1)
    pos[active] = np.arange(len(active))
    # Increments between consecutive observations; an uncensored series also has its implicit
    # c(0) = 0 start, which the snapshot already records as the 0-month cell (t = 0).
    prev = ~first
    keep = prev & (pos[idx] >= 0)
    inc_series = pos[idx[keep]]
    t1 = t[keep]
    t0 = t[np.flatnonzero(keep) - 1]
    inc = y[keep] - y[np.flatnonzero(keep) - 1]
    t0 = np.where(t0 <= 0, 0.0, t0)
    size = np.log1p(last_value[active])
    size = size - size.mean() if len(size) else size

    # Onset hazard: steps spent at zero. Step k is at risk when the count at k-1 is 0 (and k-1
    # is observed); the event is a count > 0 at k. Partial steps are left out: a hazard per full
    # step is what forecasting needs.
    at_risk = prev & (np.r_[np.nan, y[:-1]] == 0) & complete & ~censored[idx]
    cells = pd.DataFrame(
        {"org": series_org[idx[at_risk]], "step": step[at_risk], "event": y[at_risk] > 0}
    )
    grouped = (
        cells.groupby(["org", "step"]).agg(n=("event", "size"), k=("event", "sum")).reset_index()
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
        onset_org=grouped["org"].to_numpy(),
        onset_step=grouped["step"].to_numpy(dtype=float),
        onset_at_risk=grouped["n"].to_numpy(dtype=float),
        onset_events=grouped["k"].to_numpy(dtype=float),
        last_t=step[last],
        last_t_exact=t[last],
        last_value=last_value,
        base_value=base_value,
        base_t=base_t,
    )
