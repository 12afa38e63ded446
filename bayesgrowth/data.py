"""Read the snapshot's two CSV layouts into one validated :class:`~bayesgrowth.panel.Panel`.

Layouts (see ``PROVENANCE.md`` of the snapshot)
------------------------------------------------
``finetune/ORG.csv``
    ``model, 0-month .. K-month, created_at`` plus, optionally, the authors' own fit columns
    (``lambda_i, mu_i, sigma_i, approx_condition, approx_cond_label``) and bookkeeping columns
    (``base_model, company, sort_key``). Month ``k`` ends at ``created_at + k`` calendar months.
    The file name is the organisation; a ``company`` cell, where written, must be the same.
``download/ORG.csv``
    ``model``, one column per calendar day (``YYYY-MM-DD[ 00:00:00]``), ``created_at``.

Treatments (each counted in :class:`~bayesgrowth.panel.LoadReport`)
-------------------------------------------------------------------
* An empty cell means "not observed": after a fine-tune series' last month, before a download
  series was first recorded, or a day the recorder missed. Gaps inside a series are counted,
  and so, for downloads, are days inside a series that have no column in its file (a store's
  file has a column only for the days one of its models was recorded). An
  empty ``0-month`` cell is the exception: month 0 is the creation instant, so it is read as 0.
* A last fine-tune month that had not ended by the data date is kept, flagged ``partial``, with
  ``t_exact`` the fraction of the month elapsed, so a model can use the count at the right time.
* Download days before the creation date are dropped (counted). Where such days carry non-zero
  counts, the stated ``created_at`` is later than the real release: the series is marked
  ``left_censored`` and models condition on its first count rather than explain it. A series first
  recorded two or more days after release is left-censored too.
* A download series read as 0 from creation until a first count two or more days later starts
  at that count (counted; the snapshot's zeros before its recording began look the same).
* Everything else that is wrong is an error naming file, line, model and column (the checks on
  single cells are in :mod:`bayesgrowth.cells`): non-numeric or non-finite counts or paper
  estimates, negative or fractional counts, a non-zero count at month 0, a ``company`` cell that
  is not its file's organisation, a decreasing series, a missing
  ``created_at`` or one that is not an ISO 8601 time (``YYYY-MM-DD[ HH:MM:SS][+00:00]``; a date
  such as ``05/06/2024`` could be May or June), one before 2016 or after the data date, a count
  dated after the data date, a duplicate model id (compared regardless of case, as the Hub
  does), a header with unknown or missing columns, an empty file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from bayesgrowth import cells
from bayesgrowth.csvfile import csv_files, read_csv_file
from bayesgrowth.datadate import data_date_of, day_columns
from bayesgrowth.errors import DataError
from bayesgrowth.panel import (
    ISO_TIME,
    METRICS,
    LoadReport,
    Panel,
    add_months,
    name_list,
)
from bayesgrowth.snapshot import (
    CHECKSUMS,
    checksummed,
    resolve_data_dir,
)

FINETUNE_DIR, DOWNLOAD_DIR = "finetune", "download"
PAPER_FIT_COLUMNS = ["lambda_i", "mu_i", "sigma_i", "approx_condition", "approx_cond_label"]
_FINETUNE_EXTRA = {*PAPER_FIT_COLUMNS, "base_model", "company", "sort_key"}
MONTH_COLUMN = re.compile(r"^(\d+)-month$")
"""A fine-tune file's month column: ``K-month``, months since creation (group 1: K)."""
EARLIEST_CREATED = pd.Timestamp("2016-01-01", tz="UTC")
"""No Hugging Face repository is older (the company was founded in 2016): an earlier
``created_at`` is a placeholder such as the Unix epoch, or a cell read as a date by mistake."""


def load_panel(
    data: str | Path | None = None,
    *,
    metrics: tuple[str, ...] = ("finetunes", "downloads"),
    data_date: pd.Timestamp | str | None = None,
) -> Panel:
    """Read and validate every series in a data directory.

    Parameters
    ----------
    data
        Directory holding ``finetune/`` and/or ``download/``. ``None`` uses ``BAYESGROWTH_DATA``,
        else the pinned snapshot in the user cache (fetched and checked on first use). A
        ``SHA256SUMS`` file in the directory is verified first.
    metrics
        Which series kinds to read.
    data_date
        The date the data describe. Default: the latest of the last download day in the
        directory and the end of the day the fine-tunes were collected (``finetune/AS_OF``, or
        2025-02-21 for the published snapshot's files, collected on 2025-02-20), else a
        ``YYYY-MM-DD`` ending the directory name, else today (UTC). A download day after it, a
        month beginning after it or a model created after it is an error (to forecast from an
        earlier date, use :meth:`Panel.truncate`).

    Returns
    -------
    Panel
        The validated panel, with :attr:`Panel.report` listing what was found and done.

    Raises
    ------
    DataError
        For any invalid input, naming file, line, model and column.
    """
    metrics = tuple(name_list(metrics, "metrics"))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise DataError(
            f"unknown metric(s) {', '.join(map(repr, unknown))}; choose from {', '.join(METRICS)}"
        )
    root = resolve_data_dir(data)
    folders = {"finetunes": root / FINETUNE_DIR, "downloads": root / DOWNLOAD_DIR}
    files = {m: csv_files(folders[m]) if m in metrics else [] for m in METRICS}
    if not any(files.values()):
        others = [m for m in METRICS if m not in metrics and csv_files(folders[m])]
        raise DataError(
            f"no CSV files under {' or '.join(str(folders[m]) for m in metrics)}: "
            + (
                f"{root} holds {' and '.join(others)} only: load that metric "
                f"(metrics=({others[0]!r},) in Python; --metric {others[0]} in the commands "
                "that have the option, paper-table reads fine-tunes and deepseek downloads)"
                if others
                else "point --data (or BAYESGROWTH_DATA) at a snapshot directory"
            )
        )
    raw = {metric: [read_csv_file(f) for f in fs] for metric, fs in files.items()}
    date = data_date_of(root, raw["downloads"], data_date, root / FINETUNE_DIR, root / DOWNLOAD_DIR)
    report = LoadReport()
    listed = checksummed(root)
    if listed is not None:
        unlisted = [
            f for fs in files.values() for f in fs if f.relative_to(root).as_posix() not in listed
        ]
        report.add(
            "unverified_files",
            len(unlisted),
            f"files not listed in {CHECKSUMS} are read but not verified: "
            + ", ".join(f.relative_to(root).as_posix() for f in unlisted),
        )
    obs, series, fits = [], [], []
    for frame in raw["finetunes"]:
        o, s, f = _finetune_file(frame, date, report)
        obs.append(o), series.append(s), fits.append(f)
    for frame in raw["downloads"]:
        o, s = _download_file(frame, date, report)
        obs.append(o), series.append(s)
    series_all = pd.concat(series, ignore_index=True)
    _no_duplicates(series_all)
    for metric in metrics:
        report.add(f"{metric}.files", len(files[metric]))
        report.add(f"{metric}.series", int((series_all["metric"] == metric).sum()))
    fits = [f for f in fits if not f.empty]
    return Panel(
        observations=pd.concat(obs, ignore_index=True),
        series=series_all,
        data_date=date,
        paper_fits=pd.concat(fits, ignore_index=True) if fits else pd.DataFrame(),
        report=report,
        source=str(root),
    )


def _created_at(frame: pd.DataFrame, data_date: pd.Timestamp) -> pd.Series:
    text = frame["created_at"]
    iso = text.where(text.str.match(ISO_TIME))  # anything else is left to fail below
    created = pd.to_datetime(iso, utc=True, errors="coerce", format="ISO8601")
    for i in np.flatnonzero(created.isna().to_numpy()):
        value = text.iat[i]
        cells.fail(
            frame,
            i,
            "created_at",
            "missing created_at"
            if value == ""
            else f"unparseable created_at {value!r}: write an ISO 8601 time, "
            "YYYY-MM-DD[ HH:MM:SS][+00:00]",
        )
    early = np.flatnonzero((created < EARLIEST_CREATED).to_numpy())
    if early.size:
        cells.fail(
            frame,
            early[0],
            "created_at",
            f"created_at {frame['created_at'].iat[early[0]]!r} is before "
            f"{EARLIEST_CREATED.date()}, when no Hub repository existed",
        )
    late = np.flatnonzero((created > data_date + pd.Timedelta(days=1)).to_numpy())
    if late.size:
        cells.fail(
            frame,
            late[0],
            "created_at",
            f"created_at {created.iat[late[0]]} is after the data date {data_date.date()}",
        )
    if frame["model"].eq("").any():
        cells.fail(
            frame,
            int(np.flatnonzero(frame["model"].eq("").to_numpy())[0]),
            "model",
            "empty model id",
        )
    ids = _id_key(frame["model"])
    dup = ids.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((ids == ids.iat[i]).to_numpy())[0])
        cells.fail(
            frame,
            i,
            "model",
            "duplicate model id in this file"
            + _in_case_only(
                frame["model"].iat[first], f"line {frame.index[first]}", frame["model"].iat[i]
            ),
        )
    return created.astype("datetime64[ns, UTC]")


def _id_key(models: pd.Series) -> pd.Series:
    """Model ids as the Hub compares them: regardless of case (``Org/Model`` is ``org/model``)."""
    return models.str.casefold()


def _in_case_only(other: str, where: str, model: str) -> str:
    """What a duplicate's message adds when its id and ``other`` (found at ``where``) differ in
    case only; ``""`` when they are the same."""
    if other == model:
        return ""
    return f": {where} has {other!r}, the same model to the Hub (ids differ in case only)"


def _naive(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC times as a plain ``datetime64[ns]`` array (numpy has no time zones)."""
    index = pd.DatetimeIndex(times)
    return index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _gaps(values: np.ndarray) -> int:
    """Empty cells between a series' first and last observed cell."""
    seen = ~np.isnan(values)
    first = np.cumsum(seen, axis=1) > 0
    last = np.cumsum(seen[:, ::-1], axis=1)[:, ::-1] > 0
    return int((first & last & ~seen).sum())


def _long(
    frame: pd.DataFrame,
    values: np.ndarray,
    t: np.ndarray,
    dates: np.ndarray,
    metric: str,
    org: str,
    *,
    t_exact: np.ndarray | None = None,
    partial: np.ndarray | None = None,
) -> pd.DataFrame:
    """Wide (series x step) matrices to long rows, keeping observed cells only."""
    i, j = np.nonzero(~np.isnan(values))
    t_exact = t if t_exact is None else t_exact
    return pd.DataFrame(
        {
            "model": frame["model"].to_numpy()[i],
            "organization": org,
            "metric": metric,
            "t": t[i, j],
            "t_exact": t_exact[i, j].astype(float),
            "date": pd.DatetimeIndex(dates[i, j]).tz_localize("UTC"),
            "cumulative": values[i, j].astype(np.int64),
            "partial": False if partial is None else partial[i, j],
        }
    )


def _series_table(
    frame: pd.DataFrame, obs: pd.DataFrame, created: pd.Series, metric: str, org: str
) -> pd.DataFrame:
    g = obs.groupby("model", sort=False)
    agg = g.agg(
        first_t=("t", "min"),
        last_t=("t", "max"),
        n_obs=("t", "size"),
        last_value=("cumulative", "last"),
    )
    table = pd.DataFrame(
        {
            "model": frame["model"].to_numpy(),
            "organization": org,
            "metric": metric,
            "created_at": created.to_numpy(),
            "left_censored": False,
            "source_file": frame.attrs["path"],
            "source_row": frame.index.to_numpy(),
        }
    )
    return table.merge(agg.reset_index(), on="model", how="left")


def _finetune_file(frame: pd.DataFrame, data_date: pd.Timestamp, report: LoadReport):
    path, org = frame.attrs["path"], Path(frame.attrs["path"]).stem
    months = sorted((int(m.group(1)), c) for c in frame.columns if (m := MONTH_COLUMN.match(c)))
    columns = [c for _, c in months]
    cells.check_header(frame, columns, _FINETUNE_EXTRA)
    if [k for k, _ in months] != list(range(len(months))):
        raise DataError(
            f"month columns must run 0-month, 1-month, … without a break; found {columns}",
            file=path,
            row=1,
        )
    if "company" in frame:
        # The file name sets the organisation; a row whose own column says otherwise was put in
        # the wrong file, and would be pooled with another organisation's models.
        other = (frame["company"] != "") & (frame["company"] != org)
        if other.any():
            i = int(np.flatnonzero(other)[0])
            cells.fail(
                frame,
                i,
                "company",
                f"the company {frame['company'].iat[i]!r} is not {org!r}, the organisation of "
                "its file (the file name sets it): move the row to its organisation's file",
            )
    created = _created_at(frame, data_date)
    values = cells.counts(frame, columns)
    empty = np.isnan(values).all(axis=1)
    if empty.any():
        cells.fail(frame, int(np.flatnonzero(empty)[0]), None, "the series has no counts at all")
    # Month 0 is the creation instant: its count is 0 whether or not the cell was written.
    unwritten0 = np.isnan(values[:, 0])
    values = np.column_stack([np.where(unwritten0, 0.0, values[:, 0]), values[:, 1:]])
    report.add(
        "finetunes.month_0_filled",
        int(unwritten0.sum()),
        "an empty 0-month cell is read as 0: month 0 is the creation instant",
    )
    nonzero0 = values[:, 0] > 0
    if nonzero0.any():
        cells.fail(
            frame,
            int(np.flatnonzero(nonzero0)[0]),
            columns[0],
            "month 0 is the creation instant: its count must be 0",
        )
    cells.check_monotone(frame, values, columns)

    k = np.broadcast_to(np.arange(len(columns)), values.shape)
    ends = np.stack([_naive(add_months(created, m)) for m in range(len(columns))], axis=1)
    # A month that had not ended by the data date is partial: keep its count at the time elapsed.
    late = (ends > data_date.to_datetime64()) & ~np.isnan(values)
    # Month 0 is the creation instant (count 0): never partial, even for a model created later on
    # the data day, which created_at allows.
    late[:, 0] = False
    starts = np.concatenate([ends[:, :1], ends[:, :-1]], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (data_date.to_datetime64() - starts) / (ends - starts)
    early = late & (frac <= 0)
    if early.any():
        i, j = np.argwhere(early)[0]
        cells.fail(
            frame,
            i,
            columns[j],
            f"a count for a month that begins at or after the data date {data_date.date()}",
        )
    t_exact = np.where(late, k - 1 + frac, k)
    obs = _long(
        frame,
        values,
        k,
        np.where(late, data_date.to_datetime64(), ends),
        "finetunes",
        org,
        t_exact=t_exact,
        partial=late,
    )
    series = _series_table(frame, obs, created, "finetunes", org)

    report.add("finetunes.never_finetuned", int((series["last_value"] == 0).sum()))
    report.add("finetunes.only_month_0", int((series["n_obs"] == 1).sum()))
    report.add(
        "finetunes.partial_last_month",
        int(late.any(axis=1).sum()),
        "a last month not yet ended at the data date is kept as partial: its count is used at the "
        "fraction of the month elapsed (t_exact), never as a full month",
    )
    report.add(
        "finetunes.gaps",
        _gaps(values),
        "empty cells inside a series are unobserved steps, not zeros",
    )
    fits = frame[[c for c in PAPER_FIT_COLUMNS if c in frame.columns]]
    if not fits.empty and "lambda_i" in fits:
        estimates = ["lambda_i", "mu_i", "sigma_i"]
        # An empty cell is a fit the authors did not report; any other text is an error.
        values = cells.numbers(frame, estimates, "paper estimate")
        fits = fits.assign(**dict(zip(estimates, values.T, strict=True)))
        fits.insert(0, "model", frame["model"].to_numpy())
        fits = fits.reset_index(drop=True)
    else:
        fits = pd.DataFrame()
    return obs, series, fits


def _download_file(frame: pd.DataFrame, data_date: pd.Timestamp, report: LoadReport):
    path, org = frame.attrs["path"], Path(frame.attrs["path"]).stem
    columns, days = day_columns(frame)
    cells.check_header(frame, columns, set())
    days = pd.DatetimeIndex(days).tz_localize("UTC")
    back = np.flatnonzero(np.diff(days.asi8) <= 0)
    if back.size:  # a file holds hundreds of day columns: name the one out of place
        j = int(back[0]) + 1
        raise DataError(
            f"day columns must be distinct and in increasing order: this one follows "
            f"{columns[j - 1]!r}",
            file=path,
            row=1,
            column=columns[j],
        )
    after = np.flatnonzero(days > data_date)
    if after.size:
        raise DataError(
            f"a day after the data date {data_date.date()}: nothing after it can be observed",
            file=path,
            row=1,
            column=columns[after[0]],
        )
    created = _created_at(frame, data_date)
    values = cells.counts(frame, columns)
    empty = np.isnan(values).all(axis=1)
    if empty.any():
        cells.fail(frame, int(np.flatnonzero(empty)[0]), None, "the series has no counts at all")
    cells.check_monotone(frame, values, columns)

    day0 = _naive(created.dt.normalize())
    t = ((_naive(days)[None, :] - day0[:, None]) // np.timedelta64(1, "D")).astype(np.int64)
    before = t < 0
    precreation = (np.nan_to_num(values) > 0) & before
    pre_rows = precreation.any(axis=1)
    report.add(
        "downloads.rows_before_creation",
        int((before & ~np.isnan(values)).sum()),
        "download days before the stated creation date are dropped (the model did not exist yet)",
    )
    report.add(
        "downloads.precreation_nonzero",
        int(pre_rows.sum()),
        "series with counts before their stated creation date are left-censored: created_at "
        "is later than the real release, so models condition on the first count kept",
    )
    kept = np.where(before, np.nan, values)
    gone = np.isnan(kept).all(axis=1)
    if gone.any():
        cells.fail(frame, int(np.flatnonzero(gone)[0]), None, "no count on or after created_at")
    dates = np.broadcast_to(_naive(days), values.shape)
    obs = _long(frame, kept, t, dates, "downloads", org)
    series = _series_table(frame, obs, created, "downloads", org)
    late_start = series["first_t"].to_numpy() >= 2
    series["left_censored"] = pre_rows | late_start
    report.add(
        "downloads.first_recorded_after_release",
        int((late_start & ~pre_rows).sum()),
        "series first recorded two or more days after release are left-censored",
    )
    report.add(
        "downloads.zeros_before_first_count",
        int((_read_zero_until(kept, t) >= 2)[~series["left_censored"].to_numpy()].sum()),
        "series read as 0 from creation until a first count two or more days later start at that "
        "count (the curve's clock too: a repository made public after its creation); the "
        "snapshot also writes 0 before its recording of a model began, which the counts cannot "
        "tell apart, and then the model's age at its first count is understated",
    )
    at = {d: (obs["t"] == d) for d in (0, 1)}
    report.add("downloads.nonzero_on_creation_day", int((at[0] & (obs["cumulative"] > 0)).sum()))
    report.add("downloads.zero_on_day_1", int((at[1] & (obs["cumulative"] == 0)).sum()))
    report.add("downloads.zero_throughout", int((series["last_value"] == 0).sum()))
    # A day with no count is an unrecorded day whether its cell is empty or the file has no
    # column for it (a store's file gets a day's column only if one of its models was recorded).
    days_without = series["last_t"] - series["first_t"] + 1 - series["n_obs"]
    report.add(
        "downloads.gaps",
        int(days_without.sum()),
        "days inside a series without a count (an empty cell, or no column for the day) are "
        "unrecorded days, not zeros",
    )
    return obs, series


def _read_zero_until(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per row, the step of the first count of a series first read as 0 (-1 for any other)."""
    rows = np.arange(len(values))
    read = ~np.isnan(values)
    counted = np.nan_to_num(values) > 0
    first_read = values[rows, read.argmax(axis=1)]
    ok = (first_read == 0) & counted.any(axis=1)
    return np.where(ok, t[rows, counted.argmax(axis=1)], -1)


def _no_duplicates(series: pd.DataFrame) -> None:
    keyed = series.assign(key=_id_key(series["model"]))
    dup = keyed[keyed.duplicated(["key", "metric"], keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        other = dup[(dup["key"] == first["key"]) & (dup["metric"] == first["metric"])].iloc[1]
        where = f"{other['source_file']} line {other['source_row']}"
        says = (
            _in_case_only(other["model"], where, first["model"]) or f"; it also appears in {where}"
        )
        raise DataError(
            f"duplicate model id{says}",
            file=first["source_file"],
            row=int(first["source_row"]),
            model=first["model"],
        )
