"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
