"""Tiny snapshot-shaped CSV files for the data-layer tests: valid as built, then one thing broken.

A :class:`Table` holds a header and rows of strings exactly as they will be written, so a test can
corrupt a single cell (``table.set(model, column, value)``), a column or the header and then write
the file with :func:`write_snapshot`. Line numbers follow the CSV file: the header is line 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DATA_DATE = "2025-02-18"
"""The data date of every crafted snapshot: its last download day."""
DAYS = [f"2025-02-{d:02d} 00:00:00" for d in range(10, 19)]
"""Download day columns, 2025-02-10 .. 2025-02-18, spelt as in the real snapshot."""


@dataclass
class Table:
    """One CSV file: ``header`` and ``rows`` of cell strings; ``None`` as a row is a blank line."""

    header: list[str]
    rows: list[list[str] | None] = field(default_factory=list)

    def index(self, model: str) -> int:
        """Position in :attr:`rows` of the (first) row of ``model``."""
        return next(i for i, r in enumerate(self.rows) if r is not None and r[0] == model)

    def line_of(self, model: str, occurrence: int = 1) -> int:
        """The 1-based file line of ``model``'s row (the ``occurrence``-th one)."""
        hits = [i for i, r in enumerate(self.rows) if r is not None and r[0] == model]
        return hits[occurrence - 1] + 2

    def set(self, model: str, column: str, value: str) -> Table:
        """Overwrite one cell; returns the table for chaining."""
        self.rows[self.index(model)][self.header.index(column)] = value
        return self

    def get(self, model: str, column: str) -> str:
        return self.rows[self.index(model)][self.header.index(column)]

    def drop_column(self, column: str) -> Table:
        j = self.header.index(column)
        self.header.pop(j)
        for r in self.rows:
            if r is not None:
                r.pop(j)
        return self

    def add_column(self, column: str, value: str = "", position: int | None = None) -> Table:
        position = len(self.header) if position is None else position
        self.header.insert(position, column)
        for r in self.rows:
            if r is not None:
                r.insert(position, value)
        return self

    def rename(self, old: str, new: str) -> Table:
        self.header[self.header.index(old)] = new
        return self

    def copy_row(self, model: str, new_model: str | None = None) -> Table:
        """Append a copy of ``model``'s row (under ``new_model`` if given)."""
        row = list(self.rows[self.index(model)])
        row[0] = new_model or model
        self.rows.append(row)
        return self

    def text(self) -> str:
        lines = [",".join(self.header)]
        lines += ["" if r is None else ",".join(r) for r in self.rows]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text())
        return path


def finetune_table(months: int = 4, *, fit_columns: bool = False) -> Table:
    """A valid ``finetune/ORG.csv``: ``acme/alpha`` grows 0, 3, 5, 8, …; ``acme/beta`` stays 0.

    Both were created long before :data:`DATA_DATE`, so every month is complete.
    """
    month_cols = [f"{k}-month" for k in range(months)]
    extra = ["lambda_i", "mu_i", "sigma_i", "approx_condition"] if fit_columns else []
    header = ["model", *month_cols, *extra, "created_at"]
    alpha = [0, 3, 5, 8, 13, 21, 34, 55][:months] + [89] * max(0, months - 8)
    fits = ["2.5", "1.0", "3.0", "False"] if fit_columns else []
    rows = [
        [
            "acme/alpha",
            "0",
            *(f"{v:.1f}" for v in alpha[1:]),
            *fits,
            "2024-06-01 12:00:00+00:00",
        ],
        ["acme/beta", "0", *(["0.0"] * (months - 1)), *fits, "2024-07-15 08:30:00+00:00"],
    ]
    return Table(header, rows)


def download_table() -> Table:
    """A valid ``download/ORG.csv`` over :data:`DAYS`.

    ``acme/alpha`` is created on the first day and grows by 10 a day; ``acme/gamma`` is created on
    2025-02-12, has zeros the two days before, 0 on its creation day, then 5 a day.
    """
    header = ["model", *DAYS, "created_at"]
    alpha = [f"{10.0 * i:.1f}" for i in range(len(DAYS))]
    gamma = ["0.0", "0.0"] + [f"{5.0 * i:.1f}" for i in range(len(DAYS) - 2)]
    rows = [
        ["acme/alpha", *alpha, "2025-02-10 09:00:00+00:00"],
        ["acme/gamma", *gamma, "2025-02-12 06:00:00+00:00"],
    ]
    return Table(header, rows)


def write_snapshot(
    root: Path,
    finetune: dict[str, Table | str | bytes] | None = None,
    download: dict[str, Table | str | bytes] | None = None,
) -> Path:
    """Write ``root/finetune/ORG.csv`` and ``root/download/ORG.csv`` files; returns ``root``.

    Values are :class:`Table` objects or raw file contents (``str``/``bytes``).
    """
    for sub, tables in (("finetune", finetune or {}), ("download", download or {})):
        for org, table in tables.items():
            path = root / sub / f"{org}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(table, Table):
                table.write(path)
            elif isinstance(table, bytes):
                path.write_bytes(table)
            else:
                path.write_text(table)
    return root


def default_snapshot(root: Path) -> Path:
    """A valid two-file snapshot (``ACME`` fine-tunes and downloads) under ``root``."""
    return write_snapshot(root, {"ACME": finetune_table()}, {"ACME": download_table()})


REAL_DATA_ENV = "BAYESGROWTH_DATA"


def real_data_dir() -> Path | None:
    """The real 2025-02-18 snapshot directory named by ``BAYESGROWTH_DATA`` (CI sets it), if any."""
    value = os.environ.get(REAL_DATA_ENV)
    return Path(value).resolve() if value else None  # tests that change directory still find it


requires_real_data = pytest.mark.skipif(
    real_data_dir() is None,
    reason=f"{REAL_DATA_ENV} is not set: point it at the hf-paper-2025-02-18 snapshot directory "
    "to run the real-data tests",
)
