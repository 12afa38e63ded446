"""Small panels for the baseline and backtest tests, built from plain lists of counts: in memory,
or written in the snapshot's layout for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bayesgrowth.panel import Panel, add_months, summarise_series, to_utc


def make_panel(
    counts: dict[str, list[int]],
    *,
    metric: str = "finetunes",
    created: dict[str, str] | None = None,
    data_date: str | None = None,
    partial: dict[str, float] | None = None,
    organization: str = "Org",
) -> Panel:
    """A panel with one series per entry of ``counts`` (cumulative counts at t = 0, 1, ...).

    Parameters
    ----------
    counts
        Model id -> counts at consecutive steps from creation.
    metric
        ``finetunes`` (step = calendar month after ``created_at``) or ``downloads`` (step = day).
    created
        Model id -> creation date (default 2023-01-01 for every model).
    data_date
        Default: the latest observation date.
    partial
        Model id -> ``t_exact`` of its last count, marked partial (a month not yet ended).
    """
    created = created or {}
    partial = partial or {}
    rows, series = [], []
    for model, values in counts.items():
        start = to_utc(created.get(model, "2023-01-01"))
        t = np.arange(len(values))
        base = pd.Series([start] * len(values))
        if metric == "finetunes":
            dates = add_months(base, t)
        else:
            dates = base.dt.normalize() + pd.to_timedelta(t, unit="D")
        t_exact = t.astype(float)
        is_partial = np.zeros(len(values), dtype=bool)
        if model in partial:
            t_exact[-1], is_partial[-1] = partial[model], True
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "organization": organization,
                    "metric": metric,
                    "t": t,
                    "t_exact": t_exact,
                    "date": dates.to_numpy(),
                    "cumulative": values,
                    "partial": is_partial,
                }
            )
        )
        series.append(
            {
                "model": model,
                "organization": organization,
                "metric": metric,
                "created_at": start,
                "left_censored": False,
                "source_file": "memory",
                "source_row": len(series) + 2,
            }
        )
    obs = pd.concat(rows, ignore_index=True)
    obs["date"] = pd.to_datetime(obs["date"], utc=True)
    date = to_utc(data_date) if data_date else obs["date"].max()
    return Panel(
        observations=obs,
        series=summarise_series(obs, pd.DataFrame(series)),
        data_date=date,
    )


def write_finetune_dir(
    root: Path, counts: dict[str, list[int]], *, created: str = "2023-01-01", org: str = "Org"
) -> Path:
    """``root/finetune/ORG.csv`` holding ``counts`` (model id -> monthly cumulative counts from
    month 0), every model created on ``created``; returns ``root``.

    Name ``root`` after the data date (``…-YYYY-MM-DD``), or the loader takes today.
    """
    months = max(map(len, counts.values()))
    lines = [",".join(["model", *(f"{k}-month" for k in range(months)), "created_at"])]
    for model, values in counts.items():
        cells = [str(v) for v in values] + [""] * (months - len(values))
        lines.append(",".join([model, *cells, created]))
    path = root / "finetune" / f"{org}.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    return root
