"""The pause term: zero runs in the design, the likelihood it inflates zeros of, and forecasts
that continue them."""

from __future__ import annotations

import numpy as np
import pytest
from panels import make_panel
from scipy import stats
from scipy.special import expit, gammaln

from bayesgrowth.design import build_design
from bayesgrowth.forecast import CurveDraws, PauseDraws, grow
from bayesgrowth.model import negative_binomial_loglik
from bayesgrowth.posterior import PosteriorDraws


def test_zero_runs_count_quiet_steps_after_the_first_growth():
    panel = make_panel(
        {
            "org/a": [0, 0, 3, 3, 3, 5, 5],  # increments 0, 3, 0, 0, 2, 0
            "org/b": [0, 4, 9],  # increments 4, 5
            "org/never": [0, 0, 0],
        }
    )
    design = build_design(panel, "finetunes")
    a, b = (np.flatnonzero(design.models == m)[0] for m in ("org/a", "org/b"))
    runs_a = design.inc_run[design.inc_series == list(design.active).index(a)]
    runs_b = design.inc_run[design.inc_series == list(design.active).index(b)]
    # no pause before a series has started, nor on its first count
    assert list(runs_a) == [-1, -1, 0, 1, 2, 0]
    assert list(runs_b) == [-1, 0]
    assert design.last_run[a] == 1 and design.last_run[b] == 0
    assert design.last_run[design.models == "org/never"][0] == -1


def test_series_size_is_centred_over_the_active_series():
    """The size covariate of the dispersion and the pause is log(1 + last count) minus its mean
    over the active series: the forecast takes a new series' size, log 2, relative to that
    same mean (PosteriorDraws.new_size), and the priors of the intercepts are for an average series."""
    panel = make_panel({"org/a": [0, 1, 3], "org/b": [0, 10, 40], "org/never": [0, 0, 0]})
    design = build_design(panel, "finetunes")
    raw = np.log1p([3.0, 40.0])
    np.testing.assert_allclose(design.size, raw - raw.mean())


def test_a_series_that_just_started_has_the_size_of_a_count_of_one():
    """A dormant or new series is forecast, once started, with the size of a first count of 1,
    log(1 + 1), centred by the same mean as the fitted series' sizes."""
    panel = make_panel({"org/a": [0, 1, 3], "org/b": [0, 10, 40], "org/never": [0, 0, 0]})
    design = build_design(panel, "finetunes")
    raw = np.log1p([3.0, 40.0])
    assert PosteriorDraws(None, design, 0.0).new_size() == pytest.approx(np.log(2) - raw.mean())


def test_the_increment_likelihood_is_the_zero_inflated_negative_binomial():
    """The model's log-likelihood of increments is scipy's negative binomial (n = α,
    p = α / (α + m)) without its -log y! term, and on rows that may pause the mixture
    π·[y = 0] + (1 - π)·NB(y) with π = logit⁻¹(x)."""
    y = np.array([0.0, 0.0, 3.0, 1.0, 0.0, 250.0])
    mean = np.array([0.4, 5.0, 2.5, 0.1, 30.0, 180.0])
    alpha = np.array([0.7, 3.0, 1.5, 9.0, 0.2, 4.0])
    x = np.array([-2.0, 0.5, -1.0, 1.5, 0.0, -3.0])
    pausable = np.array([True, False, True, False, True, True])
    nb = stats.nbinom.logpmf(y, alpha, alpha / (alpha + mean)) + gammaln(y + 1)
    got = negative_binomial_loglik(y, mean, alpha).eval()
    assert got == pytest.approx(nb.sum(), rel=1e-10)
    pi = expit(x)
    p0 = np.exp(np.where(y == 0, nb, 0.0))  # NB(0): log 0! = 0
    mixed = np.where(y == 0, np.log(pi + (1 - pi) * p0), np.log1p(-pi) + nb)
    expected = np.where(pausable, mixed, nb).sum()
    got = negative_binomial_loglik(y, mean, alpha, x, pausable).eval()
    assert got == pytest.approx(expected, rel=1e-10)


def test_downloads_have_no_pause():
    panel = make_panel({"org/d": [0, 5, 5, 5, 9, 20, 20, 20, 30]}, metric="downloads")
    design = build_design(panel, "downloads")
    assert (design.inc_run == -1).all() and (design.last_run == -1).all()


def _grow(intercept: float, start_run: int, n_draws: int = 400) -> np.ndarray:
    draws = CurveDraws(
        log_lam=np.full((1, n_draws), np.log(3.0)),
        mu=np.full((1, n_draws), 1.5),
        log_sigma=np.zeros((1, n_draws)),
        alpha=np.full((1, n_draws), 5.0),
    )
    pause = PauseDraws(np.full(n_draws, intercept), np.full(n_draws, 1.0))
    return grow(
        draws,
        np.array([4.0]),
        np.array([10.0]),
        np.arange(5.0, 11.0),
        np.random.default_rng(1),
        pause=pause,
        start_run=np.array([start_run]),
    )[0]


def test_a_long_quiet_series_is_forecast_mostly_flat():
    quiet, busy = _grow(0.0, start_run=12), _grow(0.0, start_run=0)
    assert np.median(quiet[-1]) == 10.0  # most draws add nothing
    assert (quiet[-1] == 10.0).mean() > (busy[-1] == 10.0).mean()


def test_a_negligible_pause_leaves_growth_alone():
    no_pause = _grow(-30.0, start_run=12)
    assert (no_pause[-1] > 10.0).mean() > 0.9
    assert (np.diff(no_pause, axis=0) >= 0).all()


def test_the_forecast_pauses_with_the_models_chance_after_each_run():
    """A series whose curve always grows (means in the hundreds) adds nothing in a forecast
    step only when it pauses, with the model's chance logit⁻¹(g + slope · log(1 + run)): after
    3 quiet steps, then after 4 for a draw that paused again, and after none for one that grew."""
    n_draws, g, slope = 20_000, -1.0, 1.0
    draws = CurveDraws(
        log_lam=np.full((1, n_draws), np.log(10.0)),
        mu=np.full((1, n_draws), 1.5),
        log_sigma=np.zeros((1, n_draws)),
        alpha=np.full((1, n_draws), 1e6),
    )
    pause = PauseDraws(np.full(n_draws, g), np.full(n_draws, slope))
    out = grow(
        draws,
        np.array([4.0]),
        np.array([10.0]),
        np.array([5.0, 6.0]),
        np.random.default_rng(2),
        pause=pause,
        start_run=np.array([3]),
    )[0]
    first, second = out[0] == 10.0, out[1] == out[0]
    assert first.mean() == pytest.approx(expit(g + slope * np.log(4.0)), abs=0.015)
    assert second[first].mean() == pytest.approx(expit(g + slope * np.log(5.0)), abs=0.015)
    assert second[~first].mean() == pytest.approx(expit(g), abs=0.015)
