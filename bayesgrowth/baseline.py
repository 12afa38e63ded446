"""The paper's method, reproduced: one least-squares WSB curve per series.

Each series is fitted with ``scipy.optimize.curve_fit`` of
:math:`c(t) = m(\\exp(\\lambda\\Phi((\\ln t - \\mu)/\\sigma)) - 1)` exactly as the authors did:
starting guess ``P0 = (0.5, 2.0, 0.5)``, bounds ``(0, inf)`` on all three parameters, a retry with
``maxfev=10000`` when the first call raises ``RuntimeError``, and ``P0`` itself when that fails too.

Which points, on which axis
---------------------------
* Every observed ``(t_exact, cumulative)`` of the series is fitted, the 0-month (creation-day)
  point included as the authors did; ``t_exact`` equals the integer step except for a partial last
  month, whose count was read part-way through it.
* ``axis="step"`` fits on the panel's own unit, months for fine-tunes and days for downloads; this
  is the forecasting baseline (m = 1), since a forecast target is a step. ``axis="years"``
  (``t / 12``; days / 365.25) is the convention of the authors' published ``lambda_i, mu_i,
  sigma_i`` columns, which were fitted with m = 1 (their web app uses m = 100 and a month index).
* A series with fewer than :data:`MIN_POINTS` points after creation is not fitted: the curve is 0 at
  t = 0 whatever the parameters, so the 0-month point carries no information, and the authors'
  table holds exactly ``P0`` for every such series.

Status of a fit (first match wins)
----------------------------------
``too-few-points`` (not fitted, ``P0``); ``failed`` (both curve_fit calls raised, ``P0``: in
practice a runaway fit, accelerating growth whose optimum lies at λ, μ → ∞, which with scipy 1.18
walks on until the retry's 10,000 evaluations run out, some seconds per series, where the authors'
setup stopped early at extreme values);
``stuck-at-start`` (curve_fit "converged" on ``P0``: the curve is flat there, e.g. a series that
never moved); ``extreme`` (λ > 100, σ > 20 or μ < 1e-6: the optimum ran off to a degenerate
corner); ``ok``.

Forecasts (:class:`PaperForecaster`)
------------------------------------
The point forecast is the fitted curve at the target, as the paper reports it; the predictive
draws come from drawing parameters from N(popt, pcov), as a user of the paper's method would, each
clipped into the bounds. Where pcov is not finite (a fallback, a flat curve) the draws all equal
the point: the method offers no interval there. Every value is floored at the last observed count
and capped at :data:`COUNT_CAP` (runaway parameters overflow).
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from numbers import Integral
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

from bayesgrowth.curves import cumulative
from bayesgrowth.errors import DataError
from bayesgrowth.forecasters import Forecast, floor, last_observed
from bayesgrowth.panel import Panel

P0 = (0.5, 2.0, 0.5)
RETRY_MAXFEV = 10_000
MIN_POINTS = 3
EXTREME_LAMBDA, EXTREME_SIGMA, EXTREME_MU = 100.0, 20.0, 1e-6
STATUSES = ("ok", "too-few-points", "failed", "stuck-at-start", "extreme")
STEPS_PER_YEAR = {"finetunes": 12.0, "downloads": 365.25}
COUNT_CAP = 1e12
"""Ceiling on forecast counts. A runaway fit (λ in the thousands) overflows to inf; 1e12 is far
above any count on the Hub (the largest series holds 3e9 downloads) and keeps every score finite."""

Axis = Literal["step", "years"]


@dataclass(frozen=True)
class CurveFit:
    """One series' fit: parameters (``P0`` where not fitted), covariance, status, points used."""

    lam: float
    mu: float
    sigma: float
    cov: np.ndarray
    status: str
    n_points: int

    @property
    def params(self) -> np.ndarray:
        """``(lam, mu, sigma)`` as an array."""
        return np.array([self.lam, self.mu, self.sigma])


def fit_curve(t: np.ndarray, c: np.ndarray, m: float = 1.0) -> CurveFit:
    """Fit the WSB curve to one series the authors' way and classify the result.

    Parameters
    ----------
    t, c
        Times since creation (any unit; t = 0 allowed) and cumulative counts.
    m
        The curve's fixed scale.

    Returns
    -------
    CurveFit
        The fit, with ``status`` one of :data:`STATUSES`.

    Raises
    ------
    DataError
        For a time or count that is NaN or infinite (curve_fit refuses it, which would read as a
        ``failed`` fit).
    """
    t, c = np.asarray(t, dtype=float), np.asarray(c, dtype=float)
    bad = np.flatnonzero(~(np.isfinite(t) & np.isfinite(c)))
    if len(bad):
        raise DataError(
            f"point {bad[0]} (t = {t[bad[0]]}, c = {c[bad[0]]}) is not finite: leave unobserved "
            "steps out rather than pass NaN"
        )
    n_points = int((t > 0).sum())
    no_cov = np.full((3, 3), np.nan)
    if n_points < MIN_POINTS:
        return CurveFit(*P0, cov=no_cov, status="too-few-points", n_points=n_points)

    def curve(x, lam, mu, sigma):
        return cumulative(x, lam, mu, sigma, m)

    # log(0) at the creation point, overflow of exp for runaway λ and the "covariance could not be
    # estimated" warning are all expected here: the status says what came of the fit.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            try:
                popt, pcov = curve_fit(curve, t, c, p0=P0, bounds=(0, np.inf))
            except RuntimeError:
                popt, pcov = curve_fit(curve, t, c, p0=P0, bounds=(0, np.inf), maxfev=RETRY_MAXFEV)
        except (RuntimeError, ValueError):
            return CurveFit(*P0, cov=no_cov, status="failed", n_points=n_points)
    lam, mu, sigma = (float(v) for v in popt)
    if np.allclose(popt, P0, rtol=0.0, atol=1e-9):
        status = "stuck-at-start"
    elif lam > EXTREME_LAMBDA or sigma > EXTREME_SIGMA or mu < EXTREME_MU:
        status = "extreme"
    else:
        status = "ok"
    return CurveFit(
        lam, mu, sigma, cov=np.asarray(pcov, dtype=float), status=status, n_points=n_points
    )


def _fit_chunk(chunk: list[tuple[np.ndarray, np.ndarray]], m: float) -> list[CurveFit]:
    return [fit_curve(t, c, m) for t, c in chunk]


def fit_many(
    series: Sequence[tuple[np.ndarray, np.ndarray]], m: float = 1.0, workers: int | None = None
) -> list[CurveFit]:
    """Fit many ``(t, c)`` series, in parallel over processes; results in input order.

    Each fit is deterministic, so the result does not depend on ``workers`` (default: all cores;
    1 fits in this process). Workers start from a fork server, so a script that calls this with
    more than one worker needs the usual ``if __name__ == "__main__":`` guard.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(series) < 2:
        return _fit_chunk(list(series), m)
    # Small interleaved chunks: a few runaway fits take seconds each, so balance them across cores.
    n_chunks = min(len(series), workers * 16)
    chunks = [list(series[i::n_chunks]) for i in range(n_chunks)]
    # forkserver, not fork: forking a process that already runs threads (BLAS, pytest) can deadlock.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bayesgrowth.baseline"])  # import once, not once per worker
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        done = list(pool.map(_fit_chunk, chunks, [m] * n_chunks))
    out: list[CurveFit] = [None] * len(series)  # type: ignore[list-item]
    for i, fits in enumerate(done):
        out[i::n_chunks] = fits
    return out


def series_points(panel: Panel, axis: Axis = "step") -> tuple[pd.DataFrame, list]:
    """The ``(model, metric)`` keys of a panel and each series' ``(t, c)`` on the chosen axis."""
    obs = panel.observations
    keys, points = [], []
    for (metric, model), g in obs.groupby(["metric", "model"], sort=True):
        scale = STEPS_PER_YEAR[metric] if axis == "years" else 1.0
        keys.append((model, metric))
        points.append((g["t_exact"].to_numpy() / scale, g["cumulative"].to_numpy(dtype=float)))
    return pd.DataFrame(keys, columns=["model", "metric"]), points


def fit_panel(
    panel: Panel, axis: Axis = "step", m: float = 1.0, workers: int | None = None
) -> pd.DataFrame:
    """Fit every series of a panel.

    Returns
    -------
    pandas.DataFrame
        ``model, metric, n_points, lam, mu, sigma, status``, sorted by metric and model.
    """
    keys, points = series_points(panel, axis)
    return fits_table(keys, fit_many(points, m, workers))


def fits_table(keys: pd.DataFrame, fits: Sequence[CurveFit]) -> pd.DataFrame:
    """``keys`` (rows aligned with ``fits``) with ``n_points, lam, mu, sigma, status`` added."""
    return keys.reset_index(drop=True).assign(
        n_points=[f.n_points for f in fits],
        lam=[f.lam for f in fits],
        mu=[f.mu for f in fits],
        sigma=[f.sigma for f in fits],
        status=[f.status for f in fits],
    )


def draw_params(fit: CurveFit, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Parameters drawn from N(popt, pcov) and clipped into the bounds, shape (n_samples, 3).

    A fit without a finite covariance gives ``n_samples`` copies of its own parameters. Round-off
    can leave pcov with tiny negative eigenvalues; they are taken as 0.
    """
    if not np.isfinite(fit.cov).all():
        return np.broadcast_to(fit.params, (n_samples, 3))
    eigenvalues, vectors = np.linalg.eigh(fit.cov)
    z = rng.standard_normal((n_samples, 3)) * np.sqrt(np.clip(eigenvalues, 0.0, None))
    return np.clip(fit.params + z @ vectors.T, [0.0, 0.0, np.finfo(float).tiny], np.inf)


def curve_values(t: np.ndarray, theta: np.ndarray, m: float) -> np.ndarray:
    """The curve at ``t`` for parameter rows ``theta`` (..., 3), capped at :data:`COUNT_CAP`."""
    with np.errstate(all="ignore"):  # a runaway λ overflows exp: that is what the cap is for
        values = cumulative(t, theta[..., 0], theta[..., 1], theta[..., 2], m)
    return np.minimum(values, COUNT_CAP)


class PaperForecaster:
    """The paper's curve fit as a forecaster (``--method paper``).

    Parameters
    ----------
    m
        The curve's fixed scale (1, as the authors' published parameters).
    n_samples
        Parameter draws per series for the interval and CRPS.
    workers
        Processes for the fits (default: all cores).
    """

    name = "paper"

    def __init__(self, m: float = 1.0, n_samples: int = 1000, workers: int | None = None) -> None:
        self.m, self.n_samples, self.workers = m, n_samples, workers

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        """See :meth:`bayesgrowth.forecasters.Forecaster.forecast`; fits on the step axis."""
        origin = last_observed(history, targets)
        keys, points = series_points(history, "step")
        index = pd.MultiIndex.from_frame(keys).get_indexer(
            pd.MultiIndex.from_frame(targets[["model", "metric"]])
        )
        # Fit only the series asked for, each once even when several targets share it.
        wanted = np.unique(index)
        fitted = fit_many([points[i] for i in wanted], self.m, self.workers)
        row_fits = [fitted[j] for j in np.searchsorted(wanted, index)]
        t = targets["t_exact"].to_numpy(dtype=float)
        last = origin["origin_value"].to_numpy(dtype=float)
        point = curve_values(t, np.array([f.params for f in row_fits]).reshape(-1, 3), self.m)
        rng = np.random.default_rng(seed)
        theta = np.stack([draw_params(f, self.n_samples, rng) for f in row_fits]).reshape(
            -1, self.n_samples, 3
        )
        samples = curve_values(t[:, None], theta, self.m)
        return Forecast.from_samples(
            targets,
            floor(samples, last),
            point=floor(point, last),
            diagnostics=fits_table(keys.iloc[wanted], fitted),
        )


def matches_authors(fits: pd.DataFrame, authors: pd.DataFrame, rtol: float = 0.01) -> pd.Series:
    """Whether each re-fit (``lam, mu, sigma``) is within ``rtol`` of the authors' on all three.

    ``authors`` holds ``lambda_i, mu_i, sigma_i`` aligned row for row with ``fits``. A μ stuck at
    its bound 0 comes out as any tiny number (1e-54 here, 1e-30 there), so differences below
    :data:`EXTREME_MU` count as equal.
    """
    ours = fits[["lam", "mu", "sigma"]].to_numpy(dtype=float)
    theirs = authors[["lambda_i", "mu_i", "sigma_i"]].to_numpy(dtype=float)
    close = np.abs(ours - theirs) <= rtol * np.abs(theirs) + EXTREME_MU
    return pd.Series(close.all(axis=1), index=fits.index)


def with_authors(
    fits: pd.DataFrame, paper_fits: pd.DataFrame, compare: bool = True
) -> pd.DataFrame:
    """Fits (of :func:`fit_panel`) beside the authors' published parameters.

    Adds ``lambda_i, mu_i, sigma_i`` (NaN where the authors have none), ``authors_at_start`` (their
    row is exactly ``P0``) and ``matches_authors`` (:func:`matches_authors`), left empty when
    ``compare`` is false: fits on another axis or scale than the authors' (years, m = 1) differ
    from theirs by construction (μ by ln 12 on months).
    """
    columns = ["lambda_i", "mu_i", "sigma_i"]
    authors = paper_fits[["model", *columns]] if not paper_fits.empty else None
    table = (
        fits.merge(authors, on="model", how="left")
        if authors is not None
        else fits.assign(**dict.fromkeys(columns, np.nan))
    )
    table["authors_at_start"] = (table[columns] == np.array(P0)).all(axis=1)
    table["matches_authors"] = matches_authors(table, table) if compare else pd.NA
    return table


def paper_table(panel: Panel, top: int = 50, workers: int | None = None) -> pd.DataFrame:
    """Table 1 of the paper regenerated: the ``top`` fine-tune series by last count.

    Returns
    -------
    pandas.DataFrame
        ``rank, model, organization, last_count``, the authors' ``lambda_i, mu_i, sigma_i``, our
        re-fit ``lam, mu, sigma`` on their axis (years, m = 1), its ``status``, ``n_points`` and
        ``matches_authors`` (all three within 1%).

    Raises
    ------
    DataError
        For ``top`` not a whole number of at least 1 (-3 would take every series but three).
    """
    if isinstance(top, bool) or not isinstance(top, Integral) or top < 1:
        raise DataError(f"top must be a whole number of at least 1, not {top!r}")
    fine = panel.metric("finetunes")
    series = fine.series.sort_values(["last_value", "model"], ascending=[False, True]).head(top)
    fits = fit_panel(fine.select(models=series["model"]), axis="years", workers=workers)
    table = series[["model", "organization", "last_value"]].rename(
        columns={"last_value": "last_count"}
    )
    table = table.merge(with_authors(fits, fine.paper_fits), on="model", how="left")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    columns = ["rank", "model", "organization", "last_count", "lambda_i", "mu_i", "sigma_i"]
    return table[[*columns, "lam", "mu", "sigma", "status", "n_points", "matches_authors"]]
