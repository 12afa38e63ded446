"""The paper's DeepSeek-R1 download forecast, tested with the hierarchical model (issue 5).

The claim (Bhandari, Chen, Gao 2025, "Forecasting Open-Weight AI Model Growth on Hugging Face",
Fig. 10): *"given 20 days of downloads for deepseek-ai/DeepSeek-R1, we expect it to reach 1.3
billion cumulative downloads within 75 days."*

Protocol
--------
Every download series observed on day F + 1 (F = 20) is cut to its days t <= F, the cut of the
backtest's ``--first-days F`` protocol (:func:`bayesgrowth.backtest.first_steps_split`): by age,
not by calendar date, so a DeepSeek model's fit also sees other models' first F days even where
those fell after its own day F. The hierarchical model is fitted to all of them at once, so each
organisation's curve parameters are learnt from its series' first F days and the other
organisations inform the population level. Each of the organisation's models is then forecast
from its day-F count (from its last count before day F where day F is empty); the table reports
the median and 90% band at the chosen days beside the count observed there (where the snapshot
reaches it) and the paper's own method, one least-squares WSB curve per series
(:func:`bayesgrowth.baseline.fit_curve`) fitted to the same F + 1 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayesgrowth.backtest import first_steps_split
from bayesgrowth.baseline import fit_many, series_points
from bayesgrowth.curves import cumulative
from bayesgrowth.defaults import FORECAST_SAMPLES, SHORT_HISTORY_DRAWS, SHORT_HISTORY_TUNE
from bayesgrowth.errors import DataError
from bayesgrowth.fitting import fit
from bayesgrowth.forecast import check_size
from bayesgrowth.panel import Panel
from bayesgrowth.plots import plot_forecast
from bayesgrowth.result import GrowthFit


@dataclass(frozen=True)
class PaperClaim:
    """A published point forecast: ``model`` reaches ``value`` by ``day``, from ``first_days``."""

    model: str
    first_days: int
    day: int
    value: float
    quote: str


DEEPSEEK_R1_CLAIM = PaperClaim(
    model="deepseek-ai/DeepSeek-R1",
    first_days=20,
    day=75,
    value=1.3e9,
    quote="given 20 days of downloads for deepseek-ai/DeepSeek-R1, we expect it to reach "
    "1.3 billion cumulative downloads within 75 days",
)

TABLE_COLUMNS = [
    "model",
    "day",
    "count_at_cut",
    "actual",
    "q05",
    "q50",
    "q95",
    "in_90",
    "paper_curve_fit",
    "paper_fit_status",
    "paper_claim",
]


@dataclass
class ClaimStudy:
    """What :func:`study_claim` produced.

    Attributes
    ----------
    table
        One row per (model, day), columns :data:`TABLE_COLUMNS`: the count at the cut (the last
        one on or before day F), the count
        observed on ``day`` (NaN beyond the snapshot), the forecast's 5/50/95% quantiles, whether
        the actual count lies in the 90% band, the paper's curve-fit point forecast and its fit
        status, and the published claim where there is one.
    forecast
        The organisation's forecasts for every day after each series' last day up to the cut,
        through the last reported day (``model, t, mean, q05 .. q95``).
    observed
        Every observed count of the organisation's models (``model, t, cumulative``).
    paper_curves
        The paper-method curve of each model on days 0 … last day (``model, t, value``).
    fit
        The hierarchical fit (all organisations' first days).
    first_days
        The cut F.
    claim
        The published claim tested.
    """

    table: pd.DataFrame
    forecast: pd.DataFrame
    observed: pd.DataFrame
    paper_curves: pd.DataFrame
    fit: GrowthFit
    first_days: int
    claim: PaperClaim


def report_days(days: Sequence[int], claim: PaperClaim = DEEPSEEK_R1_CLAIM) -> list[int]:
    """The days a study of ``claim`` reports: ``days`` and the claim's own, in order.

    Raises
    ------
    DataError
        If a day is not after the cut at ``claim.first_days``.
    """
    days = sorted(set(days) | {claim.day})
    if days[0] <= claim.first_days:
        raise DataError(
            f"days to report must come after the cut at day {claim.first_days}, not {days[0]}"
        )
    return days


def study_claim(
    panel: Panel,
    *,
    organization: str = "DeepSeek",
    claim: PaperClaim = DEEPSEEK_R1_CLAIM,
    days: Sequence[int] = (29, 75),
    draws: int = SHORT_HISTORY_DRAWS,
    tune: int = SHORT_HISTORY_TUNE,
    chains: int = 2,
    seed: int = 0,
    sampler: str = "nutpie",
    n_samples: int = FORECAST_SAMPLES,
    progress: bool = False,
) -> ClaimStudy:
    """Fit on the first ``claim.first_days`` days and forecast ``organization``'s models.

    Parameters
    ----------
    panel
        Panel holding the download series (other metrics are ignored).
    organization
        Whose models go into the table and figures.
    claim
        The published forecast tested; its ``first_days`` is the cut F.
    days
        Days (after creation) to report; the largest sets the forecast horizon.
    draws, tune, chains, seed, sampler
        Sampler settings of the fit (see :func:`bayesgrowth.fit`).
    n_samples
        Posterior draws used by the forecast simulation.
    progress
        Show the sampler's progress bar.

    Returns
    -------
    ClaimStudy

    Raises
    ------
    DataError
        If ``organization`` has no download series, none of its models is observed past day F,
        or a day is not after F.
    """
    first = claim.first_days
    days = report_days(days, claim)
    downloads = panel.metric("downloads")
    known = downloads.series["organization"].unique()
    if organization not in known:
        raise DataError(
            f"no download series of organisation {organization!r}; "
            f"known: {', '.join(sorted(known))}"
        )
    # The backtest's cut with the day after F as target: every series observed on day F + 1, kept
    # to its days 0 … F.
    history = first_steps_split(downloads, first, first + 1).history
    mine = history.series.loc[history.series["organization"] == organization, "model"]
    if mine.empty:
        raise DataError(f"no {organization} download series is observed past day {first}")
    # A series with no count on day F itself forecasts from its last day before F, so the
    # horizon reaches the last reported day from the earliest of those. The forecast's size is
    # known now: one too large to hold fails before the fit, not after it.
    kept = history.series.set_index("model").loc[mine]
    horizon = days[-1] - int(kept["last_t"].min())
    check_size(len(history.series), horizon, min(n_samples, chains * draws))
    fitted = fit(
        history,
        "downloads",
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        sampler=sampler,
        progress=progress,
    )
    forecast = fitted.forecast(horizon, n_samples=n_samples, seed=seed)
    forecast = forecast[forecast["model"].isin(mine) & (forecast["t"] <= days[-1])].drop(
        columns=["organization", "metric"]
    )

    observed = downloads.observations
    observed = observed.loc[observed["model"].isin(mine), ["model", "t", "cumulative"]]
    keys, points = series_points(history.select(models=mine), "step")
    curve_fits = fit_many(points, workers=1)
    grid = np.arange(days[-1] + 1, dtype=float)
    paper_curves = pd.concat(
        [
            pd.DataFrame(
                {"model": model, "t": grid.astype(int), "value": cumulative(grid, *f.params)}
            )
            for model, f in zip(keys["model"], curve_fits, strict=True)
        ],
        ignore_index=True,
    )
    status = dict(zip(keys["model"], (f.status for f in curve_fits), strict=True))

    table = forecast[forecast["t"].isin(days)].rename(columns={"t": "day"})
    at_cut = kept["last_value"]
    actual = observed.set_index(["model", "t"])["cumulative"]
    table = table.assign(
        count_at_cut=table["model"].map(at_cut),
        actual=actual.reindex(pd.MultiIndex.from_frame(table[["model", "day"]])).to_numpy(),
        paper_curve_fit=paper_curves.set_index(["model", "t"])["value"]
        .reindex(pd.MultiIndex.from_frame(table[["model", "day"]]))
        .to_numpy(),
        paper_fit_status=table["model"].map(status),
        paper_claim=np.where(
            (table["model"] == claim.model) & (table["day"] == claim.day), claim.value, np.nan
        ),
    )
    inside = (table["q05"] <= table["actual"]) & (table["actual"] <= table["q95"])
    table["in_90"] = inside.where(table["actual"].notna())
    table = table.sort_values(["day", "count_at_cut", "model"], ascending=[True, False, True])
    return ClaimStudy(
        table=table[TABLE_COLUMNS].reset_index(drop=True),
        forecast=forecast.reset_index(drop=True),
        observed=observed.reset_index(drop=True),
        paper_curves=paper_curves,
        fit=fitted,
        first_days=first,
        claim=claim,
    )


def format_table(table: pd.DataFrame) -> str:
    """The claim table for the terminal, counts in millions."""
    shown = table.copy()
    for column in ["count_at_cut", "actual", "q05", "q50", "q95", "paper_curve_fit", "paper_claim"]:
        shown[column] = (shown[column] / 1e6).map(lambda v: "" if pd.isna(v) else f"{v:,.3f}")
    shown["in_90"] = shown["in_90"].map(lambda v: "" if pd.isna(v) else ("yes" if v else "no"))
    return "counts in millions\n" + shown.to_string(index=False)


def plot_model(
    study: ClaimStudy, model: str, *, log: bool = False, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """One model like the paper's Fig. 10: the first F days, our bands, the paper's curve fit
    (its status in the legend where it is not ``ok``: a ``failed`` fit is its starting guess).

    Days after the cut that the snapshot holds are drawn as "observed later"; the published claim
    is marked where it concerns ``model``.
    """
    first = study.first_days
    seen = study.observed[study.observed["model"] == model]
    # A fit that is not "ok" is drawn as what the paper's method returns (a failed fit: its
    # starting guess), but the legend says which it is.
    status = study.table.loc[study.table["model"] == model, "paper_fit_status"].iat[0]
    fig, ax = plot_forecast(
        seen[seen["t"] <= first],
        study.forecast[study.forecast["model"] == model],
        actual=seen[seen["t"] > first],
        point=study.paper_curves[study.paper_curves["model"] == model],
        point_label="paper's curve fit" + ("" if status == "ok" else f" ({status})"),
        title=f"{model}: fitted on days 0–{first}",
        metric="downloads",
        ax=ax,
    )
    if model == study.claim.model:
        ax.plot(
            study.claim.day,
            study.claim.value,
            "*",
            color="C3",
            ms=12,
            label=f"paper's claim: {study.claim.value / 1e9:.1f} B by day {study.claim.day}",
        )
    if log:
        ax.set_yscale("log")
        # never below one download: the paper's curve runs to 1e-14 and below in its first
        # days, which squeezed the counts into the top of the panel
        ax.set_ylim(bottom=max(ax.get_ylim()[0], 1))
    ax.legend(fontsize=8)
    return fig, ax


def plot_claim(study: ClaimStudy) -> Figure:
    """The claimed model on a linear and a log scale, side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    plot_model(study, study.claim.model, ax=axes[0])
    plot_model(study, study.claim.model, log=True, ax=axes[1])
    axes[1].set_title("log scale")
    fig.tight_layout()
    return fig


def study_figures(study: ClaimStudy) -> dict[str, Figure]:
    """The study's figures by file name: ``claim.png`` (:func:`plot_claim`), only when the
    claimed model is among the organisation's models studied, and ``largest.png``
    (:func:`plot_largest`)."""
    figures = {"largest.png": plot_largest(study)}
    if study.claim.model in set(study.table["model"]):
        figures = {"claim.png": plot_claim(study), **figures}
    return figures


def plot_largest(study: ClaimStudy, n: int = 6) -> Figure:
    """The ``n`` models with the largest count at the cut, log scale, one panel each."""
    at_cut = study.table.drop_duplicates("model").nlargest(n, "count_at_cut")["model"]
    cols = 3
    rows = -(-len(at_cut) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, model in zip(axes.flat, at_cut, strict=False):
        plot_model(study, model, log=True, ax=ax)
        ax.set_title(model, fontsize=9)
    for ax in axes.flat[len(at_cut) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
