"""The recent-rate term: a series whose pace changed lately is forecast at its new pace, and
that pace keeps moving over the forecast."""

from __future__ import annotations

import numpy as np
import pytest
from panels import make_panel

import bayesgrowth
from bayesgrowth.forecast import CurveDraws, grow


def test_forecast_keeps_the_recent_multiplier():
    n_draws = 2000
    base = dict(
        log_lam=np.full((1, n_draws), np.log(5.0)),  # final size e^5 - 1 ≈ 147
        mu=np.full((1, n_draws), 3.0),
        log_sigma=np.zeros((1, n_draws)),
        alpha=np.full((1, n_draws), 1e6),  # nearly Poisson
    )
    args = (np.array([12.0]), np.array([0.0]), np.arange(13.0, 19.0), np.random.default_rng(0))
    plain = grow(CurveDraws(**base), *args)[0, -1].mean()
    doubled = grow(CurveDraws(**base, recent=np.full((1, n_draws), np.log(2.0))), *args)[0, -1]
    assert doubled.mean() == pytest.approx(2.0 * plain, rel=0.05)


def _window_growth(pace_spread, recent, seed=0):
    """Log growth of a large series over two future windows of 3 months, per draw."""
    n_draws = 4000
    draws = CurveDraws(
        log_lam=np.full((1, n_draws), np.log(25.0)),  # about 14,000 in the first window
        mu=np.full((1, n_draws), 3.0),
        log_sigma=np.zeros((1, n_draws)),
        alpha=np.full((1, n_draws), 1e9),
        recent=np.full((1, n_draws), recent),
        pace_spread=np.full(n_draws, pace_spread),
        pace_window=3,
    )
    out = grow(draws, np.array([12.0]), np.array([0.0]), np.arange(13.0, 19.0), rng(seed))[0]
    return np.log(out[2]), np.log(out[5] - out[2])


def rng(seed):
    return np.random.default_rng(seed)


def test_the_pace_moves_again_in_every_future_window():
    """The departure δ is not frozen: each future window of 3 steps moves it by N(0, s_δ), so
    the log growth of the first window spreads by s_δ and of the second by s_δ·√2."""
    first, second = _window_growth(pace_spread=0.3, recent=0.2)
    assert first.std() == pytest.approx(0.3, rel=0.08)
    assert second.std() == pytest.approx(0.3 * np.sqrt(2), rel=0.08)
    frozen_first, frozen_second = _window_growth(pace_spread=0.0, recent=0.2)
    assert frozen_first.std() < 0.02 and frozen_second.std() < 0.02


def test_a_series_without_the_recent_term_walks_from_its_curve():
    """Series with too little history have δ = 0: their pace starts on the curve and moves by
    s_δ per window like every other series', centred on the curve's growth."""
    first, second = _window_growth(pace_spread=0.3, recent=0.0, seed=5)
    plain_first, plain_second = _window_growth(pace_spread=0.0, recent=0.0, seed=5)
    assert first.std() == pytest.approx(0.3, rel=0.08)
    assert second.std() == pytest.approx(0.3 * np.sqrt(2), rel=0.08)
    assert np.median(first) == pytest.approx(np.median(plain_first), abs=0.02)
    assert np.median(second) == pytest.approx(np.median(plain_second), abs=0.03)
    assert plain_first.std() < 0.02


# Synthetic-by-hand. Fine-tunes: steady series add 5 a month for a year; 'burst' series add 2 a
# month for nine months, then 12 a month. Downloads: steady series gain 500 a day for six weeks;
# bursts 200 a day for five weeks, then 2,000 a day in the last week (the download term's
# window, one weekly block). Per metric: the counts, the seed, the forecast horizon in steps and
# how far the bursts' recent multiplier must lie above 0 and above the steady series'.
SPED_UP = {
    "finetunes": (
        {f"org/steady{i}": list(np.arange(13) * 5) for i in range(10)},
        {
            f"org/burst{i}": list(np.r_[np.arange(10) * 2, 18 + np.arange(1, 4) * 12])
            for i in range(4)
        },
        4,
        3,
        (0.3, 0.0),
    ),
    "downloads": (
        {f"org/steady{i}": list(np.arange(43) * 500) for i in range(8)},
        {
            f"org/burst{i}": list(np.r_[np.arange(36) * 200, 7000 + np.arange(1, 8) * 2000])
            for i in range(3)
        },
        2,
        7,
        (0.5, 0.5),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("metric", list(SPED_UP))
def test_a_series_that_sped_up_lately_is_forecast_at_its_new_pace(metric):
    """The bursts' recent multiplier is positive and above the steady series', the parameter
    table reports it, and their forecast growth outruns the steady series' although their curve
    lies below."""
    steady, burst, seed, horizon, (floor, margin) = SPED_UP[metric]
    panel = make_panel(steady | burst, metric=metric)
    fit = bayesgrowth.fit(panel, metric, draws=300, tune=300, chains=2, seed=seed, progress=False)
    recent = fit.idata["posterior"]["recent"].median(("chain", "draw")).to_series()
    bursts, steadies = recent[list(burst)], recent[list(steady)]
    assert (bursts > floor).all() and bursts.min() > steadies.max() + margin
    rate = fit.parameters().set_index("model")["recent_rate_median"]
    assert rate[list(burst)].to_numpy() == pytest.approx(np.exp(bursts.to_numpy()), rel=1e-2)
    last = panel.series.set_index("model")
    target = int(last["last_t"].max()) + horizon
    table = fit.forecast(horizon, n_samples=400)
    table = table[table["t"] == target].set_index("model")
    growth = table["q50"] - last.loc[table.index, "last_value"]
    assert growth[list(burst)].min() > growth[list(steady)].max()


def test_several_series_grow_without_a_pause_run():
    """``start_run`` is optional (a metric without the pause term): several series with many
    draws each grow from their own starting counts."""
    n, n_draws = 3, 50
    draws = CurveDraws(
        log_lam=np.full((n, n_draws), np.log(5.0)),
        mu=np.full((n, n_draws), 3.0),
        log_sigma=np.zeros((n, n_draws)),
        alpha=np.full((n, n_draws), 1e6),
    )
    start = np.array([0.0, 10.0, 100.0])
    out = grow(draws, np.full(n, 12.0), start, np.arange(13.0, 16.0), rng(0))
    assert out.shape == (n, 3, n_draws)
    assert (out >= start[:, None, None]).all() and (np.diff(out, axis=1) >= 0).all()
