"""The hierarchical model on small synthetic panels drawn from the model itself (labelled synthetic)."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from panels import make_panel
from synthfit import PAUSE

import bayesgrowth
from bayesgrowth.curves import cumulative, growth_between
from bayesgrowth.diagnostics import Diagnostics, diagnose
from bayesgrowth.errors import BayesGrowthError, OutputError, UnknownModelError
from bayesgrowth.fitfile import FORMAT_VERSION, FitFileError, write_tree
from bayesgrowth.forecast import MEAN_CAP, CurveDraws, grow, poisson_gamma, summarise
from bayesgrowth.synthetic import synthetic_panel


def test_synthetic_panel_is_labelled(synthetic):
    panel, truth = synthetic
    assert panel.source.startswith("synthetic")
    assert panel.series["model"].str.startswith("synthetic/").all()
    assert len(truth.table) == 24


def test_recovers_curve_parameters(fitted, synthetic):
    """True log λ and μ fall inside the 90% intervals at about the nominal rate, and so does σ."""
    panel, truth = synthetic
    grown = panel.series.set_index("model")["last_value"].loc[truth.table["model"]].to_numpy() > 0
    truth_table = truth.table[grown]
    assert len(truth_table) >= 20, "the synthetic panel should have grown series to recover"
    params = fitted.parameters().set_index("model").loc[truth_table["model"]]
    inside = []
    for name, true in (("lambda", truth_table["lam"]), ("mu", truth_table["mu"])):
        lo, hi = params[f"{name}_q05"].to_numpy(), params[f"{name}_q95"].to_numpy()
        inside.append((true.to_numpy() >= lo) & (true.to_numpy() <= hi))
    rate = np.concatenate(inside).mean()
    assert rate >= 0.75, f"only {rate:.0%} of true values inside the 90% intervals"
    # σ is one value shared by every fine-tune series: its 90% interval holds the one it was
    # drawn with (1.35 here), and is narrow (about 1.26 to 1.48).
    (true_sigma,) = truth_table["sigma"].unique()
    lo, hi = params[["sigma_q05", "sigma_q95"]].drop_duplicates().to_numpy().reshape(-1)
    assert lo <= true_sigma <= hi, f"σ: true {true_sigma:.2f} outside [{lo:.2f}, {hi:.2f}]"
    assert hi / lo < 1.5, f"σ: [{lo:.2f}, {hi:.2f}] says little"
    # λ is well identified by the level of long series: medians track the truth.
    corr = np.corrcoef(np.log(params["lambda_median"]), np.log(truth_table["lam"]))[0, 1]
    assert corr > 0.8
    # μ by the bend of each series' curve: its intervals are narrow and its medians follow the
    # truth (1.25 and 0.71 here; with each series' curve bent at its organisation's μ instead of
    # its own, 2.8 and 0.36, while the checks above still passed).
    mu_width = np.median(params["mu_q95"] - params["mu_q05"])
    assert mu_width < 2.0, f"the 90% intervals of μ are {mu_width:.2f} wide"
    assert np.corrcoef(params["mu_median"], truth_table["mu"])[0, 1] > 0.5


def test_recovers_the_pause(fitted):
    """The pause intercept and slope the synthetic panel was drawn with lie in their 90% intervals,
    which the data make much narrower than the prior's: the prior's own intervals, [-4.5, 0.5]
    and [-1.1, 2.1], hold the truth too, so a pause cut off from the data would pass the first
    check alone."""
    post = fitted.idata["posterior"]
    prior_scale = {"pause_g": fitted.config.priors.pause_scale, "pause_slope": 1.0}
    for name, true in zip(("pause_g", "pause_slope"), PAUSE, strict=True):
        lo, hi = np.quantile(post[name].values, [0.05, 0.95])
        assert lo <= true <= hi, f"{name}: true {true} outside [{lo:.2f}, {hi:.2f}]"
        prior_width = 2 * 1.645 * prior_scale[name]
        assert hi - lo < 0.75 * prior_width, f"{name}: [{lo:.2f}, {hi:.2f}] is about the prior's"


def test_forecast_shape_and_monotone_quantiles(fitted, synthetic):
    panel, _ = synthetic
    table = fitted.forecast(6, n_samples=200)
    assert len(table) == 6 * panel.n_series
    assert list(table.columns) == [
        "model",
        "organization",
        "metric",
        "t",
        "mean",
        "q05",
        "q25",
        "q50",
        "q75",
        "q95",
    ]
    q = table[["q05", "q25", "q50", "q75", "q95"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all(), "quantiles cross"
    for _, block in table.groupby("model"):
        assert (np.diff(block[["q05", "q50", "q95"]].to_numpy(), axis=0) >= 0).all(), (
            "cumulative quantiles fall"
        )
    last = panel.series.set_index("model")["last_value"]
    first = table.groupby("model").head(1).set_index("model")
    assert (first["q05"] >= last.loc[first.index]).all()
    assert (first["t"] == panel.series.set_index("model")["last_t"].loc[first.index] + 1).all()


def test_dormant_and_new_models_get_forecasts(fitted):
    dormant = fitted.forecast(24, n_samples=400).query("model.str.contains('dormant')")
    assert not dormant.empty
    assert (dormant["q05"] >= 0).all() and np.isfinite(dormant["mean"]).all()
    new = fitted.forecast_new("synth-0", 12, n_samples=400)
    assert list(new["t"]) == list(range(1, 13))
    assert new["mean"].iloc[-1] > 0, "a new model never takes off in 12 months"
    with pytest.raises(UnknownModelError, match="unknown organisation 'nope'"):
        fitted.forecast_new("nope", 3)


def test_a_forecast_does_not_depend_on_the_horizon_asked_for(fitted):
    """The first steps of a longer forecast are the shorter forecast, for every series.

    Series at zero drew after the growing series' whole horizon (and their growth after all
    their onset steps), so their first months changed with the horizon asked for.
    """
    short, long = fitted.forecast(3, n_samples=300), fitted.forecast(8, n_samples=300)
    assert short["model"].str.contains("dormant").any()
    pd.testing.assert_frame_equal(
        short, long.groupby("model", sort=False).head(3).reset_index(drop=True)
    )
    new = fitted.forecast_new("synth-0", 3, n_samples=300)
    pd.testing.assert_frame_equal(new, fitted.forecast_new("synth-0", 8, n_samples=300).head(3))


def test_a_new_model_released_in_a_batch_starts_by_the_batch_slope(fitted):
    """With the posterior's release-batch slope set to -1 (the hazard falls with the batch), a
    new model released beside 49 others is forecast lower than one released on its own; a batch
    below 1 is refused."""
    idata = fitted.idata.copy(deep=True)
    slope = idata["posterior"]["onset_batch"]
    idata["posterior"]["onset_batch"] = slope * 0.0 - 1.0
    falling = bayesgrowth.GrowthFit(
        idata, fitted.design, fitted.config, fitted.data_hash, fitted.diagnostics()
    )
    alone, batch = (
        falling.forecast_new("synth-0", 12, release_batch=b, n_samples=400, seed=3) for b in (1, 50)
    )
    assert batch["mean"].iloc[-1] < 0.8 * alone["mean"].iloc[-1]
    for batch in (0, 2.5):
        with pytest.raises(
            BayesGrowthError,
            match=f"release batch must be a whole number of at least 1, not {batch}",
        ):
            fitted.forecast_new("synth-0", 3, release_batch=batch)


@pytest.mark.slow
def test_short_series_gets_a_forecast():
    """A model with one month of data still gets a finite, sensible band."""
    panel, _ = synthetic_panel(n_orgs=2, series_per_org=6, months=np.r_[1, [12] * 11], seed=5)
    result = bayesgrowth.fit(panel, draws=150, tune=150, chains=2, seed=1, progress=False)
    short = panel.series.loc[panel.series["last_t"] == 1, "model"].iloc[0]
    table = result.forecast(3, n_samples=300).set_index("model").loc[short]
    assert np.isfinite(table[["q05", "q95"]].to_numpy()).all()
    assert (table["q95"] < 1e7).all(), "a one-month series forecast exploded"


def test_one_increment_series_are_sampled_by_a_standard_offset():
    """A series with one increment gets log λ = organisation mean + s·z (non-centred); longer
    series keep the log-level coordinate, and downloads' priors keep it for every series."""
    from modelpoints import evaluate_at

    from bayesgrowth.design import build_design
    from bayesgrowth.model import build_model
    from bayesgrowth.priors import Priors

    months = np.r_[1, 1, [6] * 6]
    panel, _ = synthetic_panel(
        n_orgs=2, series_per_org=4, months=months, org_log_lam=2.5, org_mu=1.0, seed=4
    )
    design = build_design(panel, "finetunes")
    n_inc = np.bincount(design.inc_series, minlength=len(design.active))
    assert (n_inc == 1).sum() == 2
    model = build_model(design)
    point = model.initial_point()
    assert point["z_log_lam"].shape == (2,)
    assert point["log_level"].shape == (len(design.active) - 2,)
    # Each subset's dimension names its series by model id.
    active = design.models[design.active]
    assert model.coords["offset_model"] == tuple(active[n_inc == 1])
    assert model.coords["level_model"] == tuple(active[n_inc > 1])
    point["z_log_lam"] = np.array([1.5, -0.5])
    point["s_log_lam_log__"] = np.log(0.4)
    log_lam, org = evaluate_at(model, point, ["log_lam", "org_log_lam"])
    one = np.flatnonzero(n_inc == 1)
    expected = org[design.series_org[design.active][one]] + 0.4 * np.array([1.5, -0.5])
    np.testing.assert_allclose(log_lam[one], expected)
    everyone = build_model(design, Priors(level_min_increments=1))
    assert "z_log_lam" not in everyone.named_vars
    assert everyone.initial_point()["log_level"].shape == (len(design.active),)
    assert Priors.for_metric("downloads").level_min_increments == 1


def test_save_load_round_trip(fitted, tmp_path):
    for name in ("fit.nc", "fit", "fit.zarr"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # saving and reopening warn about nothing
            path = fitted.save(tmp_path / name)
            again = bayesgrowth.load(path)
        pd.testing.assert_frame_equal(
            again.forecast(4, n_samples=100), fitted.forecast(4, n_samples=100)
        )
        assert again.data_hash == fitted.data_hash
        assert again.config == fitted.config
        assert again.version == bayesgrowth.__version__
        assert again.libraries == fitted.libraries and {"python", "pymc", "numpy"} <= set(
            again.libraries
        )
        assert again.diagnostics() == fitted.diagnostics()
        # the model ids of the subsets' dimensions (level_model, recent_model) come back too
        assert {"level_model", "recent_model"} <= set(again.idata["posterior"].coords)
        xr.testing.assert_equal(
            again.idata["posterior"].to_dataset(), fitted.idata["posterior"].to_dataset()
        )
    tree = xr.open_datatree(tmp_path / "fit.nc", engine="h5netcdf")
    assert {"posterior", "sample_stats", "design"} <= set(tree.children)
    assert "seed" in tree.attrs["config"] and tree.attrs["data_hash"] == fitted.data_hash


def test_the_authors_estimates_are_saved_by_model_whatever_their_order(fitted, tmp_path):
    """parameters() reads the authors' estimates by model id, but save() wrote them by position:
    estimates in another order than the fit's series came back beside other models, and
    estimates of only some of the models could not be saved."""
    models = fitted.design.models[::-1][: fitted.design.n_series // 2]
    paper = pd.DataFrame(
        {
            "lambda_i": np.arange(len(models), dtype=float) + 1.0,
            "mu_i": np.linspace(-1.0, 2.0, len(models)),
            "sigma_i": np.linspace(0.5, 3.0, len(models)),
        },
        index=models,
    )
    with_paper = bayesgrowth.GrowthFit(
        fitted.idata, fitted.design, fitted.config, fitted.data_hash, fitted.diagnostics(), paper
    )
    table = with_paper.parameters().set_index("model")
    assert (table.loc[models, "paper_lambda"] == paper["lambda_i"]).all()
    again = bayesgrowth.load(with_paper.save(tmp_path / "fit.nc"))
    pd.testing.assert_frame_equal(again.parameters(), with_paper.parameters())


def test_a_fit_whose_settings_are_numpy_numbers_saves_and_reloads(fitted, tmp_path):
    """Settings that are numpy numbers (a seed from ``np.arange``, a prior read from an array)
    are accepted by the checks and sampled with, so the fit must save: json.dumps refused them
    ("Object of type float32 is not JSON serializable"), after the sampling was done."""
    config = dataclasses.replace(
        fitted.config,
        m=np.float32(1.0),
        priors=dataclasses.replace(fitted.config.priors, mu_loc=np.float32(2.5)),
        sampler=dataclasses.replace(fitted.config.sampler, draws=np.int64(250), seed=np.uint32(11)),
    )
    numpy_fit = bayesgrowth.GrowthFit(
        fitted.idata, fitted.design, config, fitted.data_hash, fitted.diagnostics()
    )
    again = bayesgrowth.load(numpy_fit.save(tmp_path / "fit.nc"))
    assert again.config == fitted.config
    assert type(again.config.sampler.seed) is int and type(again.config.m) is float
    pd.testing.assert_frame_equal(
        again.forecast(3, n_samples=100), fitted.forecast(3, n_samples=100)
    )


def test_a_fit_saved_before_the_subsets_had_labels_loads_and_forecasts_alike(fitted, tmp_path):
    """Fits of format 6 saved before the subsets of the active series had labelled dimensions
    (``log_level_dim_0``, ``z_recent_dim_0``, ``z_log_lam_dim_0``, positions only) still load and
    forecast as they did: forecasts read the per-series deterministics, not those variables, so
    the format version stays."""
    posterior = fitted.idata["posterior"].to_dataset()
    unlabelled = {"level_model": "log_level_dim_0", "recent_model": "z_recent_dim_0"}
    old = posterior.drop_vars(list(unlabelled)).rename_dims(unlabelled)
    idata = xr.DataTree.from_dict(
        {"posterior": old, "sample_stats": fitted.idata["sample_stats"].to_dataset()}
    )
    saved = bayesgrowth.GrowthFit(
        idata, fitted.design, fitted.config, fitted.data_hash, fitted.diagnostics()
    ).save(tmp_path / "old.nc")
    again = bayesgrowth.load(saved)
    assert again.idata["posterior"]["z_recent"].dims[-1] == "z_recent_dim_0"
    pd.testing.assert_frame_equal(
        again.forecast(4, n_samples=100), fitted.forecast(4, n_samples=100)
    )
    pd.testing.assert_frame_equal(again.parameters(), fitted.parameters())


def test_save_replaces_a_fit_and_nothing_else(fitted, tmp_path):
    results = tmp_path / "results"
    (results / "notes.txt").parent.mkdir()
    (results / "notes.txt").write_text("keep")
    with pytest.raises(FitFileError, match="is a directory: give a file name"):
        fitted.save(results)
    other = tmp_path / "other.zarr"
    other.mkdir()
    (other / "notes.txt").write_text("keep")
    with pytest.raises(FitFileError, match="not a saved fit: it is left alone"):
        fitted.save(other)
    plain = tmp_path / "plain.zarr"
    plain.write_text("keep")
    with pytest.raises(FitFileError, match="is a file, not a zarr store"):
        fitted.save(plain)
    table = tmp_path / "forecasts.csv"  # any other file, a table given by mistake
    table.write_text("keep")
    with pytest.raises(FitFileError, match="is a file that is not a saved fit: it is left alone"):
        fitted.save(table)
    kept = (results / "notes.txt", other / "notes.txt", plain, table)
    assert [p.read_text() for p in kept] == ["keep"] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "forecasts.csv",
        "other.zarr",
        "plain.zarr",
        "results",
    ]
    store = fitted.save(tmp_path / "fit.zarr")
    assert fitted.save(store) == store  # a saved fit is replaced
    bayesgrowth.load(store)
    netcdf = fitted.save(tmp_path / "fit.nc")
    assert fitted.save(netcdf) == netcdf
    bayesgrowth.load(netcdf)
    # nothing is left of the staging directory or of the store replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fit.nc",
        "fit.zarr",
        "forecasts.csv",
        "other.zarr",
        "plain.zarr",
        "results",
    ]


def test_load_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("not a fit")
    with pytest.raises(BayesGrowthError, match="not a readable fit"):
        bayesgrowth.load(bad)
    # readable netCDF and zarr that are not fits: "was written in fit format None"
    other = xr.Dataset({"a": ("x", np.arange(3))})
    other.to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    other.to_zarr(tmp_path / "other.zarr", consolidated=False)
    for name in ("other.nc", "other.zarr"):
        with pytest.raises(FitFileError, match=f"{name} is not a saved fit: it holds no bayes"):
            bayesgrowth.load(tmp_path / name)
    with pytest.raises(BayesGrowthError, match="no fit at") as error:
        bayesgrowth.load(tmp_path / "missing.nc")
    assert "beside it" not in str(error.value)
    # a zarr replace killed between its two renames: the old store waits in the staging folder
    (tmp_path / ".killed.zarr.x1y2" / "replaced").mkdir(parents=True)
    older = tmp_path / ".killed.zarr.z9" / "replaced"  # after it by name, from an earlier save
    older.mkdir(parents=True)
    os.utime(older, (0, 0))
    with pytest.raises(
        FitFileError, match=r"killed\.zarr \(a save stopped while replacing it: "
    ) as error:
        bayesgrowth.load(tmp_path / "killed.zarr")
    assert str(tmp_path / ".killed.zarr.x1y2" / "replaced") in str(error.value)
    # `--fit bad` for bad.nc: the path is read as given, and the message points at the file
    with pytest.raises(BayesGrowthError, match=r"no fit at .*bad \(beside it: bad\.nc; give"):
        bayesgrowth.load(tmp_path / "bad")
    # `--fit results/latest`, the folder of `run` rather than its fit: one line naming it
    with pytest.raises(BayesGrowthError, match="is a directory, not a saved fit") as error:
        bayesgrowth.load(tmp_path)
    assert "\n" not in str(error.value)


def test_load_refuses_a_fit_of_another_format_version(tmp_path):
    """A fit written in an older layout is refused by name, not read as if it were current."""
    old = xr.DataTree(xr.Dataset({"a": ("x", np.arange(3))}))
    old.attrs = {"bayesgrowth_format": FORMAT_VERSION - 1}
    path = write_tree(old, tmp_path / "old.nc")
    says = f"written in fit format {FORMAT_VERSION - 1}; this version reads {FORMAT_VERSION}"
    with pytest.raises(FitFileError, match=says):
        bayesgrowth.load(path)


def test_load_rejects_a_damaged_zarr_fit(fitted, tmp_path):
    """A zarr store that lost chunk files reads them as NaN: refused, not forecast from."""
    import shutil

    store = fitted.save(tmp_path / "fit.zarr")
    lost = tmp_path / "lost.zarr"
    shutil.copytree(store, lost)
    chunks = [p for p in (lost / "posterior" / "g_log_sigma").rglob("*") if p.is_file()]
    data = [p for p in chunks if "c" in p.relative_to(lost).parts]
    assert data, "the variable's chunk files"
    for p in data:
        p.unlink()
    with pytest.raises(FitFileError, match="is damaged: posterior 'g_log_sigma' has values that"):
        bayesgrowth.load(lost)
    gone = tmp_path / "gone.zarr"
    shutil.copytree(store, gone)
    shutil.rmtree(gone / "design" / "last_value")
    with pytest.raises(FitFileError, match="is damaged: its design lacks last_value"):
        bayesgrowth.load(gone)
    bayesgrowth.load(store)  # the intact store still loads
    # a fit without its settings was a bare KeyError: 'config'
    from bayesgrowth.fitfile import read_tree, write_tree

    tree = read_tree(store)
    del tree.attrs["config"]
    bare = write_tree(tree, tmp_path / "bare.nc")
    with pytest.raises(FitFileError, match="bare.nc is damaged: it lacks the attribute.s. config"):
        bayesgrowth.load(bare)


@pytest.mark.slow
def test_same_seed_same_posterior(synthetic):
    panel, _ = synthetic
    small = panel.select(organizations=["synth-0"])
    # Two chains, run at the same time as in every default fit.
    a, b, other = (
        bayesgrowth.fit(small, draws=50, tune=50, chains=2, seed=seed, progress=False)
        for seed in (7, 7, 8)
    )
    # Equal values and coordinates (the attributes hold creation timestamps).
    xr.testing.assert_equal(a.idata["posterior"].to_dataset(), b.idata["posterior"].to_dataset())
    # The seed is what fixes them: another seed gives other draws.
    assert not a.idata["posterior"]["g_log_sigma"].equals(other.idata["posterior"]["g_log_sigma"])


@pytest.mark.slow
def test_the_pymc_sampler_follows_its_seed_and_stores_its_settings(synthetic, tmp_path):
    """``sampler="pymc"`` draws from the seed it is given (the same seed, the same draws;
    another, other draws) with the lengths and target acceptance asked for, and a saved fit
    keeps them all."""
    panel, _ = synthetic
    series = panel.series[panel.series["organization"] == "synth-0"]
    small = panel.select(models=series["model"].iloc[:4])
    settings = dict(draws=20, tune=30, chains=1, sampler="pymc", target_accept=0.85)
    a, b, other = (
        bayesgrowth.fit(small, seed=seed, progress=False, **settings) for seed in (5, 5, 6)
    )
    xr.testing.assert_equal(a.idata["posterior"].to_dataset(), b.idata["posterior"].to_dataset())
    assert not a.idata["posterior"]["g_log_sigma"].equals(other.idata["posterior"]["g_log_sigma"])
    assert dict(a.idata["posterior"].sizes) == {"chain": 1, "draw": 20} | {
        k: v for k, v in a.idata["posterior"].sizes.items() if k not in ("chain", "draw")
    }
    saved = bayesgrowth.load(a.save(tmp_path / "pymc.nc")).config.sampler
    assert dataclasses.asdict(saved) == {**settings, "seed": 5}


def test_diagnostics_surface_divergences(fitted):
    tree = fitted.idata.copy()
    stats = tree["sample_stats"].to_dataset()
    # Start from a clean record, then mark every 50th draw of each chain divergent.
    stats["diverging"] = xr.zeros_like(stats["diverging"]) | (
        np.arange(stats.sizes["draw"]) % 50 == 0
    )
    tree["sample_stats"] = xr.DataTree(stats)
    diag = diagnose(tree, 1.0)
    assert diag.divergences == stats.sizes["chain"] * len(range(0, stats.sizes["draw"], 50))
    assert any("divergent" in p for p in diag.problems())
    assert any(line.startswith("WARNING") for line in diag.lines())


def test_diagnostics_surface_a_low_tail_ess():
    """The 90% bands rest on the tails: a low tail ESS is a problem even with a high bulk ESS."""
    healthy = Diagnostics(0, 1.002, 900.0, 800.0, 0, 5.0, 1.0, 500, 2)
    assert healthy.problems() == []
    thin = dataclasses.replace(healthy, min_ess_tail=150.0)
    assert thin.problems() == [
        "min tail ESS 150 < 400: too few effective draws in the tails for stable 5% and 95% "
        "quantiles"
    ]


def test_diagnostics_name_the_model_of_a_poorly_mixed_quantity():
    """``mu[1]`` was the second *active* series: in the parameters table, where dormant series
    sit between active ones, row 1 is another model. The report names it by its label."""
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((2, 200, 2))
    mu[1, :, 1] += 5.0  # the chains disagree on the second active model only
    posterior = xr.Dataset(
        {
            "mu": (("chain", "draw", "active_model"), mu),
            "g_mu": (("chain", "draw"), rng.standard_normal((2, 200))),
        },
        coords={"active_model": ["acme/alpha", "acme/gamma"]},
    )
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 200), dtype=bool))})
    tree = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
    diag = diagnose(tree, 1.0)
    assert diag.worst[0][0] == "mu[acme/gamma]"
    assert {name for name, _, _ in diag.worst} == {"mu[acme/alpha]", "mu[acme/gamma]", "g_mu"}
    assert "largest R-hat: mu[acme/gamma] (" in "\n".join(diag.lines())


def test_a_fit_names_the_model_of_each_element_of_a_subset_variable(fitted):
    """``log_level`` and ``z_recent`` run over subsets of the active series (those sampled by
    their log-level, those with a past); their dimensions carry each element's model id, so the
    diagnostics of a fit said "z_recent[9]", a position in a subset that names no series, and
    now name the model. The labels are the right ones: each model's log λ and recent rate are
    computed from the element its label names (to 1e-6: pytensor's log-CDF and scipy's differ
    in the last digits)."""
    from scipy.stats import norm

    post = fitted.idata["posterior"]
    d = fitted.design
    t_ref = pd.Series(d.last_t_exact - d.origin, index=d.models)
    level = post["log_level"].transpose("chain", "draw", "level_model")
    models = level["level_model"].values.astype(str)
    assert 0 < len(models) == len(set(models)) and set(models) <= set(d.models[d.active])
    phase = (np.log(t_ref[models].to_numpy()) - post["mu"].sel(active_model=models)) / np.exp(
        post["log_sigma"].sel(active_model=models)
    )
    np.testing.assert_allclose(
        post["log_lam"].sel(active_model=models), level.values - norm.logcdf(phase), atol=1e-6
    )
    z_recent = post["z_recent"].transpose("chain", "draw", "recent_model")
    past = z_recent["recent_model"].values.astype(str)
    assert 0 < len(past) < len(d.active), "some active series, not all, should have a past"
    np.testing.assert_allclose(
        post["recent"].sel(active_model=past), post["s_recent"] * z_recent, rtol=1e-12
    )
    assert (post["recent"].drop_sel(active_model=past) == 0).all()

    # One element of each mixes badly: the report names its model.
    tree = fitted.idata.copy(deep=True)
    shifted = tree["posterior"].to_dataset()
    for name, dim, model in (
        ("log_level", "level_model", models[-1]),
        ("z_recent", "recent_model", past[0]),
    ):
        shifted[name].loc[{"chain": 1, dim: model}] += 5.0
    tree["posterior"] = xr.DataTree(shifted)
    worst = {name for name, _, _ in diagnose(tree, 1.0).worst[:2]}
    assert worst == {f"log_level[{models[-1]}]", f"z_recent[{past[0]}]"}


def test_poisson_gamma_survives_exploding_means():
    rng = np.random.default_rng(0)
    draws = poisson_gamma(np.array([1e30, np.inf, np.nan, 5.0, 0.0]), np.array(0.5), rng)
    assert np.isfinite(draws).all()
    assert draws[4] == 0 and draws[0] <= 1e13


def test_poisson_gamma_caps_the_gamma_rate_not_only_the_mean():
    """The Gamma rate drawn around a capped mean is capped too before the Poisson draw: with
    α = 0.5 about a third of the rates around a mean of MEAN_CAP lie above it, up to ten times,
    and one step of a forecast would add that many counts."""
    draws = poisson_gamma(np.full(2000, MEAN_CAP), np.array(0.5), np.random.default_rng(0))
    assert draws.max() <= MEAN_CAP + 10 * np.sqrt(MEAN_CAP)  # Poisson noise around the cap
    assert draws.min() < 0.01 * MEAN_CAP  # the Gamma still spreads the draws below it


def test_forecast_quantiles_are_draws_themselves():
    """Forecast tables report quantiles that are simulated counts (numpy's ``inverted_cdf``, as
    the README says), never a count between two draws: of 100 draws 0, 1, ..., 99 the 5% quantile
    is the 5th draw, 4, where interpolation would give 4.95."""
    stats = summarise(np.arange(100.0)[None, :])
    assert [stats[q][0] for q in ("q05", "q25", "q50", "q75", "q95")] == [4, 24, 49, 74, 94]
    assert stats["mean"][0] == 49.5


def test_curve_increases_past_float_range_are_not_nan():
    # Finite curve values: the plain difference, to the bit.
    assert growth_between(2.0, 3.0) == np.expm1(3.0) - np.expm1(2.0)
    # c(t) overflows past ln(1 + c) ≈ 709.8; the increase between two such times is not inf − inf.
    with np.errstate(over="ignore"):
        assert np.isinf(np.expm1(710.0))
    assert growth_between(710.0, 710.0) == 0.0
    step = growth_between(709.5, 710.0)
    assert np.isfinite(step) and np.isclose(np.log(step), 710.0 + np.log(-np.expm1(-0.5)))
    assert growth_between(800.0, 801.0) == np.inf


def test_a_forecast_path_adds_each_steps_growth_of_the_curve_once():
    """Over several steps the mean path is the start value plus the curve's rise since the
    start: each step adds c(t_h) - c(t_h-1), not the whole rise since the start again."""
    lam, mu = 5.0, 2.0
    n_draws, steps = 4000, np.arange(5.0, 11.0)
    draws = CurveDraws(
        log_lam=np.full((1, n_draws), np.log(lam)),
        mu=np.full((1, n_draws), mu),
        log_sigma=np.zeros((1, n_draws)),
        alpha=np.full((1, n_draws), 1e9),  # nearly Poisson
    )
    out = grow(draws, np.array([4.0]), np.array([7.0]), steps, np.random.default_rng(0))[0]
    expected = 7.0 + cumulative(steps, lam, mu, 1.0) - cumulative(4.0, lam, mu, 1.0)
    np.testing.assert_allclose(out.mean(axis=1), expected, rtol=0.02)


def test_a_draw_whose_curve_overflows_keeps_growing_at_the_capped_mean():
    # λ = 2000: λΦ passes 709 by t = 10, so c(t) is inf at every forecast step. Subtracting
    # those infs gave NaN, read as no growth: the forecast stopped at its start value.
    draws = CurveDraws(
        log_lam=np.full((1, 3), np.log(2000.0)),
        mu=np.zeros((1, 3)),
        log_sigma=np.zeros((1, 3)),
        alpha=np.full((1, 3), 5.0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        out = grow(
            draws, np.array([10.0]), np.array([100.0]), np.arange(11, 15), np.random.default_rng(0)
        )
    assert (np.diff(out[0], axis=0) > 1e10).all() and (out[0, 0] > 100.0).all()


def test_partial_target_is_forecast_at_its_exact_time(fitted, synthetic):
    """A target read mid-step (partial month) gets less growth than the full step."""
    panel, _ = synthetic
    grown = panel.series[panel.series["last_value"] > 0]
    targets = pd.DataFrame({"model": grown["model"], "t": grown["last_t"] + 3})
    full = fitted.predictive(targets, n_samples=300)
    partial = fitted.predictive(targets.assign(t_exact=targets["t"] - 0.9), n_samples=300)
    assert partial.mean() < full.mean()
    assert (partial.min(axis=1) >= grown["last_value"].to_numpy()).all()


def test_a_partial_target_is_forecast_at_its_exact_time_beside_other_targets_of_its_model(
    fitted, synthetic
):
    """``t_exact`` was ignored whenever a model appeared more than once among the targets: a
    partial-month target beside an earlier one of the same model was forecast at the end of its
    step. Two targets of one step that disagree on when it was read are refused."""
    panel, _ = synthetic
    grown = panel.series[panel.series["last_value"] > 0].iloc[0]
    model, t = grown["model"], int(grown["last_t"])
    alone = pd.DataFrame({"model": [model], "t": [t + 3], "t_exact": [t + 2.1]})
    both = pd.DataFrame({"model": [model] * 2, "t": [t + 2, t + 3], "t_exact": [t + 2.0, t + 2.1]})
    draws = fitted.predictive(both, n_samples=200)
    np.testing.assert_array_equal(draws[1], fitted.predictive(alone, n_samples=200)[0])
    np.testing.assert_array_equal(draws[0], fitted.predictive(both[:1], n_samples=200)[0])
    with pytest.raises(
        BayesGrowthError, match=f"targets of '{model}' at t = {t + 3} give different t_exact"
    ):
        fitted.predictive(pd.concat([alone, alone.assign(t_exact=t + 2.5)]))


@pytest.mark.slow
def test_a_partial_last_month_is_forecast_from_its_end():
    """A series whose last month k was read part-way (the loader keeps it as partial) is
    forecast at t = k … k + horizon − 1: the end of month k was missing from the table, which
    began at k + 1. Series whose last month is complete still begin at last + 1."""
    panel = make_panel(
        {
            "a/full": [0, 3, 7, 12],
            "a/part": [0, 3, 7, 9],
            "a/zero": [0, 0, 0, 0],
            "a/zero-part": [0, 0, 0],
        },
        partial={"a/part": 2.4, "a/zero-part": 1.5},
    )
    fit = bayesgrowth.fit(panel, "finetunes", draws=60, tune=60, chains=1, seed=2, progress=False)
    table = fit.forecast(3, n_samples=60)
    t = table.groupby("model")["t"].apply(list)
    assert t.to_dict() == {
        "a/full": [4, 5, 6],
        "a/part": [3, 4, 5],
        "a/zero": [4, 5, 6],
        "a/zero-part": [2, 3, 4],
    }
    end = table[table["model"] == "a/part"].iloc[0]
    assert 9 <= end["q05"] and end["mean"] < table[table["model"] == "a/part"].iloc[1]["mean"]
    # predictive() takes the same steps: the end of the partial month is a target, and the draws
    # of every series' third step are those the forecast summarised.
    third = table.groupby("model").nth(2)[["model", "t"]].reset_index(drop=True)
    draws = fit.predictive(third, n_samples=60, seed=7)
    again = fit.forecast(3, n_samples=60, seed=7).groupby("model").nth(2).reset_index(drop=True)
    for column, values in summarise(draws).items():
        np.testing.assert_array_equal(values, again[column].to_numpy())
    at_end = fit.predictive(pd.DataFrame({"model": ["a/part"], "t": [3]}), n_samples=60)
    assert (at_end >= 9).all()
    with pytest.raises(BayesGrowthError, match="after each series' last observed step"):
        fit.predictive(pd.DataFrame({"model": ["a/full"], "t": [3]}))


@pytest.mark.slow
def test_fit_command_saves_its_sampler_settings(tmp_path):
    """``bayesgrowth fit`` samples with the settings given (kept in the saved fit) and rejects an
    unknown sampler by name, and a target acceptance outside (0, 1), before loading any data."""
    from csvfiles import default_snapshot
    from typer.testing import CliRunner

    from bayesgrowth.cli import app
    from bayesgrowth.fitting import SamplingError

    root = default_snapshot(tmp_path / "snap")
    out = tmp_path / "fit.nc"
    args = ["fit", "--data", str(root), "--draws", "40", "--tune", "40", "--seed", "3"]
    result = CliRunner().invoke(app, [*args, "--target-accept", "0.95", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "diagnostics:" in result.output and "divergences" in result.output
    saved = bayesgrowth.load(out)
    # fit() itself warns on stderr of each sampling problem (2 × 40 draws: a bulk ESS < 400),
    # beside the diagnostics the command prints on stdout
    assert saved.diagnostics().problems()
    for problem in saved.diagnostics().problems():
        assert f"WARNING: {problem}\n" in result.stderr
    settings = saved.config.sampler
    assert (settings.draws, settings.tune, settings.seed) == (40, 40, 3)
    assert settings.target_accept == 0.95
    bad = CliRunner().invoke(app, [*args, "--sampler", "emcee", "--out", str(out)])
    assert isinstance(bad.exception, SamplingError)
    assert "unknown sampler 'emcee'" in str(bad.exception)
    for accept in ("1.5", "0"):
        bad = CliRunner().invoke(app, [*args, "--target-accept", accept, "--out", str(out)])
        assert isinstance(bad.exception, SamplingError)
        assert "target_accept must lie strictly between 0 and 1" in str(bad.exception)
    # a negative seed was nutpie's OverflowError traceback after the data were read and compiled
    for seed in ("-1", str(2**32)):
        bad = CliRunner().invoke(app, [*args[:-2], "--seed", seed, "--out", str(out)])
        assert isinstance(bad.exception, SamplingError)
        assert f"the seed must lie between 0 and 2**32 - 1, not {seed}" in str(bad.exception)
    # --tune 0 was a Rust panic in nutpie ('assertion failed: early_end < num_tune'), a traceback
    bad = CliRunner().invoke(app, ["fit", "--data", str(root), "--tune", "0", "--out", str(out)])
    assert isinstance(bad.exception, SamplingError)
    assert "nutpie needs at least 1 tuning step" in str(bad.exception)


@pytest.mark.parametrize("cut", ["draws", "chain"])
def test_a_fit_stopped_by_ctrl_c_is_not_saved(cut, tmp_path, monkeypatch, capsys):
    """nutpie and PyMC catch Ctrl-C and return the draws made so far: ``bayesgrowth fit`` saved
    157 of 2 × 20,000 draws (51 of them NaN padding) as a fit and exited 0."""
    from cliruns import run_main
    from csvfiles import default_snapshot

    import bayesgrowth.fitting

    def stopped(model, metric, settings, progress):
        # as nutpie returns it: both chains as long as the longer one, the other padded with NaN
        draws = settings.draws // 2 if cut == "draws" else settings.draws
        logp = np.zeros((settings.chains, draws))
        logp[1, draws // 2 :] = np.nan
        return xr.DataTree.from_dict(
            {
                "posterior": xr.Dataset({"g_mu": (("chain", "draw"), logp.copy())}),
                "sample_stats": xr.Dataset({"logp": (("chain", "draw"), logp)}),
            }
        )

    monkeypatch.setattr(bayesgrowth.fitting, "_sample", stopped)
    root = default_snapshot(tmp_path / "snap")
    out = tmp_path / "fit.nc"
    args = ["fit", "--data", root, "--draws", "40", "--tune", "40", "--out", out]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 130
    assert proc.stderr.startswith("interrupted: ")
    assert "saved" not in proc.stdout and not out.exists()
    made = 30 if cut == "draws" else 60
    with pytest.raises(KeyboardInterrupt, match=f"stopped after {made} of 80 draws"):
        bayesgrowth.fit(bayesgrowth.load_panel(root), draws=40, tune=40, progress=False)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        # a fractional seed was nutpie's TypeError traceback after the model had compiled
        ({"seed": 1.5}, "seed must be a whole number, not 1.5"),
        ({"draws": 100.0}, "draws must be a whole number, not 100.0"),
        ({"tune": "100"}, "tune must be a whole number, not '100'"),
        ({"chains": True}, "chains must be a whole number, not True"),
        ({"target_accept": "0.9"}, "target_accept must lie strictly between 0 and 1, not '0.9'"),
    ],
)
def test_fit_refuses_sampler_settings_of_the_wrong_type_before_sampling(synthetic, change, says):
    from bayesgrowth.fitting import SamplingError

    panel, _ = synthetic
    with pytest.raises(SamplingError, match=re.escape(says)):
        bayesgrowth.fit(panel, **change)
    assert bayesgrowth.fitting.SamplerSettings(seed=np.uint32(7), draws=np.int64(10)).seed == 7


def test_simulate_refuses_steps_that_are_not_the_forecasts_t(fitted):
    """Steps 1, 2, 3 read as "steps ahead" (as simulate's docstring allowed) were taken as times
    since creation, before every series' last count: its curve read backwards from there, a
    forecast with no error (CohereForAI/aya-101, 28 at month 12: mean 28, 34.8, 39.6)."""
    d = fitted.design
    first = str(d.models[0])
    with pytest.raises(BayesGrowthError, match=rf"'{first}' was last observed at t = \d+ and was"):
        fitted.simulate(np.tile([1.0, 2.0, 3.0], (d.n_series, 1)))
    with pytest.raises(BayesGrowthError, match="after each series' last observation and increas"):
        fitted.simulate(d.last_t[:, None] + np.array([2, 1]))
    with pytest.raises(BayesGrowthError, match=r"shape \(n_series, H\) = \(\d+, H\), not \(1, 2\)"):
        fitted.simulate(np.ones((1, 2)))


def test_predictive_refuses_a_number_of_samples_below_one(fitted):
    """predictive and simulate took any n_samples: 0 was numpy's "zero-size array to reduction
    operation maximum", -5 "negative dimensions are not allowed", 2.5 a TypeError; a backtest's
    BayesForecaster(n_samples=0) met that only after its fit."""
    from bayesgrowth.fitting import BayesForecaster

    d = fitted.design
    targets = pd.DataFrame({"model": d.models[:2], "t": d.last_t[:2] + 1})
    for n in (0, -5, 2.5):
        says = f"the number of samples must be a whole number of at least 1, not {n}"
        with pytest.raises(BayesGrowthError, match=re.escape(says)):
            fitted.predictive(targets, n_samples=n)
        with pytest.raises(BayesGrowthError, match=re.escape(says)):
            BayesForecaster(n_samples=n)


def test_max_tree_depth_hits_come_from_the_samplers_flag(fitted):
    """PyMC records depth 10 also for a trajectory that stopped by itself at its 10th doubling:
    the sampler's own flag (nutpie ``maxdepth_reached``, PyMC ``reached_max_treedepth``) counts."""
    stats = fitted.idata["sample_stats"].to_dataset()
    flag = "maxdepth_reached"
    assert flag in stats
    stats["depth"] = xr.full_like(stats["depth"], 10)
    stats[flag] = xr.zeros_like(stats[flag]) | (np.arange(stats.sizes["draw"]) % 50 == 0)
    tree = fitted.idata.copy()
    tree["sample_stats"] = xr.DataTree(stats)
    expected = stats.sizes["chain"] * len(range(0, stats.sizes["draw"], 50))
    assert diagnose(tree, 1.0).max_depth_hits == expected
    stats = stats.rename({flag: "reached_max_treedepth"})
    tree["sample_stats"] = xr.DataTree(stats)
    assert diagnose(tree, 1.0).max_depth_hits == expected
    tree["sample_stats"] = xr.DataTree(stats.drop_vars("reached_max_treedepth"))
    assert diagnose(tree, 1.0).max_depth_hits == stats["depth"].size  # no flag: depth >= 10


def test_forecasts_refuse_empty_or_malformed_requests(fitted):
    org = fitted.design.organizations[0]
    for call in (
        lambda: fitted.forecast(0),
        lambda: fitted.forecast(1.5),  # gave two steps
        lambda: fitted.forecast("3"),  # a TypeError from numpy
        lambda: fitted.forecast_new(org, -2),
    ):
        with pytest.raises(BayesGrowthError, match="horizon must be a whole number of at least 1"):
            call()
    with pytest.raises(BayesGrowthError, match="number of samples must be a whole number of at"):
        fitted.forecast(3, n_samples=0)
    assert len(fitted.forecast(np.int64(2), n_samples=np.int64(10))) == 2 * fitted.design.n_series
    d = fitted.design
    model, last = d.models[0], int(d.last_t[0])
    with pytest.raises(BayesGrowthError, match="no targets to forecast"):
        fitted.predictive(pd.DataFrame({"model": [], "t": []}))
    with pytest.raises(BayesGrowthError, match="target steps t must be whole numbers"):
        fitted.predictive(pd.DataFrame({"model": [model], "t": [last + 1.7]}))  # was truncated
    # a missing id among the targets was a TypeError while the message was being built
    gap = pd.DataFrame({"model": [model, np.nan, "a/none", np.nan], "t": [last + 1] * 4})
    with pytest.raises(UnknownModelError, match=r"models not in this fit: 'a/none', nan$"):
        fitted.predictive(gap)
    ids_lost = pd.DataFrame({"model": [np.nan, np.nan], "t": [last + 1] * 2})  # a float column
    with pytest.raises(UnknownModelError, match=r"models not in this fit: nan$"):
        fitted.predictive(ids_lost)
    beyond = pd.DataFrame({"model": [model], "t": [last + 1], "t_exact": [last + 3.0]})
    with pytest.raises(BayesGrowthError, match="t_exact must lie within its step"):
        fitted.predictive(beyond)
    # numpy's own errors named no seed ("expected non-negative integer", "SeedSequence
    # expects int or sequence of ints for entropy not 1.5")
    target = pd.DataFrame({"model": [model], "t": [last + 1]})
    for call, seed in (
        (lambda s: fitted.forecast(2, n_samples=10, seed=s), -1),
        (lambda s: fitted.forecast(2, n_samples=10, seed=s), 1.5),
        (lambda s: fitted.forecast_new(org, 2, n_samples=10, seed=s), "3"),
        (lambda s: fitted.predictive(target, n_samples=10, seed=s), True),
    ):
        with pytest.raises(
            BayesGrowthError, match=f"seed must be a whole number of at least 0, not {seed!r}"
        ):
            call(seed)
    pd.testing.assert_frame_equal(
        fitted.forecast(2, n_samples=10, seed=np.int64(4)), fitted.forecast(2, n_samples=10, seed=4)
    )


def test_a_forecast_too_large_to_hold_is_refused_before_it_is_drawn(fitted):
    """30 series × a million steps × 500 samples would be 112 GiB of draws: numpy failed to
    allocate them (or a smaller excess filled the machine's memory part-way); the forecast now
    says what it would hold and what to ask for instead."""
    with pytest.raises(
        BayesGrowthError,
        match=r"a forecast of 30 series × 1,000,000 steps × 500 samples holds 15,000,000,000 "
        r"draws \(111\.8 GiB\), more than the 536,870,912 \(4 GiB\) a forecast may hold: ask "
        r"for a shorter horizon or fewer samples, or forecast fewer series",
    ):
        fitted.forecast(1_000_000)
    # A horizon whose steps alone would not fit in memory is refused as well: the steps were
    # built before the check, and numpy failed to allocate them (or they filled the memory).
    with pytest.raises(BayesGrowthError, match="30 series × 100,000,000,000 steps × 500 samples"):
        fitted.forecast(100_000_000_000)
    far = pd.DataFrame({"model": [fitted.design.models[0]], "t": [100_000_000_000]})
    with pytest.raises(BayesGrowthError, match="30 series × 99,999,999,9"):
        fitted.predictive(far)
    with pytest.raises(BayesGrowthError, match="1 series × 2,000,000 steps × 300 samples holds"):
        fitted.forecast_new(fitted.design.organizations[0], 2_000_000, n_samples=300)
    steps = fitted.design.last_t[:, None] + np.arange(1.0, 40_000.0)
    with pytest.raises(BayesGrowthError, match="30 series × 39,999 steps × 500 samples holds"):
        fitted.simulate(steps)


@pytest.mark.parametrize("command", ["forecast", "parameters"])
def test_a_table_is_not_written_over_the_fit_it_reads(command, fitted, tmp_path):
    """`forecast --fit fit.nc --out fit.nc` wrote its CSV over the fit and said "wrote 60 rows"."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    path = fitted.save(tmp_path / "fit.nc")
    saved = path.read_bytes()
    result = CliRunner().invoke(app, [command, "--fit", str(path), "--out", str(path)])
    assert isinstance(result.exception, OutputError), result.output
    assert f"{path} is a saved fit: a table written there would replace it" in str(result.exception)
    assert path.read_bytes() == saved


def test_forecast_command_repeats_the_fits_sampling_problems(fitted, tmp_path):
    from typer.testing import CliRunner

    from bayesgrowth.cli import app
    from bayesgrowth.result import GrowthFit

    tree = fitted.idata.copy()
    stats = tree["sample_stats"].to_dataset()
    stats["diverging"] = xr.ones_like(stats["diverging"])
    tree["sample_stats"] = xr.DataTree(stats)
    bad = GrowthFit(
        idata=tree,
        design=fitted.design,
        config=fitted.config,
        data_hash=fitted.data_hash,
        diagnostics=diagnose(tree, 1.0),
    )
    path = bad.save(tmp_path / "bad.nc")
    result = CliRunner().invoke(
        app, ["forecast", "--fit", str(path), "--horizon", "2", "--out", str(tmp_path / "f.csv")]
    )
    assert result.exit_code == 0, result.output
    assert f"WARNING: {path} was sampled with a problem: {stats['diverging'].size} divergent" in (
        result.output
    )


def test_forecast_command_says_when_it_has_fewer_draws_than_asked(fitted, tmp_path):
    """``--samples`` above the fit's chains × draws used them all without a word."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    path = fitted.save(tmp_path / "fit.nc")
    held = fitted.config.sampler.chains * fitted.config.sampler.draws
    args = ["forecast", "--fit", str(path), "--horizon", "2", "--out", str(tmp_path / "f.csv")]
    result = CliRunner().invoke(app, [*args, "--samples", str(held + 1)])
    assert result.exit_code == 0, result.output
    assert f"holds {held:,} posterior draws (chains × draws): the forecast simulates {held:,}" in (
        result.output
    )
    quiet = CliRunner().invoke(app, [*args, "--samples", str(held)])
    assert quiet.exit_code == 0 and "posterior draws" not in quiet.output


def test_forecast_command_forecasts_a_new_model_of_a_release_batch(fitted, tmp_path):
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    path = fitted.save(tmp_path / "fit.nc")
    out = tmp_path / "new.csv"
    args = ["forecast", "--fit", str(path), "--horizon", "4", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--new-model-of", "synth-1", "--release-batch", "5"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table["t"]) == [1, 2, 3, 4] and set(table["model"]) == {"<new synth-1 model>"}
    # quantiles are draws, so counts: written as whole numbers (not 16.0)
    assert all(table[q].dtype == "int64" for q in ("q05", "q25", "q50", "q75", "q95"))
    refused = CliRunner().invoke(app, [*args, "--new-model-of", "synth-1", "--release-batch", "0"])
    assert refused.exit_code != 0 and "--release-batch" in refused.output
    unnamed = CliRunner().invoke(app, [*args, "--new-model-of", ""])
    assert isinstance(unnamed.exception, UnknownModelError)
    assert "unknown organisation ''; fitted ones: synth-0" in str(unnamed.exception)


def test_a_missing_sampler_backend_is_named_before_reading_data(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bayesgrowth.cli import app
    from bayesgrowth.fitting import SamplingError

    # an environment without numpyro (the dev extra installs it): importing it fails
    monkeypatch.setitem(sys.modules, "numpyro", None)

    args = ["fit", "--data", str(tmp_path / "nowhere"), "--sampler", "numpyro"]
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "fit.nc")])
    assert isinstance(bad.exception, SamplingError)
    assert "needs JAX and numpyro" in str(bad.exception)


def test_an_interrupt_while_a_zarr_fit_is_replaced_keeps_the_old_one(tmp_path, monkeypatch):
    """A zarr store is replaced in two renames (old aside, new in): Ctrl-C or SIGTERM between
    them must bring the old fit back, not delete it with the staging folder."""
    import os

    from bayesgrowth.fitfile import write_tree

    def tree(value: float) -> xr.DataTree:
        return xr.DataTree.from_dict({"posterior": xr.Dataset({"x": ("draw", [value])})})

    store = write_tree(tree(1.0), tmp_path / "fit.zarr")
    rename, moves = os.replace, []

    def interrupted(src, dst):
        if Path(dst) == store:
            moves.append(src)
            if len(moves) == 1:  # the new store moving in; the old one is already aside
                raise KeyboardInterrupt
        rename(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tree(tree(2.0), store)
    monkeypatch.undo()
    assert len(moves) == 2, "the old store moved back"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.zarr"]
    with xr.open_datatree(store, engine="zarr", consolidated=False) as kept:
        assert kept["posterior"]["x"].values.tolist() == [1.0]


def test_a_fit_write_that_fails_keeps_the_old_fit_and_names_the_file(tmp_path, monkeypatch):
    """A full disk while the netCDF was written ended in an OSError traceback."""
    import errno

    from bayesgrowth.errors import OutputError
    from bayesgrowth.fitfile import write_tree

    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"x": ("draw", [1.0])})})
    saved = write_tree(tree, tmp_path / "fit.nc")
    before = saved.read_bytes()

    def disk_full(self, path, **kwargs):
        Path(path).write_bytes(b"CDF half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xr.DataTree, "to_netcdf", disk_full)
    with pytest.raises(OutputError, match=f"^cannot write {saved}: No space left on device"):
        write_tree(tree, saved)
    assert saved.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["fit.nc"]


def test_a_fit_whose_staging_folder_cannot_be_made_is_one_error_naming_it(tmp_path, monkeypatch):
    """A full disk can refuse the staging folder itself: that was an OSError traceback, though a
    failure while the fit is written is one line naming it (as for every other result file)."""
    import errno
    import tempfile

    from bayesgrowth.errors import OutputError
    from bayesgrowth.fitfile import write_tree

    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"x": ("draw", [1.0])})})
    saved = write_tree(tree, tmp_path / "fit.nc")
    before = saved.read_bytes()

    def disk_full(**kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkdtemp", disk_full)
    with pytest.raises(OutputError, match=f"^cannot write {saved}: No space left on device"):
        write_tree(tree, saved)
    assert saved.read_bytes() == before
