"""Loading: the real snapshot's totals, the treatments on crafted files, and panel operations."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csvfiles import (
    DATA_DATE,
    DAYS,
    default_snapshot,
    download_table,
    finetune_table,
    real_data_dir,
    requires_real_data,
    write_snapshot,
)

import bayesgrowth as bg
from bayesgrowth.errors import DataError, UnknownModelError
from bayesgrowth.panel import OBSERVATION_COLUMNS, SERIES_COLUMNS, add_months

UTC_DATA_DATE = pd.Timestamp(DATA_DATE, tz="UTC")
REAL_DATA_DATE = pd.Timestamp("2025-02-21", tz="UTC")
"""The day after the real snapshot's fine-tune collection (2025-02-20, about 23:30 UTC)."""


# --- the real snapshot ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> bg.Panel:
    """The real snapshot, loaded once for this module."""
    return bg.load_panel(real_data_dir())


@requires_real_data
class TestRealSnapshot:
    def test_files_and_series(self, real):
        c = real.report.counts
        assert (c["finetunes.files"], c["finetunes.series"]) == (17, 3903)
        assert (c["downloads.files"], c["downloads.series"]) == (18, 830)
        assert real.series.groupby("metric").size().to_dict() == {
            "finetunes": 3903,
            "downloads": 830,
        }
        assert real.data_date == REAL_DATA_DATE

    def test_finetune_oddities(self, real):
        c = real.report.counts
        ft = real.series[real.series["metric"] == "finetunes"]
        assert c["finetunes.never_finetuned"] == 2652 == (ft["last_value"] == 0).sum()
        assert c["finetunes.only_month_0"] == 38 == (ft["n_obs"] == 1).sum()
        assert c["finetunes.gaps"] == 0

    def test_every_fine_tune_month_written_had_ended(self, real):
        """The fine-tune table was collected on 2025-02-20 (complete months only), after the last
        download day: read as of 2025-02-18, 365 of its last months would look unfinished."""
        obs = real.observations
        assert real.report.counts["finetunes.partial_last_month"] == 0
        assert not obs["partial"].any() and (obs["t_exact"] == obs["t"]).all()
        ft = obs[obs["metric"] == "finetunes"]
        assert ft["date"].max() == pd.Timestamp("2025-02-20 23:28:44", tz="UTC")
        assert (ft["date"] > UTC_DATA_DATE).sum() == 365
        last_download = obs.loc[obs["metric"] == "downloads", "date"].max()
        assert last_download == UTC_DATA_DATE
        downloads_only = bg.load_panel(real_data_dir(), metrics=("downloads",))
        assert downloads_only.data_date == REAL_DATA_DATE

    def test_download_oddities(self, real):
        c = real.report.counts
        dl = real.series[real.series["metric"] == "downloads"]
        assert c["downloads.precreation_nonzero"] == 9
        assert c["downloads.first_recorded_after_release"] == 0
        assert dl["left_censored"].sum() == 9
        assert c["downloads.nonzero_on_creation_day"] == 28
        assert c["downloads.zero_on_day_1"] == 610
        assert c["downloads.zero_throughout"] == 60 == (dl["last_value"] == 0).sum()
        assert c["downloads.rows_before_creation"] > 0
        assert c["downloads.gaps"] == 0
        assert real.series.loc[real.series["metric"] == "finetunes", "left_censored"].sum() == 0

    def test_download_days_start_at_creation(self, real):
        obs = real.observations[real.observations["metric"] == "downloads"]
        assert (obs["t"] >= 0).all()
        first = obs.groupby("model").first()
        created = real.series.set_index(["metric", "model"]).loc["downloads", "created_at"]
        assert (first["t"] == 0).all()
        assert (first["date"] == created.loc[first.index].dt.normalize()).all()

    def test_tables_are_typed_and_cumulative(self, real):
        assert real.observations.dtypes.astype(str).to_dict() == {
            k: str(pd.Series(dtype=v).dtype) for k, v in OBSERVATION_COLUMNS.items()
        }
        assert list(real.series.columns[: len(SERIES_COLUMNS)]) == list(SERIES_COLUMNS)
        step = real.observations.groupby(["metric", "model"])["cumulative"].diff()
        assert (step.dropna() >= 0).all()
        assert (real.observations["cumulative"] >= 0).all()

    def test_one_known_series(self, real):
        s = real.series_of("amazon/MistralLite", "finetunes")
        assert list(s["t"]) == list(range(17))
        assert s["cumulative"].iat[-1] == 53 and s["cumulative"].iat[1] == 16
        created = pd.Timestamp("2023-10-16 00:57:56", tz="UTC")
        assert s["date"].iat[0] == created
        assert s["date"].iat[16] == created + pd.DateOffset(months=16)

    def test_paper_fits_kept_apart(self, real):
        fits = real.paper_fits
        assert len(fits) == 3903 and fits["model"].is_unique
        assert {"lambda_i", "mu_i", "sigma_i"} <= set(fits.columns)
        assert fits["lambda_i"].dtype == float
        assert "lambda_i" not in real.observations.columns


@requires_real_data
class TestPanelOperations:
    AS_OF = pd.Timestamp("2024-10-01", tz="UTC")

    def test_truncate_keeps_only_elapsed_steps(self, real):
        cut = real.truncate("2024-10-01")
        assert cut.data_date == self.AS_OF
        assert (cut.observations["date"] <= self.AS_OF).all()
        assert not cut.observations["partial"].any()
        assert (cut.series["created_at"] <= self.AS_OF).all()
        full = real.series.set_index(["metric", "model"])
        later = full.index[full["created_at"] > self.AS_OF]
        assert len(later) > 800
        assert not cut.series.set_index(["metric", "model"]).index.isin(later).any()
        assert cut.n_series == real.n_series - len(later)
        # the per-series summary is recomputed from what is left
        last = cut.last_values().set_index(["metric", "model"])["cumulative"]
        series = cut.series.set_index(["metric", "model"])
        assert (series["last_value"] == last.loc[series.index]).all()

    def test_truncate_one_fine_tune_series(self, real):
        s = real.truncate("2024-10-01").series_of("amazon/MistralLite", "finetunes")
        created = pd.Timestamp("2023-10-16 00:57:56", tz="UTC")
        # month 11 ends 2024-09-16, month 12 on 2024-10-16: after the cut
        assert list(s["t"]) == list(range(12))
        assert s["date"].iat[-1] == created + pd.DateOffset(months=11)

    def test_truncate_at_the_data_date_keeps_everything(self, real):
        cut = real.truncate(real.data_date)
        assert len(cut.observations) == len(real.observations)
        assert cut.n_series == real.n_series

    def test_truncate_drops_partial_months_inside_the_data(self, real):
        cut = real.truncate(real.data_date - pd.Timedelta(days=1))
        assert not cut.observations["partial"].any()

    def test_truncate_matches_a_snapshot_built_as_of_the_cut(self, real, tmp_path):
        """Loading files cut at a date gives what truncate gives: same steps, counts, flags."""
        as_of = self.AS_OF
        root = tmp_path / "asof"
        src = real_data_dir()
        for sub in ("finetune", "download"):
            for org in ("Google", "Nvidia"):
                frame = pd.read_csv(src / sub / f"{org}.csv", dtype=str, keep_default_na=False)
                created = pd.to_datetime(frame["created_at"], utc=True, format="mixed")
                frame = frame[created <= as_of].copy()
                created = created[created <= as_of]
                if sub == "download":
                    late = [c for c in frame.columns[1:-1] if pd.Timestamp(c, tz="UTC") > as_of]
                    frame = frame.drop(columns=late)
                else:
                    for c in [c for c in frame.columns if c.endswith("-month")]:
                        k = int(c.split("-")[0])
                        ends = created + pd.DateOffset(months=k)
                        frame.loc[(ends > as_of).to_numpy(), c] = ""
                (root / sub).mkdir(parents=True, exist_ok=True)
                frame.to_csv(root / sub / f"{org}.csv", index=False)
        built = bg.load_panel(root)
        cut = real.truncate(as_of).select(organizations=["Google", "Nvidia"])
        assert built.data_date == as_of
        assert built.n_series == cut.n_series > 100
        cols = list(OBSERVATION_COLUMNS)
        pd.testing.assert_frame_equal(built.observations[cols], cut.observations[cols])
        keys = ["metric", "model", "created_at", "first_t", "last_t", "n_obs", "last_value"]
        pd.testing.assert_frame_equal(
            built.series[[*keys, "left_censored"]].sort_values(keys).reset_index(drop=True),
            cut.series[[*keys, "left_censored"]].sort_values(keys).reset_index(drop=True),
        )

    def test_select(self, real):
        some = real.select(models=["amazon/MistralLite", "BAAI/AltCLIP"])
        assert set(some.series["model"]) == {"amazon/MistralLite", "BAAI/AltCLIP"}
        assert set(some.observations["model"]) == set(some.series["model"])
        assert set(some.paper_fits["model"]) <= set(some.series["model"])
        org = real.select(organizations=["AMAZON"])
        assert set(org.series["organization"]) == {"AMAZON"} and org.n_series > 0

    def test_select_unknown_model(self, real):
        with pytest.raises(UnknownModelError, match="unknown model id.*nobody/nothing") as err:
            real.select(models=["amazon/MistralLite", "nobody/nothing"])
        assert "amazon/MistralLite" not in str(err.value)
        assert isinstance(err.value, KeyError) and isinstance(err.value, bg.BayesGrowthError)

    def test_select_unknown_organisation_lists_known_ones(self, real):
        with pytest.raises(DataError, match="unknown organisation.*Acme") as err:
            real.select(organizations=["Acme"])
        msg = str(err.value)
        assert "known:" in msg
        for org in ("AMAZON", "Meta", "Other", "Qwen", "StabilityAI"):
            assert org in msg.split("known:")[1]
        # an empty name is shown as one, not as nothing
        with pytest.raises(DataError, match="unknown organisation\\(s\\) ''; known: AMAZON"):
            real.select(organizations=[""])

    def test_series_of_unknown(self, real):
        with pytest.raises(UnknownModelError, match="unknown model id 'nobody/nothing'"):
            real.series_of("nobody/nothing", "finetunes")
        # BAAI/AltCLIP has fine-tunes but is not among the download series
        with pytest.raises(UnknownModelError, match="'BAAI/AltCLIP' has no downloads series"):
            real.series_of("BAAI/AltCLIP", "downloads")

    def test_repr_is_one_line_of_sizes(self, real):
        """The dataclass default printed both tables in full in a notebook."""
        apple = real.select(organizations=["Apple"]).metric("finetunes")
        assert len(apple.observations) > 1000
        assert repr(apple) == (
            f"Panel(101 finetunes series, {len(apple.observations):,} observations, data date "
            f"2025-02-21, source {real.source!r})"
        )

    def test_metric(self, real):
        assert set(real.metric("downloads").series["metric"]) == {"downloads"}
        with pytest.raises(DataError, match="unknown metric 'likes'"):
            real.metric("likes")


# --- treatments on crafted files ------------------------------------------------------------------


def load(tmp_path: Path, finetune=None, download=None, **kwargs) -> bg.Panel:
    ft = {"ACME": finetune or finetune_table()}
    dl = {"ACME": download or download_table()}
    return bg.load_panel(write_snapshot(tmp_path / "snap", ft, dl), **kwargs)


def series_row(panel: bg.Panel, model: str, metric: str) -> pd.Series:
    s = panel.series
    return s[(s["model"] == model) & (s["metric"] == metric)].iloc[0]


def test_valid_crafted_snapshot(tmp_path):
    panel = bg.load_panel(default_snapshot(tmp_path / "snap"))
    assert panel.data_date == UTC_DATA_DATE
    alpha = panel.series_of("acme/alpha", "finetunes")
    assert list(alpha["cumulative"]) == [0, 3, 5, 8]
    assert list(alpha["t"]) == [0, 1, 2, 3] and not alpha["partial"].any()
    created = pd.Timestamp("2024-06-01 12:00", tz="UTC")
    assert list(alpha["date"]) == [created + pd.DateOffset(months=k) for k in range(4)]
    row = series_row(panel, "acme/alpha", "finetunes")
    assert row["organization"] == "ACME" and row["source_row"] == 2
    assert row["source_file"] == str(tmp_path / "snap" / "finetune" / "ACME.csv")
    c = panel.report.counts
    assert c["finetunes.never_finetuned"] == 1  # acme/beta
    assert c["downloads.nonzero_on_creation_day"] == 0
    assert c["downloads.zero_on_day_1"] == 0
    assert panel.paper_fits.empty


def test_created_at_is_read_as_utc(tmp_path):
    ft = finetune_table()
    ft.set("acme/alpha", "created_at", "2024-06-01T14:00:00+02:00")
    ft.set("acme/beta", "created_at", "2024-07-15 08:30:00")  # naive: taken as UTC
    panel = load(tmp_path, ft)
    created = panel.series.set_index(["metric", "model"])["created_at"]
    assert created["finetunes", "acme/alpha"] == pd.Timestamp("2024-06-01 12:00", tz="UTC")
    assert created["finetunes", "acme/beta"] == pd.Timestamp("2024-07-15 08:30", tz="UTC")


def test_partial_last_month(tmp_path):
    # created 2024-12-10 12:00: month 2 ends 2025-02-10 12:00, month 3 would end 2025-03-10 12:00
    ft = finetune_table().set("acme/beta", "created_at", "2024-12-10 12:00:00+00:00")
    ft.set("acme/beta", "3-month", "2.0")
    panel = load(tmp_path, ft)
    beta = panel.series_of("acme/beta", "finetunes")
    assert list(beta["partial"]) == [False, False, False, True]
    last = beta.iloc[-1]
    assert last["t"] == 3 and last["cumulative"] == 2
    assert last["t_exact"] == pytest.approx(2 + 7.5 / 28)
    assert last["date"] == UTC_DATA_DATE
    assert list(beta["t_exact"][:3]) == [0, 1, 2]
    assert panel.report.counts["finetunes.partial_last_month"] == 1
    assert any("partial" in note for note in panel.report.notes)


def test_a_count_for_a_month_not_begun_is_an_error(tmp_path):
    ft = finetune_table(5).set("acme/beta", "created_at", "2024-12-10 12:00:00+00:00")
    ft.set("acme/beta", "4-month", "1.0")
    with pytest.raises(DataError, match="begins at or after the data date 2025-02-18") as err:
        load(tmp_path, ft)
    assert (err.value.row, err.value.model, err.value.column) == (3, "acme/beta", "4-month")


def test_a_count_for_a_month_that_begins_on_the_data_date_is_an_error(tmp_path):
    """Month 3 of a model created 2024-12-18 00:00 begins at the data date itself, 2025-02-18
    00:00: none of it had elapsed, so it holds no count (read, it would sit at t_exact 2, the
    time of month 2's count)."""
    ft = finetune_table(5).set("acme/beta", "created_at", "2024-12-18 00:00:00+00:00")
    ft.set("acme/beta", "4-month", "")
    with pytest.raises(DataError, match="begins at or after the data date 2025-02-18") as err:
        load(tmp_path, ft)
    assert (err.value.row, err.value.model, err.value.column) == (3, "acme/beta", "3-month")


def test_fine_tune_series_created_on_the_data_date(tmp_path):
    ft = finetune_table().set("acme/beta", "created_at", "2025-02-18 15:00:00+00:00")
    for k in (1, 2, 3):
        ft.set("acme/beta", f"{k}-month", "")
    panel = load(tmp_path, ft)
    beta = panel.series_of("acme/beta", "finetunes")
    assert len(beta) == 1 and beta["t_exact"].iat[0] == 0 and not beta["partial"].iat[0]
    assert panel.report.counts["finetunes.only_month_0"] == 1


def test_series_cut_short_is_not_a_gap(tmp_path):
    ft = finetune_table().set("acme/alpha", "3-month", "").set("acme/alpha", "2-month", "")
    panel = load(tmp_path, ft)
    assert list(panel.series_of("acme/alpha", "finetunes")["t"]) == [0, 1]
    assert panel.report.counts["finetunes.gaps"] == 0


def test_gaps_are_counted_not_filled(tmp_path):
    ft = finetune_table(6).set("acme/alpha", "2-month", "").set("acme/alpha", "4-month", "")
    dl = download_table().set("acme/alpha", DAYS[4], "").set("acme/alpha", DAYS[5], "")
    dl.set("acme/gamma", DAYS[0], "").set("acme/gamma", DAYS[8], "")  # ends are not gaps
    panel = load(tmp_path, ft, dl)
    assert list(panel.series_of("acme/alpha", "finetunes")["t"]) == [0, 1, 3, 5]
    alpha = panel.series_of("acme/alpha", "downloads")
    assert list(alpha["t"]) == [0, 1, 2, 3, 6, 7, 8]
    assert list(alpha["cumulative"]) == [0, 10, 20, 30, 60, 70, 80]
    c = panel.report.counts
    assert (c["finetunes.gaps"], c["downloads.gaps"]) == (2, 2)


def test_a_cell_of_spaces_is_empty_quoted_or_not(tmp_path):
    """An unquoted cell of spaces was read as empty, a quoted one (``" "``) was an error."""
    ft = finetune_table(6).set("acme/alpha", "2-month", '" "').set("acme/alpha", "4-month", "  ")
    panel = load(tmp_path, ft)
    assert list(panel.series_of("acme/alpha", "finetunes")["t"]) == [0, 1, 3, 5]
    assert panel.report.counts["finetunes.gaps"] == 2


def test_a_day_without_a_column_inside_a_series_is_counted_as_a_gap(tmp_path):
    # A store's file has a column only for the days one of its models was recorded: a day the
    # recorder missed for all of them is a day with no column, as unrecorded as an empty cell.
    dl = download_table().drop_column(DAYS[5]).set("acme/alpha", DAYS[7], "")
    panel = load(tmp_path, download=dl)
    assert list(panel.series_of("acme/alpha", "downloads")["t"]) == [0, 1, 2, 3, 4, 6, 8]
    # alpha misses days 5 and 7, gamma (created on DAYS[2], so day 3 is DAYS[5]) misses day 3
    assert panel.report.counts["downloads.gaps"] == 3
    assert any("no column for the day" in note for note in panel.report.notes)


def test_download_days_before_creation_are_dropped(tmp_path):
    panel = load(tmp_path)
    gamma = panel.series_of("acme/gamma", "downloads")
    # created 2025-02-12 06:00: 2025-02-10 and -11 are before it
    assert gamma["date"].iat[0] == pd.Timestamp("2025-02-12", tz="UTC")
    assert list(gamma["t"]) == list(range(7))
    assert list(gamma["cumulative"]) == [0, 5, 10, 15, 20, 25, 30]
    c = panel.report.counts
    assert c["downloads.rows_before_creation"] == 2
    assert c["downloads.precreation_nonzero"] == 0
    assert not series_row(panel, "acme/gamma", "downloads")["left_censored"]


def test_nonzero_before_creation_is_left_censored(tmp_path):
    dl = download_table().set("acme/gamma", DAYS[1], "4.0").set("acme/gamma", DAYS[2], "4.0")
    panel = load(tmp_path, download=dl)
    gamma = panel.series_of("acme/gamma", "downloads")
    assert gamma["t"].iat[0] == 0 and gamma["cumulative"].iat[0] == 4
    assert series_row(panel, "acme/gamma", "downloads")["left_censored"]
    assert not series_row(panel, "acme/alpha", "downloads")["left_censored"]
    c = panel.report.counts
    assert c["downloads.precreation_nonzero"] == 1
    assert c["downloads.rows_before_creation"] == 2
    assert c["downloads.nonzero_on_creation_day"] == 1
    assert c["downloads.first_recorded_after_release"] == 0


@pytest.mark.parametrize(
    "empty_days, first_t, censored", [((), 0, False), ((2,), 1, False), ((2, 3), 2, True)]
)
def test_first_recorded_two_days_after_release_is_left_censored(
    tmp_path, empty_days, first_t, censored
):
    dl = download_table().set("acme/gamma", DAYS[0], "").set("acme/gamma", DAYS[1], "")
    for d in empty_days:
        dl.set("acme/gamma", DAYS[d], "")
    panel = load(tmp_path, download=dl)
    row = series_row(panel, "acme/gamma", "downloads")
    assert row["first_t"] == first_t
    assert row["left_censored"] == censored
    assert panel.report.counts["downloads.first_recorded_after_release"] == int(censored)
    assert panel.report.counts["downloads.rows_before_creation"] == 0
    assert panel.report.counts["downloads.gaps"] == 0


def test_created_before_recording_began_is_left_censored(tmp_path):
    dl = download_table().set("acme/gamma", "created_at", "2025-02-07 10:00:00+00:00")
    panel = load(tmp_path, download=dl)
    row = series_row(panel, "acme/gamma", "downloads")
    assert (row["first_t"], row["left_censored"]) == (3, True)


def test_download_zero_counters(tmp_path):
    dl = download_table().copy_row("acme/gamma", "acme/zero")
    for day in DAYS:
        dl.set("acme/zero", day, "0.0")
    dl.set("acme/zero", "created_at", "2025-02-11 00:00:00+00:00")
    dl.set("acme/alpha", DAYS[0], "7.0")
    panel = load(tmp_path, download=dl)
    c = panel.report.counts
    assert c["downloads.zero_throughout"] == 1
    assert c["downloads.zero_on_day_1"] == 1  # acme/zero; alpha and gamma have 10 and 5
    assert c["downloads.nonzero_on_creation_day"] == 1  # acme/alpha: 7 on its creation day
    assert c["downloads.rows_before_creation"] == 3  # gamma 2, zero 1


def test_only_month_0(tmp_path):
    ft = finetune_table()
    for k in (1, 2, 3):
        ft.set("acme/beta", f"{k}-month", "")
    panel = load(tmp_path, ft)
    assert panel.report.counts["finetunes.only_month_0"] == 1
    assert panel.report.counts["finetunes.never_finetuned"] == 1


def test_paper_fit_columns_are_kept_apart(tmp_path):
    panel = load(tmp_path, finetune_table(fit_columns=True))
    fits = panel.paper_fits.set_index("model")
    assert fits.loc["acme/alpha", "lambda_i"] == 2.5
    assert set(fits.index) == {"acme/alpha", "acme/beta"}
    assert "lambda_i" not in panel.observations.columns


def test_a_lone_string_or_no_names_is_refused_naming_the_argument(tmp_path):
    """A string where a list of names is due was read letter by letter ("unknown metric(s) 'f',
    'i', 'n', …"), and an empty list gave a message with the names left blank."""
    root = default_snapshot(tmp_path / "snap")
    cases = [
        (lambda: bg.load_panel(root, metrics="finetunes"), "metrics must be a list of names, "),
        (lambda: bg.load_panel(root, metrics=()), "metrics is empty: give at least one name"),
    ]
    panel = bg.load_panel(root)
    for kwargs in ({"models": "acme/alpha"}, {"organizations": "ACME"}):
        ((name, value),) = kwargs.items()
        says = f"{name} must be a list of names, not the string {value!r}: write [{value!r}]"
        cases.append((lambda kwargs=kwargs: panel.select(**kwargs), says))
        cases.append((lambda name=name: panel.select(**{name: []}), f"{name} is empty"))
    for call, says in cases:
        with pytest.raises(DataError, match=re.escape(says)):
            call()
    assert set(panel.select(models=("acme/alpha",)).series["model"]) == {"acme/alpha"}


def test_a_panel_without_the_metric_says_so_not_that_the_data_lack_it(tmp_path):
    """A subset or a load of one metric was said to come from data that "hold no downloads
    series", of a directory that holds them."""
    root = default_snapshot(tmp_path / "snap")
    for panel in (
        bg.load_panel(root, metrics=("finetunes",)),
        bg.load_panel(root).select(models=["acme/alpha"]).metric("finetunes"),
    ):
        says = f"this panel (from {root}) holds no downloads series, only finetunes series"
        with pytest.raises(DataError, match=re.escape(says)):
            panel.metric("downloads")
    # a panel cut before every model was created said "only no series"
    says = f"this panel (from {root}) holds no finetunes series, no series at all: load or"
    with pytest.raises(DataError, match=re.escape(says)):
        bg.load_panel(root).truncate("2016-06-01").metric("finetunes")


def test_data_date_defaults(tmp_path):
    only_ft = write_snapshot(tmp_path / "ft-2024-12-31", {"ACME": finetune_table()})
    assert bg.load_panel(only_ft).data_date == pd.Timestamp("2024-12-31", tz="UTC")
    given = bg.load_panel(only_ft, data_date="2025-01-05 17:00")
    assert given.data_date == pd.Timestamp("2025-01-05", tz="UTC")
    # pandas' "month must be in 1..12: 2025-13-45", naming no argument, where DataError is due
    # "01/05/2025" (pandas: January 5, though it may mean 1 May) is not ISO 8601 either
    for bad in ("2025-13-45", "", "01/05/2025"):
        with pytest.raises(DataError, match=f"the data date given, {bad!r}, is not a date"):
            bg.load_panel(only_ft, data_date=bad)


def test_data_date_comes_from_download_headers_when_only_fine_tunes_are_loaded(tmp_path):
    ft = finetune_table().set("acme/beta", "created_at", "2024-12-10 12:00:00+00:00")
    ft.set("acme/beta", "3-month", "2.0")
    root = write_snapshot(tmp_path / "plain", {"ACME": ft}, {"ACME": download_table()})
    both = bg.load_panel(root)
    only = bg.load_panel(root, metrics=("finetunes",))
    assert only.data_date == both.data_date == UTC_DATA_DATE
    cols = ["model", "t", "t_exact", "partial", "date"]
    pd.testing.assert_frame_equal(
        only.observations[cols].reset_index(drop=True),
        both.metric("finetunes").observations[cols].reset_index(drop=True),
    )
    assert only.report.counts["finetunes.partial_last_month"] == 1


def test_a_download_file_that_cannot_date_the_data_is_named_when_only_fine_tunes_are_loaded(
    tmp_path,
):
    """Its header was skipped: the data were dated today, and a partial last month read as a
    whole one, without a word."""
    ft = finetune_table().set("acme/beta", "created_at", "2024-12-10 12:00:00+00:00")
    ft.set("acme/beta", "3-month", "2.0")
    saved_elsewhere = download_table().text().replace("acme/gamma", "acme/g\u00e4mma")
    root = write_snapshot(
        tmp_path / "plain", {"ACME": ft}, {"ACME": saved_elsewhere.encode("latin-1")}
    )
    with pytest.raises(DataError, match=r"ACME\.csv, line 3: not UTF-8 text \(byte 0xe4\)"):
        bg.load_panel(root, metrics=("finetunes",))


@requires_real_data
def test_a_file_of_the_published_snapshot_is_dated_by_its_collection(tmp_path):
    """A byte-identical copy of a published fine-tune file keeps the snapshot's collection time;
    an edited copy is dated like any other file (here by the directory's name)."""
    original = real_data_dir() / "finetune" / "Meta.csv"
    copy = tmp_path / "copy-2025-02-18" / "finetune"
    copy.mkdir(parents=True)
    (copy / "Meta.csv").write_bytes(original.read_bytes())
    panel = bg.load_panel(copy.parent)
    assert panel.data_date == REAL_DATA_DATE
    assert panel.report.counts["finetunes.partial_last_month"] == 0
    (copy / "Meta.csv").write_bytes(original.read_bytes() + b"\n")
    edited = bg.load_panel(copy.parent)
    assert edited.data_date == UTC_DATA_DATE
    assert edited.report.counts["finetunes.partial_last_month"] > 0


def test_an_empty_0_month_cell_is_read_as_0(tmp_path):
    ft = finetune_table().set("acme/alpha", "0-month", "")
    panel = load(tmp_path, ft)
    alpha = panel.series_of("acme/alpha", "finetunes")
    assert list(alpha["t"]) == [0, 1, 2, 3] and list(alpha["cumulative"]) == [0, 3, 5, 8]
    assert panel.report.counts["finetunes.month_0_filled"] == 1
    assert load(tmp_path / "full").report.counts["finetunes.month_0_filled"] == 0


def test_metrics_restrict_what_is_read(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    (root / "finetune" / "BROKEN.csv").write_text("not,a,snapshot\n1,2,3\n")
    panel = bg.load_panel(root, metrics=("downloads",))
    assert set(panel.series["metric"]) == {"downloads"}
    assert "finetunes.series" not in panel.report.counts
    with pytest.raises(DataError, match="BROKEN.csv"):
        bg.load_panel(root)


def test_observation_values_are_integers(tmp_path):
    dl = download_table().set("acme/alpha", DAYS[8], "1e3")
    panel = load(tmp_path, download=dl)
    alpha = panel.series_of("acme/alpha", "downloads")
    assert alpha["cumulative"].iat[-1] == 1000
    assert alpha["cumulative"].dtype == np.int64


def test_add_months_clips_to_month_end_and_agrees_for_scalar_and_array():
    start = pd.Series(
        pd.to_datetime(["2024-01-31 10:00", "2024-03-15 00:00", "2023-12-31 23:59"], utc=True),
        index=[5, 7, 9],
    )
    one = add_months(start, 1)
    assert list(one.dt.strftime("%Y-%m-%d %H:%M")) == [
        "2024-02-29 10:00",
        "2024-04-15 00:00",
        "2024-01-31 23:59",
    ]
    for m in (0, 1, 13):
        pd.testing.assert_series_equal(add_months(start, m), add_months(start, np.full(3, m)))
    mixed = add_months(start, np.array([1, 0, 2]))
    assert list(mixed.dt.day) == [29, 15, 29] and list(mixed.index) == [5, 7, 9]


def test_the_authors_fits_are_compared_with_fine_tune_fits_only(tmp_path):
    """The snapshot's lambda_i, mu_i, sigma_i are fits of the fine-tune series: a download fit of
    the same model has none to show beside it."""
    from csvfiles import download_table, finetune_table, write_snapshot

    from bayesgrowth.fitting import paper_estimates

    root = write_snapshot(
        tmp_path / "snap", {"ACME": finetune_table(fit_columns=True)}, {"ACME": download_table()}
    )
    panel = bg.load_panel(root)
    models = ["acme/alpha", "acme/beta"]
    table = paper_estimates(panel, "finetunes", models)
    assert table.loc["acme/alpha"].tolist() == [2.5, 1.0, 3.0]
    assert paper_estimates(panel, "downloads", models) is None
