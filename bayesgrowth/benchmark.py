"""Benchmarks that print their figures and record them under ``results/``.

``python -m bayesgrowth.benchmark fit --out results/benchmark-fit`` fits every fine-tune series
of the snapshot and records wall time, time per 1,000 series, peak memory and the sampling
diagnostics against the targets (0 divergences, R-hat <= 1.01, bulk ESS >= 400, <= 15 min,
<= 4 GiB) in ``figures.json`` and ``figures.md`` (the command and the printed figures). Speed
and memory are measured here, never in timed tests.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth import defaults
from bayesgrowth.cli.options import DataOption, MetricOption, load_reported
from bayesgrowth.diagnostics import ESS_MIN, RHAT_MAX
from bayesgrowth.store import check_result_files, write_text

app = typer.Typer(
    help="Benchmarks (figures printed and written under results/).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # a docstring's paragraphs reflow to the terminal's width
)

TARGETS = {
    "wall_minutes": 15.0,
    "peak_gib": 4.0,
    "max_rhat": RHAT_MAX,
    "min_ess_bulk": ESS_MIN,
    "divergences": 0,
}


def peak_memory_gib() -> float:
    """Peak resident memory of this process and its finished children, in GiB (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 2**20


def command_line(*, data: Path | None, metric: str, draws: int, tune: int, seed: int) -> str:
    """The command that reproduces a fit benchmark, as ``figures.md`` records it: with the
    ``--data`` it was given, else it would name the default snapshot for figures measured on
    other data."""
    where = "" if data is None else f" --data {data}"
    return (
        f"python -m bayesgrowth.benchmark fit{where} --metric {metric} --draws {draws} "
        f"--tune {tune} --seed {seed}"
    )


@app.callback()
def _group() -> None:
    """Keep ``fit`` a named sub-command (more benchmarks may join it)."""


@app.command("fit")
def fit_benchmark(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for figures.json and figures.md.")
    ] = Path("results/benchmark-fit"),
    data: DataOption = None,
    metric: MetricOption = "finetunes",
    draws: Annotated[int, typer.Option(help="Kept draws per chain.")] = defaults.DRAWS,
    tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = defaults.TUNE,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    save: Annotated[Path | None, typer.Option(help="Also save the fit here (.nc).")] = None,
) -> None:
    """Fit all series of one metric and record time, memory and diagnostics."""
    from bayesgrowth.fitfile import check_save_path
    from bayesgrowth.fitting import SamplerSettings, fit

    # Output and sampler settings are checked before any data are read.
    check_result_files(out, ["figures.json", "figures.md"])
    if save:
        check_save_path(save)
    SamplerSettings(draws=draws, tune=tune, chains=2, seed=seed)
    start = time.perf_counter()
    panel = load_reported(data, metrics=(metric,))
    n = panel.metric(metric).n_series
    result = fit(panel, metric, draws=draws, tune=tune, chains=2, seed=seed)
    wall = time.perf_counter() - start
    if save:
        result.save(save)
    diag = result.diagnostics()
    figures = {
        "metric": metric,
        "series": n,
        "active_series": int(len(result.design.active)),
        "draws": draws,
        "tune": tune,
        "chains": 2,
        "wall_seconds_total": round(wall, 1),
        "sampling_seconds": round(diag.wall_seconds, 1),
        "seconds_per_1000_series": round(wall / n * 1000, 1),
        "peak_gib": round(peak_memory_gib(), 2),
        "divergences": diag.divergences,
        "max_rhat": round(diag.max_rhat, 4),
        "min_ess_bulk": round(diag.min_ess_bulk, 0),
        "min_ess_tail": round(diag.min_ess_tail, 0),
        "mean_tree_depth": round(diag.mean_tree_depth, 2),
        "worst": [list(w) for w in diag.worst],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    met = {
        "wall <= 15 min": wall / 60 <= TARGETS["wall_minutes"],
        "peak <= 4 GiB": figures["peak_gib"] <= TARGETS["peak_gib"],
        "0 divergences": diag.divergences == 0,
        "R-hat <= 1.01": diag.max_rhat <= RHAT_MAX,
        "bulk ESS >= 400": diag.min_ess_bulk >= ESS_MIN,
    }
    figures["targets_met"] = met
    lines = [f"{k}: {v}" for k, v in figures.items() if k not in ("worst", "targets_met")]
    lines += [f"target {k}: {'met' if ok else 'NOT met'}" for k, ok in met.items()]
    print("\n".join(lines))
    write_text(out / "figures.json", json.dumps(figures, indent=1) + "\n")
    command = command_line(data=data, metric=metric, draws=draws, tune=tune, seed=seed)
    # figures.md, not README.md: a results folder's README holds notes written around the figures.
    write_text(
        out / "figures.md",
        f"# Fit benchmark ({metric})\n\nCommand: `{command}`\n\n```\n"
        + "\n".join(lines)
        + "\n```\n",
    )


if __name__ == "__main__":
    from bayesgrowth.cli import run_app

    run_app(app)
