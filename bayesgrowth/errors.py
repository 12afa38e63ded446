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


class OutputError(BayesGrowthError):
    """An output path that cannot take the results (a file where a directory must go, or the
    reverse, or a folder that cannot be created or written to); raised before the work starts,
    or when a write fails all the same (a full disk)."""


class SamplingError(BayesGrowthError):
    """The sampler could not be run (missing backend, bad settings)."""


class SettingsError(BayesGrowthError, ValueError):
    """Model settings that cannot define a fit (priors out of range, priors made for the other
    metric, a curve scale that is not positive); raised before any sampling."""


class UnknownModelError(BayesGrowthError, KeyError):
    """A model id that is not in the panel."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0])


class HubError(BayesGrowthError):
    """A Hugging Face Hub request that failed for good (refused, not found, or still failing after
    every retry).

    Parameters
    ----------
    message
        What failed and what to do about it.
    model
        The model id the request was about, prefixed to the message when given.
    status
        The HTTP status of the last response, when there was one.
    """

    def __init__(
        self, message: str, *, model: str | None = None, status: int | None = None
    ) -> None:
        self.model, self.status = model, status
        super().__init__(f"{model}: {message}" if model else message)
