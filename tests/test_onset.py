"""The onset hazard of series still at zero: its likelihood and its forecasts."""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
import pytest
from panels import make_panel
from scipy import integrate, stats

from bayesgrowth.design import build_design
from bayesgrowth.forecast import CurveDraws, OnsetDraws, dormant
from bayesgrowth.model import onset_loglik


def _onset(intercept, slope, frailty, centre=0.0):
    """Onset draws for one series per row of ``intercept`` and one draw per column."""
    intercept = np.atleast_2d(np.asarray(intercept, dtype=float))
    draws = intercept.shape[1]
    return OnsetDraws(
        intercept, np.full(draws, float(slope)), np.full(draws, float(frailty)), centre
    )


def test_without_frailty_the_intercept_is_the_cloglog_hazard_at_the_centre_step():
    centre = np.log(6.0)
    onset = _onset([[-1.0]], -0.7, 0.0, centre)
    assert onset.probability(np.array([[6]])) == pytest.approx(1 - np.exp(-np.exp(-1.0)))
    # a falling hazard: lower after the centre step, higher before it
    later, earlier = (onset.probability(np.array([[k]])).item() for k in (20, 2))
    assert later < 1 - np.exp(-np.exp(-1.0)) < earlier


def test_frailty_survival_is_the_gamma_mixture():
    """With a constant baseline hazard e^a, staying at zero through k steps has probability
    (1 + θ e^a k)^(-1/θ); the survivors' hazard falls with the wait (it is constant for θ = 0)."""
    a, theta = -1.5, 2.0
    steps = np.arange(1, 41)
    p = np.array([_onset([[a]], 0.0, theta).probability(np.array([[k]])).item() for k in steps])
    survival = np.cumprod(1 - p)
    np.testing.assert_allclose(survival, (1 + theta * np.exp(a) * steps) ** (-1 / theta))
    assert (np.diff(p) < 0).all()
    flat = [_onset([[a]], 0.0, 0.0).probability(np.array([[k]])).item() for k in (1, 40)]
    assert flat == pytest.approx([1 - np.exp(-np.exp(a))] * 2)


def test_onset_likelihood_equals_the_series_by_series_frailty_integral():
    """The cells' binomial likelihood is exact: it equals the sum over series of
    log ∫ P(first count at its step, or none yet | frailty u) Gamma(u) du, by quadrature."""
    panel = make_panel(
        {
            "org/a": [0, 0, 3, 4],  # starts at step 2
            "org/b": [0, 0, 0, 0, 0, 0],  # at zero through step 5
            "org/c": [0, 1, 1],  # starts at step 1
            "org/d": [0, 0, 0, 0, 5],  # starts at step 4
        }
    )
    design = build_design(panel, "finetunes")
    h, slope, theta = -1.2, -0.4, 1.7
    got = onset_loglik(design, pt.as_tensor([h]), pt.as_tensor(slope), pt.as_tensor(theta)).eval()

    eta = lambda j: h + slope * (np.log(j) - design.onset_centre)  # noqa: E731
    cum = lambda k: sum(np.exp(eta(j)) for j in range(1, k + 1))  # noqa: E731
    gamma = stats.gamma(a=1 / theta, scale=theta)

    def series_loglik(start: int | None, last: int) -> float:
        if start is None:  # at zero through step `last`
            f = lambda u: np.exp(-u * cum(last)) * gamma.pdf(u)  # noqa: E731
        else:
            f = lambda u: (np.exp(-u * cum(start - 1)) - np.exp(-u * cum(start))) * gamma.pdf(u)  # noqa: E731
        return np.log(integrate.quad(f, 0, np.inf)[0])

    expected = sum(series_loglik(s, k) for s, k in [(2, 2), (None, 5), (1, 1), (4, 4)])
    assert got == pytest.approx(expected, rel=1e-6)


def test_dormant_forecast_follows_the_hazard():
    """Simulated onset shares over nine more steps match 1 - S(29)/S(20), series by series."""
    n_draws = 4000
    intercept = np.stack([np.full(n_draws, -4.0), np.full(n_draws, -0.5)])
    onset = _onset(intercept, -0.5, 1.5, np.log(10.0))
    population = CurveDraws(
        log_lam=np.full((2, n_draws), np.log(3.0)),
        mu=np.full((2, n_draws), 1.0),
        log_sigma=np.zeros((2, n_draws)),
        alpha=np.full((2, n_draws), 5.0),
    )
    steps = np.tile(np.arange(21.0, 30.0), (2, 1))  # after twenty steps at zero
    out = dormant(onset, population, steps, np.random.default_rng(0))
    started = (out[:, -1] > 0).mean(axis=1)
    p = np.stack([onset.probability(np.full((2, 1), k))[:, 0] for k in range(21, 30)], axis=1)
    np.testing.assert_allclose(started, 1.0 - np.prod(1.0 - p, axis=1), atol=0.03)
    # the fast-starting organisation's survivors start far less often than its step-1 hazard says
    assert p[1, 0] < 0.5 * onset.probability(np.full((2, 1), 1))[1, 0]
    assert (out[:, -1] >= out[:, 0]).all() and (out[out > 0] >= 1).all()


def test_design_centres_the_log_step_at_its_mean_at_risk():
    # org/a at risk on steps 1 and 2 (starts at 2), org/b on steps 1..4 (never starts)
    design = build_design(make_panel({"org/a": [0, 0, 3], "org/b": [0, 0, 0, 0, 0]}), "finetunes")
    expected = (2 * np.log(1) + 2 * np.log(2) + np.log(3) + np.log(4)) / 6
    assert design.onset_centre == pytest.approx(expected)
