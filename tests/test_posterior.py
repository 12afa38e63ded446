"""A fit's forecasts and tables against its posterior: what the forecast code simulates, and the
tables print, recomputed from the posterior draws with the model's formulas
(:mod:`bayesgrowth.model`), on the shared synthetic fit (labelled synthetic)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from panels import make_panel

import bayesgrowth
from bayesgrowth.design import build_design
from bayesgrowth.diagnostics import diagnose
from bayesgrowth.posterior import PosteriorDraws


def test_fewer_samples_than_draws_are_thinned_evenly_over_every_chain():
    """Draw d of chain c holds 1000·c + d: 5 samples of 3 chains × 10 draws are taken evenly
    over the chains one after the other (positions 0, 7, 14, 22, 29), not the first 5 of chain
    0, and a forecast of few samples still sees every chain."""
    values = 1000 * np.arange(3)[:, None] + np.arange(10)[None, :]
    posterior = xr.DataTree(xr.Dataset({"x": (("chain", "draw"), values)}))
    draws = PosteriorDraws(posterior, None, 0.0)
    assert draws.draws("x", 5).tolist() == [0, 7, 1004, 2002, 2009]
    assert draws.draws("x", 100).tolist() == values.reshape(-1).tolist()


def test_a_new_series_curve_spreads_around_its_organisation_by_the_series_spread():
    """A dormant or new series' curve is drawn from its organisation's population: the
    organisation's means plus a series departure of spread s_λ, s_μ (0.5 and 0.3 here, with
    the organisation's means fixed), so its forecast is as wide as the fitted series' spread."""
    design = build_design(make_panel({"org/a": [0, 1, 3], "org/never": [0, 0, 0]}))
    n = 4000
    per_org = {"org_log_lam": 2.0, "org_mu": 1.0, "org_log_sigma": 0.0, "disp_org": 1.0}
    shared = {"s_log_lam": 0.5, "s_mu": 0.3, "disp_size": 0.0}
    data = {
        k: (("chain", "draw", "organization"), np.full((2, 2000, 1), v)) for k, v in per_org.items()
    }
    data |= {k: (("chain", "draw"), np.full((2, 2000), v)) for k, v in shared.items()}
    posterior = xr.DataTree(xr.Dataset(data))
    curves = PosteriorDraws(posterior, design, 0.0).population(
        np.zeros(1, dtype=int), n, np.random.default_rng(0)
    )
    assert curves.log_lam.std() == pytest.approx(0.5, rel=0.05)
    assert curves.mu.std() == pytest.approx(0.3, rel=0.05)
    assert curves.log_lam.mean() == pytest.approx(2.0, abs=0.03)


def test_dormant_series_start_as_often_as_the_posterior_hazard_says(fitted):
    """The share of draws in which a fitted series still at zero gets its first count within a
    year equals the chance the posterior gives it, 1 - S(t + 12) / S(t) with the Gamma-frailty
    survival S(k) = (1 + θ H_k)^(-1/θ), averaged over the draws; computed here from the
    posterior's onset variables and the model's formula (bayesgrowth.model), not the forecast's
    code."""
    d = fitted.design
    post = fitted.idata["posterior"].to_dataset().stack(s=("chain", "draw"))
    dormant = np.setdiff1d(np.arange(d.n_series), d.active)
    last = int(d.last_t[dormant].max())
    assert (d.last_t[dormant] == last).all()
    steps = np.tile(last + np.arange(1, 13), (d.n_series, 1))
    draws = post.sizes["s"]
    simulated = fitted.simulate(steps, n_samples=draws, seed=4)[dormant, -1] > 0
    j = np.arange(1, last + 13)
    slope, frailty = post["onset_slope"].values, post["onset_frailty"].values
    for i, series in enumerate(dormant):
        eta = (
            post["onset_org"].values[d.series_org[series]]
            + post["onset_batch"].values * (np.log(d.release_batch[series]) - d.onset_batch_centre)
            + slope * (np.log(j)[:, None] - d.onset_centre)
        )
        hazard = np.cumsum(np.exp(eta), axis=0)  # H_k for k = 1 .. last + 12, per draw
        survival = (1 + frailty * hazard) ** (-1 / frailty)
        chance = (1 - survival[-1] / survival[last - 1]).mean()
        share = simulated[i].mean()
        assert share == pytest.approx(chance, abs=4 * np.sqrt(chance * (1 - chance) / draws))


def test_next_step_growth_is_what_the_posterior_expects(fitted):
    """Each grown series' simulated growth in its next step has the mean the posterior gives it:
    per draw, (1 - π) (c(t + 1) - c(t)) e^δ e^{s_δ²/2}, with the pause chance π after the
    series' current run of quiet steps and the recent departure δ, whose first move in the
    forecast is N(0, s_δ) (bayesgrowth.model); computed here from the posterior, not the
    forecast's code."""
    from scipy.special import expit, ndtr

    d = fitted.design
    post = fitted.idata["posterior"].to_dataset().stack(s=("chain", "draw"))
    a = d.active
    steps = (d.last_t + 1)[:, None]
    sims = fitted.simulate(steps, n_samples=post.sizes["s"], seed=5)[a, 0]
    growth = sims - d.last_value[a, None]

    def curve(t):
        z = (np.log(t[:, None]) - post["mu"].values) / np.exp(post["log_sigma"].values)
        return np.expm1(np.exp(post["log_lam"].values) * ndtr(z))

    run = d.last_run[a, None]
    pause = expit(
        post["pause_g"].values
        + post["pause_size"].values * d.size[:, None]
        + post["pause_slope"].values * np.log1p(np.maximum(run, 0))
    )
    pause = np.where(run >= 0, pause, 0.0)
    expected = (
        (1 - pause)
        * (curve(steps[a, 0] - d.origin[a]) - curve(d.last_t_exact[a] - d.origin[a]))
        * np.exp(post["recent"].values + post["s_recent"].values ** 2 / 2)
    ).mean(axis=1)
    assert (run > 0).sum() >= 3, "series in a quiet run, whose pause chance is higher"
    error = 4 * growth.std(axis=1) / np.sqrt(growth.shape[1])
    np.testing.assert_array_less(np.abs(growth.mean(axis=1) - expected), error + 1e-9)


def test_the_forecast_dispersion_of_each_series_is_the_models(fitted):
    """Each active series' increments are drawn with the model's dispersion
    α = exp(disp_org + disp_size · size), draw by draw: larger series are more (or less)
    over-dispersed as the fit says, not the other way round."""
    d, post = fitted.design, fitted.idata["posterior"]
    disp_org = post["disp_org"].stack(sample=("chain", "draw")).values
    disp_size = post["disp_size"].stack(sample=("chain", "draw")).values
    expected = np.exp(disp_org[d.series_org[d.active]] + disp_size * d.size[:, None])
    assert np.abs(disp_size).mean() > 0.01 and np.ptp(d.size) > 1.0  # the size term matters
    np.testing.assert_allclose(fitted._posterior.curve(fitted.n_draws).alpha, expected)


def test_the_pause_chance_of_a_forecast_depends_on_the_series_size(fitted):
    """The pause chance of a forecast step has the posterior's slope on series size: with the
    intercept and run slope set to 0 and the size slope to +20 (-20), the larger series
    (centred size above 0.5) pause in almost every draw (almost never)."""
    d = fitted.design
    large = d.active[d.size > 0.5]
    assert len(large) >= 3
    steps = (d.last_t + 1)[:, None]
    grew = {}
    for slope in (20.0, -20.0):
        idata = fitted.idata.copy(deep=True)
        post = idata["posterior"]
        for name, value in (("pause_g", 0.0), ("pause_slope", 0.0), ("pause_size", slope)):
            post[name] = post[name] * 0.0 + value
        fit = bayesgrowth.GrowthFit(idata, d, fitted.config, fitted.data_hash, fitted.diagnostics())
        sims = fit.simulate(steps, n_samples=500, seed=6)[large, 0]
        grew[slope] = (sims > d.last_value[large, None]).mean()
    assert grew[20.0] < 0.01 < 0.5 < grew[-20.0], grew


def test_parameter_table_holds_the_posterior_quantiles(fitted):
    """``parameters()``: per active series the 5%, 50% and 95% posterior quantiles of λ, μ and
    σ, and the median recent rate e^δ; empty cells for series still at zero."""
    d = fitted.design
    post = fitted.idata["posterior"].to_dataset().stack(s=("chain", "draw"))
    table = fitted.parameters()
    for label, name, transform in (
        ("lambda", "log_lam", np.exp),
        ("mu", "mu", lambda x: x),
        ("sigma", "log_sigma", np.exp),
    ):
        expected = np.quantile(transform(post[name].values), [0.05, 0.5, 0.95], axis=1)
        for row, suffix in zip(expected, ("q05", "median", "q95"), strict=True):
            column = table[f"{label}_{suffix}"].to_numpy()
            np.testing.assert_allclose(column[d.active], row, rtol=1e-12, err_msg=label)
            assert np.isnan(np.delete(column, d.active)).all()
    np.testing.assert_allclose(
        table["recent_rate_median"].to_numpy()[d.active],
        np.median(np.exp(post["recent"].values), axis=1),
        rtol=1e-12,
    )


def test_organisation_table_holds_the_posterior_medians(fitted):
    """``organisations()``: series counts, posterior medians of the organisation curve means and
    dispersion, and the chance of a first count during step 1 and step 12 of a model released on
    its own, from the posterior and the frailty survival S(k) = (1 + θ H_k)^(-1/θ)."""
    d = fitted.design
    post = fitted.idata["posterior"].to_dataset().stack(s=("chain", "draw"))
    table = fitted.organisations().set_index("organization").loc[d.organizations]
    assert table["series"].tolist() == [10, 10, 10] and table["active"].tolist() == [8, 8, 8]
    for column, name, transform in (
        ("lambda_median", "org_log_lam", np.exp),
        ("mu_median", "org_mu", lambda x: x),
        ("sigma_median", "org_log_sigma", np.exp),
        ("dispersion_median", "disp_org", np.exp),
    ):
        expected = np.median(transform(post[name].values), axis=1)
        np.testing.assert_allclose(table[column], expected, rtol=1e-12, err_msg=column)
    j = np.arange(1, 13)
    eta = (
        post["onset_org"].values[:, None, :]
        + post["onset_batch"].values * (np.log(1.0) - d.onset_batch_centre)
        + post["onset_slope"].values * (np.log(j)[:, None] - d.onset_centre)
    )
    frailty = post["onset_frailty"].values
    survival = (1 + frailty * np.cumsum(np.exp(eta), axis=1)) ** (-1 / frailty)
    np.testing.assert_allclose(
        table["onset_prob_step1"], np.median(1 - survival[:, 0], axis=1), rtol=1e-9
    )
    np.testing.assert_allclose(
        table["onset_prob_step12"],
        np.median(1 - survival[:, 11] / survival[:, 10], axis=1),
        rtol=1e-9,
    )


def test_a_dormant_series_is_forecast_by_its_own_release_batch(fitted):
    """A fitted series still at zero takes off at the hazard of its own release batch: with the
    posterior's batch slope set to -1, the dormant series, recorded as released beside 49 others,
    start within a year in fewer draws than recorded as released on their own."""
    idata = fitted.idata.copy(deep=True)
    idata["posterior"]["onset_batch"] = idata["posterior"]["onset_batch"] * 0.0 - 1.0
    d = fitted.design
    dormant = ~np.isin(np.arange(d.n_series), d.active)
    steps = d.last_t[:, None] + np.arange(1, 13)
    started = {}
    for batch in (1, 50):
        design = dataclasses.replace(d, release_batch=np.where(dormant, batch, d.release_batch))
        fit = bayesgrowth.GrowthFit(
            idata, design, fitted.config, fitted.data_hash, fitted.diagnostics()
        )
        started[batch] = (fit.simulate(steps, n_samples=500, seed=3)[dormant, -1] > 0).mean()
    assert started[50] < 0.5 * started[1], started


def test_parameters_command_writes_the_saved_fits_table_beside_the_authors(fitted, tmp_path):
    """``bayesgrowth parameters`` writes the saved fit's parameter table, the authors' estimates
    (kept in the fit file) beside ours with their μ moved from years to months, and repeats the
    fit's sampling problems."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app
    from bayesgrowth.report import extreme_paper_fits
    from bayesgrowth.result import GrowthFit

    d = fitted.design
    paper = pd.DataFrame(
        {
            "lambda_i": np.geomspace(1.0, 1e4, d.n_series),
            "mu_i": np.linspace(-1.0, 2.0, d.n_series),
            "sigma_i": np.linspace(0.5, 3.0, d.n_series),
        },
        index=d.models,
    )
    tree = fitted.idata.copy()
    stats = tree["sample_stats"].to_dataset()
    stats["diverging"] = xr.ones_like(stats["diverging"])
    tree["sample_stats"] = xr.DataTree(stats)
    with_paper = GrowthFit(
        tree, d, fitted.config, fitted.data_hash, diagnose(tree, 1.0), paper_fits=paper
    )
    path = with_paper.save(tmp_path / "fit.nc")
    out = tmp_path / "parameters.csv"
    result = CliRunner().invoke(app, ["parameters", "--fit", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"WARNING: {path} was sampled with a problem: {stats['diverging'].size} divergent" in (
        result.output
    )
    table = pd.read_csv(out)
    pd.testing.assert_frame_equal(
        table,
        fitted.parameters().assign(
            paper_lambda=paper["lambda_i"].to_numpy(),
            paper_mu=paper["mu_i"].to_numpy(),
            paper_mu_months=paper["mu_i"].to_numpy() + np.log(12.0),
            paper_sigma=paper["sigma_i"].to_numpy(),
        ),
        check_dtype=False,
    )
    assert len(table) == d.n_series and (table["status"] == "dormant").sum() == 6
    # The extreme-fits table keeps the authors' μ on both axes, so a reader can set it beside ours.
    extreme = extreme_paper_fits(table)
    chosen = table[(table["paper_lambda"] > 100) | (table["paper_sigma"] > 20)]
    assert 0 < len(chosen) < len(table)
    assert sorted(extreme["model"]) == sorted(chosen["model"])
    np.testing.assert_allclose(
        extreme["paper_mu_months"] - extreme["paper_mu"], np.log(12.0), rtol=1e-12
    )
