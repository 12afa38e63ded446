"""Forecast scores on the log10(1 + x) scale, per target and summarised per method and subset.

Counts span seven orders of magnitude, so every score is taken on ``log10(1 + x)``: an error of
0.301 is a factor of two (on ``1 + x``), whatever the size of the series.

CRPS
----
From ``n`` predictive samples :math:`x_i` (on the log scale) and the outcome :math:`y`, the energy
form :math:`\\mathrm{CRPS} = \\frac1n\\sum_i |x_i - y| - \\frac1{2n^2}\\sum_{i,j} |x_i - x_j|`,
computed in :math:`O(n \\log n)` from the sorted samples :math:`x_{(1)} \\le \\dots \\le x_{(n)}`
with :math:`\\sum_{i,j}|x_i - x_j| = 2\\sum_i (2i - n - 1)\\, x_{(i)}`. This is the CRPS of the
empirical distribution of the samples (not the "fair" :math:`n(n-1)` variant). A forecast without
samples is scored as a point mass, whose CRPS is its absolute error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OFF_2X = float(np.log10(2.0))
"""An absolute log10 error above this is a forecast off by more than a factor of two."""

SCORE_COLUMNS = (
    "n",
    "median_abs_log10_error",
    "mean_abs_log10_error",
    "share_off_2x",
    "coverage_50",
    "coverage_90",
    "crps",
)


def log1p10(x: np.ndarray | pd.Series) -> np.ndarray:
    """``log10(1 + x)``, the scale of every score."""
    return np.log10(1.0 + np.asarray(x, dtype=float))


def crps_samples(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of each row's empirical distribution of ``samples`` (n_rows, n) against ``y`` (n_rows,).

    Both are taken as given (transform them to the scoring scale first).
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=1)
    n = x.shape[1]
    spread = (x * (2.0 * np.arange(1, n + 1) - n - 1)).sum(axis=1) / n**2
    return np.abs(x - np.asarray(y, dtype=float)[:, None]).mean(axis=1) - spread


def score_rows(
    y: np.ndarray,
    point: np.ndarray,
    quantiles: np.ndarray | None,
    samples: np.ndarray | None,
) -> pd.DataFrame:
    """Per-target scores.

    Parameters
    ----------
    y
        Outcomes (counts).
    point
        Point forecasts (counts).
    quantiles
        Columns q05, q25, q50, q75, q95 (counts), or ``None`` for a method without an interval.
    samples
        Predictive samples (counts), or ``None``: the CRPS is then that of a point mass.

    Returns
    -------
    pandas.DataFrame
        ``abs_log10_error, off_2x, in_50, in_90, crps``; ``in_*`` are NaN without quantiles.
    """
    y = np.asarray(y, dtype=float)
    error = np.abs(log1p10(point) - log1p10(y))
    if quantiles is None:
        in_50 = in_90 = np.full(len(y), np.nan)
    else:
        q = np.asarray(quantiles, dtype=float)
        in_50 = ((q[:, 1] <= y) & (y <= q[:, 3])).astype(float)
        in_90 = ((q[:, 0] <= y) & (y <= q[:, 4])).astype(float)
    crps = error if samples is None else crps_samples(log1p10(samples), log1p10(y))
    return pd.DataFrame(
        {"abs_log10_error": error, "off_2x": error > OFF_2X, "in_50": in_50, "in_90": in_90}
    ).assign(crps=crps)


def summarise(rows: pd.DataFrame) -> pd.Series:
    """The scores of :data:`SCORE_COLUMNS` over a set of :func:`score_rows` rows.

    Coverage is NaN for a method without an interval (and every score for an empty set).
    """
    error = rows["abs_log10_error"]
    return pd.Series(
        {
            "n": len(rows),
            "median_abs_log10_error": error.median(),
            "mean_abs_log10_error": error.mean(),
            "share_off_2x": rows["off_2x"].mean() if len(rows) else np.nan,
            "coverage_50": rows["in_50"].mean(),
            "coverage_90": rows["in_90"].mean(),
            "crps": rows["crps"].mean(),
        }
    )
