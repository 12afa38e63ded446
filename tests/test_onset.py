"""The onset hazard of series still at zero, in forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from panels import make_panel
from scipy.special import expit

from bayesgrowth.design import build_design
from bayesgrowth.forecast import CurveDraws, dormant, onset_probability


def test_onset_intercept_is_the_hazard_at_the_centre_step():
    centre = np.log(6.0)
    assert onset_probability(np.array(-1.0), np.array(-0.7), np.array(6.0), centre) == expit(-1.0)
    # a falling hazard: lower after the centre step, higher before it
    later, earlier = (onset_probability(-1.0, -0.7, k, centre) for k in (20.0, 2.0))
    assert later < expit(-1.0) < earlier


def test_dormant_forecast_follows_the_hazard():
    """Simulated onset shares over nine more steps match 1 - prod(1 - h_k), series by series."""
    n_draws = 4000
    intercept = np.stack([np.full(n_draws, -4.0), np.full(n_draws, -0.5)])
    slope = np.full(n_draws, -0.5)
    centre = np.log(10.0)
    population = CurveDraws(
        log_lam=np.full((2, n_draws), np.log(3.0)),
        mu=np.full((2, n_draws), 1.0),
        log_sigma=np.zeros((2, n_draws)),
        alpha=np.full((2, n_draws), 5.0),
    )
    steps = np.tile(np.arange(21.0, 30.0), (2, 1))  # after twenty steps at zero
    out = dormant(intercept, slope, population, steps, np.random.default_rng(0), centre=centre)
    started = (out[:, -1] > 0).mean(axis=1)
    hazard = expit(intercept[:, :1] + slope[0] * (np.log(steps) - centre))
    expected = 1.0 - np.prod(1.0 - hazard, axis=1)
    np.testing.assert_allclose(started, expected, atol=0.03)
    assert (out[:, -1] >= out[:, 0]).all() and (out[out > 0] >= 1).all()


def test_design_centres_the_log_step_at_its_mean_at_risk():
    # org/a at risk on steps 1 and 2 (starts at 2), org/b on steps 1..4 (never starts)
    design = build_design(make_panel({"org/a": [0, 0, 3], "org/b": [0, 0, 0, 0, 0]}), "finetunes")
    expected = (2 * np.log(1) + 2 * np.log(2) + np.log(3) + np.log(4)) / 6
    assert design.onset_centre == pytest.approx(expected)
