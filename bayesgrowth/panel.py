"""The tidy panel every later step reads: one row per (model, metric, t).

A :class:`Panel` is produced by :func:`bayesgrowth.data.load_panel` (or built in memory, e.g. by the
synthetic generator) and is the only form the model, the baselines and the backtest speak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bayesgrowth.errors import DataError, UnknownModelError

METRICS = ("finetunes", "downloads")
"""The two series kinds: monthly cumulative fine-tunes, daily cumulative downloads."""

TIME_UNIT = {"finetunes": "month", "downloads": "day"}

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]|$)")
"""How a date or time written as text begins: a full ISO 8601 date. pandas would also read
``05/06/2024``, as May 6, though it may mean 5 June."""

OBSERVATION_COLUMNS = {
    "model": "string",
    "organization": "string",
    "metric": "string",
    "t": "int64",
    "t_exact": "float64",
    "date": "datetime64[ns, UTC]",
    "cumulative": "int64",
    "partial": "bool",
}
"""Columns of :attr:`Panel.observations` and their dtypes.

``t`` is the integer step (the snapshot's ``k-month`` column, or the UTC day index for downloads);
``t_exact`` is the time elapsed since creation at the moment the count was read, in the same unit
(equal to ``t`` except for a partial last month, where it is the fraction actually elapsed);
``partial`` marks such a month.
"""

SERIES_COLUMNS = {
    "model": "string",
    "organization": "string",
    "metric": "string",
    "created_at": "datetime64[ns, UTC]",
    "first_t": "int64",
    "last_t": "int64",
    "n_obs": "int64",
    "last_value": "int64",
    "left_censored": "bool",
    "source_file": "string",
    "source_row": "int64",
}
"""Columns of :attr:`Panel.series`, one row per (model, metric).

``left_censored`` marks a series whose first recorded count includes accrual the data cannot place
in time (recording began after release, or counts precede the stated creation date): models
condition on that first count instead of explaining it.
"""


@dataclass
class LoadReport:
    """What loading found and did: counts of every oddity and repair, in reading order.

    Attributes
    ----------
    counts
        Named counts, e.g. ``{"finetunes.series": 3903, "downloads.precreation_nonzero": 9}``.
    notes
        One human-readable line per treatment applied, saying what was done and why.
    """

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, n: int, note: str | None = None) -> None:
        """Add ``n`` to the count ``key`` and record ``note`` once if given and ``n > 0``."""
        self.counts[key] = self.counts.get(key, 0) + int(n)
        if note and n and note not in self.notes:
            self.notes.append(note)

    def lines(self) -> list[str]:
        """The report as printable lines: counts first, then the treatments applied."""
        out = [f"{k}: {v:,}" for k, v in self.counts.items()]
        return out + [f"- {n}" for n in self.notes]


def _typed(df: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    missing = set(columns) - set(df.columns)
    if missing:
        raise DataError(f"panel table lacks columns {sorted(missing)}")
    return df.astype(dict(columns))[list(columns) + [c for c in df.columns if c not in columns]]


@dataclass
class Panel:
    """Validated cumulative-count series of base models.

    Attributes
    ----------
    observations
        Long table, one row per (model, metric, t); see :data:`OBSERVATION_COLUMNS`.
    series
        One row per (model, metric); see :data:`SERIES_COLUMNS`.
    paper_fits
        The authors' own curve-fit columns (``model, lambda_i, mu_i, sigma_i, approx_condition,
        approx_cond_label``) where the source had them; empty otherwise. Kept apart from the data.
    data_date
        The date the data describe (UTC midnight): nothing after it is observed.
    report
        Counts of the oddities found and the repairs applied while loading.
    source
        Where the data came from (a directory or a description).
    """

    observations: pd.DataFrame
    series: pd.DataFrame
    data_date: pd.Timestamp
    paper_fits: pd.DataFrame = field(default_factory=pd.DataFrame)
    report: LoadReport = field(default_factory=LoadReport)
    source: str = "in memory"

    def __post_init__(self) -> None:
        self.observations = _typed(self.observations, OBSERVATION_COLUMNS).sort_values(
            ["metric", "model", "t"], ignore_index=True
        )
        self.series = _typed(self.series, SERIES_COLUMNS).sort_values(
            ["metric", "organization", "model"], ignore_index=True
        )

    def __repr__(self) -> str:
        """What the panel holds, in one line (the dataclass default printed every table)."""
        sizes = self.series.groupby("metric").size()
        held = ", ".join(f"{n:,} {metric} series" for metric, n in sizes.items()) or "no series"
        return (
            f"Panel({held}, {len(self.observations):,} observations, "
            f"data date {self.data_date:%Y-%m-%d}, source {self.source!r})"
        )

    # --- selection -------------------------------------------------------------------------
    def metric(self, metric: str) -> Panel:
        """The panel restricted to one metric (``finetunes`` or ``downloads``)."""
        if metric not in METRICS:
            raise DataError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
        if not (self.series["metric"] == metric).any():
            held = " and ".join(sorted(self.series["metric"].unique()))
            raise DataError(
                f"this panel (from {self.source}) holds no {metric} series, "
                + (f"only {held} series" if held else "no series at all")
                + f": load or select some {metric} series"
            )
        return self._keep(self.series["metric"] == metric)

    def select(
        self, *, models: Iterable[str] | None = None, organizations: Iterable[str] | None = None
    ) -> Panel:
        """The panel restricted to some models and/or organisations.

        Raises
        ------
        UnknownModelError
            For a model id not in the panel.
        DataError
            For an unknown organisation, a model not of the organisations given with it, an empty
            list, or a lone string instead of a list.
        """
        keep = pd.Series(True, index=self.series.index)
        if models is not None:
            models = name_list(models, "models")
            unknown = sorted(set(models) - set(self.series["model"]))
            if unknown:
                loaded = " or ".join(self.series["metric"].unique())
                raise UnknownModelError(
                    f"unknown model id(s) {', '.join(map(repr, unknown))}: not among the "
                    f"{loaded} series in {self.source}{self._spelt(unknown)}"
                )
            keep &= self.series["model"].isin(models)
        if organizations is not None:
            organizations = name_list(organizations, "organizations")
            unknown = sorted(set(organizations) - set(self.series["organization"]))
            if unknown:
                known = ", ".join(sorted(self.series["organization"].unique()))
                raise DataError(
                    f"unknown organisation(s) {', '.join(map(repr, unknown))}; known: {known}"
                )
            keep &= self.series["organization"].isin(organizations)
        if models is not None and organizations is not None:
            # Only the series that are both are kept: a named model of another organisation
            # would be left out without a word.
            outside = sorted(set(models) - set(self.series.loc[keep, "model"]))
            if outside:
                raise DataError(
                    f"model(s) {', '.join(map(repr, outside))} not of organisation(s) "
                    f"{', '.join(organizations)}: a selection keeps the series that are both "
                    "among the models and of the organisations; name the models alone, or "
                    "leave these out"
                )
        return self._keep(keep)

    def _spelt(self, unknown: list[str]) -> str:
        """What an unknown-model error adds for ids the data hold in another case: the Hub takes
        ``cohereforai/aya-23-8b`` for ``CohereForAI/aya-23-8b``, the data hold the Hub's
        spelling, and ids are compared as spelt. ``""`` when there is none."""
        spelt = {m.casefold(): m for m in self.series["model"]}
        hints = [f"{u!r} is {spelt[u.casefold()]!r}" for u in unknown if u.casefold() in spelt]
        return f" (ids are case-sensitive here: {', '.join(hints)})" if hints else ""

    def series_of(self, model: str, metric: str) -> pd.DataFrame:
        """Observations of one series, ordered by ``t``."""
        obs = self.observations
        out = obs[(obs["model"] == model) & (obs["metric"] == metric)]
        if out.empty:
            if not (self.series["model"] == model).any():
                loaded = " or ".join(self.series["metric"].unique())
                raise UnknownModelError(
                    f"unknown model id {model!r}: not among the {loaded} series in "
                    f"{self.source}{self._spelt([model])}"
                )
            raise UnknownModelError(f"model {model!r} has no {metric} series in {self.source}")
        return out.reset_index(drop=True)

    def _keep(self, mask: pd.Series) -> Panel:
        series = self.series[mask]
        keys = pd.MultiIndex.from_frame(series[["model", "metric"]])
        obs_keys = pd.MultiIndex.from_frame(self.observations[["model", "metric"]])
        obs = self.observations[obs_keys.isin(keys)]
        fits = self.paper_fits
        if not fits.empty:
            fits = fits[fits["model"].isin(series["model"])]
        return replace(self, observations=obs, series=series, paper_fits=fits)

    # --- time cuts -------------------------------------------------------------------------
    def truncate(self, as_of: pd.Timestamp | str) -> Panel:
        """The panel as it was known on ``as_of``: only steps fully elapsed by that date.

        A month ``k`` of a fine-tune series ends at ``created_at + k`` calendar months; a day ``t``
        of a download series is the count recorded on that calendar date. Series created after
        ``as_of`` disappear with all their counts (a download series created later on the day of
        ``as_of`` has a day-0 count dated at that day's midnight), and so do partial months (they
        belong to a later state of the data).
        """
        as_of = to_utc(as_of)
        obs = self.observations
        keep = (obs["date"] <= as_of) & ~obs["partial"]
        if as_of >= self.data_date:
            keep = pd.Series(True, index=obs.index)
        series = self.series[self.series["created_at"] <= as_of]
        keys = pd.MultiIndex.from_frame(series[["model", "metric"]])
        obs = obs[keep & pd.MultiIndex.from_frame(obs[["model", "metric"]]).isin(keys)]
        present = pd.MultiIndex.from_frame(obs[["model", "metric"]])
        series = series[keys.isin(present)]
        return replace(
            self,
            observations=obs,
            series=summarise_series(obs, series),
            data_date=min(as_of, self.data_date),
        )

    def drop_last(self, h: int) -> Panel:
        """The panel with the last ``h`` observations of every series removed (holdout)."""
        obs = self.observations
        rank = obs.groupby(["metric", "model"]).cumcount(ascending=False)
        obs = obs[rank >= h]
        present = pd.MultiIndex.from_frame(obs[["model", "metric"]])
        series = self.series[
            pd.MultiIndex.from_frame(self.series[["model", "metric"]]).isin(present)
        ]
        return replace(self, observations=obs, series=summarise_series(obs, series))

    # --- summaries -------------------------------------------------------------------------
    def last_values(self) -> pd.DataFrame:
        """One row per (model, metric): the last observation."""
        return self.observations.groupby(["metric", "model"], sort=False).tail(1)

    @property
    def n_series(self) -> int:
        """Number of (model, metric) series."""
        return len(self.series)


def name_list(names: Iterable[str], what: str) -> list[str]:
    """``names`` as a list, refusing a lone string (it would be read letter by letter) or none.

    Raises
    ------
    DataError
        Naming the argument ``what``.
    """
    if isinstance(names, str):
        raise DataError(
            f"{what} must be a list of names, not the string {names!r}: write [{names!r}]"
        )
    names = list(names)
    if not names:
        raise DataError(f"{what} is empty: give at least one name")
    return names


def summarise_series(obs: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Recompute the per-series columns (first/last t, count, last value) from observations."""
    g = obs.groupby(["model", "metric"], sort=False)
    agg = g.agg(
        first_t=("t", "min"),
        last_t=("t", "max"),
        n_obs=("t", "size"),
        last_value=("cumulative", "last"),
    ).reset_index()
    base = series.drop(columns=["first_t", "last_t", "n_obs", "last_value"], errors="ignore")
    return base.merge(agg, on=["model", "metric"], how="inner", validate="one_to_one")


def to_utc(value: pd.Timestamp | str) -> pd.Timestamp:
    """A timestamp in UTC; a naive one is taken to be UTC already.

    Raises
    ------
    ValueError
        When ``value`` is not a date or time (an empty string included, which pandas reads as
        "not a time"), or is text that is not ISO 8601 (``YYYY-MM-DD[ HH:MM:SS][+00:00]``, see
        :data:`ISO_TIME`).
    """
    if isinstance(value, str) and not ISO_TIME.match(value):
        raise ValueError(f"{value!r} is not an ISO 8601 date or time (YYYY-MM-DD…)")
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"{value!r} is not a date or time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def months_between(start: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Whole calendar months fully elapsed from each ``start`` to ``end`` (month k ends at start + k)."""
    months = (end.year - start.dt.year) * 12 + (end.month - start.dt.month)
    ends = add_months(start, months)
    return np.where(ends > end, months - 1, months).astype(np.int64)


def add_months(start: pd.Series, months: np.ndarray | pd.Series | int) -> pd.Series:
    """``start + months`` calendar months, element-wise (day clipped to the month's length)."""
    if np.ndim(months) == 0:  # one offset for all: no per-offset masking needed
        return start + pd.DateOffset(months=int(months))
    months = np.broadcast_to(np.asarray(months, dtype=np.int64), (len(start),))
    out = start.copy()
    for m in np.unique(months):  # DateOffset is vectorised over a Series for one offset
        hit = months == m
        out[hit] = start[hit] + pd.DateOffset(months=int(m))
    return out
