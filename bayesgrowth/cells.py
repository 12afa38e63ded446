"""Checks on the cells of one data file, read as a frame of text (see :mod:`bayesgrowth.data`).

The frame is :func:`bayesgrowth.csvfile.read_csv_file`'s: every cell a string (``""`` when
empty), a ``model`` column, the index the file's line numbers and ``attrs["path"]`` the file.
Every failure is a :class:`~bayesgrowth.errors.DataError` naming the file, the line, the model
and the column of the first bad cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesgrowth.errors import DataError

LARGEST_COUNT = 2**53
"""Counts are read as float64, exact up to here (and far above any count the Hub has)."""


def numbers(frame: pd.DataFrame, columns: list[str], what: str) -> np.ndarray:
    """The cells of ``columns`` as finite floats (NaN = empty, or spaces only).

    Parameters
    ----------
    frame
        The file's frame.
    columns
        The columns to read.
    what
        What a cell holds, for the message (``"count"``, ``"paper estimate"``).

    Returns
    -------
    numpy.ndarray
        Shape (rows, len(columns)).

    Raises
    ------
    DataError
        For the first cell that is neither empty nor a number, then for the first that is not
        finite (``inf``, ``1e999``).
    """
    flat = pd.Series(frame[columns].to_numpy(dtype=object).ravel())
    values = pd.to_numeric(flat, errors="coerce").to_numpy(dtype=float).reshape(len(frame), -1)
    # a cell of spaces is empty, quoted (" ") or not (the reader drops unquoted leading spaces)
    blank = (flat.str.strip() == "").to_numpy().reshape(values.shape)
    problems = [(~blank & np.isnan(values), "is not a number"), (np.isinf(values), "is not finite")]
    reject(frame, columns, what, problems)
    return values


def reject(
    frame: pd.DataFrame, columns: list[str], what: str, problems: list[tuple[np.ndarray, str]]
) -> None:
    """Fail on the first cell of ``columns`` that a mask marks, saying what is wrong with it.

    Parameters
    ----------
    frame, columns, what
        As for :func:`numbers`.
    problems
        (mask of shape (rows, len(columns)), what is wrong), checked in order.

    Raises
    ------
    DataError
        For the first marked cell of the first mask that marks any.
    """
    for mask, says in problems:
        if mask.any():
            i, j = np.argwhere(mask)[0]
            fail(frame, i, columns[j], f"{what} {frame[columns[j]].iat[i]!r} {says}")


def counts(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The count cells of ``columns`` as float (NaN = empty).

    Raises
    ------
    DataError
        For the first cell that is not a number, not finite (:func:`numbers`), negative, too
        large to hold exactly (:data:`LARGEST_COUNT`) or not whole.
    """
    values = numbers(frame, columns, "count")
    problems = [
        (values < 0, "is negative"),
        (values > LARGEST_COUNT, "is too large to be a count"),
        (np.isfinite(values) & (values != np.round(values)), "is not a whole number"),
    ]
    reject(frame, columns, "count", problems)
    return values


def fail(frame: pd.DataFrame, i: int, column: str | None, message: str):
    """Raise a :class:`~bayesgrowth.errors.DataError` about row ``i`` (by position) of ``frame``.

    Raises
    ------
    DataError
        Always: ``message`` with the file, the row's line, its model and ``column``.
    """
    raise DataError(
        message,
        file=frame.attrs["path"],
        row=int(frame.index[i]),
        model=frame["model"].iat[i],
        column=column,
    )


def check_header(frame: pd.DataFrame, time_columns: list[str], allowed: set[str]) -> None:
    """The header has ``created_at``, at least one count column and no column it should not.

    Parameters
    ----------
    frame
        The file's frame.
    time_columns
        Its count columns (months or days).
    allowed
        Other columns the layout allows besides ``model`` and ``created_at``.

    Raises
    ------
    DataError
        Naming the file and line 1.
    """
    path = frame.attrs["path"]
    if "created_at" not in frame.columns:
        raise DataError("the header has no 'created_at' column", file=path, row=1)
    if not time_columns:
        raise DataError("the header has no count columns", file=path, row=1)
    known = {*time_columns, *allowed, "created_at"}
    unknown = [c for c in frame.columns[1:] if c not in known]
    if unknown:
        raise DataError(
            f"unexpected column(s) in the header: {', '.join(map(repr, unknown))}",
            file=path,
            row=1,
        )


def check_monotone(frame: pd.DataFrame, values: np.ndarray, columns: list[str]) -> None:
    """Cumulative counts never decrease along ``columns`` (empty cells are skipped over).

    Raises
    ------
    DataError
        At the first count below the one before it.
    """
    filled = pd.DataFrame(values).ffill(axis=1).to_numpy()
    drop = np.diff(filled, axis=1) < 0
    if drop.any():
        i, j = np.argwhere(drop)[0]
        fail(
            frame,
            i,
            columns[j + 1],
            f"cumulative count decreases from {filled[i, j]:.0f} to {values[i, j + 1]:.0f}",
        )
