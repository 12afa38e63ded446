"""The paper's curve fit: statuses on crafted series, both axes, and the authors' own columns."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from panels import make_panel, write_finetune_dir

from bayesgrowth import baseline
from bayesgrowth.baseline import P0, fit_curve, fit_many, fit_panel, matches_authors, with_authors
from bayesgrowth.curves import cumulative
from bayesgrowth.errors import DataError

MONTHS = np.arange(25, dtype=float)


def test_a_clean_curve_is_recovered():
    fit = fit_curve(MONTHS, cumulative(MONTHS, 6.0, 1.5, 0.8))
    assert fit.status == "ok"
    assert fit.params == pytest.approx([6.0, 1.5, 0.8], rel=1e-3)
    assert np.isfinite(fit.cov).all() and fit.n_points == 24


def test_m_scales_the_curve():
    fit = fit_curve(MONTHS, cumulative(MONTHS, 2.0, 1.0, 0.6, m=100.0), m=100.0)
    assert fit.params == pytest.approx([2.0, 1.0, 0.6], rel=1e-3)


def test_parameter_draws_have_the_fits_covariance():
    """The interval of ``--method paper`` draws parameters from N(popt, pcov): their spread is
    pcov's (standard deviations 0.3, 0.1, 0.05 here), not its square."""
    cov = np.array([[0.09, 0.01, 0.0], [0.01, 0.01, 0.002], [0.0, 0.002, 0.0025]])
    fit = baseline.CurveFit(3.0, 2.0, 1.0, cov=cov, status="ok", n_points=12)
    theta = baseline.draw_params(fit, 40_000, np.random.default_rng(0))
    np.testing.assert_allclose(theta.mean(axis=0), fit.params, atol=0.01)
    np.testing.assert_allclose(np.cov(theta.T), cov, atol=0.003)


def test_a_runaway_curve_is_capped_not_infinite():
    """λ in the thousands overflows exp: such a forecast is COUNT_CAP, not inf (the backtest
    refuses a forecast that is not finite)."""
    values = baseline.curve_values(np.array([6.0, 12.0]), np.array([2000.0, 1.0, 0.5]), 1.0)
    assert (values == baseline.COUNT_CAP).all()


def test_fewer_than_three_months_is_not_fitted():
    fit = fit_curve(np.arange(3.0), np.array([0.0, 4.0, 9.0]))  # the 0-month point tells nothing
    assert (fit.status, fit.n_points) == ("too-few-points", 2)
    assert tuple(fit.params) == P0 and np.isnan(fit.cov).all()


def test_a_flat_curve_at_the_start_gets_stuck():
    # On the years axis a year of zeros sees the starting curve at ~1e-5: the optimiser never moves.
    fit = fit_curve(np.arange(13) / 12, np.zeros(13))
    assert fit.status == "stuck-at-start" and tuple(fit.params) == P0


def test_a_jump_then_nothing_runs_off_to_an_extreme():
    fit = fit_curve(np.arange(7.0), np.array([0, 5, 5, 5, 5, 5, 5.0]))
    assert fit.status == "extreme"
    assert fit.sigma > baseline.EXTREME_SIGMA or fit.mu < baseline.EXTREME_MU


def test_two_runtime_errors_fail_to_the_starting_guess(monkeypatch):
    # A slowly accelerating series has its optimum at infinity: curve_fit runs out of evaluations.
    # The retry's 10,000 evaluations would take seconds, so the test allows it 5.
    monkeypatch.setattr(baseline, "RETRY_MAXFEV", 5)
    counts = np.array(
        [0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 8, 8.0]
    )
    fit = fit_curve(np.arange(len(counts), dtype=float), counts)
    assert fit.status == "failed" and tuple(fit.params) == P0


def test_a_count_that_is_not_a_number_is_refused_not_failed():
    # curve_fit's ValueError for it was caught as a fit that failed, returning P0 without a word
    counts = np.array([0, 1, 3, 6, 10, np.nan, 20, 25.0])
    with pytest.raises(DataError, match=r"point 5 \(t = 5.0, c = nan\) is not finite"):
        fit_curve(np.arange(8.0), counts)


def test_parallel_fits_equal_serial_fits():
    series = [(MONTHS, cumulative(MONTHS, lam, 1.5, 0.8)) for lam in (1.0, 2.0, 3.0, 4.0, 5.0)]
    serial, parallel = fit_many(series, workers=1), fit_many(series, workers=2)
    assert [f.params.tolist() for f in serial] == [f.params.tolist() for f in parallel]


def test_fit_panel_uses_exact_times_and_the_chosen_axis():
    counts = np.round(cumulative(MONTHS, 6.0, 3.5, 0.7)).astype(int).tolist()
    # the last month is partial, read at 23.4: fitted there, not at its step 24
    panel = make_panel({"a": counts}, partial={"a": 23.4})
    months, years = fit_panel(panel, workers=1), fit_panel(panel, axis="years", workers=1)
    exact = fit_curve(np.r_[MONTHS[:-1], 23.4], np.array(counts, dtype=float))
    assert months[["lam", "mu", "sigma"]].iloc[0].tolist() == exact.params.tolist()
    assert exact.mu != pytest.approx(fit_curve(MONTHS, np.array(counts, dtype=float)).mu)
    # t -> t/12 shifts mu by ln 12 and leaves lambda and sigma alone
    assert years["mu"].iat[0] == pytest.approx(months["mu"].iat[0] - np.log(12), abs=1e-4)
    assert years["lam"].iat[0] == pytest.approx(months["lam"].iat[0], rel=1e-4)


DATA = os.environ.get("BAYESGROWTH_DATA")
REAL_SERIES = {  # a few cheap fits, one or more of each status the authors' table shows
    "apple/AIM": "ok",
    "openai/whisper-large-v2": "ok",
    "Salesforce/BLIP": "ok",
    "Qwen/Qwen1.5-0.5B": "extreme",
    "google/gemma-2b": "extreme",
    "meta-llama/Llama-3.2-1B": "stuck-at-start",
    "deepseek-ai/DeepSeek-R1": "too-few-points",
}


@pytest.mark.skipif(
    not DATA, reason="BAYESGROWTH_DATA is not set: no real snapshot to compare with"
)
def test_the_authors_columns_are_reproduced_on_the_years_axis():
    from bayesgrowth.data import load_panel

    panel = load_panel(DATA, metrics=("finetunes",)).select(models=REAL_SERIES)
    fits = fit_panel(panel, axis="years", workers=1)
    assert dict(zip(fits["model"], fits["status"], strict=True)) == REAL_SERIES
    authors = panel.paper_fits.set_index("model").loc[fits["model"]].reset_index()
    assert matches_authors(fits, authors).all(), fits.assign(
        **authors[["lambda_i", "mu_i", "sigma_i"]]
    )


def test_with_authors_flags_the_starting_guess_and_matches():
    fits = pd.DataFrame(
        {
            "model": ["a", "b", "c", "d"],
            "lam": [0.5, 2.0, 2.0, 16.0],
            "mu": [2.0, 1.0, 1.0, 1e-30],
            "sigma": [0.5, 0.7, 0.7, 8.0],
        }
    )
    authors = pd.DataFrame(
        {
            "model": ["a", "b", "c", "d"],
            "lambda_i": [0.5, 2.01, 2.1, 16.0],
            "mu_i": [2.0, 1.0, 1.0, 1e-54],  # mu at its bound 0: any tiny number
            "sigma_i": [0.5, 0.7, 0.7, 8.0],
        }
    )
    table = with_authors(fits, authors)
    assert table["authors_at_start"].tolist() == [True, False, False, False]
    assert table["matches_authors"].tolist() == [True, True, False, True]


def test_baseline_command_prints_statuses(tmp_path):
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    data = write_finetune_dir(
        tmp_path / "data-2024-01-01", {"a": [0, 1, 3, 6, 10, 15], "b": [0, 1]}
    )
    args = ["baseline", "--out", str(tmp_path / "fits.csv"), "--data", str(data)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "too-few-points:     1 (50.0%)" in result.output
    assert pd.read_csv(tmp_path / "fits.csv")["model"].tolist() == ["a", "b"]


def test_the_match_with_the_authors_is_counted_on_their_axis_only(tmp_path):
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    counts = [0, 1, 3, 6, 10, 15, 21, 28, 36, 45]
    data = write_finetune_dir(tmp_path / "data-2024-01-01", {"a": counts})
    # the authors' columns: their fit on the years axis with m = 1, which a re-fit reproduces
    fit = fit_curve(np.arange(len(counts)) / 12.0, np.array(counts, dtype=float))
    path = data / "finetune" / "Org.csv"
    frame = pd.read_csv(path, dtype=str)
    frame = frame.assign(lambda_i=fit.lam, mu_i=fit.mu, sigma_i=fit.sigma)
    frame.to_csv(path, index=False)
    printed = {}
    for axis in ("years", "step"):
        args = ["baseline", "--axis", axis, "--out", str(tmp_path / f"{axis}.csv")]
        result = CliRunner().invoke(app, [*args, "--data", str(data)])
        assert result.exit_code == 0, result.output
        printed[axis] = result.output
    assert "matched within 1% on all three parameters: 100.0% of 1" in printed["years"]
    # on months μ is off by ln 12 by construction: it said "matched ...: 0.0% of 1"
    assert "matched" not in printed["step"]
    assert "authors' other 1 rows not compared" in printed["step"]
    # and the file leaves the match empty there (it wrote False for every row)
    written = {axis: pd.read_csv(tmp_path / f"{axis}.csv") for axis in printed}
    assert written["years"]["matches_authors"].tolist() == [True]
    assert written["step"]["matches_authors"].isna().all()


@pytest.mark.parametrize("top", [0, -3, 2.5, True])
def test_paper_table_needs_a_whole_number_of_models(top):
    # -3 took every series but the last three (head(-3)); 0 failed naming an empty "models"
    panel = make_panel({"a/x": [0, 1, 3, 6]})
    with pytest.raises(DataError, match=r"top must be a whole number of at least 1, not"):
        baseline.paper_table(panel, top=top)
