"""Exceptions raised by bayesgrowth, each carrying enough context to find the bad input."""

from __future__ import annotations


class BayesGrowthError(Exception):
    """Base class of every error bayesgrowth raises on purpose."""


class DataError(BayesGrowthError, ValueError):
    """Input data that cannot be read or fails validation.

    Parameters
    ----------
    message
        What is wrong and, where possible, what to do about it.
    file, row, model, column
        Where the problem is: the file, its 1-based line number (the header is line 1),
        the model id on that line and the column, each included in the message when known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        model: str | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.model, self.column = file, row, model, column
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"line {row}")
        if model is not None:
            where.append(f"model {model!r}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class UnknownModelError(BayesGrowthError, KeyError):
    """A model id that is not in the panel."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0])
