"""Options shared by several commands, declared once, and the commands' data loader."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth.data import load_panel
from bayesgrowth.panel import Panel

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Snapshot directory (finetune/, download/). Default: $BAYESGROWTH_DATA, else the "
        "pinned snapshot fetched into the user cache.",
        show_default=False,
    ),
]
MetricOption = Annotated[str, typer.Option("--metric", help="Series kind: finetunes or downloads.")]


def load_reported(data: Path | None, metrics: tuple[str, ...]) -> Panel:
    """:func:`~bayesgrowth.data.load_panel`, printing to stderr each repair it applied.

    The counts behind them are in ``bayesgrowth data summary``.
    """
    panel = load_panel(data, metrics=metrics)
    for note in panel.report.notes:
        print(f"data ({panel.source}): {note}", file=sys.stderr)
    return panel
