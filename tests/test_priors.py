"""Priors: their checks, the metric they are for, and prior predictive curves drawn in the order
of the model, for both metrics."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from bayesgrowth.errors import SettingsError
from bayesgrowth.fitting import FitConfig, fit
from bayesgrowth.priors import Priors, prior_curves


@pytest.mark.parametrize("metric", ["finetunes", "downloads"])
def test_prior_curves_are_cumulative(metric):
    t = np.arange(1.0, 37.0)
    curves = prior_curves(Priors.for_metric(metric), t, n=300, seed=1)
    assert curves.shape == (300, 36)
    finite = np.isfinite(curves).all(axis=1)
    assert finite.mean() > 0.9, "only the widest prior draws may overflow"
    assert (curves[finite] >= 0).all() and (np.diff(curves[finite], axis=1) >= 0).all()


@pytest.mark.parametrize("metric", ["finetunes", "downloads"])
def test_prior_curves_follow_the_priors(metric):
    """The curves' parameters, read back from c(t) at t = 1, e and far in the tail, have the
    priors' locations as medians and the hierarchy's variances: the global scale², plus the
    organisation spread² (E|τ|² for τ ~ HalfNormal(s) is s²) and the series spread² where the
    parameter has them."""
    from scipy.special import ndtri

    p = Priors.for_metric(metric)
    curves = prior_curves(p, np.array([1.0, np.e, 1e300]), n=8000, seed=2)
    lam = np.log1p(curves[:, 2])
    # Draws whose Φ rounds to 0 or 1 at t = 1 or e (μ many σ away) cannot be read back.
    with np.errstate(all="ignore"):
        z = ndtri(np.log1p(curves[:, :2]) / lam[:, None])  # (ln t - μ) / σ at t = 1 and e
    ok = np.isfinite(z).all(axis=1) & (z[:, 1] > z[:, 0])
    assert ok.mean() > 0.99
    lam, z = lam[ok], z[ok]
    sigma = 1.0 / (z[:, 1] - z[:, 0])
    mu = -z[:, 0] * sigma
    org = p.org_spread**2
    for name, values, loc, var in (
        (
            "log λ",
            np.log(lam),
            p.log_lam_loc,
            p.log_lam_scale**2 + org + p.series_spread_log_lam**2,
        ),
        ("μ", mu, p.mu_loc, p.mu_scale**2 + org + p.series_spread_mu**2),
        (
            "log σ",
            np.log(sigma),
            p.log_sigma_loc,
            p.log_sigma_scale**2 + org * p.sigma_by_organisation,
        ),
    ):
        assert np.median(values) == pytest.approx(loc, abs=0.08), name
        assert values.var() == pytest.approx(var, rel=0.1), name


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"log_lam_scale": -1.0}, "log_lam_scale must be a positive finite number, not -1.0"),
        ({"org_spread": 0.0}, "org_spread must be a positive finite number"),
        ({"disp_scale": float("inf")}, "disp_scale must be a positive finite number, not inf"),
        ({"mu_loc": float("nan")}, "mu_loc must be a finite number, not nan"),
        ({"mu_loc": "2.5"}, "mu_loc must be a finite number, not '2.5'"),
        ({"onset_slope_scale": -0.1}, "onset_slope_scale must be a finite number >= 0"),
        ({"centred_mu_count": -1.0}, "centred_mu_count must be a number >= 0"),
        # the model would cover three steps and the forecast move the pace every two
        ({"recent_steps": 2.5}, "recent_steps must be a whole number >= 0, not 2.5"),
        ({"level_min_increments": 1.5}, "level_min_increments must be a whole number >= 0"),
        ({"sigma_by_organisation": 1}, "sigma_by_organisation must be True or False"),
        ({"metric": "likes"}, "metric must be one of finetunes, downloads, not 'likes'"),
    ],
)
def test_priors_out_of_range_are_refused_naming_the_field(change, says):
    with pytest.raises(SettingsError, match=re.escape(says)):
        Priors(**change)


def test_priors_accept_what_they_document():
    """inf never centres, 0 drops a slope, numpy numbers are numbers."""
    priors = Priors(centred_mu_count=float("inf"), onset_slope_scale=0.0, mu_loc=np.float64(2.0))
    assert priors.centred_mu_count == float("inf") and priors.mu_loc == 2.0
    assert Priors.for_metric("downloads").metric == "downloads"
    with pytest.raises(SettingsError, match="no priors for metric 'likes'"):
        Priors.for_metric("likes")


def test_a_fit_refuses_priors_of_the_other_metric_and_a_bad_scale():
    """Priors(mu_loc=…) are the fine-tune defaults with one change: a downloads fit would have
    taken 17 other fields from them without a word. Checked before any data are touched."""
    with pytest.raises(SettingsError, match=r"priors are for finetunes, not downloads: start from"):
        FitConfig(metric="downloads", priors=Priors(mu_loc=3.5))
    changed = dataclasses.replace(Priors.for_metric("downloads"), mu_loc=3.5)
    config = FitConfig(metric="downloads", priors=changed)
    assert config.priors.log_lam_scale == 0.3 and config.priors.mu_loc == 3.5
    assert FitConfig.from_dict(config.to_dict()) == config
    # a dict of changes was an AttributeError ("'dict' object has no attribute 'metric'")
    with pytest.raises(SettingsError, match=r"priors must be a Priors, not dict \{'mu_loc': 3.5\}"):
        FitConfig(metric="downloads", priors={"mu_loc": 3.5})
    # an empty dict (falsy) was taken as "no priors given" and fitted with the defaults
    with pytest.raises(SettingsError, match=r"priors must be a Priors, not dict \{\}"):
        fit(None, priors={})  # refused before the panel is looked at
    for m in (0.0, -1.0, float("nan"), "1"):
        with pytest.raises(SettingsError, match="the curve scale m must be a positive finite"):
            FitConfig(m=m)


def test_a_fit_saved_before_priors_named_their_metric_reloads_its_config():
    config = FitConfig(metric="downloads", priors=Priors.for_metric("downloads")).to_dict()
    del config["priors"]["metric"]
    assert FitConfig.from_dict(config).priors == Priors.for_metric("downloads")


def test_a_config_without_priors_records_the_metrics_own():
    """checked_priors gives the metric's priors for None, but FitConfig dropped what it gave and
    kept None: the config could not be saved and reloaded, nor its fit forecast."""
    config = FitConfig(metric="downloads", priors=None)
    assert config.priors == Priors.for_metric("downloads")
    assert FitConfig.from_dict(config.to_dict()) == config
