"""When the data describe: the data date of a snapshot directory, from its download days, its
fine-tune collection time (``finetune/AS_OF``, or the pinned snapshot's) or its name."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from bayesgrowth.csvfile import csv_files, not_utf8
from bayesgrowth.errors import DataError
from bayesgrowth.panel import ISO_TIME, to_utc
from bayesgrowth.snapshot import FINETUNES_COLLECTED, pinned_finetune_file

AS_OF_FILE = "AS_OF"
"""``finetune/AS_OF``: the time of the latest ``collect finetunes`` into the directory."""
DAY_COLUMN = re.compile(r"^(\d{4}-\d{2}-\d{2})( 00:00:00)?$")
"""A download file's day column: ``YYYY-MM-DD`` or ``YYYY-MM-DD 00:00:00`` (group 1: the day)."""
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})$")


def data_date_of(
    root: Path,
    downloads: list[pd.DataFrame],
    given: str | pd.Timestamp | None,
    finetune: Path,
    download: Path,
) -> pd.Timestamp:
    """The date the data describe, never after today (UTC; a day's slack for local calendars).

    Parameters
    ----------
    root
        The data directory (its name may carry the date: ``hf-paper-2025-02-18``).
    downloads
        The download files read, if any (their day columns date the data).
    given
        A date the caller gives instead; ``None`` to find it.
    finetune, download
        The fine-tune and download folders of ``root``: the fine-tune collection time, and
        the download headers when the download files were not read, date the data too.

    Returns
    -------
    pandas.Timestamp
        UTC midnight of the latest of those; today when nothing dates the data.

    Raises
    ------
    DataError
        For a date given that is not a date, or one in the future, naming where it was read.
    """
    today = pd.Timestamp.now(tz="UTC").normalize()
    if given is not None:
        try:
            date = to_utc(given).normalize()
        except ValueError:
            raise DataError(f"the data date given, {given!r}, is not a date (YYYY-MM-DD)") from None
        source = {"file": None, "column": None}
        what = "the data date given"
    else:
        if downloads:
            days = [
                (day, f.attrs["path"], column)
                for f in downloads
                for column, day in zip(*day_columns(f), strict=True)
            ]
        else:  # download files not loaded: their headers still date the directory
            days = _header_days(download)
        for collected, file in _finetune_collections(finetune):
            # Only months ended by that time were written: the whole day is past for them.
            days.append((collected.ceil("D").tz_localize(None), file, None))
        named = _DATE_IN_NAME.search(root.resolve().name)
        if days:
            day, file, column = max(days, key=lambda d: d[0])
            date, source = to_utc(day), {"file": file, "column": column}
            what = "the last download day" if column else "the fine-tune collection time"
        elif named:
            date, source = to_utc(named.group(1)), {"file": str(root), "column": None}
            what = "the date in the directory's name"
        else:
            return today
    if date > today + pd.Timedelta(days=1):
        raise DataError(
            f"{what}, {date.date()}, is in the future (today is {today.date()} UTC)",
            row=1 if source["column"] else None,
            **source,
        )
    return date


def _finetune_collections(folder: Path) -> list[tuple[pd.Timestamp, str]]:
    """When the fine-tune files in ``folder`` were collected, and the file that says so.

    ``AS_OF`` records the latest ``collect finetunes``; a file of the published snapshot was
    collected at :data:`~bayesgrowth.snapshot.FINETUNES_COLLECTED`, days after its last download
    day.
    """
    found = []
    marker = folder / AS_OF_FILE
    if marker.is_file():
        found.append((read_as_of(marker), str(marker)))
    pinned = pinned_finetune_file(folder)
    if pinned is not None:
        found.append((to_utc(FINETUNES_COLLECTED), str(pinned)))
    return found


def read_as_of(marker: Path) -> pd.Timestamp:
    """The fine-tune collection time a ``finetune/AS_OF`` file records.

    Raises
    ------
    DataError
        When the file is not UTF-8 text (naming the line of the bad byte), cannot be read, or
        does not hold one ISO 8601 time (naming it and line 1).
    """
    try:
        text = marker.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise not_utf8(marker) from None
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror or exc})", file=str(marker)) from None
    try:
        return to_utc(text)
    except ValueError:
        raise DataError(f"{text!r} is not a time", file=str(marker), row=1) from None


def _header_days(folder: Path) -> list[tuple[pd.Timestamp, str, str]]:
    """Day, file and column of each valid day column in the CSV headers of ``folder``.

    Raises
    ------
    DataError
        For a file whose header cannot be read (not UTF-8 text, a directory), or a day column
        that is impossible or not spelt as a day: skipped, it would leave the data dated by the
        other files or columns, or today, without a word.
    """
    days = []
    for path in csv_files(folder):
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh, skipinitialspace=True), [])
        except IsADirectoryError:
            raise DataError("is a directory, not a CSV file", file=str(path)) from None
        except UnicodeDecodeError:
            raise not_utf8(path) from None
        except (OSError, csv.Error) as exc:
            raise DataError(f"cannot read its header ({exc})", file=str(path)) from None
        days += [
            (_day(column, str(path)), str(path), column)
            for column in header
            if is_day_column(column, str(path))
        ]
    return days


def _day(column: str, path: str) -> pd.Timestamp:
    """The date of a download file's day column; an impossible one (``2025-02-31``) is an
    error naming the file and column."""
    try:
        return pd.Timestamp(column)
    except ValueError:
        raise DataError(
            f"day column {column!r} is not a valid date", file=path, row=1, column=column
        ) from None


def day_columns(frame: pd.DataFrame) -> tuple[list[str], list[pd.Timestamp]]:
    """The day columns of a download file and their dates.

    Raises
    ------
    DataError
        For an impossible date (``2025-02-31``), or a column that begins with a date but is not
        spelt as a day (``2025-02-10T00:00:00``, ``2025-02-10 00:00:00+00:00``, a time of day
        other than midnight), naming the file and the column: read as an unknown column, it
        was reported as unexpected, or as no count columns at all, without the form a day takes.
    """
    path = frame.attrs["path"]
    columns = [c for c in frame.columns if is_day_column(c, path)]
    return columns, [_day(column, path) for column in columns]


def is_day_column(column: str, path: str) -> bool:
    """Whether a download file's header column is a day column.

    Raises
    ------
    DataError
        For a column that begins with a date but is not spelt as a day (see
        :func:`day_columns`), naming the file and the column.
    """
    if ISO_TIME.match(column) and not DAY_COLUMN.match(column):
        raise DataError(
            "a day column is written YYYY-MM-DD or YYYY-MM-DD 00:00:00 (a UTC calendar day, "
            "no time of day, no time zone)",
            file=path,
            row=1,
            column=column,
        )
    return bool(DAY_COLUMN.match(column))
