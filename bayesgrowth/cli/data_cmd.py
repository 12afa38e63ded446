"""``bayesgrowth data …``: look at the loaded panel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth.cli.options import DataOption, MetricOption, load_reported
from bayesgrowth.data import load_panel
from bayesgrowth.panel import TIME_UNIT
from bayesgrowth.summary import organisation_table, totals

data_app = typer.Typer(
    help="Inspect the data: totals, oddities found, single series.", no_args_is_help=True
)


def print_summary(data: Path | None) -> None:
    """Load the data and print totals, load report and per-organisation tables."""
    panel = load_panel(data)
    print(f"data: {panel.source} (data date {panel.data_date.date()})")
    for metric, n in totals(panel).items():
        print(f"{metric}: {n:,} series")
    print("\nload report:")
    for line in panel.report.lines():
        print(f"  {line}")
    for metric in totals(panel):
        table = organisation_table(panel, metric)
        print(f"\n{metric} by organisation (t in {TIME_UNIT[metric]}s):")
        print(table.to_string(float_format=lambda x: f"{x:.2f}"))


@data_app.command("summary")
def summary(data: DataOption = None) -> None:
    """Print totals, the load report and a per-organisation table for each metric."""
    print_summary(data)


@data_app.command("show")
def show(
    model: Annotated[str, typer.Option("--model", help="Model id, e.g. meta-llama/Llama-2-7b.")],
    metric: MetricOption = "finetunes",
    data: DataOption = None,
) -> None:
    """Print one model's series as CSV: t, date, cumulative."""
    panel = load_reported(data, metrics=(metric,))
    series = panel.series_of(model, metric)
    out = series[["t", "date", "cumulative"]].assign(date=series["date"].dt.strftime("%Y-%m-%d"))
    out.to_csv(sys.stdout, index=False)


def register(app: typer.Typer) -> None:
    """Attach ``data`` and the interim main job ``run`` to the top-level app."""
    app.add_typer(data_app, name="data")
