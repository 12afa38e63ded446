"""``bayesgrowth backtest``, ``baseline`` and ``paper-table``: the yardstick every model is held to."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from bayesgrowth import defaults
from bayesgrowth.anchors import beside, read_anchors
from bayesgrowth.backtest import (
    DEFAULT_MIN_HISTORY,
    BacktestResult,
    Split,
    as_of_date,
    as_of_split,
    check_holdout,
    first_steps_split,
    holdout_split,
    run_backtest,
)
from bayesgrowth.baseline import P0, STATUSES, fit_panel, paper_table, with_authors
from bayesgrowth.cli.options import DataOption, known_metric, load_reported
from bayesgrowth.errors import DataError
from bayesgrowth.forecasters import QUANTILE_COLUMNS, Forecaster, make_forecaster
from bayesgrowth.panel import Panel
from bayesgrowth.scores import ERROR_COLUMNS, SHARE_COLUMNS
from bayesgrowth.store import (
    check_result_files,
    prepare_directory,
    write_csv,
    write_text,
)

HISTORY_TARGET = 12
"""``--history K`` forecasts month 12 (issue 4)."""

FORECAST_FILE_COLUMNS = [
    "method",
    "model",
    "t",
    "y",
    "origin_t",
    "origin_value",
    "point",
    *QUANTILE_COLUMNS,
]


def check_protocol(
    *,
    as_of: str | None,
    holdout: int | None,
    history: int | None,
    first_days: int | None,
    target_day: int | None,
    min_history: int | None,
) -> None:
    """Check, before any data are read, that the options name exactly one protocol.

    Raises
    ------
    DataError
        For no protocol or several, ``--first-days`` without ``--target-day`` (or the reverse),
        a ``--holdout`` below 1, a ``--history`` outside 1 to 11, a ``--first-days`` outside 0
        to below ``--target-day``, ``--min-history`` below 0 or with a protocol other than
        ``--as-of``, or an ``--as-of`` that is not a date.
    """
    if (first_days is None) != (target_day is None):
        raise DataError("--first-days and --target-day go together")
    chosen = [
        name
        for name, value in [
            ("--as-of", as_of),
            ("--holdout", holdout),
            ("--history", history),
            ("--first-days", first_days),
        ]
        if value is not None
    ]
    if len(chosen) != 1:
        raise DataError(
            "choose exactly one protocol: --as-of DATE, --holdout H, --history K or "
            f"--first-days F --target-day T (got {', '.join(chosen) or 'none'})"
        )
    if holdout is not None:
        check_holdout(holdout)
    if history is not None and not 1 <= history < HISTORY_TARGET:
        # K = 0 would keep month 0 alone, a count of 0 for every series: a forecast from no
        # data, which is what `forecast --new-model-of` is for.
        raise DataError(
            f"--history K keeps months 0 to K and forecasts month {HISTORY_TARGET}: K must lie "
            f"from 1 to {HISTORY_TARGET - 1}, got {history}"
        )
    if first_days is not None and not 0 <= first_days < target_day:
        raise DataError(
            f"--first-days F keeps days 0 to F and forecasts day --target-day T: F must lie from "
            f"0 to T - 1, got F = {first_days}, T = {target_day}"
        )
    if min_history is not None and as_of is None:
        raise DataError(f"--min-history applies to --as-of only, not to {chosen[0]}")
    if min_history is not None and min_history < 0:
        raise DataError(f"--min-history counts steps elapsed: at least 0, got {min_history}")
    if as_of is not None:
        as_of_date(as_of)


def choose_split(
    panel: Panel,
    *,
    as_of: str | None,
    holdout: int | None,
    history: int | None,
    first_days: int | None,
    target_day: int | None,
    min_history: int | None = None,
) -> Split:
    """The split for exactly one protocol given on the command line (see :func:`check_protocol`)."""
    check_protocol(
        as_of=as_of,
        holdout=holdout,
        history=history,
        first_days=first_days,
        target_day=target_day,
        min_history=min_history,
    )
    if as_of is not None:
        return as_of_split(
            panel, as_of, min_history=DEFAULT_MIN_HISTORY if min_history is None else min_history
        )
    if holdout is not None:
        return holdout_split(panel, holdout)
    if history is not None:
        return first_steps_split(panel, history, HISTORY_TARGET)
    return first_steps_split(panel, first_days, target_day)


def format_metrics(metrics: pd.DataFrame) -> str:
    """The metrics table for the terminal; a method without an interval says so."""
    shown = metrics.copy()
    for column in ERROR_COLUMNS:
        shown[column] = shown[column].map("{:.3f}".format)
    for column in SHARE_COLUMNS:
        shown[column] = shown[column].map(lambda v: "no interval" if pd.isna(v) else f"{v:.1%}")
    return shown.to_string(index=False)


PER_METHOD_NAMES = (("diagnostics", "csv"), ("sampling", "txt"))
PER_METHOD_FILES = tuple(f"{kind}-*.{ext}" for kind, ext in PER_METHOD_NAMES)
"""The files a backtest writes for some methods only (the others it writes every time)."""


def write_result(result: BacktestResult, out: Path) -> list[Path]:
    """``metrics.csv``, ``forecasts.csv`` and one ``diagnostics-METHOD.csv`` per reporting method;
    returns the paths written."""
    written = [
        write_csv(out / "metrics.csv", result.metrics, float_format="%.6g"),
        # Every digit (Python's shortest round-trip form): the file must score as the metrics
        # did. %.6g rounded download counts; %.10g rounded a band at 3 + 3e-11 down to 3 and a
        # point a hair past 2x to exactly 2x, so coverage and off-by-2x read from it differed.
        write_csv(out / "forecasts.csv", result.forecasts[FORECAST_FILE_COLUMNS]),
    ]
    for method, table in result.diagnostics.items():
        written.append(write_csv(out / f"diagnostics-{method}.csv", table, float_format="%.6g"))
    return written


def remove_earlier(out: Path, coming: set[Path]) -> list[Path]:
    """Delete what an earlier backtest wrote in ``out`` before this one writes: ``metrics.csv``,
    ``forecasts.csv`` and the per-method files (:data:`PER_METHOD_FILES`).

    A run stopped while writing then leaves none of them beside its own files, where they would
    pass for its results (one run's metrics beside another's forecasts).

    Parameters
    ----------
    out
        The backtest's output directory.
    coming
        The files this run is about to write.

    Returns
    -------
    list of Path
        The files deleted that this run does not write again: left by an earlier run with other
        methods.
    """
    earlier = [out / "metrics.csv", out / "forecasts.csv"]
    earlier += [p for pattern in PER_METHOD_FILES for p in out.glob(pattern)]
    earlier = sorted(p for p in set(earlier) if p.is_file())
    for path in earlier:
        path.unlink()
    return [p for p in earlier if p not in coming]


def protocol_sampling(
    *, metric: str, as_of: str | None, holdout: int | None, history: int | None = None
) -> tuple[int, int, float]:
    """Kept draws, tuning steps per chain and target acceptance of a bayes refit when
    ``--draws``/``--tune``/``--target-accept`` are not given: the settings that met the
    sampling bar (0 divergences, R-hat <= 1.01, bulk ESS >= 400) for the protocol.

    Parameters
    ----------
    metric
        ``finetunes`` or ``downloads``.
    as_of, holdout, history
        The ``--as-of``, ``--holdout`` and ``--history`` options (``None`` when not chosen);
        with none of them, the protocol keeps the first days of every series (``--first-days``).

    Returns
    -------
    tuple
        ``(draws, tune, target_accept)``: :data:`~bayesgrowth.defaults.AS_OF_DRAWS` as of a
        date (measured on fine-tunes as of 2024-08-18 and downloads as of 2024-12-20), those
        of :func:`~bayesgrowth.defaults.history_sampling` for the first K months of fine-tune
        series, the long chains of :data:`~bayesgrowth.defaults.SHORT_HISTORY_DRAWS` for the
        first days of download series, and otherwise a full fit's (``--holdout``).
    """
    if history is not None and metric == "finetunes":
        return defaults.history_sampling(history)
    if as_of is None and holdout is None:
        return defaults.SHORT_HISTORY_DRAWS, defaults.SHORT_HISTORY_TUNE, defaults.TARGET_ACCEPT
    if as_of is not None:
        return defaults.AS_OF_DRAWS, defaults.AS_OF_TUNE, defaults.TARGET_ACCEPT
    return defaults.DRAWS, defaults.TUNE, defaults.TARGET_ACCEPT


def with_sampling(
    method: Forecaster,
    *,
    draws: int | None,
    tune: int | None,
    target_accept: float | None = None,
) -> Forecaster:
    """A forecaster with its sampler settings set from ``--draws``/``--tune``/``--target-accept``.

    Parameters
    ----------
    method
        A forecaster; only one with ``draws`` and ``tune`` fields (``bayes``) samples.
    draws, tune, target_accept
        Kept draws and tuning steps per chain and NUTS target acceptance, or ``None`` to keep
        the method's own.

    Returns
    -------
    Forecaster
        A copy with the given settings, or ``method`` itself where nothing applies.
    """
    settings = {"draws": draws, "tune": tune, "target_accept": target_accept}
    given = {k: v for k, v in settings.items() if v is not None}
    if given and all(hasattr(method, k) for k in given):
        return dataclasses.replace(method, **given)
    return method


def backtest(
    out: Annotated[Path, typer.Option("--out", help="Directory for metrics.csv, forecasts.csv.")],
    method: Annotated[
        str, typer.Option("--method", help="Comma-separated methods, e.g. paper,last-value.")
    ] = "paper,last-value,linear-trend",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Forecast origin date D (YYYY-MM-DD).")
    ] = None,
    holdout: Annotated[
        int | None, typer.Option("--holdout", help="Hold out the last H observations.")
    ] = None,
    history: Annotated[
        int | None,
        typer.Option("--history", help=f"Keep months t <= K; forecast month {HISTORY_TARGET}."),
    ] = None,
    first_days: Annotated[
        int | None, typer.Option("--first-days", help="Keep days t <= F (downloads).")
    ] = None,
    target_day: Annotated[
        int | None, typer.Option("--target-day", help="Forecast day T (with --first-days).")
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            help="finetunes or downloads (default: downloads with --first-days, else finetunes).",
            callback=known_metric,
        ),
    ] = None,
    min_history: Annotated[
        int | None,
        typer.Option(
            "--min-history",
            help=f"With --as-of: steps elapsed by D to be scored (default {DEFAULT_MIN_HISTORY}; "
            "younger series stay in the history; below 6, the younger series are also scored "
            "in their own subsets).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random draw.")] = 0,
    draws: Annotated[
        int | None,
        typer.Option(
            "--draws",
            help="Kept draws per chain of the bayes fit (default by protocol: 4,000 with "
            "--as-of, 14,000 with --history 1-3, 8,000 with --history 4-5, "
            "4,000 with --history 6 or more, 12,000 with --first-days, else 1,800).",
        ),
    ] = None,
    tune: Annotated[
        int | None,
        typer.Option(
            "--tune",
            help="Tuning steps per chain of the bayes fit (default 700, or 1,000 with "
            "--history or --first-days).",
        ),
    ] = None,
    target_accept: Annotated[
        float | None,
        typer.Option(
            "--target-accept",
            help="NUTS target acceptance of the bayes fit (default 0.9, or for "
            "fine-tunes with --history 0.99 at K = 1, 2 and 0.97 otherwise).",
        ),
    ] = None,
    anchors: Annotated[
        Path | None,
        typer.Option("--anchors", help="CSV of reference figures to print beside the scores."),
    ] = None,
    data: DataOption = None,
) -> None:
    """Score forecasting methods on the data as known at an origin; print and write the scores."""
    protocol = {
        "as_of": as_of,
        "holdout": holdout,
        "history": history,
        "first_days": first_days,
        "target_day": target_day,
        "min_history": min_history,
    }
    check_protocol(**protocol)
    # The seed goes to every method (the paper curve's draws, the bayes fit): one they cannot
    # take failed only after the data were read and the methods before it had run.
    defaults.check_seed(seed)
    metric = metric or ("downloads" if first_days is not None else "finetunes")
    if history is not None and metric != "finetunes":
        raise DataError(
            f"--history keeps months and forecasts month {HISTORY_TARGET} of fine-tune series; "
            f"for {metric} give --first-days F --target-day T"
        )
    if first_days is not None and metric != "downloads":
        raise DataError(
            "--first-days keeps days and forecasts day --target-day of download series; for "
            f"{metric} give --history K (months 0 to K, forecast month {HISTORY_TARGET})"
        )
    prepare_directory(out)
    reference = read_anchors(anchors) if anchors is not None else None
    default_draws, default_tune, default_accept = protocol_sampling(
        metric=metric, as_of=as_of, holdout=holdout, history=history
    )
    methods = [
        with_sampling(
            make_forecaster(name.strip()),
            draws=default_draws if draws is None else draws,
            tune=default_tune if tune is None else tune,
            target_accept=default_accept if target_accept is None else target_accept,
        )
        for name in method.split(",")
        if name.strip()
    ]
    per_method = [f"{kind}-{m.name}.{ext}" for m in methods for kind, ext in PER_METHOD_NAMES]
    check_result_files(out, ["metrics.csv", "forecasts.csv", *per_method])
    panel = load_reported(data, metrics=(metric,)).metric(metric)
    split = choose_split(panel, **protocol)
    result = run_backtest(split, methods, seed=seed)
    print(f"{metric}, {split.protocol}: {len(split.targets):,} series forecast")
    print(format_metrics(result.metrics))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
    if reference is not None:
        print(f"beside the anchors in {anchors} (subset all):")
        print(beside(result.metrics, reference).to_string(index=False))
    fits = {m.name: m.last_fit for m in methods if getattr(m, "last_fit", None) is not None}
    coming = {out / "metrics.csv", out / "forecasts.csv"}
    coming |= {out / f"diagnostics-{name}.csv" for name in result.diagnostics}
    coming |= {out / f"sampling-{name}.txt" for name in fits}
    for path in remove_earlier(out, coming):
        print(f"removed {path}: left by an earlier run with other methods")
    write_result(result, out)
    print(f"wrote {out / 'metrics.csv'} and {out / 'forecasts.csv'}")
    for name, fitted in fits.items():
        lines = fitted.diagnostics().lines()
        s = fitted.config.sampler
        settings = (
            f"sampler {s.sampler}: {s.tune} tuning steps, target acceptance "
            f"{s.target_accept}, seed {s.seed}"
        )
        path = write_text(out / f"sampling-{name}.txt", "\n".join([*lines, settings]) + "\n")
        print(f"{name} fit: " + "; ".join(lines[1:3]) + f" ({path})")


def paper_table_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")] = Path(
        "results/paper-table1.csv"
    ),
    top: Annotated[int, typer.Option("--top", help="How many models, by last count.")] = 50,
    data: DataOption = None,
) -> None:
    """Regenerate the paper's Table 1 (top models by last fine-tune count) with our fit status."""
    from bayesgrowth.fitfile import check_table_path  # xarray: imported when needed

    if top < 1:
        raise DataError(f"--top must be at least 1, got {top}")
    check_table_path(out)
    table = paper_table(load_reported(data, metrics=("finetunes",)), top=top)
    write_csv(out, table, float_format="%.6g")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {out}")


def baseline_cmd(
    out: Annotated[Path, typer.Option("--out", help="CSV file: one fit per series.")],
    metric: Annotated[
        str, typer.Option("--metric", help="finetunes or downloads.", callback=known_metric)
    ] = "finetunes",
    axis: Annotated[
        str, typer.Option("--axis", help="step (months or days) or years (the authors' axis).")
    ] = "step",
    m: Annotated[float, typer.Option("--m", help="The curve's fixed scale.")] = 1.0,
    data: DataOption = None,
) -> None:
    """Fit the paper's curve to every series; print the statuses and the match with the authors.

    The match is shown on their axis and scale only: --axis years --m 1.
    """
    from bayesgrowth.fitfile import check_table_path  # xarray: imported when needed

    if axis not in ("step", "years"):
        raise DataError(f"--axis must be step or years, not {axis!r}")
    if not 0 < m < math.inf:
        raise DataError(f"--m, the curve's scale, must be a positive number, not {m:g}")
    check_table_path(out)
    panel = load_reported(data, metrics=(metric,)).metric(metric)
    start = time.perf_counter()
    # The authors fitted on the years axis with m = 1; on another axis or scale μ or λ differ
    # from theirs by construction, so a match would say nothing.
    compare = axis == "years" and m == 1
    fits = with_authors(fit_panel(panel, axis=axis, m=m), panel.paper_fits, compare=compare)
    print(
        f"{metric}, axis {axis}, m = {m:g}: {len(fits):,} series in {time.perf_counter() - start:.0f} s"
    )
    counts = fits["status"].value_counts().reindex(list(STATUSES), fill_value=0)
    for status, n in counts.items():
        print(f"  {status:>15}: {n:5,} ({n / len(fits):.1%})")
    published = fits[fits["lambda_i"].notna()]
    if not published.empty:
        at_start = published[published["authors_at_start"]]
        others = published[~published["authors_at_start"]]
        print(f"authors' rows at the starting guess {P0}: {len(at_start):,}, our status there:")
        print(at_start["status"].value_counts().to_string())
        if compare:
            print(
                f"authors' other rows matched within 1% on all three parameters: "
                f"{others['matches_authors'].mean():.1%} of {len(others):,}"
            )
        else:
            print(
                f"authors' other {len(others):,} rows not compared: they were fitted on the "
                "years axis with m = 1 (--axis years --m 1)"
            )
    write_csv(out, fits, float_format="%.6g")
    print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Attach ``backtest``, ``baseline`` and ``paper-table`` to the top-level app."""
    app.command("backtest")(backtest)
    app.command("baseline")(baseline_cmd)
    app.command("paper-table")(paper_table_cmd)
