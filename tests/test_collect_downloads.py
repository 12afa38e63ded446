"""``bayesgrowth collect downloads``: a daily store the loader reads, against the fake Hub."""

from __future__ import annotations

import csv
import io
import multiprocessing
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hub_server import TOKEN, FakeHub, hub_env, run_cli

from bayesgrowth.data import load_panel
from bayesgrowth.downloads import collect_downloads, record_download
from bayesgrowth.errors import DataError
from bayesgrowth.hub import make_api

CREATED = {
    "acme/alpha": "2024-12-30T08:00:00.000Z",
    "acme/beta": "2025-01-01T10:00:00.000Z",
    "other/gamma": "2024-06-01T00:00:00.000Z",
}


def set_counts(hub: FakeHub, **all_time: int) -> None:
    """Set all-time downloads; the 30-day ``downloads`` get a different, decoy value."""
    for key, value in all_time.items():
        model = {"alpha": "acme/alpha", "beta": "acme/beta", "gamma": "other/gamma"}[key]
        hub.add_model(model, CREATED[model], downloads_all_time=value, downloads=value // 3 + 1)


def test_three_days_make_a_three_point_series(tmp_path, capfd, monkeypatch):
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "store"
    hub = FakeHub()

    def record(day: str, *models: str) -> tuple[int, str, str]:
        args = [a for m in models for a in ("--model", m)]
        return run_cli(
            capfd, monkeypatch, "collect", "downloads", *args, "--store", store,
            "--date", day, "--endpoint", hub.url, "--backoff-base", "0.01",
        )  # fmt: skip

    with hub:
        set_counts(hub, alpha=100, beta=5, gamma=7000)
        hub.inject("500", "info", model="acme/alpha")
        code, out1, err1 = record("2025-01-01", "acme/alpha", "acme/beta", "other/gamma")
        assert code == 0, err1
        assert "2025-01-01: recorded 3, already recorded 0" in out1

        set_counts(hub, alpha=150, beta=20, gamma=8000)
        code, _, err = record("2025-01-02", "acme/alpha", "acme/beta")  # gamma not recorded
        assert code == 0, err
        before = (store / "download" / "acme.csv").read_bytes()
        set_counts(hub, alpha=999, beta=999, gamma=999)
        n_requests = len(hub.requests)
        code, out, err = record("2025-01-02", "acme/alpha", "acme/beta")  # again, same day
        assert code == 0, err
        assert "recorded 0, already recorded 2" in out
        assert (store / "download" / "acme.csv").read_bytes() == before
        assert len(hub.requests) == n_requests  # nothing fetched for what the store already has

        set_counts(hub, alpha=300, beta=40, gamma=9000)
        code, _, err = record("2025-01-03", "acme/alpha")  # a run stopped after its first model
        assert code == 0, err
        n_requests = len(hub.requests)
        code, out3, err3 = record("2025-01-03", "acme/alpha", "acme/beta", "other/gamma")
        assert code == 0, err3
        assert {r.model for r in hub.requests[n_requests:]} == {"acme/beta", "other/gamma"}

    days = "2025-01-01 00:00:00,2025-01-02 00:00:00,2025-01-03 00:00:00"
    assert (store / "download" / "acme.csv").read_text() == (
        f"model,{days},created_at\n"
        "acme/alpha,100,150,300,2024-12-30 08:00:00+00:00\n"
        "acme/beta,5,20,40,2025-01-01 10:00:00+00:00\n"
    )
    assert (store / "download" / "other.csv").read_text() == (
        "model,2025-01-01 00:00:00,2025-01-03 00:00:00,created_at\n"
        "other/gamma,7000,9000,2024-06-01 00:00:00+00:00\n"
    )
    assert {r.authorization for r in hub.requests} == {f"Bearer {TOKEN}"}
    for text in (out1, err1, out3, err3, *(p.read_text() for p in store.rglob("*.csv"))):
        assert TOKEN not in text

    panel = load_panel(store, metrics=("downloads",))
    assert panel.data_date == pd.Timestamp("2025-01-03", tz="UTC")
    alpha = panel.series_of("acme/alpha", "downloads")
    assert alpha["cumulative"].tolist() == [100, 150, 300]
    assert alpha["t"].tolist() == [2, 3, 4]  # days since creation (2024-12-30)
    assert panel.series_of("acme/beta", "downloads")["t"].tolist() == [0, 1, 2]
    assert panel.series_of("other/gamma", "downloads")["cumulative"].tolist() == [7000, 9000]
    # gamma's day not recorded has no column in its file, and is still a day without a count
    assert panel.report.counts["downloads.gaps"] == 1

    code, shown, err = run_cli(
        capfd, monkeypatch, "data", "show", "--model", "acme/alpha", "--metric", "downloads",
        "--data", store,
    )  # fmt: skip
    assert code == 0, err
    assert list(csv.reader(io.StringIO(shown))) == [
        ["t", "date", "cumulative"],
        ["2", "2025-01-01", "100"],
        ["3", "2025-01-02", "150"],
        ["4", "2025-01-03", "300"],
    ]


def test_a_recording_day_in_the_future_is_refused_before_any_request(tmp_path, capfd, monkeypatch):
    """The loader refuses a store whose last download day is in the future: a count recorded
    under such a day would leave the store unreadable until then."""
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "store"
    hub = FakeHub()
    set_counts(hub, alpha=100, beta=5, gamma=7000)
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/alpha", "--store", store,
            "--date", "2999-01-01", "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 2
    assert "Invalid value for --date: 2999-01-01 is in the future" in err
    assert hub.requests == [] and not store.exists()
    # the same from Python
    with hub, pytest.raises(DataError, match="recording day 2999-01-01 is in the future"):
        collect_downloads(make_api(hub.url), store, ["acme/alpha"], day=date(2999, 1, 1))
    assert hub.requests == [] and not store.exists()
    # and from the function that writes one count
    directory = store / "download"
    directory.mkdir(parents=True)
    created = pd.Timestamp("2024-01-01", tz="UTC")
    with pytest.raises(DataError, match="recording day 2999-01-01 is in the future"):
        record_download(directory, "acme/alpha", date(2999, 1, 1), 100, created)
    assert list(directory.glob("*.csv")) == []


def test_unknown_model_is_named_and_the_rest_recorded(tmp_path, capfd, monkeypatch):
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10)
    listed = tmp_path / "models.txt"
    listed.write_text("# one a line\nacme/nope  # deleted\n\nacme/alpha\n")
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--from-file", listed,
            "--store", tmp_path, "--date", "2025-02-01", "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: 1 of 2 model(s) failed; the others are recorded and the same command fetches "
        "only these: acme/nope: not found on the Hub (HTTP 404): check the model id"
    )
    assert "acme/alpha,10," in (tmp_path / "download" / "acme.csv").read_text()


def test_a_model_the_hub_knows_by_another_id_is_not_recorded_under_the_old_one(
    tmp_path, capfd, monkeypatch
):
    """A renamed repository answers under its new id: recording it under the id typed would
    make one model two series."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10, beta=4)
    hub.add_alias("acme/old-alpha", "acme/alpha")
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/old-alpha",
            "--model", "acme/beta", "--store", tmp_path, "--date", "2025-02-01",
            "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: 1 of 2 model(s) failed; the others are recorded and the same command fetches "
        "only these: acme/old-alpha: the Hub knows it as acme/alpha (a renamed repository or "
        "another spelling): give that id instead"
    )
    assert "old-alpha" not in (tmp_path / "download" / "acme.csv").read_text()

    # A model the store already holds (a snapshot's, renamed since) goes on under its stored id:
    # refusing it would stop its series, and the new id would start a second one.
    (tmp_path / "download" / "acme.csv").write_text(
        "model,2025-01-31 00:00:00,created_at\n"
        "acme/old-alpha,8,2024-12-01 00:00:00+00:00\n"
        "acme/beta,3,2024-12-01 00:00:00+00:00\n"
    )
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/old-alpha",
            "--store", tmp_path, "--date", "2025-02-01", "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 0, err
    assert "acme/old-alpha: the Hub now knows it as acme/alpha; its series goes on" in err
    assert "acme/old-alpha,8,10," in (tmp_path / "download" / "acme.csv").read_text()


def test_a_stored_model_typed_in_another_case_goes_on_in_its_row(tmp_path, capfd, monkeypatch):
    """The Hub takes an id in any case: recorded as typed, a stored model's count started a
    second row, which the loader refuses as a duplicate (ids differing in case only)."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10)
    hub.add_alias("ACME/Alpha", "acme/alpha")
    (tmp_path / "download").mkdir()
    (tmp_path / "download" / "acme.csv").write_text(
        "model,2025-01-31 00:00:00,created_at\nacme/alpha,8,2024-12-01 00:00:00+00:00\n"
    )
    with hub:
        # in both spellings: the model was fetched twice, "recorded 1, already recorded 1"
        code, out, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "ACME/Alpha",
            "--model", "acme/alpha", "--store", tmp_path, "--date", "2025-02-01",
            "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 0, err
    assert "ACME/Alpha: the store holds it as acme/alpha; recorded under that id" in err
    assert "2025-02-01: recorded 1, already recorded 0" in out
    assert [r.kind for r in hub.requests] == ["info"]  # fetched once
    assert (tmp_path / "download" / "acme.csv").read_text().splitlines()[1:] == [
        "acme/alpha,8,10,2024-12-01 00:00:00+00:00"
    ]


def test_a_model_list_saved_with_a_byte_order_mark_is_read_and_a_bad_line_named(
    tmp_path, capfd, monkeypatch
):
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10)
    listed = tmp_path / "models.txt"
    listed.write_text("acme/alpha\n", encoding="utf-8-sig")  # as a spreadsheet saves it
    args = ["collect", "downloads", "--from-file", listed, "--store", tmp_path]
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, *args, "--date", "2025-02-01", "--endpoint", hub.url
        )
    assert code == 0, err
    assert "acme/alpha,10," in (tmp_path / "download" / "acme.csv").read_text()
    listed.write_text("acme/alpha\n# fine\nacme/bad name\n", encoding="utf-8-sig")
    code, _, err = run_cli(capfd, monkeypatch, *args, "--date", "2025-02-02")
    assert code == 2
    assert f"Invalid value for --from-file {listed}, line 3: Repo id must use" in err
    # a list saved in another encoding ended in a UnicodeDecodeError traceback
    listed.write_bytes("acme/alpha\nacme/caf\u00e9\n".encode("latin-1"))
    code, _, err = run_cli(capfd, monkeypatch, *args, "--date", "2025-02-02")
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"error: {listed}, line 2: not UTF-8 text (byte 0xe9): save the file as UTF-8"
    )


def test_a_decreasing_count_is_not_written(tmp_path):
    created = pd.Timestamp("2024-01-01", tz="UTC")
    assert record_download(tmp_path, "acme/a", date(2025, 1, 1), 100, created) == "recorded"
    assert record_download(tmp_path, "acme/a", date(2025, 1, 2), 90, created) == "inconsistent"
    assert record_download(tmp_path, "acme/a", date(2025, 1, 1), 120, created) == "unchanged"
    assert (tmp_path / "acme.csv").read_text() == (
        "model,2025-01-01 00:00:00,created_at\nacme/a,100,2024-01-01 00:00:00+00:00\n"
    )


def test_a_store_file_saved_with_a_byte_order_mark_is_extended(tmp_path):
    """Spreadsheet programs save UTF-8 with a byte-order mark; the store still reads the header."""
    created = pd.Timestamp("2024-01-01", tz="UTC")
    (tmp_path / "acme.csv").write_bytes(
        b"\xef\xbb\xbfmodel,2025-01-01 00:00:00,created_at\nacme/a,100,2024-01-01 00:00:00+00:00\n"
    )
    assert record_download(tmp_path, "acme/a", date(2025, 1, 2), 130, created) == "recorded"
    assert (tmp_path / "acme.csv").read_text(encoding="utf-8") == (
        "model,2025-01-01 00:00:00,2025-01-02 00:00:00,created_at\n"
        "acme/a,100,130,2024-01-01 00:00:00+00:00\n"
    )


def test_a_model_id_written_with_a_trailing_space_is_updated_where_it_is(tmp_path):
    """The loader reads 'acme/a ' as acme/a; the store looked for the id exactly, so it added a
    second row (in acme.csv, beside the snapshot-style ACME.csv) that the loader refused."""
    created = pd.Timestamp("2024-01-01", tz="UTC")
    directory = tmp_path / "download"
    directory.mkdir()
    (directory / "ACME.csv").write_text(
        "model,2025-01-01 00:00:00,created_at\nacme/a ,100,2024-01-01 00:00:00+00:00\n"
    )
    assert record_download(directory, "acme/a", date(2025, 1, 2), 130, created) == "recorded"
    assert [p.name for p in directory.iterdir() if p.suffix == ".csv"] == ["ACME.csv"]
    assert record_download(directory, "acme/a", date(2025, 1, 2), 140, created) == "unchanged"
    obs = load_panel(tmp_path, data_date="2025-01-02").observations
    assert obs["model"].unique().tolist() == ["acme/a"]
    assert obs["cumulative"].tolist()[-2:] == [100, 130]


def _writer(store: str, worker: int) -> None:
    directory = Path(store) / "download"
    created = pd.Timestamp("2024-01-01", tz="UTC")
    for j in range(15):
        for day, extra in ((date(2025, 3, 1), 0), (date(2025, 3, 2), 1000)):
            record_download(directory, f"acme/m{worker}-{j}", day, j + extra, created)
    record_download(directory, "acme/shared", date(2025, 3, 1), worker, created)


# The threads fork warns about are numpy's idle BLAS workers; the children never use BLAS.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_concurrent_writers_lose_nothing(tmp_path):
    workers = 4
    # fork: the workers start at once, without re-importing pandas.
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=_writer, args=(str(tmp_path), w)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in procs] == [0] * workers
    with open(tmp_path / "download" / "acme.csv", newline="") as fh:
        rows = {r["model"]: r for r in csv.DictReader(fh)}
    assert len(rows) == workers * 15 + 1
    for w in range(workers):
        for j in range(15):
            row = rows[f"acme/m{w}-{j}"]
            assert (row["2025-03-01 00:00:00"], row["2025-03-02 00:00:00"]) == (
                str(j),
                str(j + 1000),
            )
    assert rows["acme/shared"]["2025-03-01 00:00:00"] in {str(w) for w in range(workers)}
    assert rows["acme/shared"]["2025-03-02 00:00:00"] == ""  # not recorded that day: empty, not 0
    assert sorted(p.name for p in (tmp_path / "download").iterdir()) == [".lock", "acme.csv"]
    assert load_panel(tmp_path, metrics=("downloads",)).n_series == workers * 15 + 1


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (
            "acme/alpha,n/a,2024-12-30 08:00:00+00:00\n",
            "download/acme.csv, model 'acme/alpha', column '2025-01-01 00:00:00': count 'n/a' is "
            "not a number: fix it before collecting into this file",
        ),
        # the loader refuses these too: the day collected beside them would never be read
        (
            "acme/alpha,nan,2024-12-30 08:00:00+00:00\n",
            "column '2025-01-01 00:00:00': count 'nan' is not a number: fix it before collecting",
        ),
        (
            "acme/alpha,inf,2024-12-30 08:00:00+00:00\n",
            "column '2025-01-01 00:00:00': count 'inf' is not finite: fix it before collecting",
        ),
        (
            "acme/alpha,5,2024-12-30 08:00:00+00:00,extra\n",
            "download/acme.csv, line 2, model 'acme/alpha': the row has 4 cells, the header 3",
        ),
        # DictReader kept the second column's cells under the name: the first's 5 was lost
        (
            "model,2025-01-01 00:00:00,2025-01-01 00:00:00,created_at\n"
            "acme/alpha,5,7,2024-12-30 08:00:00+00:00\n",
            "download/acme.csv, line 1, column '2025-01-01 00:00:00': the header repeats this "
            "column: fix it before collecting into this file",
        ),
        # one day in both spellings: one column was moved after the day collected
        (
            "model,2025-01-01 00:00:00,2025-01-01,created_at\n"
            "acme/alpha,5,7,2024-12-30 08:00:00+00:00\n",
            "download/acme.csv, line 1, column '2025-01-01': the header has two columns for the "
            "day 2025-01-01 ('2025-01-01 00:00:00' too): fix it before collecting",
        ),
        # a day with a time zone, which the loader refuses: the file was written all the same
        (
            "model,2025-01-01 00:00:00+00:00,created_at\nacme/alpha,5,2024-12-30 08:00:00+00:00\n",
            "download/acme.csv, line 1, column '2025-01-01 00:00:00+00:00': a day column is "
            "written YYYY-MM-DD or YYYY-MM-DD 00:00:00 (a UTC calendar day, no time of day, no "
            "time zone): fix it before collecting into this file",
        ),
    ],
    ids=[
        "non-numeric",
        "nan",
        "infinite",
        "extra-cell",
        "repeated-column",
        "day-spelt-twice",
        "day-with-a-time-zone",
    ],
)
def test_a_damaged_store_file_is_named_and_left_as_it_is(
    tmp_path, capfd, monkeypatch, stored, message
):
    hub_env(monkeypatch, tmp_path)
    path = tmp_path / "download" / "acme.csv"
    path.parent.mkdir()
    header = "" if stored.startswith("model,") else "model,2025-01-01 00:00:00,created_at\n"
    path.write_text(header + stored)
    before = path.read_bytes()
    hub = FakeHub()
    set_counts(hub, alpha=10)
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/alpha",
            "--store", tmp_path, "--date", "2025-01-02", "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 1
    assert message in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert path.read_bytes() == before
    created = pd.Timestamp("2024-12-30", tz="UTC")
    with pytest.raises(DataError, match="before collecting"):
        record_download(path.parent, "acme/alpha", date(2025, 1, 2), 10, created)
    assert path.read_bytes() == before


def test_a_model_in_a_file_named_by_organisation_is_recorded_there(tmp_path, capfd, monkeypatch):
    """A store begun from a copy of the snapshot, whose files are named by organisation
    (``DeepSeek.csv`` for ``deepseek-ai/…``): its models stay in their file, new ones of the same
    namespace join it (and so the organisation DeepSeek), and the same-day and never-decreasing
    checks see the rows already there."""
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "ext"
    (store / "download").mkdir(parents=True)
    snapshot_file = store / "download" / "DeepSeek.csv"
    snapshot_file.write_text(
        "model,2025-02-17 00:00:00,2025-02-18 00:00:00,created_at\n"
        "deepseek-ai/DeepSeek-R1,90,100,2025-01-20 03:46:07+00:00\n"
        "deepseek-ai/DeepSeek-V3,40,50,2024-12-26 00:00:00+00:00\n"
    )
    hub = FakeHub()
    r1, new = "deepseek-ai/DeepSeek-R1", "deepseek-ai/Janus-Pro-7B"

    def record(day: str) -> tuple[int, str, str]:
        return run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", r1, "--model", new,
            "--store", store, "--date", day, "--endpoint", hub.url,
        )  # fmt: skip

    with hub:
        hub.add_model(r1, "2025-01-20T03:46:07.000Z", downloads_all_time=150)
        hub.add_model(new, "2025-01-27T00:00:00.000Z", downloads_all_time=7)
        code, out, err = record("2025-02-19")
        assert code == 0, err
        assert "recorded 2, already recorded 0" in out
        hub.add_model(r1, "2025-01-20T03:46:07.000Z", downloads_all_time=999)
        n_requests = len(hub.requests)
        code, out, err = record("2025-02-19")
        assert code == 0, err
        assert "recorded 0, already recorded 2" in out
        assert len(hub.requests) == n_requests
        hub.add_model(r1, "2025-01-20T03:46:07.000Z", downloads_all_time=80)  # below 150
        hub.add_model(new, "2025-01-27T00:00:00.000Z", downloads_all_time=9)
        code, out, err = record("2025-02-20")
        assert code == 0, err
        assert "recorded 1, already recorded 0, not recorded (count went down) 1" in out

    # the new model joins the file of its namespace's models (organisation DeepSeek); R1's
    # 02-20 count went down and is not written
    days = "2025-02-17 00:00:00,2025-02-18 00:00:00,2025-02-19 00:00:00,2025-02-20 00:00:00"
    assert snapshot_file.read_text() == (
        f"model,{days},created_at\n"
        "deepseek-ai/DeepSeek-R1,90,100,150,,2025-01-20 03:46:07+00:00\n"
        "deepseek-ai/DeepSeek-V3,40,50,,,2024-12-26 00:00:00+00:00\n"
        "deepseek-ai/Janus-Pro-7B,,,7,9,2025-01-27 00:00:00+00:00\n"
    )
    assert sorted(p.name for p in (store / "download").glob("*.csv")) == ["DeepSeek.csv"]
    panel = load_panel(store, data_date="2025-02-20")
    assert panel.series.set_index("model").loc[new, "organization"] == "DeepSeek"
    code, shown, err = run_cli(
        capfd, monkeypatch, "data", "show", "--data", store, "--metric", "downloads",
        "--model", r1,
    )  # fmt: skip
    assert code == 0, err
    assert [r["cumulative"] for r in csv.DictReader(io.StringIO(shown))] == ["90", "100", "150"]


def test_a_store_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "Other.csv").write_bytes("model,created_at\nacme/é,2024-01-01\n".encode("latin-1"))
    created = pd.Timestamp("2024-01-01", tz="UTC")
    with pytest.raises(DataError, match=r"Other\.csv: not UTF-8 text"):
        record_download(tmp_path, "acme/a", date(2025, 1, 1), 100, created)
    assert not (tmp_path / "acme.csv").exists()


def test_many_failures_end_in_a_short_line(tmp_path, capfd, monkeypatch):
    """An error line names the first few failures and counts the rest (each has its own line)."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10)
    gone = [f"acme/gone{i}" for i in range(5)]
    args = [a for m in ["acme/alpha", *gone] for a in ("--model", m)]
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", *args, "--store", tmp_path,
            "--date", "2025-02-01", "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: 5 of 6 model(s) failed; the others are recorded and the same command fetches "
        "only these: acme/gone0: not found on the Hub (HTTP 404): check the model id; "
        "acme/gone1: not found on the Hub (HTTP 404): check the model id; "
        "acme/gone2: not found on the Hub (HTTP 404): check the model id; "
        "and 2 more (see the lines above)"
    )
    for model in gone:
        assert f"{model}: failed: {model}: not found on the Hub (HTTP 404)" in err


def test_a_rate_limited_request_waits_for_the_hubs_window_to_reset(tmp_path, capfd, monkeypatch):
    """The Hub answers a rate limit with ``RateLimit: "api";r=0;t=SECONDS`` (no ``Retry-After``):
    a retry before the window resets is refused again, so six quick tries would fail the model."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    set_counts(hub, alpha=10)
    hub.inject("429", "info", model="acme/alpha", reset=1)
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/alpha",
            "--store", tmp_path, "--date", "2025-02-01", "--endpoint", hub.url,
            "--backoff-base", "0.01",
        )  # fmt: skip
    assert code == 0, err
    limited, retried = hub.requests
    assert (limited.outcome, retried.outcome) == ("429", "ok")
    assert retried.time - limited.time >= 1.0
    assert "acme/alpha: HTTP 429; retrying in 2.0s (try 2/6)" in err
