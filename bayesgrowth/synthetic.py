"""Synthetic panels drawn from the model itself, for parameter-recovery tests and demos.

Everything here is labelled synthetic: model ids start with ``synthetic/``, organisations with
``synth-``, and the panel's ``source`` says so. Never mix these with real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesgrowth.curves import cumulative
from bayesgrowth.forecast import PauseDraws, increment
from bayesgrowth.panel import Panel, add_months

SYNTHETIC_START = pd.Timestamp("2023-01-01", tz="UTC")


@dataclass(frozen=True)
class SyntheticTruth:
    """The parameters a synthetic panel was drawn with, one row per series."""

    table: pd.DataFrame
    """Columns ``model, organization, lam, mu, sigma, alpha``."""


def synthetic_panel(
    n_orgs: int = 3,
    series_per_org: int = 10,
    months: int | np.ndarray = 18,
    *,
    org_log_lam: float = 1.5,
    org_mu: float = 2.0,
    log_sigma: float = 0.3,
    org_spread: float = 0.3,
    series_spread: float = 0.4,
    alpha: float = 20.0,
    dormant_per_org: int = 0,
    pause: tuple[float, float] | None = None,
    seed: int = 0,
) -> tuple[Panel, SyntheticTruth]:
    """Draw a fine-tune panel from the hierarchical curve model.

    Parameters
    ----------
    n_orgs, series_per_org
        Size of the panel (active series).
    months
        Months observed per series (one value for all, or one per series).
    org_log_lam, org_mu
        Population means; each organisation's mean is drawn around them with ``org_spread``.
    log_sigma
        log σ, one value shared by every series (as in the model).
    org_spread, series_spread
        Standard deviations of organisation means and of series around them (log λ and μ).
    alpha
        Negative-binomial dispersion of monthly increments.
    dormant_per_org
        Extra series per organisation that stay at zero.
    pause
        (intercept, slope) of the pause term on the logit scale (see :mod:`bayesgrowth.model`),
        or ``None`` for none.
    seed
        Random seed.

    Returns
    -------
    (Panel, SyntheticTruth)
        The panel (``source`` = "synthetic") and the true parameters.
    """
    rng = np.random.default_rng(seed)
    n = n_orgs * series_per_org
    months = np.broadcast_to(np.asarray(months, dtype=int), (n,))
    org_idx = np.repeat(np.arange(n_orgs), series_per_org)
    means = {
        "log_lam": org_log_lam + org_spread * rng.standard_normal(n_orgs),
        "mu": org_mu + org_spread * rng.standard_normal(n_orgs),
    }
    log_lam = means["log_lam"][org_idx] + series_spread * rng.standard_normal(n)
    mu = means["mu"][org_idx] + series_spread * rng.standard_normal(n)
    sigma = np.full(n, np.exp(log_sigma))
    lam = np.exp(log_lam)
    pauses = None if pause is None else PauseDraws(np.array([pause[0]]), np.array([pause[1]]))
    models = [f"synthetic/s{i:03d}" for i in range(n)]
    orgs = [f"synth-{o}" for o in org_idx]

    rows = []
    for i in range(n):
        t = np.arange(months[i] + 1, dtype=float)
        mean = np.diff(cumulative(t, lam[i], mu[i], sigma[i]))
        inc, run = np.zeros(months[i]), np.full((1, 1), -1)
        for k in range(months[i]):
            step, run = increment(mean[None, k : k + 1], np.full((1, 1), alpha), run, pauses, rng)
            inc[k] = step[0, 0]
        rows.append(
            pd.DataFrame(
                {
                    "model": models[i],
                    "organization": orgs[i],
                    "t": t.astype(int),
                    "cumulative": np.r_[0.0, np.cumsum(inc)],
                }
            )
        )
    for o in range(n_orgs):
        for j in range(dormant_per_org):
            rows.append(
                pd.DataFrame(
                    {
                        "model": f"synthetic/dormant-{o}-{j}",
                        "organization": f"synth-{o}",
                        "t": np.arange(months.max() + 1),
                        "cumulative": 0.0,
                    }
                )
            )
    obs = pd.concat(rows, ignore_index=True)
    last_t = obs.groupby("model")["t"].transform("max")
    created = SYNTHETIC_START
    data_date = created + pd.DateOffset(months=int(months.max()))
    # Series of different lengths end at the data date: shift each one's creation back.
    offsets = (last_t.max() - last_t).to_numpy()
    created_at = add_months(pd.Series(created, index=obs.index), offsets)
    obs["date"] = add_months(created_at, obs["t"].to_numpy())
    obs = obs.assign(
        metric="finetunes",
        t_exact=obs["t"].astype(float),
        partial=False,
        cumulative=obs["cumulative"].astype(np.int64),
    )
    obs["created_at"] = created_at
    series = (
        obs.groupby("model", sort=False)
        .agg(
            organization=("organization", "first"),
            created_at=("created_at", "first"),
            first_t=("t", "min"),
            last_t=("t", "max"),
            n_obs=("t", "size"),
            last_value=("cumulative", "last"),
        )
        .reset_index()
    )
    series = series.assign(
        metric="finetunes",
        left_censored=False,
        source_file="synthetic",
        source_row=np.arange(len(series)),
    )
    panel = Panel(
        observations=obs.drop(columns="created_at"),
        series=series,
        data_date=data_date,
        source="synthetic (drawn from the model)",
    )
    truth = pd.DataFrame(
        {
            "model": models,
            "organization": orgs,
            "lam": lam,
            "mu": mu,
            "sigma": sigma,
            "alpha": alpha,
        }
    )
    return panel, SyntheticTruth(truth)
