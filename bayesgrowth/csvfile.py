"""One CSV file of the snapshot's layouts as a table of text cells, its rows numbered by file line.

The loader (:mod:`bayesgrowth.data`) validates the cells; this module only reads them, and makes
what pandas would get wrong an error naming the file and line: a blank first line, a row longer
than the header, a quoted cell never closed, a column without a name or with spaces around it, a
repeated column name, a first column other than ``model``.
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from bayesgrowth.errors import DataError


def csv_files(folder: Path) -> list[Path]:
    """The ``*.csv`` entries of ``folder``, any case of the suffix (``.CSV`` too), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv")


def check_first_line(path: Path) -> None:
    """Refuse a file whose first line is blank: pandas would skip it, take the next line for
    the header and misnumber every line after it.

    Raises
    ------
    DataError
        Naming the file and line 1.
    UnicodeDecodeError, OSError
        From reading the first line, for the caller to report.
    """
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
    if first and not first.strip():
        raise DataError("blank: the header must be the first line", file=str(path), row=1)


def read_csv_file(path: Path) -> pd.DataFrame:
    """Read one CSV file as text cells (empty cells as ``""``), blank lines dropped.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame
        Indexed by the file line each row starts on (the header is line 1), with the path in
        ``attrs["path"]`` and model ids stripped of surrounding spaces.

    Raises
    ------
    DataError
        For an empty or unreadable file, one that is not UTF-8 text (naming the line of the first
        bad byte), a blank first line, a row longer than the header, a quoted cell never closed, a
        header with a column without a name or with spaces around it, one that repeats a name or
        does not begin with ``model``, or no rows.
    """
    try:
        check_first_line(path)
        # Blank lines are read as empty rows (then dropped) so that line numbers stay true.
        # index_col=False: a first row one field longer than the header must not silently turn
        # the model column into an index (pandas warns instead, and that is made an error here).
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                index_col=False,
            )
    except IsADirectoryError:
        raise DataError("is a directory, not a CSV file", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (no header)", file=str(path)) from None
    except (pd.errors.ParserWarning, pd.errors.ParserError) as exc:
        found = first_bad_record(path)
        if found is None:  # pandas' words, on one line (its own may end in a line break)
            raise DataError(
                f"not a readable CSV file ({' '.join(str(exc).split())})", file=str(path)
            ) from None
        row, problem = found
        raise DataError(problem, file=str(path), row=row) from None
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    frame.index = record_lines(path, len(frame))  # CSV line numbers: the header is line 1
    blank = frame.iloc[:, 0].str.strip().eq("").to_numpy(copy=True)  # only these can be blank
    if blank.any():
        blank[blank] = frame[blank].apply(lambda column: column.str.strip().eq("")).all(axis=1)
        frame = frame[~blank]
    if frame.empty:
        raise DataError("the file has a header but no rows", file=str(path))
    # pandas renames a repeated column 'x' to 'x.1', so look at the header as written
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh, skipinitialspace=True), [])
    unnamed = [j for j, name in enumerate(header, start=1) if not name.strip()]
    if unnamed:  # pandas calls it 'Unnamed: <j-1>', a name the file does not hold
        raise DataError(
            f"column {unnamed[0]} of the header has no name (a comma too many at the end of "
            "the lines?): name it or remove it",
            file=str(path),
            row=1,
        )
    spaced = [name for name in header if name != name.strip()]
    if spaced:  # 'created_at ' is not 'created_at': the error would say the column is missing
        raise DataError(
            f"the header name {spaced[0]!r} has spaces around it: remove them",
            file=str(path),
            row=1,
        )
    repeated = [name for name, n in Counter(header).items() if n > 1]
    if repeated:
        raise DataError(
            f"the header repeats a column name: {', '.join(map(repr, repeated))}",
            file=str(path),
            row=1,
        )
    if frame.columns[0] != "model":
        raise DataError(
            f"the first column must be 'model', found {frame.columns[0]!r}", file=str(path), row=1
        )
    # Leading spaces go with skipinitialspace; trailing ones would make 'a/b ' another model.
    frame["model"] = frame["model"].str.strip()
    frame.attrs["path"] = str(path)
    return frame


def not_utf8(path: Path) -> DataError:
    """The error for a file that is not UTF-8 text, naming the line of its first bad byte.

    pandas' own message, and Python's, give the byte's position within the block being decoded,
    not the line of the file.

    Parameters
    ----------
    path
        The file that failed to decode.

    Returns
    -------
    DataError
        Naming the file, the line and the byte.
    """
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DataError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8",
            file=str(path),
            row=data.count(b"\n", 0, exc.start) + 1,
        )
    return DataError("not UTF-8 text: save the file as UTF-8", file=str(path))


def record_lines(path: Path, n_records: int) -> pd.Index:
    """The file line each record starts on; a quoted cell may span lines, so count them."""
    with open(path, newline="", encoding="utf-8") as fh:
        if '"' not in fh.read():  # no quoting, no cell over two lines: one record a line
            return pd.RangeIndex(2, n_records + 2)
        fh.seek(0)
        reader = csv.reader(fh, skipinitialspace=True)
        next(reader)
        starts, previous = [], reader.line_num
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    return pd.Index(starts) if len(starts) == n_records else pd.RangeIndex(2, n_records + 2)


def first_bad_record(path: Path) -> tuple[int, str] | None:
    """The line a record pandas cannot read starts on, and what is wrong with it.

    Parameters
    ----------
    path
        A CSV file (UTF-8) that pandas refused or warned about.

    Returns
    -------
    tuple of (int, str) or None
        The line and the problem: the first record longer than the header, or one whose quoted
        cell is still open at the end of the file; ``None`` when neither is found.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, skipinitialspace=True, strict=True)
        start = 1
        try:
            width = len(next(reader))
            start = reader.line_num + 1
            for record in reader:
                if len(record) > width:
                    return start, f"the row has {len(record)} fields, the header {width}"
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return start, "a quoted cell is still open at the end of the file"
    return None
