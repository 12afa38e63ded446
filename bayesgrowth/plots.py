"""Figures. Free functions ``plot_x(..., ax=None) -> (fig, ax)``; nothing here fits or reads files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayesgrowth.panel import TIME_UNIT
from bayesgrowth.priors import Priors, prior_curves

if TYPE_CHECKING:
    from bayesgrowth.result import GrowthFit


def _axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        return fig, ax
    return ax.figure, ax


def plot_forecast(
    observed: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    actual: pd.DataFrame | None = None,
    point: pd.DataFrame | None = None,
    point_label: str = "paper's curve fit",
    title: str | None = None,
    metric: str = "finetunes",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """One series: observed counts, the forecast median with 50% and 90% bands.

    Parameters
    ----------
    observed
        Columns ``t, cumulative`` (what the fit saw), and optionally ``t_exact``: a count read
        part-way through its step (a partial last month) is drawn where it was read.
    forecast
        Columns ``t, q05, q25, q50, q75, q95``.
    actual
        Optional ``t, cumulative`` observed after the cut, drawn for comparison.
    point
        Optional ``t, value`` of another method's point forecast (e.g. the paper's curve fit).
    point_label
        That method's name in the legend.
    title
        Axes title (none by default).
    metric
        ``finetunes`` or ``downloads`` (axis labels).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    tuple of matplotlib.figure.Figure and matplotlib.axes.Axes
        The figure and the axes drawn on.
    """
    fig, ax = _axes(ax)
    when = observed["t_exact"] if "t_exact" in observed else observed["t"]
    ax.plot(when, observed["cumulative"], "o-", color="k", ms=3, label="observed (fitted)")
    ax.fill_between(
        forecast["t"], forecast["q05"], forecast["q95"], color="C0", alpha=0.2, label="90% band"
    )
    ax.fill_between(
        forecast["t"], forecast["q25"], forecast["q75"], color="C0", alpha=0.35, label="50% band"
    )
    ax.plot(forecast["t"], forecast["q50"], color="C0", label="median forecast")
    if actual is not None:
        ax.plot(actual["t"], actual["cumulative"], "x", color="C3", ms=4, label="observed later")
    if point is not None:
        ax.plot(point["t"], point["value"], "--", color="C1", label=point_label)
    ax.set_xlabel(f"{TIME_UNIT[metric]}s since the model was created")
    ax.set_ylabel(f"cumulative {metric}")
    ax.set_title(title or "")
    ax.legend(fontsize=8)
    return fig, ax


def plot_forecasts(
    observed: pd.DataFrame,
    forecast: pd.DataFrame,
    models: list[str],
    *,
    metric: str = "finetunes",
    ncols: int = 3,
) -> Figure:
    """Small multiples of :func:`plot_forecast`, one panel per model in ``models``.

    Parameters
    ----------
    observed
        Columns ``model, t, cumulative`` (what the fit saw).
    forecast
        Columns ``model, t, q05, q25, q50, q75, q95``.
    models
        The models to draw, in order.
    metric
        ``finetunes`` or ``downloads`` (axis labels).
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    nrows = -(-len(models) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, model in zip(axes.flat, models, strict=False):
        plot_forecast(
            observed[observed["model"] == model],
            forecast[forecast["model"] == model],
            title=model,
            metric=metric,
            ax=ax,
        )
        ax.title.set_fontsize(9)
        if ax is not axes.flat[0]:  # one legend is enough
            ax.get_legend().remove()
    for ax in axes.flat[len(models) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_prior_predictive(
    priors: Priors,
    final_counts: np.ndarray,
    *,
    horizon: int = 36,
    n: int = 2000,
    seed: int = 0,
    metric: str = "finetunes",
    m: float = 1.0,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Prior predictive check: bands of c(t) under the priors beside the observed last counts.

    Parameters
    ----------
    priors
        The hyperpriors to check.
    final_counts
        Last observed counts of the active series (drawn as a rug on the right-hand axis).
    horizon
        Steps drawn (months for fine-tunes, days for downloads).
    n
        Prior draws of the curve.
    seed
        Random seed of those draws.
    metric
        Which series kind the priors are for (labels the axes).
    m
        Curve scale of the model the priors are for (1 as in the paper).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    tuple of matplotlib.figure.Figure and matplotlib.axes.Axes
        The figure and the axes drawn on.
    """
    fig, ax = _axes(ax)
    t = np.arange(1, horizon + 1, dtype=float)
    curves = prior_curves(priors, t, n=n, seed=seed, m=m)
    for lo, hi, alpha in ((0.05, 0.95, 0.2), (0.25, 0.75, 0.35)):
        ax.fill_between(
            t,
            np.quantile(curves, lo, axis=0),
            np.quantile(curves, hi, axis=0),
            color="C2",
            alpha=alpha,
            label=f"prior {round((hi - lo) * 100)}% band",
        )
    ax.plot(t, np.median(curves, axis=0), color="C2", label="prior median")
    ax.plot(
        np.full(len(final_counts), horizon + 0.5),
        np.maximum(final_counts, 1),
        "_",
        color="k",
        alpha=0.3,
        label="observed last counts",
    )
    ax.set_yscale("log")
    ax.set_xlabel(f"{TIME_UNIT[metric]}s since the model was created")
    ax.set_ylabel(f"cumulative {metric} (log)")
    ax.set_title("Prior predictive check")
    ax.legend(fontsize=8)
    return fig, ax


def plot_fit_prior_predictive(
    fit: GrowthFit, horizon: int, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """:func:`plot_prior_predictive` of a fit's own priors, metric and curve scale m, beside the
    last counts of its series with a count.

    Parameters
    ----------
    fit
        The fit whose priors are checked.
    horizon
        Steps drawn (months for fine-tunes, days for downloads).
    ax
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    tuple of matplotlib.figure.Figure and matplotlib.axes.Axes
        The figure and the axes drawn on.
    """
    design = fit.design
    return plot_prior_predictive(
        fit.config.priors,
        design.last_value[design.active],
        horizon=horizon,
        metric=design.metric,
        m=fit.config.m,
        ax=ax,
    )
