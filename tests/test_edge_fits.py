"""Fits at the edges of the data: no series has started, or an organisation has none that has.

Each fit is tiny (one chain of 50 draws): the tests are about the fit running and every table of
it working, not about the posterior.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from csvfiles import Table, write_snapshot
from panels import make_panel
from pymc.initial_point import make_initial_point_fn

import bayesgrowth
from bayesgrowth.design import build_design
from bayesgrowth.fitting import SamplingError, chain_starts, jittered_variables
from bayesgrowth.model import build_model
from bayesgrowth.priors import Priors

TINY = dict(draws=50, tune=50, chains=1, seed=2, progress=False)
FIRST_DAY = pd.Timestamp("2025-01-01")
N_DAYS = 22


@pytest.fixture(scope="module")
def dormant_fit():
    """Two fine-tune series, both still at zero: no increments, no active series."""
    panel = make_panel({"a/z1": [0, 0, 0], "a/z2": [0, 0, 0, 0]})
    return bayesgrowth.fit(panel, "finetunes", **TINY)


def test_a_panel_with_no_series_started_is_fitted_by_its_onset_part(dormant_fit, tmp_path):
    """Every series at zero: the onset part alone has data, the curve keeps its priors, and
    forecasts, tables and the saved file all work."""
    fit = dormant_fit
    post = fit.idata["posterior"]
    assert post.sizes["active_model"] == 0
    assert np.isfinite(post["onset_org"].values).all()
    assert fit.diagnostics().draws == 50

    table = fit.forecast(4, n_samples=50)
    assert len(table) == 2 * 4
    assert (table[["q05", "q50", "q95"]].to_numpy() >= 0).all()
    new = fit.forecast_new("Org", 4, n_samples=50)
    assert list(new["t"]) == [1, 2, 3, 4]
    assert (new["q95"] >= new["q05"]).all()

    params = fit.parameters()
    assert list(params["status"]) == ["dormant", "dormant"]
    assert params[["lambda_median", "mu_median", "sigma_median"]].isna().all().all()
    orgs = fit.organisations()
    assert len(orgs) == 1 and orgs.loc[0, "active"] == 0
    assert 0 < orgs.loc[0, "onset_prob_step1"] < 1

    again = bayesgrowth.load(fit.save(tmp_path / "dormant.nc"))
    pd.testing.assert_frame_equal(
        again.forecast(4, n_samples=50, seed=5), fit.forecast(4, n_samples=50, seed=5)
    )


def download_panel(tmp_path, orgs: dict[str, dict[str, list[int]]]):
    """A download snapshot of ``N_DAYS`` days: organisation -> model -> daily cumulative counts,
    every model created on the first day."""
    header = [
        "model",
        *(f"{(FIRST_DAY + pd.Timedelta(days=d)).date()} 00:00:00" for d in range(N_DAYS)),
        "created_at",
    ]
    created = f"{FIRST_DAY + pd.Timedelta(hours=6)}+00:00"
    tables = {
        org: Table(
            header,
            [[m, *(f"{float(c):.1f}" for c in counts), created] for m, counts in models.items()],
        )
        for org, models in orgs.items()
    }
    return bayesgrowth.load_panel(write_snapshot(tmp_path, download=tables))


GROWING = {
    "grow/big": [0, *(round(400 * d**1.5) for d in range(1, N_DAYS))],
    "grow/small": [0, 0, *(round(6 * d**1.2) for d in range(1, N_DAYS - 1))],
}
IDLE = {"idle/a": [0] * N_DAYS, "idle/b": [0] * N_DAYS}


@pytest.fixture(scope="module")
def idle_org_panel(tmp_path_factory):
    """Downloads of two organisations: Grow's series grow, Idle's are all still at zero."""
    return download_panel(tmp_path_factory.mktemp("idle"), {"Grow": GROWING, "Idle": IDLE})


def test_an_organisation_with_no_started_series_starts_jittered_where_the_data_are_silent(
    idle_org_panel,
):
    """The dispersion and the means of μ and log σ of Idle, which no data inform, start jittered
    (at the prior's mode their gradient is exactly 0); Grow's stay at the initial point."""
    design = build_design(idle_org_panel, "downloads")
    model = build_model(design, Priors.for_metric("downloads"))
    idle = list(design.organizations).index("Idle")
    plain = model.initial_point()
    first, second = chain_starts(model, "downloads", 2, seed=4)
    for name in ("disp_org", "u_mu", "u_log_sigma"):
        assert first[name][idle] != second[name][idle], name
        for start in (first, second):
            np.testing.assert_array_equal(
                np.delete(start[name], idle), np.delete(plain[name], idle)
            )
    # two series of different sizes inform the size slope of the dispersion
    assert first["disp_size"] == second["disp_size"] == plain["disp_size"]


def test_starts_are_unchanged_where_every_organisation_has_data(tmp_path):
    """Without an organisation the data are silent on, every chain starts as it did before."""
    panel = download_panel(tmp_path, {"Grow": GROWING, "Other": {"other/x": GROWING["grow/big"]}})
    model = build_model(build_design(panel, "downloads"), Priors.for_metric("downloads"))
    seeds = np.random.default_rng(3).integers(2**31, size=2)
    plain = make_initial_point_fn(
        model=model, jitter_rvs=jittered_variables(model, "downloads"), return_transformed=False
    )
    for start, seed in zip(chain_starts(model, "downloads", 2, seed=3), seeds, strict=True):
        for name, value in plain(int(seed)).items():
            np.testing.assert_array_equal(start[name], value)


@pytest.mark.slow
def test_nutpie_fits_downloads_with_an_organisation_whose_series_are_all_at_zero(idle_org_panel):
    """The default sampler starts and samples such a fit."""
    fit = bayesgrowth.fit(idle_org_panel, "downloads", **TINY)
    post = fit.idata["posterior"]
    assert post.sizes["draw"] == 50
    for name in ("disp_org", "u_mu", "u_log_sigma", "log_level"):
        assert np.isfinite(post[name].values).all(), name
    assert fit.organisations().set_index("organization").loc["Idle", "active"] == 0


def test_starts_nutpie_refuses_are_one_line_naming_what_to_try():
    """Were every start refused, the error is one line that says what to try, not nutpie's Rust
    error chain and backtrace. Here the onset hazard's prior sits at e^1000, which overflows: the
    log density is -inf at every start."""
    panel = make_panel({"a/z1": [0, 0, 0], "a/z2": [0, 0, 0, 0]})
    with pytest.raises(SamplingError, match=r"nutpie found no start .*--sampler pymc") as refused:
        bayesgrowth.fit(panel, "finetunes", priors=Priors(onset_loc=1000.0), **TINY)
    assert "\n" not in str(refused.value)
