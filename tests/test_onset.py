"""The onset hazard of series still at zero: its likelihood and its forecasts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest
from panels import make_panel
from scipy import integrate, stats

import bayesgrowth
from bayesgrowth.design import build_design
from bayesgrowth.forecast import CurveDraws, OnsetDraws, PauseDraws, dormant, frailty_log_survival
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


def test_part_of_a_step_carries_its_share_of_that_steps_hazard():
    """A partial month x = k − 1 + f (the forecast of a count read part-way through step k)
    gets the chance of a first count in the elapsed part of step k, not step k − 1's again."""
    a, slope, theta = -2.0, -0.5, 1.0
    onset = _onset([[a]], slope, theta)
    p = {x: onset.probability(np.array([[x]])).item() for x in (11, 11.25, 11.93, 12)}
    assert 0 < p[11.25] < p[11.93] < p[12] != p[11]
    # hazard accrues evenly within the step: H(11 + f) = H(11) + f (H(12) − H(11))
    h = {x: onset.cumulative_hazard(np.array([[x]])).item() for x in (11, 11.25, 12)}
    assert h[11.25] == pytest.approx(h[11] + 0.25 * (h[12] - h[11]))
    survival = (1 + theta * h[11.25]) ** (-1 / theta) / (1 + theta * h[11]) ** (-1 / theta)
    assert p[11.25] == pytest.approx(1 - survival)
    assert onset.cumulative_hazard(np.array([[0]])).item() == 0.0


def test_onset_likelihood_equals_the_series_by_series_frailty_integral():
    """The cells' binomial likelihood is exact: it equals the sum over series of
    log ∫ P(first count at its step, or none yet | frailty u) Gamma(u) du, by quadrature, with
    each series' hazard scaled by its release batch."""
    counts = {
        "org/a": [0, 0, 3, 4],  # starts at step 2
        "org/b": [0, 0, 0, 0, 0, 0],  # at zero through step 5
        "org/c": [0, 1, 1],  # starts at step 1
        "org/d": [0, 0, 0, 0, 5],  # starts at step 4
    }
    created = {"org/a": "2023-01-03", "org/b": "2023-01-20", "org/c": "2023-01-31"}
    created["org/d"] = "2023-03-10"  # released on its own
    design = build_design(make_panel(counts, created=created), "finetunes")
    batch = dict(zip(design.models, design.release_batch, strict=True))
    assert batch == {"org/a": 3, "org/b": 3, "org/c": 3, "org/d": 1}
    h, slope, theta, gamma_b = -1.2, -0.4, 1.7, -0.6
    got = onset_loglik(
        design, pt.as_tensor([h]), pt.as_tensor(slope), pt.as_tensor(theta), pt.as_tensor(gamma_b)
    ).eval()

    def eta(j: int, model: str) -> float:
        return (
            h
            + slope * (np.log(j) - design.onset_centre)
            + gamma_b * (np.log(batch[model]) - design.onset_batch_centre)
        )

    def cum(k: int, model: str) -> float:
        return sum(np.exp(eta(j, model)) for j in range(1, k + 1))

    gamma = stats.gamma(a=1 / theta, scale=theta)

    def series_loglik(model: str, start: int | None, last: int) -> float:
        def density(u: float) -> float:
            if start is None:  # at zero through step `last`
                return np.exp(-u * cum(last, model)) * gamma.pdf(u)
            stay, leave = np.exp(-u * cum(start - 1, model)), np.exp(-u * cum(start, model))
            return (stay - leave) * gamma.pdf(u)

        return np.log(integrate.quad(density, 0, np.inf)[0])

    starts = {"org/a": (2, 2), "org/b": (None, 5), "org/c": (1, 1), "org/d": (4, 4)}
    expected = sum(series_loglik(m, *starts[m]) for m in starts)
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
    assert (out[:, -1] >= out[:, 0]).all()


def test_a_dormant_forecast_sums_the_baseline_hazard_once_however_long(monkeypatch):
    """The baseline sums through the last step are computed once per forecast, and the draws are
    those of summing at every step: summed afresh at each of H steps, a forecast's work grew with
    H² (a new download model: 207 s for 2,000 days, 19 s for 500)."""
    onset = _onset(np.full((2, 50), -3.0), -0.5, 1.0, np.log(10.0))
    population = CurveDraws(
        log_lam=np.full((2, 50), np.log(3.0)),
        mu=np.ones((2, 50)),
        log_sigma=np.zeros((2, 50)),
        alpha=np.full((2, 50), 5.0),
    )
    steps = np.tile(np.arange(1.0, 401.0), (2, 1))
    expected = dormant(onset, population, steps[:, :40], np.random.default_rng(1))
    summed = []
    original = OnsetDraws._baseline

    def counted(self, last):
        summed.append(last)
        return original(self, last)

    monkeypatch.setattr(OnsetDraws, "_baseline", counted)
    out = dormant(onset, population, steps, np.random.default_rng(1))
    assert sum(summed) <= 400, f"baseline sums through {sum(summed):,} steps for 400"
    np.testing.assert_array_equal(out[:, :40], expected)


def _certain_onset(n_draws: int, log_lam: float, mu: float, sigma: float):
    """One series whose first count comes in the next step for sure, and its population curve
    (near-Poisson counts)."""
    onset = _onset(np.full((1, n_draws), 5.0), 0.0, 1e-9)  # hazard e^5: P(onset) = 1 - e^-148
    population = CurveDraws(
        log_lam=np.full((1, n_draws), np.log(log_lam)),
        mu=np.full((1, n_draws), mu),
        log_sigma=np.full((1, n_draws), np.log(sigma)),
        alpha=np.full((1, n_draws), 1e6),
    )
    return onset, population


def test_a_series_that_starts_counts_at_least_one():
    """Onset means a first count: where the population curve expects almost no growth in the
    onset step, the count is 1 there, not 0 (a series counted as started but still at 0)."""
    onset, population = _certain_onset(2000, 1e-6, 0.0, 1.0)
    out = dormant(onset, population, np.array([[3.0, 4.0]]), np.random.default_rng(0))
    assert (out[0, 0] == 1.0).all()


def test_the_pause_applies_from_the_step_after_onset():
    """A started series may pause from the step after its onset, as one that has just grown:
    with a pause chance of logit⁻¹(10) it stays at its first count, although its curve adds
    about 4 and then 50 in the next two steps. Most onsets here add less than 1 (counted as 1),
    and such a series was left out of the pause, as if it had not started."""
    n_draws = 2000
    onset, population = _certain_onset(n_draws, 8.0, np.log(3.0), 0.5)
    pause = PauseDraws(np.full((1, n_draws), 10.0), np.zeros(n_draws))
    out = dormant(
        onset, population, np.array([[1.0, 2.0, 3.0]]), np.random.default_rng(0), pause=pause
    )
    assert (out[0, -1] == out[0, 0]).mean() > 0.99


def test_a_started_series_grows_on_a_clock_from_when_it_was_last_at_zero():
    """The curve of a series that starts during step 3 runs from t = 2, when it was last seen at
    zero: its first count has mean c(1) = e^{λ/2} - 1 (μ = 0), not c(0) = 0 (floored at 1)."""
    lam = np.log(101.0)
    onset, population = _certain_onset(4000, lam, 0.0, 0.5)
    out = dormant(
        onset, population, np.array([[3.0]]), np.random.default_rng(0), start=np.array([2.0])
    )
    assert out[0, 0].mean() == pytest.approx(np.expm1(lam / 2), rel=0.03)


def test_a_series_at_zero_in_a_partial_month_can_start_in_the_rest_of_that_month():
    """A series read at zero 10% into month 3 (t_exact 2.1) has 1.9 months of hazard before the
    end of month 4, one read at the end of month 3 only one: the forecast at t = 4 is conditional
    on zero through the time each was last read (it took both as at zero through month 3)."""
    panel = make_panel({"a/full": [0, 0, 0, 0], "a/part": [0, 0, 0, 0]}, partial={"a/part": 2.1})
    fit = bayesgrowth.fit(panel, "finetunes", draws=50, tune=50, chains=1, seed=2, progress=False)
    steps = np.full((2, 1), 4.0)
    started = np.mean([(fit.simulate(steps, seed=s)[:, 0] > 0).mean(axis=1) for s in range(200)], 0)
    onset = fit._posterior.onset(fit.design.series_org, fit.design.release_batch, 50)

    def log_survival(x: float) -> np.ndarray:
        hazard = onset.cumulative_hazard(np.full((2, 1), x))
        return frailty_log_survival(hazard, onset.frailty)

    for row, since in enumerate((3.0, 2.1)):
        expected = -np.expm1(log_survival(4.0) - log_survival(since))[row].mean()
        assert started[row] == pytest.approx(expected, abs=0.015)
    assert started[1] > 1.3 * started[0]


def test_design_centres_the_log_step_at_its_mean_at_risk():
    # org/a at risk on steps 1 and 2 (starts at 2), org/b on steps 1..4 (never starts)
    design = build_design(make_panel({"org/a": [0, 0, 3], "org/b": [0, 0, 0, 0, 0]}), "finetunes")
    expected = (2 * np.log(1) + 2 * np.log(2) + np.log(3) + np.log(4)) / 6
    assert design.onset_centre == pytest.approx(expected)


def test_a_step_after_an_unrecorded_one_is_not_an_onset_cell():
    """Days 3 and 4 unrecorded: org/late was at zero on day 2 and counted on day 5, so its first
    count came in one of three days, not in day 5; org/quiet, at zero on days 2, 5 and 6, is at
    risk again on day 6 (day 5 recorded), not on day 5."""
    counts = {"org/late": [0, 0, 0, 0, 0, 5, 9], "org/quiet": [0, 0, 0, 0, 0, 0, 0]}
    panel = make_panel(counts, metric="downloads")
    obs = panel.observations
    recorded = obs[~obs["t"].isin([3, 4])].reset_index(drop=True)
    design = build_design(dataclasses.replace(panel, observations=recorded), "downloads")
    cells = list(zip(design.onset_step, design.onset_at_risk, design.onset_events, strict=True))
    assert cells == [(1, 2, 0), (2, 2, 0), (6, 1, 0)]


def test_release_batch_is_counted_by_organisation_and_calendar_month():
    """Series of one organisation created in the same UTC month share a batch; a panel cut at a
    date counts only the series created by then."""
    counts = {f"org/m{i}": [0, 0, 0, 0] for i in range(5)}
    created = {
        "org/m0": "2023-05-01",
        "org/m1": "2023-05-31T23:00",
        "org/m2": "2023-06-01",  # the next month
        "org/m3": "2023-05-15",
        "org/m4": "2023-05-20",
    }
    panel = make_panel(counts, created=created, data_date="2023-10-01")
    design = build_design(panel, "finetunes")
    batch = dict(zip(design.models, design.release_batch, strict=True))
    assert batch == {"org/m0": 4, "org/m1": 4, "org/m2": 1, "org/m3": 4, "org/m4": 4}
    cut = build_design(panel.truncate("2023-05-16"), "finetunes")
    assert dict(zip(cut.models, cut.release_batch, strict=True)) == {"org/m0": 2, "org/m3": 2}
    # the onset cells keep the batches apart, and their at-risk total is unchanged
    assert set(np.exp(design.onset_batch).round(6)) == {1.0, 4.0}
    assert design.onset_at_risk.sum() == 5 * 3


def test_onset_part_recovers_the_release_batch_slope():
    """Onset data drawn (synthetic) with the hazard falling by e^0.8 per unit of log batch: the
    onset part alone, sampled, puts the true slope inside its 90% interval, away from 0."""
    import nutpie
    import pymc as pm

    rng = np.random.default_rng(4)
    true_gamma, months = -0.8, 24
    counts, created = {}, {}
    for m in range(months):
        size = (1, 4, 20)[m % 3]
        first_day = pd.Timestamp("2022-01-01") + pd.DateOffset(months=m)
        for i in range(size):
            steps = months - m + 6
            hazard = np.exp(-2.0 + true_gamma * np.log(size))
            start = rng.geometric(1 - np.exp(-hazard))
            name = f"synthetic/m{m:02d}-{i:02d}"
            counts[name] = [0] + [int(k >= start) for k in range(1, steps + 1)]
            created[name] = str((first_day + pd.Timedelta(days=i % 27)).date())
    design = build_design(make_panel(counts, created=created), "finetunes")
    with pm.Model() as model:
        h = pm.Normal("h", -3.0, 1.5, shape=1)
        slope = pm.Normal("slope", 0.0, 1.0)
        theta = pm.HalfNormal("theta", 1.0)
        gamma_b = pm.Normal("gamma", 0.0, 1.0)
        pm.Potential("onsets", onset_loglik(design, h, slope, theta, gamma_b))
    draws = nutpie.sample(
        nutpie.compile_pymc_model(model), draws=500, tune=500, chains=2, seed=1, progress_bar=False
    )
    lo, hi = np.quantile(draws.posterior["gamma"].values, [0.05, 0.95])
    assert lo < true_gamma < hi and hi < -0.3
