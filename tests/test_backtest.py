"""The backtest protocols, the forecaster contract and the CLI, on small crafted panels."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
from panels import make_panel, write_finetune_dir
from typer.testing import CliRunner

from bayesgrowth.backtest import as_of_split, first_steps_split, holdout_split, run_backtest
from bayesgrowth.baseline import PaperForecaster
from bayesgrowth.design import build_design
from bayesgrowth.errors import DataError
from bayesgrowth.forecasters import (
    Forecast,
    ForecastError,
    last_observed,
    make_forecaster,
    register_forecaster,
)
from bayesgrowth.naive import LastValue, LinearTrend
from bayesgrowth.panel import Panel, summarise_series
from bayesgrowth.scores import SCORE_COLUMNS

GROWING = [0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 66, 78, 91, 105, 120]


def methods():
    return [PaperForecaster(n_samples=200, workers=1), LastValue(), LinearTrend()]


def crafted_counts(after_d: int = 0) -> dict[str, list[int]]:
    """Four fine-tune series of 16 months; ``after_d`` is added to one from month 8 on."""
    jumpy = [0, 2, 4, 7, 9, 12, 14, 17, 20, 22, 25, 27, 30, 32, 35, 37]
    jumpy = jumpy[:8] + [c + after_d for c in jumpy[8:]]
    return {
        "org/growing": GROWING,
        "org/jumpy": jumpy,
        "org/never": [0] * 16,
        "org/late": [0, 0, 5, 9, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
    }


def crafted(after_d: int = 0) -> object:
    """The four series of :func:`crafted_counts`, created 2023-01-01, in memory."""
    return make_panel(crafted_counts(after_d))


def crafted_dir(tmp_path) -> str:
    """The four series written as a data directory dated like :func:`crafted`'s panel."""
    return str(write_finetune_dir(tmp_path / "data-2024-04-01", crafted_counts()))


AS_OF = "2023-08-15"  # months 0..7 of a 2023-01-01 model have ended (month 8 ends 2023-09-01)


def test_as_of_keeps_only_elapsed_months_and_targets_the_last():
    split = as_of_split(crafted(), AS_OF)
    obs = split.history.observations
    assert obs["date"].max() <= pd.Timestamp(AS_OF, tz="UTC")
    assert set(obs.groupby("model")["t"].max()) == {7}
    assert split.targets["t"].unique().tolist() == [15]
    growing = split.targets.set_index("model").loc["org/growing"]
    assert (growing["y"], growing["origin_t"], growing["origin_value"]) == (120, 7, 28)


def test_an_as_of_date_not_in_iso_form_is_refused():
    # pandas reads 08/07/2023 as 7 August, and 13/07/2023 as 13 July: month first unless not
    for written in ("08/07/2023", "13/07/2023"):
        with pytest.raises(DataError, match=f"--as-of {written!r} is not a date \\(YYYY-MM-DD\\)"):
            as_of_split(crafted(), written)


def test_no_data_after_the_origin_leaks_into_any_forecast():
    quiet, jumped = as_of_split(crafted(0), AS_OF), as_of_split(crafted(10_000), AS_OF)
    a = run_backtest(quiet, methods(), seed=3).forecasts
    b = run_backtest(jumped, methods(), seed=3).forecasts
    columns = ["method", "model", "t", "point", "q05", "q25", "q50", "q75", "q95"]
    pd.testing.assert_frame_equal(a[columns], b[columns])
    jumpy = (a["model"] == "org/jumpy") & (a["method"] == "last-value")
    assert (b.loc[jumpy, "y"] - a.loc[jumpy, "y"]).tolist() == [10_000]


def test_whether_a_series_has_counts_after_the_origin_does_not_shape_the_history():
    # org/jumpy is known for months 0..7 at the origin; whether its recording stops there (a
    # deleted repository, a collector that dropped it) is known only later. The history, and so
    # every fit on it (organisation pooling, onset cells, release batch), must not depend on it.
    full = crafted()
    obs = full.observations
    obs = obs[(obs["model"] != "org/jumpy") | (obs["t"] <= 7)]
    stopped = dataclasses.replace(full, observations=obs, series=summarise_series(obs, full.series))
    a, b = as_of_split(full, AS_OF), as_of_split(stopped, AS_OF)
    pd.testing.assert_frame_equal(a.history.observations, b.history.observations)
    pd.testing.assert_frame_equal(a.history.series, b.history.series)
    da, db = build_design(a.history), build_design(b.history)
    for name in ("models", "release_batch", "onset_at_risk", "onset_events", "inc", "size"):
        np.testing.assert_array_equal(getattr(da, name), getattr(db, name), err_msg=name)
    # only what is scored differs: the series without a later count has no target
    assert "org/jumpy" in set(a.targets["model"]) - set(b.targets["model"])
    result = run_backtest(b, [LastValue(), LinearTrend()])
    assert "org/jumpy" not in set(result.forecasts["model"])


def test_a_download_model_created_after_the_origin_on_its_day_leaves_no_count_in_the_cut():
    # Day t's count is dated at the day's midnight, so a model created at noon on the origin day
    # has a day-0 count dated at the origin itself, though it did not exist then (the snapshot:
    # openai/whisper-large-v3-turbo, created 2024-10-01 07:39, cut at 2024-10-01).
    panel = make_panel(
        {"org/old": list(range(0, 200, 10)), "org/new": [5, 9, 30]},
        metric="downloads",
        created={"org/old": "2023-03-01 08:00", "org/new": "2023-03-18 12:00"},
    )
    cut = panel.truncate("2023-03-18")
    assert cut.series["model"].tolist() == ["org/old"]
    assert set(cut.observations["model"]) == {"org/old"}
    assert cut.last_values()["model"].tolist() == ["org/old"]


def combined(*panels: Panel) -> Panel:
    """One panel of the series of several (each of its own organisation)."""
    return Panel(
        observations=pd.concat([p.observations for p in panels], ignore_index=True),
        series=pd.concat([p.series for p in panels], ignore_index=True),
        data_date=max(p.data_date for p in panels),
    )


def rewritten_after(panel: Panel, origin: str) -> Panel:
    """``panel`` with every count after ``origin`` raised by 1,000 per step (still cumulative)."""
    obs = panel.observations.copy()
    later = obs["date"] > pd.Timestamp(origin, tz="UTC")
    obs.loc[later, "cumulative"] += 1000 * obs.loc[later, "t"]
    return dataclasses.replace(panel, observations=obs, series=summarise_series(obs, panel.series))


@pytest.mark.parametrize(
    ("metric", "origin", "fresh", "after", "elsewhere"),
    [
        # Org/fresh is one month old at the origin; Org/after, of its organisation and calendar
        # month, is created after the origin (release batch); Else/new is a new organisation.
        ("finetunes", AS_OF, "2023-08-02", "2023-08-20", "2023-09-01"),
        # the same in days, Org/after created at noon on the origin day
        ("downloads", "2023-01-25", "2023-01-20", "2023-01-25 12:00", "2023-01-26"),
    ],
)
def test_the_fit_at_the_origin_sees_nothing_of_what_came_after(
    metric, origin, fresh, after, elsewhere
):
    """The model reads only its design: built from the history of the data as they were and of
    data with other counts after the origin and other models created after it, it is the same."""
    steps = 16 if metric == "finetunes" else 60
    grows = [int(1.5 * k * k) for k in range(steps)]
    data_date = "2024-05-01" if metric == "finetunes" else "2023-03-01"
    known = make_panel(
        {
            "Org/old": grows,
            "Org/sibling": [k // 2 for k in grows],
            "Org/never": [0] * steps,
            "Org/fresh": [0] + grows[: steps - 8],
        },
        metric=metric,
        created={"Org/sibling": "2023-01-10", "Org/fresh": fresh},
        data_date=data_date,
    )
    later = combined(
        rewritten_after(known, origin),
        make_panel({"Org/after": grows[:5]}, metric=metric, created={"Org/after": after}),
        make_panel(
            {"Else/new": grows[:5]},
            metric=metric,
            created={"Else/new": elsewhere},
            organization="Else",
            data_date=data_date,
        ),
    )
    for min_history in (6, 0):
        a, b = as_of_split(known, origin, min_history), as_of_split(later, origin, min_history)
        assert a.targets["model"].tolist() == b.targets["model"].tolist()
        assert (a.targets["y"] != b.targets["y"]).all()  # the outcomes did change
        da, db = build_design(a.history, metric), build_design(b.history, metric)
        for f in dataclasses.fields(da):
            x, y = getattr(da, f.name), getattr(db, f.name)
            if isinstance(x, np.ndarray):
                np.testing.assert_array_equal(x, y, err_msg=f"{f.name}, {min_history}")
            else:
                assert x == y, f.name
        assert list(da.organizations) == ["Org"]
    # with --min-history 0 Org/fresh is fitted, its release batch counted without Org/after
    batch = dict(zip(da.models, da.release_batch, strict=True))
    whole = build_design(later, metric)
    assert (
        dict(zip(whole.models, whole.release_batch, strict=True))["Org/fresh"]
        == batch["Org/fresh"] + 1
    )


def test_the_authors_fits_of_the_whole_snapshot_stay_out_of_every_history():
    # The authors fitted their parameters to the full data, models created after the origin
    # included: a forecaster handed them would see past the origin.
    fits = pd.DataFrame(
        {"model": ["org/growing", "org/born-later"], "lambda_i": [4.0, 9.0], "mu_i": [1.0, 2.0]}
    )
    panel = dataclasses.replace(crafted(), paper_fits=fits)
    for split in (
        as_of_split(panel, AS_OF),
        holdout_split(panel, 2),
        first_steps_split(panel, 3, 12),
    ):
        assert split.history.paper_fits.empty, split.protocol
    assert len(panel.paper_fits) == 2  # the panel itself is left as it was


def test_as_of_scores_no_model_too_young_and_no_partial_month():
    panel = make_panel(
        {
            "org/old": GROWING,
            "org/young": [0, 4],
            "org/partial": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20],
        },
        created={"org/young": "2023-07-20", "org/partial": "2023-01-01"},
        partial={"org/partial": 9.5},
    )
    split = as_of_split(panel, AS_OF, min_history=1)
    assert split.targets["model"].tolist() == ["org/old", "org/partial"]
    assert split.history.observations["partial"].sum() == 0
    # the target is the last value in the data, a partial month read at t_exact
    partial = split.targets.set_index("model").loc["org/partial"]
    assert (partial["t"], partial["t_exact"], partial["y"]) == (10, 9.5, 20)
    young = as_of_split(panel, AS_OF)  # by default, 6 months must have elapsed
    assert young.targets["model"].tolist() == ["org/old", "org/partial"]
    # A series too young to score was known at the origin: the fit still learns from it.
    for split in (as_of_split(panel, AS_OF, min_history=1), young):
        assert "org/young" in set(split.history.series["model"])
        assert (split.history.observations["model"] == "org/young").sum() == 1
    with pytest.raises(DataError, match="no series has both a history and a later target"):
        as_of_split(panel, AS_OF, min_history=8)
    with pytest.raises(DataError, match="not before the data date"):
        as_of_split(panel, "2030-01-01")
    # Dates inside the data date but outside the counts of the metric: each end named.
    downloads = make_panel(
        {"org/a": [0, 5, 9, 12], "org/b": [3, 4, 8]},
        metric="downloads",
        created={"org/a": "2024-07-02", "org/b": "2024-07-03"},
        data_date="2024-07-10",
    )
    with pytest.raises(
        DataError, match=r"before the first downloads count of the data \(2024-07-02"
    ):
        as_of_split(downloads, "2024-06-01", min_history=1)
    with pytest.raises(DataError, match=r"not before the last downloads count .*\(2024-07-05\)"):
        as_of_split(downloads, "2024-07-06", min_history=1)
    assert len(as_of_split(downloads, "2024-07-04", min_history=1).targets) == 2


def test_as_of_keeps_a_series_with_exactly_the_minimum_history():
    """``min_history`` steps elapsed by the origin is enough: a model created 2023-02-10 has six
    whole months by 2023-08-15 (month 7 ends 2023-09-10) and is kept by the default of six;
    one created 2023-02-16 has five (month 6 ends 2023-08-16) and is left out."""
    panel = make_panel(
        {"org/six": GROWING[:12], "org/five": GROWING[:12]},
        created={"org/six": "2023-02-10", "org/five": "2023-02-16"},
    )
    split = as_of_split(panel, AS_OF)
    assert split.targets["model"].tolist() == ["org/six"]
    assert split.targets["origin_t"].tolist() == [6]


def test_holdout_drops_the_last_h_of_series_long_enough():
    panel = make_panel({"org/long": GROWING, "org/short": [0, 1, 2, 3]})
    split = holdout_split(panel, 2, min_history=3)
    assert split.targets[["model", "t", "y", "origin_t"]].values.tolist() == [
        ["org/long", 15, 120, 13]
    ]
    assert split.history.observations["t"].max() == 13


def test_holdout_targets_whole_months_only():
    """A partial last month (read at t_exact 9.5) belongs to a later state of the data than any
    origin: the holdout leaves it out and targets the last whole month."""
    panel = make_panel({"org/a": GROWING[:11]}, partial={"org/a": 9.5})
    split = holdout_split(panel, 1, min_history=3)
    assert split.targets[["t", "t_exact", "y", "origin_t"]].values.tolist() == [[9, 9.0, 45, 8]]
    assert not split.history.observations["partial"].any()


def test_first_steps_keeps_k_steps_of_series_observed_to_the_target():
    panel = make_panel({"org/long": GROWING, "org/short": GROWING[:12]})
    split = first_steps_split(panel, 3, 12)
    assert split.targets[["model", "t", "y", "origin_t", "origin_value"]].values.tolist() == [
        ["org/long", 12, 78, 3, 6]
    ]
    assert split.history.observations["t"].tolist() == [0, 1, 2, 3]
    downloads = make_panel({"m": list(range(0, 300, 10))}, metric="downloads")
    split = first_steps_split(downloads, 20, 29)
    assert (split.targets["y"].iat[0], split.history.observations["t"].max()) == (290, 20)


def test_every_protocol_refuses_a_panel_of_both_metrics():
    """load_panel reads both metrics by default: split so, the bayes method fitted the first metric
    only and failed after sampling ("models not in this fit"), and scores mixed months and days."""
    date = "2024-06-01"
    months = make_panel({"org/ft": GROWING}, data_date=date)
    days = make_panel({"org/dl": list(range(0, 300, 10))}, metric="downloads", data_date=date)
    both = Panel(
        observations=pd.concat([months.observations, days.observations]),
        series=pd.concat([months.series, days.series]),
        data_date=months.data_date,
    )
    says = r"holds downloads and finetunes series: .* pass panel.metric\('finetunes'\)"
    for split in (
        lambda: as_of_split(both, AS_OF, min_history=1),
        lambda: holdout_split(both, 1, min_history=1),
        lambda: first_steps_split(both, 3, 12),
    ):
        with pytest.raises(DataError, match=says):
            split()
    assert as_of_split(both.metric("finetunes"), AS_OF).targets["model"].tolist() == ["org/ft"]


def test_naive_forecasts_by_hand():
    panel = make_panel({"a": [0, 1, 2, 4, 7, 10, 30], "b": [0, 5, 30]})
    split = holdout_split(panel, 1, min_history=2)
    result = run_backtest(split, [LastValue(), LinearTrend()])
    got = result.forecasts.set_index(["method", "model"])["point"]
    assert got["last-value", "a"] == 10 and got["last-value", "b"] == 5
    assert got["linear-trend", "a"] == pytest.approx(10 + (10 - 2) / 3)  # slope of the last 3 steps
    assert got["linear-trend", "b"] == pytest.approx(5 + 5)  # a shorter series: all it has
    # a target read part-way through its month (t_exact 9.5, step 10) is extended to 9.5
    partial = make_panel({"a": [0, 1, 2, 3, 4, 6, 8, 10, 11, 12, 20]}, partial={"a": 9.5})
    trend = run_backtest(as_of_split(partial, AS_OF), [LinearTrend()]).forecasts["point"].iat[0]
    assert trend == pytest.approx(10 + (9.5 - 7) * (10 - 4) / 3)


def test_metrics_table_and_subsets():
    result = run_backtest(as_of_split(crafted(), AS_OF), methods(), seed=0)
    metrics = result.metrics.set_index(["method", "subset"])
    assert list(result.metrics.columns) == ["method", "subset", *SCORE_COLUMNS]
    assert metrics.loc[("last-value", "all"), "n"] == 4
    assert metrics.loc[("last-value", "nonzero_at_origin"), "n"] == 3
    assert metrics.loc[("last-value", "ten_plus_at_origin"), "n"] == 3
    assert np.isnan(metrics.loc[("last-value", "all"), "coverage_90"])
    assert 0 <= metrics.loc[("paper", "all"), "coverage_90"] <= 1
    assert set(result.diagnostics["paper"]["status"]) <= {"ok", "extreme", "stuck-at-start"}
    # every series here is older than six months: the young subsets are not reported
    assert not metrics.index.get_level_values("subset").str.contains("under").any()


def test_a_series_at_ten_at_the_origin_is_in_the_ten_plus_subset():
    panel = make_panel({"org/ten": [0, 2, 4, 6, 8, 9, 10, 10, 12], "org/nine": [0, 9, 9, 9, 9]})
    split = holdout_split(panel, 1, min_history=3)
    assert split.targets.set_index("model")["origin_value"].to_dict() == {
        "org/nine": 9,
        "org/ten": 10,
    }
    metrics = run_backtest(split, [LastValue()]).metrics.set_index("subset")
    assert metrics.loc["ten_plus_at_origin", "n"] == 1
    assert metrics.loc["nonzero_at_origin", "n"] == 2


def test_young_series_are_scored_in_their_own_subsets():
    panel = make_panel(
        {
            "org/old": GROWING,
            "org/young": [0, 4, 9, 11, 12, 13, 14, 15, 16, 17],
            "org/young-zero": [0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            "org/young-flat": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        },
        created={m: "2023-05-01" for m in ("org/young", "org/young-zero", "org/young-flat")},
    )
    split = as_of_split(panel, AS_OF, min_history=1)
    metrics = run_backtest(split, [LastValue()]).metrics.set_index("subset")
    assert metrics.loc["all", "n"] == 4
    assert metrics.loc["nonzero_under_6_steps", "n"] == 1  # org/young, 3 months at the origin
    zero = metrics.loc["zero_under_6_steps"]
    assert zero["n"] == 2
    assert zero["share_grew"] == pytest.approx(0.5)  # org/young-zero got its first two
    assert np.isnan(zero["expected_share_grew"])  # a point forecast has no probability of it


def test_a_series_with_exactly_six_steps_at_the_origin_is_not_young():
    """The young subsets hold series younger than the default minimum history of six steps:
    one with six at its origin is not among them, one with five is."""
    panel = make_panel({"org/six": GROWING[:8], "org/five": GROWING[:7]})
    split = holdout_split(panel, 1, min_history=1)
    assert split.targets.set_index("model")["origin_t"].to_dict() == {"org/five": 5, "org/six": 6}
    metrics = run_backtest(split, [LastValue()]).metrics.set_index("subset")
    assert metrics.loc["nonzero_under_6_steps", "n"] == 1


def test_young_subsets_are_left_out_when_every_target_is_young():
    """Under ``--history 3`` every series has 3 months at the origin: the young subsets would be
    ``nonzero_at_origin`` and the zero series over again."""
    panel = make_panel({"org/a": GROWING, "org/b": [0] * 13, "org/c": [0, 1, 1, 2, *[3] * 9]})
    metrics = run_backtest(first_steps_split(panel, 3, 12), [LastValue()]).metrics
    assert metrics["subset"].tolist() == ["all", "nonzero_at_origin"]


def test_paper_forecasts_are_monotone_and_never_below_the_last_count():
    split = as_of_split(crafted(), AS_OF)
    f = run_backtest(split, [PaperForecaster(n_samples=200, workers=1)]).forecasts
    q = f[["q05", "q25", "q50", "q75", "q95"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    assert (f[["point", "q05"]].min(axis=1) >= f["origin_value"]).all()


def test_a_paper_point_below_the_last_count_is_raised_to_it():
    """A series that leapt to 60 and stayed there fails curve_fit, whose starting guess P0
    forecasts 0.4: the point is the last count, as the forecast contract asks, and the backtest
    scores it (it refuses a forecast below the last observed count)."""
    panel = make_panel({"org/leap": [0, 1, 2, 3, 4, 5, 6, 7, 8, 60, 60]})
    split = holdout_split(panel, 1, min_history=3)
    result = run_backtest(split, [PaperForecaster(n_samples=50, workers=1)])
    assert result.diagnostics["paper"]["status"].tolist() == ["failed"]
    assert result.forecasts["point"].tolist() == [60.0]


def test_same_seed_same_forecasts_other_seed_other_draws():
    split = as_of_split(crafted(), AS_OF)
    a = run_backtest(split, [PaperForecaster(n_samples=200, workers=1)], seed=5).forecasts
    b = run_backtest(split, [PaperForecaster(n_samples=200, workers=1)], seed=5).forecasts
    c = run_backtest(split, [PaperForecaster(n_samples=200, workers=1)], seed=6).forecasts
    pd.testing.assert_frame_equal(a, b)
    assert not a["q95"].equals(c["q95"])


class _Broken:
    name = "broken"

    def forecast(self, history, targets, seed):
        return Forecast.point_only(targets, np.zeros(len(targets)))


class _Unset:
    """Forecasts far above the origin, but NaN for the second target (or in one draw)."""

    name = "unset"

    def __init__(self, where: str) -> None:
        self.where = where

    def forecast(self, history, targets, seed):
        point = np.full(len(targets), 1e6)
        if self.where == "point":
            point[1] = np.nan
            return Forecast.point_only(targets, point)
        samples = np.full((len(targets), 4), 1e6)
        samples[1, 2] = np.inf
        return Forecast(
            Forecast.point_only(targets, point).table, samples=samples, has_interval=False
        )


def test_the_contract_is_checked_and_names_resolve_through_the_registry():
    split = as_of_split(crafted(), AS_OF)
    with pytest.raises(ForecastError, match="below the last observed count"):
        run_backtest(split, [_Broken()])
    second = split.targets["model"].iat[1]
    for where in ("point", "samples"):
        # Scored, a NaN would count as "within 2x" and drop out of the mean error.
        with pytest.raises(ForecastError, match=f"NaN or infinite \\(model {second}\\)"):
            run_backtest(split, [_Unset(where)])
    with pytest.raises(ForecastError, match="known methods: .*last-value.*linear-trend.*paper"):
        make_forecaster("nope")
    with pytest.raises(ForecastError, match="no forecasting method given; known methods: "):
        run_backtest(split, [])
    with pytest.raises(ForecastError, match="last-value given more than once"):
        run_backtest(split, [LastValue(), LinearTrend(), LastValue()])
    register_forecaster("test-lazy", "bayesgrowth.naive:LastValue", replace=True)
    assert make_forecaster("test-lazy").name == "last-value"
    with pytest.raises(ForecastError, match="already registered"):
        register_forecaster("paper", LastValue)
    with pytest.raises(ForecastError, match="monotone"):
        Forecast(
            pd.DataFrame(
                {
                    "model": ["a"],
                    "t": [1],
                    "point": [1.0],
                    "q05": [2.0],
                    "q25": [1.0],
                    "q50": [1.0],
                    "q75": [1.0],
                    "q95": [1.0],
                }
            )
        )


def test_cli_writes_the_tables(tmp_path):
    from bayesgrowth.cli import app

    out = tmp_path / "bt"
    args = ["backtest", "--method", "last-value,linear-trend", "--as-of", AS_OF, "--out", str(out)]
    args += ["--data", crafted_dir(tmp_path)]
    # An earlier run's per-method files would sit beside scores they are not part of.
    out.mkdir()
    for name in ("diagnostics-paper.csv", "sampling-bayes.txt", "notes.txt"):
        (out / name).write_text("earlier\n")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no interval" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["forecasts.csv", "metrics.csv", "notes.txt"]
    assert f"removed {out / 'sampling-bayes.txt'}: left by an earlier run" in result.output
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == ["method", "subset", *SCORE_COLUMNS]
    forecasts = pd.read_csv(out / "forecasts.csv")
    assert {"model", "t", "y", "point", "q05", "q25", "q50", "q75", "q95"} <= set(forecasts.columns)
    # the origin of each forecast, so the file can be cut by age and size at the origin
    growing = forecasts.set_index(["method", "model"]).loc[("last-value", "org/growing")]
    assert (growing["origin_t"], growing["origin_value"]) == (7, 28)
    bad = CliRunner().invoke(
        app,
        ["backtest", "--holdout", "1", "--as-of", AS_OF, "--out", str(out), "--data", args[-1]],
    )
    assert bad.exit_code != 0 and "exactly one protocol" in str(bad.exception)


def test_a_backtest_stopped_while_writing_leaves_no_earlier_runs_table(tmp_path, monkeypatch):
    """The disk fills at forecasts.csv: the earlier run's forecasts.csv stayed beside this run's
    metrics.csv, and would pass for its forecasts."""
    from bayesgrowth.cli import app, backtest_cmd
    from bayesgrowth.cli.backtest_cmd import write_csv as real_write_csv

    out = tmp_path / "bt"
    out.mkdir()
    for name in ("metrics.csv", "forecasts.csv", "diagnostics-paper.csv", "notes.txt"):
        (out / name).write_text("earlier\n")

    def disk_full_at_forecasts(path, table, **kwargs):
        if path.name == "forecasts.csv":
            raise OSError("no space left on the device")
        return real_write_csv(path, table, **kwargs)

    monkeypatch.setattr(backtest_cmd, "write_csv", disk_full_at_forecasts)
    args = ["backtest", "--method", "last-value,linear-trend", "--as-of", AS_OF, "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--data", crafted_dir(tmp_path)])
    assert isinstance(result.exception, OSError), result.output
    assert f"removed {out / 'diagnostics-paper.csv'}: left by an earlier run" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["metrics.csv", "notes.txt"]
    assert set(pd.read_csv(out / "metrics.csv")["method"]) == {"last-value", "linear-trend"}


class JustAboveTheLastCount:
    """Forecasts a hair above the last count, as a curve that has all but stopped does."""

    name = "just-above"

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        last = last_observed(history, targets)["origin_value"].to_numpy(dtype=float)
        table = targets[["model", "t"]].reset_index(drop=True).assign(point=last * (1 + 1e-11))
        for i, column in enumerate(("q05", "q25", "q50", "q75", "q95")):
            table[column] = last * (1 + i * 1e-11) + 1e-3 * (i == 4)
        return Forecast(table)


def test_the_forecasts_file_scores_as_the_metrics_do(tmp_path):
    from bayesgrowth.cli.backtest_cmd import write_result

    # org/flat stays at 3: a band starting at 3 + 3e-11 leaves it out, as the metrics count it;
    # a file that rounds the band to 3 would put it inside (the paper's curve fits did this).
    panel = make_panel({**crafted_counts(), "org/flat": [0, 1, 2] + [3] * 13})
    result = run_backtest(as_of_split(panel, AS_OF), [JustAboveTheLastCount(), LinearTrend()])
    write_result(result, tmp_path)
    written = pd.read_csv(tmp_path / "forecasts.csv")
    columns = ["point", "q05", "q25", "q50", "q75", "q95"]
    pd.testing.assert_frame_equal(
        written[columns], result.forecasts[columns], check_exact=True, check_dtype=False
    )
    flat = written[(written["model"] == "org/flat") & (written["method"] == "just-above")]
    assert not ((flat["q25"] <= flat["y"]) & (flat["y"] <= flat["q75"])).any()
    assert result.forecasts.loc[flat.index, "in_50"].tolist() == [0.0]


@pytest.mark.slow
def test_cli_backtests_the_bayes_model_and_records_its_sampling(tmp_path):
    from bayesgrowth.cli import app

    out = tmp_path / "bt"
    args = ["backtest", "--method", "bayes", "--as-of", AS_OF, "--draws", "60", "--tune", "60"]
    args += ["--data", crafted_dir(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--target-accept", "0.95", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(out / "metrics.csv").set_index("subset")
    assert metrics.loc["all", "method"] == "bayes" and metrics.loc["all", "n"] == 4
    assert 0.0 <= metrics.loc["all", "expected_coverage_90"] <= 1.0
    sampling = (out / "sampling-bayes.txt").read_text()
    assert "chains × draws: 2 × 60" in sampling and "divergences:" in sampling
    assert "60 tuning steps, target acceptance 0.95" in sampling
    assert "bayes fit: divergences:" in result.output


def test_draws_and_tune_reach_the_sampling_method_only():
    from bayesgrowth.cli.backtest_cmd import with_sampling

    bayes = with_sampling(make_forecaster("bayes"), draws=8000, tune=1000, target_accept=0.97)
    assert (bayes.draws, bayes.tune, bayes.target_accept) == (8000, 1000, 0.97)
    kept = with_sampling(make_forecaster("bayes"), draws=None, tune=None)
    assert (kept.draws, kept.target_accept) == (500, 0.9)
    assert isinstance(with_sampling(LastValue(), draws=8000, tune=None), LastValue)


def test_the_refit_gets_the_sampler_lengths_measured_for_its_protocol():
    from bayesgrowth import defaults
    from bayesgrowth.cli.backtest_cmd import protocol_sampling

    full = (defaults.DRAWS, defaults.TUNE, 0.9)
    assert protocol_sampling(metric="finetunes", as_of=AS_OF, holdout=None) == (4000, 700, 0.9)
    assert protocol_sampling(metric="downloads", as_of=AS_OF, holdout=None) == (4000, 700, 0.9)
    assert protocol_sampling(metric="finetunes", as_of=None, holdout=3) == full
    # --history K: the fewer months, the longer the chains; one or two the tightest acceptance
    first = {
        k: protocol_sampling(metric="finetunes", as_of=None, holdout=None, history=k)
        for k in (1, 2, 3, 4, 6, 9)
    }
    assert first == {
        1: (14000, 1000, 0.99),
        2: (14000, 1000, 0.99),
        3: (14000, 1000, 0.97),
        4: (8000, 1000, 0.97),
        6: (4000, 1000, 0.97),
        9: (4000, 1000, 0.97),
    }
    # --first-days (downloads)
    assert protocol_sampling(metric="downloads", as_of=None, holdout=None) == (12000, 1000, 0.9)


def test_the_help_gives_the_refits_lengths_by_protocol():
    """It gave 4,000 draws "for fine-tunes with --as-of", else 1,800: a download refit as of a
    date gets 4,000 too (above)."""
    from bayesgrowth.cli import app

    result = CliRunner().invoke(app, ["backtest", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "(default by protocol: 4,000 with --as-of, 14,000 with --history 1-3," in text


@pytest.mark.skipif(
    not os.environ.get("BAYESGROWTH_DATA"),
    reason="BAYESGROWTH_DATA is not set: no real snapshot for the anchor figures",
)
def test_the_naive_anchors_on_the_real_snapshot():
    from bayesgrowth.data import load_panel

    panel = load_panel(os.environ["BAYESGROWTH_DATA"], metrics=("finetunes",))
    split = as_of_split(panel.metric("finetunes"), "2024-08-18")
    metrics = run_backtest(split, [LastValue(), LinearTrend()]).metrics
    nonzero = metrics[metrics["subset"] == "nonzero_at_origin"].set_index("method")
    assert (nonzero["n"] == 596).all()
    assert nonzero.loc["last-value", "median_abs_log10_error"] == pytest.approx(0.049, abs=5e-4)
    # The anchors, 9.7% and 9.9% off by > 2x, counted 2 and 3 forecasts exactly 2x off
    # as off through the rounding of log10; counted exactly, 56 of 596 each (results/README.md).
    assert nonzero.loc["last-value", "share_off_2x"] == pytest.approx(56 / 596)
    assert nonzero.loc["linear-trend", "median_abs_log10_error"] == pytest.approx(0.058, abs=5e-4)
    assert nonzero.loc["linear-trend", "share_off_2x"] == pytest.approx(56 / 596)


def test_the_paper_forecast_is_its_curve_fit_at_the_targets_exact_time():
    """The paper's point forecast is the curve fitted to the history, evaluated at the target's
    t_exact: a partial last month read at 14.3 is forecast there, not at its step 15."""
    from bayesgrowth.baseline import fit_curve
    from bayesgrowth.curves import cumulative

    counts = np.round(cumulative(np.arange(16.0), 8.0, 2.5, 0.8)).astype(int).tolist()
    panel = make_panel({"org/a": counts}, partial={"org/a": 14.3})
    split = as_of_split(panel, AS_OF)
    target = split.targets.iloc[0]
    assert (target["t"], target["t_exact"]) == (15, 14.3)
    history = split.history.series_of("org/a", "finetunes")
    fit = fit_curve(history["t_exact"].to_numpy(), history["cumulative"].to_numpy(dtype=float))
    f = run_backtest(split, [PaperForecaster(n_samples=200, workers=1)], seed=0).forecasts
    assert f["point"].iat[0] == pytest.approx(cumulative(14.3, *fit.params))
    assert cumulative(15.0, *fit.params) > 1.05 * cumulative(14.3, *fit.params)
