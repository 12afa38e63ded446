"""Record all-time downloads day by day into the store ``--data`` reads as download series.

``STORE/download/<ORG>.csv`` has one column per recording day (``YYYY-MM-DD 00:00:00``, in
increasing order) holding each model's all-time downloads (``downloadsAllTime``; the Hub's
``downloads`` is the last 30 days) that day, then ``created_at``. An empty cell is a day not
recorded, never a zero: the loader treats it as unobserved. The first value of a day wins, so a
second run the same day changes nothing, and a run stopped part-way is finished by running it again
(the models already recorded that day are not fetched again). A run stops at once when the Hub
cannot be reached. Each change is a locked, atomic read-modify-write (see
:mod:`bayesgrowth.store`), so two runs at once cannot corrupt the store. A model already in a file
of the store (the snapshot names its files by organisation, e.g. ``DeepSeek.csv``) is recorded
there; a new one joins the file of its namespace's models (see
:func:`bayesgrowth.store.model_file`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from huggingface_hub import HfApi

from bayesgrowth.csvfile import csv_files
from bayesgrowth.data import DOWNLOAD_DIR
from bayesgrowth.datadate import DAY_COLUMN, is_day_column
from bayesgrowth.errors import DataError, HubError
from bayesgrowth.hub import DEFAULT_RETRY, Log, RetryPolicy, model_info, stderr_log, summary
from bayesgrowth.panel import to_utc
from bayesgrowth.store import (
    LOCK_NAME,
    find_row,
    locked,
    model_file,
    model_id,
    read_table,
    stored_models,
    write_table,
)

RecordOutcome = Literal["recorded", "unchanged", "inconsistent"]


@dataclass
class DownloadResult:
    """What :func:`collect_downloads` did.

    Attributes
    ----------
    day
        The recording day.
    recorded
        Model → all-time downloads written for the day.
    unchanged
        Models already recorded that day (left as they were).
    inconsistent
        Model → why the value was not written (it would make the series decrease).
    """

    day: date
    recorded: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    inconsistent: dict[str, str] = field(default_factory=dict)


def collect_downloads(
    api: HfApi,
    store: Path,
    models: Sequence[str],
    *,
    day: date,
    policy: RetryPolicy = DEFAULT_RETRY,
    log: Log = stderr_log,
) -> DownloadResult:
    """Record each model's all-time downloads for ``day`` in ``store/download/``.

    Parameters
    ----------
    api
        The Hub client (see :func:`bayesgrowth.hub.make_api`).
    store
        The store directory; ``--data store`` reads it.
    models
        Model ids (``ORG/NAME``).
    day
        The recording day (today, UTC, in normal use).
    policy, log
        Retries of failed requests; where progress lines go.

    Returns
    -------
    DownloadResult
        What was recorded, left unchanged, or refused.

    Raises
    ------
    DataError
        When ``day`` is after today (UTC): the loader refuses a download day in the future.
    HubError
        When some models could not be fetched; the others are recorded.
    HubUnavailable
        When the Hub cannot be reached: the run stops, the models done are recorded.
    """
    _refuse_future(day)
    directory = store / DOWNLOAD_DIR
    result = DownloadResult(day=day)
    stored = stored_models(directory)
    models = _as_stored(models, stored, log)
    done = recorded_on(directory, models, day)
    failures = []
    for i, model in enumerate(models, 1):
        tag = f"[{i}/{len(models)}] {model}"
        if model in done:
            result.unchanged.append(model)
            log(f"{tag}: already recorded for {day}")
            continue
        try:
            info = model_info(
                api,
                model,
                ["downloadsAllTime", "createdAt"],
                policy=policy,
                log=log,
                stored=model in stored,
            )
            if info.downloads_all_time is None or info.created_at is None:
                raise HubError("the Hub gave no downloadsAllTime or createdAt", model=model)
        except HubError as exc:
            log(f"{tag}: failed: {exc}")
            failures.append(str(exc))
            continue
        value = int(info.downloads_all_time)
        outcome = record_download(directory, model, day, value, to_utc(info.created_at))
        if outcome == "recorded":
            result.recorded[model] = value
            log(f"{tag}: {value:,} downloads (all time) on {day}")
        elif outcome == "unchanged":
            result.unchanged.append(model)
            log(f"{tag}: already recorded for {day}")
        else:
            result.inconsistent[model] = f"{value:,} would make the series decrease"
            log(f"{tag}: not recorded: {value:,} would make the series decrease")
    if failures:
        raise HubError(
            f"{len(failures)} of {len(models)} model(s) failed; the others are recorded and the "
            f"same command fetches only these: {summary(failures)}"
        )
    return result


def _as_stored(models: Sequence[str], stored: set[str], log: Log) -> list[str]:
    """``models``, each id the store holds in another case spelt as the store does (logged),
    each model once.

    The Hub takes an id in any case; recorded as typed, it would start a second row of the
    model, which the loader refuses as a duplicate. Given in both spellings, it would be
    fetched twice and counted as recorded and as already recorded.
    """
    spelt = {m.casefold(): m for m in stored}
    out = []
    for model in models:
        same = spelt.get(model.casefold(), model)
        if same != model and model not in stored:
            log(f"{model}: the store holds it as {same}; recorded under that id")
            model = same
        out.append(model)
    return list(dict.fromkeys(out))


def recorded_on(directory: Path, models: Iterable[str], day: date) -> set[str]:
    """The models that already have a count for ``day`` in the download store ``directory``."""
    found: set[str] = set()
    for path in csv_files(directory):
        header, rows = read_table(path)
        column = _day_columns(path, header).get(day.isoformat())
        if column is not None:
            found |= {model_id(r["model"]) for r in rows if r.get(column)}
    return found & set(models)


def record_download(
    directory: Path, model: str, day: date, value: int, created_at: pd.Timestamp
) -> RecordOutcome:
    """Write one day's all-time downloads of one model into the file that holds it.

    That is the CSV file of ``directory`` that already has a row for the model, else the one that
    holds its namespace's models, else its namespace's own (see
    :func:`bayesgrowth.store.model_file`).

    Parameters
    ----------
    directory
        The store's ``download/`` directory.
    model
        The model id.
    day
        The recording day; a column ``YYYY-MM-DD 00:00:00`` is added, in order, if missing.
    value
        All-time downloads.
    created_at
        The model's creation time, written when the model is new to the file.

    Returns
    -------
    str
        ``"recorded"``; ``"unchanged"`` when the day already had a count (the first one wins);
        ``"inconsistent"`` when the value is below an earlier day's count or above a later one's
        (the loader rejects decreasing series, so it is not written).

    Raises
    ------
    DataError
        When ``day`` is after today (UTC), as :func:`collect_downloads` does; for a store file
        whose header repeats a column or has two columns for one day, a row longer than its
        header, or a count of the model that is not a number (each named, the file left as it is).
    """
    _refuse_future(day)
    with locked(directory / LOCK_NAME):
        path = model_file(directory, model)
        header, rows = read_table(path)
        days = _day_columns(path, header)
        column = days.get(day.isoformat(), f"{day.isoformat()} 00:00:00")
        days[day.isoformat()] = column
        row = find_row(rows, model)
        if row is None:
            row = {"model": model, "created_at": created_at.isoformat(sep=" ")}
            rows.append(row)
        elif row.get(column):
            return "unchanged"
        counts = {d: _stored_count(path, row, c) for d, c in sorted(days.items()) if row.get(c)}
        before = [v for d, v in counts.items() if d < day.isoformat()]
        after = [v for d, v in counts.items() if d > day.isoformat()]
        if (before and value < before[-1]) or (after and value > after[0]):
            return "inconsistent"
        row[column] = str(value)
        others = [c for c in header if c not in days.values() and c not in ("model", "created_at")]
        header = ["model", *(c for _, c in sorted(days.items())), *others, "created_at"]
        write_table(path, header, rows)
    return "recorded"


def _refuse_future(day: date) -> None:
    """Refuse a recording day after today (UTC): the loader refuses a download day in the future."""
    if day > datetime.now(UTC).date():
        raise DataError(f"the recording day {day} is in the future")


def _stored_count(path: Path, row: dict[str, str], column: str) -> float:
    """A count already in the store; one that is not a finite number (``x``, ``nan``, ``inf``:
    the loader refuses each) is an error naming its cell."""
    try:
        value = float(row[column])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        says = "is not finite" if math.isinf(value) else "is not a number"
        raise DataError(
            f"count {row[column]!r} {says}: fix it before collecting into this file",
            file=str(path),
            model=row["model"],
            column=column,
        )
    return value


def _day_columns(path: Path, header: list[str]) -> dict[str, str]:
    """``YYYY-MM-DD`` → the header's column for that day (either spelling the loader accepts).

    Raises
    ------
    DataError
        For a day with a column in each spelling (naming ``path`` and the column): the file
        would be rewritten with one of them moved out of order; for a column that begins with a
        date but is not spelt as a day (:func:`~bayesgrowth.datadate.day_columns`), which the
        loader refuses.
    """
    days: dict[str, str] = {}
    for column in header:
        try:  # a day spelt as the loader refuses (a time zone, a T): it would refuse the file
            is_day = is_day_column(column, str(path))
        except DataError as exc:
            raise DataError(f"{exc}: fix it before collecting into this file") from None
        if is_day and (m := DAY_COLUMN.match(column)):
            if m.group(1) in days:
                raise DataError(
                    f"the header has two columns for the day {m.group(1)} "
                    f"({days[m.group(1)]!r} too): fix it before collecting into this file",
                    file=str(path),
                    row=1,
                    column=column,
                )
            days[m.group(1)] = column
    return days
