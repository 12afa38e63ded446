"""Options shared by several commands, declared once, and the commands' data loader."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth.data import load_panel
from bayesgrowth.errors import DataError
from bayesgrowth.panel import METRICS, Panel

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Snapshot directory (finetune/, download/). Default: $BAYESGROWTH_DATA, else the "
        "pinned snapshot fetched into the user cache.",
        show_default=False,
    ),
]


def known_metric(value: str | None) -> str | None:
    """Refuse an unknown ``--metric`` as the option is read (a typer callback), before a command
    creates its ``--out`` folder or reads data; in the loader's words."""
    if value is not None and value not in METRICS:
        raise DataError(f"unknown metric(s) {value!r}; choose from {', '.join(METRICS)}")
    return value


MetricOption = Annotated[
    str,
    typer.Option("--metric", help="Series kind: finetunes or downloads.", callback=known_metric),
]


def load_reported(data: Path | None, metrics: tuple[str, ...]) -> Panel:
    """:func:`~bayesgrowth.data.load_panel`, printing to stderr each repair it applied.

    The counts behind them are in ``bayesgrowth data summary``.
    """
    panel = load_panel(data, metrics=metrics)
    for note in panel.report.notes:
        print(f"data ({panel.source}): {note}", file=sys.stderr)
    return panel


def note_fewer_draws(result, samples: int, held_by: str) -> None:
    """Say on stderr when ``result`` (a fit) holds fewer posterior draws than the ``samples`` a
    forecast asks for: it then simulates all it holds, one path each."""
    held = result.n_draws
    if samples > held:
        print(
            f"note: {held_by} holds {held:,} posterior draws (chains × draws): the forecast "
            f"simulates {held:,} per series, not {samples:,}",
            file=sys.stderr,
        )


@contextmanager
def naming_completed(out: Path, files: Iterable[Path]) -> Iterator[list[Path]]:
    """Say on stderr, when the block fails or is interrupted, which files it completed.

    Parameters
    ----------
    out
        The folder written to.
    files
        The files the block writes, removed before it, so that each one there is complete
        (written to a temporary file and renamed).

    Yields
    ------
    list of pathlib.Path
        Files to name first: a saved fit, appended once its save returns (an earlier fit at
        its path, kept by a failed save, is not this run's).
    """
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        written += [path for path in files if path.exists()]
        if written:
            names = ", ".join(path.name for path in written)
            print(f"written to {out}/ before it stopped: {names}", file=sys.stderr)
        raise
