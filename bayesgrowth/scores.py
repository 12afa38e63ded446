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

Coverage of count forecasts
---------------------------
``coverage_50`` and ``coverage_90`` count the outcomes inside the closed intervals
[q25, q75] and [q05, q95]. For a count the predictive distribution has atoms (a series with two
fine-tunes may well stay at two), and a closed central interval then holds more than its nominal
probability: even a perfectly calibrated forecast covers more than 50% of the time. So from
predictive samples the scores also give the **PIT coverage** (Czado, Gneiting & Held 2009,
randomised PIT): the outcome's PIT is spread uniformly over [F(y−), F(y)], and a row counts with
the share of that range inside [0.25, 0.75] (or [0.05, 0.95]). For a calibrated forecast its
mean is the nominal level, atoms or not. Beside the closed-interval coverage the scores give
its **expected coverage**: the forecast's own probability of its closed interval (the share of
its samples inside it), which is what a calibrated forecast's closed interval covers on average.

Growth at all
-------------
``share_grew`` is the share of series whose count rose past the origin, ``expected_share_grew``
the forecasts' mean probability of that (the share of samples above the origin). Among series at
zero they are the observed and forecast share that got a first count (onset); among the others
they measure the atom at "no change" that makes closed intervals cover more than their level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def off_2x(point: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether ``1 + point`` and ``1 + y`` differ by more than a factor of two.

    The same as ``|log10(1 + point) - log10(1 + y)| > log10 2``, but exact: integer counts are
    often exactly 2x apart (0 and 1, 5 and 11), and the rounding of the logarithms put some of
    those above the threshold and others below.
    """
    a, b = 1.0 + np.asarray(point, dtype=float), 1.0 + np.asarray(y, dtype=float)
    return np.maximum(a, b) > 2.0 * np.minimum(a, b)


SCORE_COLUMNS = (
    "n",
    "median_abs_log10_error",
    "mean_abs_log10_error",
    "share_off_2x",
    "coverage_50",
    "coverage_90",
    "pit_coverage_50",
    "pit_coverage_90",
    "expected_coverage_50",
    "expected_coverage_90",
    "share_grew",
    "expected_share_grew",
    "crps",
)

ERROR_COLUMNS = ("median_abs_log10_error", "mean_abs_log10_error", "crps")
"""Scores on the log10(1 + count) scale; the others but ``n`` are shares of series."""

SHARE_COLUMNS = tuple(c for c in SCORE_COLUMNS if c not in ("n", *ERROR_COLUMNS))


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


def pit_coverage(samples: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """Expected coverage of the central ``level`` interval under the randomised PIT.

    Parameters
    ----------
    samples
        Predictive samples, shape (n_rows, n).
    y
        Outcomes, shape (n_rows,).
    level
        Nominal central probability, e.g. 0.5.

    Returns
    -------
    numpy.ndarray
        Per row, the share of [F(y−), F(y)] inside [(1 − level)/2, (1 + level)/2]; for a
        continuous predictive (F(y−) = F(y)) this is 1 inside the interval and 0 outside.
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(y, dtype=float)[:, None]
    below, upto = (x < y).mean(axis=1), (x <= y).mean(axis=1)
    lo, hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    overlap = np.clip(np.minimum(upto, hi) - np.maximum(below, lo), 0.0, None)
    width = upto - below
    point = ((below >= lo) & (below <= hi)).astype(float)
    return np.where(width > 0, overlap / np.where(width > 0, width, 1.0), point)


def interval_content(samples: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per row, the share of the predictive ``samples`` (n_rows, n) inside [low, high]."""
    x = np.asarray(samples, dtype=float)
    return ((x >= np.asarray(low)[:, None]) & (x <= np.asarray(high)[:, None])).mean(axis=1)


def score_rows(
    y: np.ndarray,
    point: np.ndarray,
    quantiles: np.ndarray | None,
    samples: np.ndarray | None,
    origin: np.ndarray | None = None,
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
    origin
        The last observed counts (the forecast origin), or ``None``.

    Returns
    -------
    pandas.DataFrame
        ``abs_log10_error, off_2x, in_50, in_90, pit_50, pit_90, content_50, content_90,
        grew, p_grew, crps``; ``in_*`` are NaN without quantiles, ``pit_*`` without samples,
        ``content_*`` (the forecast's own probability of its closed interval) without either,
        ``grew`` (the outcome is above the origin) without ``origin``, and ``p_grew`` (the
        forecast's probability of that) without ``origin`` or samples.
    """
    y = np.asarray(y, dtype=float)
    # converted once here: every score below reads the samples (as floats)
    samples = None if samples is None else np.asarray(samples, dtype=float)
    unknown = np.full(len(y), np.nan)
    error = np.abs(log1p10(point) - log1p10(y))
    if quantiles is None:
        in_50 = in_90 = unknown
    else:
        q = np.asarray(quantiles, dtype=float)
        in_50 = ((q[:, 1] <= y) & (y <= q[:, 3])).astype(float)
        in_90 = ((q[:, 0] <= y) & (y <= q[:, 4])).astype(float)
    crps = error if samples is None else crps_samples(log1p10(samples), log1p10(y))
    pit = {
        f"pit_{round(level * 100)}": unknown if samples is None else pit_coverage(samples, y, level)
        for level in (0.5, 0.9)
    }
    content = {
        f"content_{round(level * 100)}": unknown
        if samples is None or quantiles is None
        else interval_content(samples, q[:, lo], q[:, hi])
        for level, lo, hi in ((0.5, 1, 3), (0.9, 0, 4))
    }
    origin = None if origin is None else np.asarray(origin, dtype=float)
    grew = unknown if origin is None else (y > origin).astype(float)
    p_grew = (
        unknown if origin is None or samples is None else (samples > origin[:, None]).mean(axis=1)
    )
    return pd.DataFrame(
        {"abs_log10_error": error, "off_2x": off_2x(point, y), "in_50": in_50, "in_90": in_90}
    ).assign(**pit, **content, grew=grew, p_grew=p_grew, crps=crps)


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
            "pit_coverage_50": rows["pit_50"].mean(),
            "pit_coverage_90": rows["pit_90"].mean(),
            "expected_coverage_50": rows["content_50"].mean(),
            "expected_coverage_90": rows["content_90"].mean(),
            "share_grew": rows["grew"].mean(),
            "expected_share_grew": rows["p_grew"].mean(),
            "crps": rows["crps"].mean(),
        }
    )
