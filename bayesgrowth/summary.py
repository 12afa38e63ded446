"""Descriptive tables of a panel: what the data hold before any model is fitted."""

from __future__ import annotations

import pandas as pd

from bayesgrowth.panel import TIME_UNIT, Panel


def organisation_table(panel: Panel, metric: str) -> pd.DataFrame:
    """Per-organisation summary of one metric.

    Parameters
    ----------
    panel
        The loaded panel.
    metric
        ``finetunes`` or ``downloads``.

    Returns
    -------
    pandas.DataFrame
        One row per organisation plus an ``ALL`` row: ``series``, ``median_<unit>s_observed``
        (last t), ``share_never`` (share of series still at 0 at their last step: never fine-tuned,
        or never downloaded) and ``largest`` (largest last count), sorted by series count.
    """
    series = panel.metric(metric).series
    unit = TIME_UNIT[metric]

    def summarise(s: pd.DataFrame) -> pd.Series:
        return pd.Series(
            {
                "series": len(s),
                f"median_{unit}s_observed": float(s["last_t"].median()),
                "share_never": float((s["last_value"] == 0).mean()),
                "largest": int(s["last_value"].max()),
            }
        )

    table = series.groupby("organization").apply(summarise, include_groups=False)
    table = table.sort_values("series", ascending=False)
    table.loc["ALL"] = summarise(series)
    table["series"] = table["series"].astype(int)
    table["largest"] = table["largest"].astype(int)
    return table


def totals(panel: Panel) -> dict[str, int]:
    """Number of series per metric in the panel."""
    return panel.series.groupby("metric").size().astype(int).to_dict()
