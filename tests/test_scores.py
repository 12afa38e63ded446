"""Scores on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesgrowth.scores import crps_samples, log1p10, score_rows, summarise


def test_log_error_and_factor_two():
    rows = score_rows(
        y=np.array([99.0, 0.0, 0.0]), point=np.array([9.0, 3.0, 1.0]), quantiles=None, samples=None
    )
    # log10(10) - log10(100) = -1; log10(4) = 0.602 > log10(2); log10(2) itself is not "more than" 2x
    assert rows["abs_log10_error"].to_numpy() == pytest.approx([1.0, np.log10(4), np.log10(2)])
    assert rows["off_2x"].tolist() == [True, True, False]


def test_exactly_twice_is_never_more_than_twice():
    """Counts exactly 2x apart on 1 + x: the logarithms' rounding must not decide."""
    y = np.array([0.0, 1, 2, 5, 9, 19, 49, 4])
    point = 2 * y + 1  # 1 + point = 2 (1 + y)
    rows = score_rows(y=y, point=point, quantiles=None, samples=None)
    assert not rows["off_2x"].any()
    assert score_rows(y=point, point=y, quantiles=None, samples=None)["off_2x"].sum() == 0
    assert score_rows(y=y, point=point + 1e-9, quantiles=None, samples=None)["off_2x"].all()


def test_coverage_counts_the_interval_ends_as_inside():
    q = np.array([[0, 1, 2, 3, 4]] * 4, dtype=float)
    rows = score_rows(np.array([2.0, 3.0, 4.0, 5.0]), np.full(4, 2.0), q, samples=None)
    assert rows["in_50"].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert rows["in_90"].tolist() == [1.0, 1.0, 1.0, 0.0]


def test_no_interval_gives_no_coverage_and_point_mass_crps():
    rows = score_rows(np.array([99.0]), np.array([9.0]), quantiles=None, samples=None)
    assert np.isnan(rows["in_50"]).all() and np.isnan(rows["in_90"]).all()
    assert rows["crps"].iat[0] == pytest.approx(1.0)


def test_crps_by_hand():
    # samples {0, 1}, y = 0: the empirical CDF is 1/2 on [0, 1), so CRPS = (1/2)^2 = 0.25
    assert crps_samples(np.array([[1.0, 0.0]]), np.array([0.0])) == pytest.approx([0.25])
    # one sample: |x - y|
    assert crps_samples(np.array([[3.0]]), np.array([1.0])) == pytest.approx([2.0])


def test_crps_matches_the_pairwise_energy_form():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 40)), rng.normal(size=5)
    pairwise = np.abs(x[:, :, None] - x[:, None, :]).mean(axis=(1, 2))
    energy = np.abs(x - y[:, None]).mean(axis=1) - 0.5 * pairwise
    assert crps_samples(x, y) == pytest.approx(energy)


def test_crps_is_taken_on_the_log_scale():
    samples = np.array([[9.0, 99.0]])
    rows = score_rows(np.array([9.0]), np.array([9.0]), None, samples)
    assert rows["crps"].iat[0] == pytest.approx(crps_samples(log1p10(samples), log1p10([9.0]))[0])
    assert rows["crps"].iat[0] == pytest.approx(0.25)


def test_summarise():
    rows = pd.DataFrame(
        {
            "abs_log10_error": [0.1, 0.2, 0.6],
            "off_2x": [False, False, True],
            "in_50": [1.0, 0.0, 0.0],
            "in_90": [1.0, 1.0, 0.0],
            "pit_50": [0.5, 0.0, 0.1],
            "pit_90": [1.0, 0.5, 0.0],
            "content_50": [0.6, 0.5, 0.4],
            "content_90": [1.0, 0.9, 0.8],
            "grew": [1.0, 0.0, 0.0],
            "p_grew": [0.9, 0.3, 0.3],
            "crps": [0.1, 0.1, 0.4],
        }
    )
    s = summarise(rows)
    assert s["n"] == 3
    assert s["median_abs_log10_error"] == pytest.approx(0.2)
    assert s["mean_abs_log10_error"] == pytest.approx(0.3)
    assert s["share_off_2x"] == pytest.approx(1 / 3)
    assert (s["coverage_50"], s["coverage_90"]) == pytest.approx((1 / 3, 2 / 3))
    assert (s["pit_coverage_50"], s["pit_coverage_90"]) == pytest.approx((0.2, 0.5))
    assert (s["expected_coverage_50"], s["expected_coverage_90"]) == pytest.approx((0.5, 0.9))
    assert (s["share_grew"], s["expected_share_grew"]) == pytest.approx((1 / 3, 0.5))
    assert s["crps"] == pytest.approx(0.2)


def test_growth_past_the_origin_observed_and_forecast():
    samples = np.array([[0, 0, 0, 1], [5, 5, 6, 9], [2, 3, 4, 5]])
    rows = score_rows(
        np.array([0.0, 7.0, 3.0]), np.array([0.0, 5.0, 3.0]), None, samples, np.array([0, 5, 3])
    )
    assert rows["grew"].tolist() == [0.0, 1.0, 0.0]
    assert rows["p_grew"].tolist() == pytest.approx([0.25, 0.5, 0.5])
    # without the origin, neither is known
    assert score_rows(np.array([1.0]), np.array([1.0]), None, samples[:1])["grew"].isna().all()


def test_pit_coverage_spreads_an_atom_over_its_probability():
    # P(Y = 2) = 0.8, P(Y = 3) = 0.2: a closed [q25, q75] = [2, 2] holds a flat outcome every
    # time, but the randomised PIT of y = 2 is uniform on [0, 0.8], inside [0.25, 0.75] with
    # probability 0.5 / 0.8; y = 3 has PIT on [0.8, 1], outside.
    samples = np.array([[2.0] * 8 + [3.0] * 2] * 2)
    rows = score_rows(np.array([2.0, 3.0]), np.full(2, 2.0), None, samples)
    assert rows["pit_50"].tolist() == pytest.approx([0.5 / 0.8, 0.0])
    assert rows["pit_90"].tolist() == pytest.approx([(0.8 - 0.05) / 0.8, 0.75])


def test_pit_coverage_of_continuous_samples_is_an_indicator():
    samples = np.linspace(0.0, 1.0, 101)[None, :].repeat(3, axis=0)
    rows = score_rows(np.array([0.5, 0.1, 0.974]), np.full(3, 0.5), None, samples)
    # y = 0.5 is a sample: its PIT range [0.495, 0.505] lies inside; 0.1 has PIT 0.1; 0.974 has 0.97
    assert rows["pit_50"].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert rows["pit_90"].tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_pit_coverage_counts_an_outcome_on_the_interval_ends_as_inside():
    """An outcome between draws whose PIT is exactly 0.25 or 0.75 is inside the closed central
    50% range, as the closed quantile intervals count theirs."""
    samples = np.array([[0.0, 1.0, 2.0, 3.0]] * 3)
    rows = score_rows(np.array([0.5, 2.5, 3.5]), np.full(3, 1.0), None, samples)
    assert rows["pit_50"].tolist() == [1.0, 1.0, 0.0]


def test_calibrated_count_forecasts_reach_the_nominal_pit_coverage():
    # Outcomes drawn from the forecast distribution itself (Poisson, mean 0.7: mostly atoms).
    rng = np.random.default_rng(0)
    samples = rng.poisson(0.7, size=(4000, 400)).astype(float)
    y = rng.poisson(0.7, size=4000).astype(float)
    q = np.quantile(samples, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T
    scores = summarise(score_rows(y, q[:, 2], q, samples))
    assert scores["coverage_50"] > 0.7  # closed intervals over-cover a calibrated count forecast
    assert scores["pit_coverage_50"] == pytest.approx(0.5, abs=0.02)
    assert scores["pit_coverage_90"] == pytest.approx(0.9, abs=0.02)
    # ... by as much as the forecast itself expects
    assert scores["coverage_50"] == pytest.approx(scores["expected_coverage_50"], abs=0.02)
    assert scores["coverage_90"] == pytest.approx(scores["expected_coverage_90"], abs=0.02)


def test_expected_coverage_is_the_forecasts_own_probability_of_its_interval():
    samples = np.array([[0.0, 1.0, 1.0, 2.0, 5.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    q = np.array([[0.0, 1.0, 1.0, 1.0, 5.0], [0.0, 1.0, 2.0, 3.0, 4.0]])
    rows = score_rows(np.array([1.0, 9.0]), q[:, 2], q, samples)
    assert rows["content_50"].tolist() == pytest.approx([0.4, 0.6])
    assert rows["content_90"].tolist() == pytest.approx([1.0, 1.0])
    assert rows["in_50"].tolist() == [1.0, 0.0]
    assert (
        score_rows(np.array([1.0]), np.array([1.0]), None, samples[:1])["content_50"].isna().all()
    )
