"""``bayesgrowth collect finetunes`` end to end: the real huggingface_hub client against the fake Hub."""

from __future__ import annotations

import calendar
import csv
import io
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hub_server import TOKEN, FakeHub, hub_env, run_cli

from bayesgrowth.collect import collect_finetunes
from bayesgrowth.data import load_panel
from bayesgrowth.errors import BayesGrowthError
from bayesgrowth.hub import RetryPolicy, make_api

BASE_CREATED = datetime(2024, 1, 31, 10, 0, tzinfo=UTC)  # the 31st: month ends are clipped
AS_OF = "2025-08-15T12:00:00"


def hub_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def add_months(t: datetime, k: int) -> datetime:
    """``t`` plus ``k`` calendar months, the day clipped to the month's length."""
    year, month = divmod(t.month - 1 + k, 12)
    year, month = t.year + year, month + 1
    return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))


def expected_counts(created: datetime, children: list[datetime], as_of: datetime) -> list[int]:
    """The direct computation: month 0 is 0; month k counts children created by created + k."""
    ends = []
    while add_months(created, len(ends) + 1) <= as_of:
        ends.append(add_months(created, len(ends) + 1))
    return [0] + [sum(c <= end for c in children) for end in ends]


def children(n: int, prefix: str, seed: int, start: datetime = BASE_CREATED) -> dict[str, datetime]:
    """``n`` child models created over ~20 months from a few days before ``start``; some exactly at
    a month's end, where ``<=`` matters."""
    rng = random.Random(seed)
    out = {
        f"{prefix}{i}/model-{i}": start + timedelta(seconds=rng.randint(-3 * 86400, 600 * 86400))
        for i in range(n)
    }
    for k in (1, 2, 7):
        out[f"{prefix}edge{k}/model"] = add_months(start, k)
    return out


def rows(path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {r["model"]: r for r in csv.DictReader(fh)}


def counts_of(row: dict[str, str]) -> list[int]:
    months = sorted((int(c.split("-")[0]), c) for c in row if c.endswith("-month"))
    return [int(row[c]) for _, c in months if row[c] != ""]


def no_token_anywhere(*texts: str, root=None) -> None:
    for text in texts:
        assert TOKEN not in text
    for path in root.rglob("*") if root is not None else []:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def gaps_after(requests, outcome: str) -> list[float]:
    """Seconds from each request answered ``outcome`` to the next request of the same kind."""
    return [
        next(r.time for r in requests[i + 1 :] if r.kind == req.kind) - req.time
        for i, req in enumerate(requests)
        if req.outcome == outcome
    ]


def test_2500_finetunes_through_faults(tmp_path, capfd, monkeypatch):
    hub_env(monkeypatch, tmp_path)
    base = "acme/base-7b"
    fine = children(2497, "ft", seed=1)  # 2,500 with the three edge cases
    hub = FakeHub(page_size=1000)
    hub.add_model(base, hub_time(BASE_CREATED))
    hub.add_children(base, "finetune", {m: hub_time(t) for m, t in fine.items()})
    others = {}
    for relation, n in (("adapter", 60), ("quantized", 30), ("merge", 10)):
        kids = children(n, relation, seed=n)
        hub.add_children(base, relation, {m: hub_time(t) for m, t in kids.items()})
        others |= kids
    # model_info is retried by us; listing pages by huggingface_hub (each retry costs it >= 1 s),
    # except a malformed page, which ends the listing: we restart it from page 1.
    hub.inject("429", "info", retry_after=1)
    hub.inject("500", "info")
    hub.inject("drop", "info")
    hub.inject("429", "list", page=0, retry_after=1)
    hub.inject("drop", "list", page=1)
    hub.inject("malformed", "list", page=2)
    out = tmp_path / "out"
    with hub:
        code, stdout, stderr = run_cli(
            capfd, monkeypatch, "collect", "finetunes", "--model", base, "--out", out,
            "--as-of", AS_OF, "--endpoint", hub.url, "--backoff-base", "0.01",
        )  # fmt: skip
    assert code == 0, stderr
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    want = expected_counts(BASE_CREATED, list(fine.values()), as_of)
    assert len(fine) == 2500 and len(want) == 19  # 2024-01-31 + 18 months = 2025-07-31
    path = out / "finetune" / "acme.csv"
    header = ["model", *(f"{k}-month" for k in range(len(want))), "created_at"]
    assert path.read_text() == (
        ",".join(header)
        + "\n"
        + ",".join([base, *map(str, want), "2024-01-31 10:00:00+00:00"])
        + "\n"
    )
    assert want[-1] < 2500  # children created after the collection time are not counted

    listed = [r for r in hub.requests if r.kind == "list"]
    assert [(r.page, r.outcome) for r in listed] == [
        (0, "429"), (0, "ok"), (1, "drop"), (1, "ok"), (2, "malformed"),
        (0, "ok"), (1, "ok"), (2, "ok"),
    ]  # fmt: skip
    assert all(
        r.query == {"filter": [f"base_model:finetune:{base}"], "expand": ["createdAt"]}
        for r in listed
    )
    assert all(g >= 1.0 for g in gaps_after(hub.requests, "429"))  # Retry-After: 1 honoured
    assert {r.authorization for r in hub.requests} == {f"Bearer {TOKEN}"}
    assert [r.outcome for r in hub.requests if r.kind == "info"] == ["429", "500", "drop", "ok"]
    assert "1,000 fine-tunes listed" in stderr and "retrying" in stderr
    no_token_anywhere(stdout, stderr, root=out)
    assert not list((out / ".collect-state").glob("*.json"))  # finished: no checkpoint left

    code, shown, stderr = run_cli(
        capfd, monkeypatch, "data", "show", "--model", base, "--data", out
    )
    assert code == 0, stderr
    table = list(csv.DictReader(io.StringIO(shown)))
    assert [int(r["t"]) for r in table] == list(range(len(want)))
    assert [int(r["cumulative"]) for r in table] == want
    assert table[1]["date"] == "2024-02-29"  # Jan 31 + 1 month, clipped as the loader does

    # All four relations: each model counted once, and only the chosen relations are listed.
    every = tmp_path / "every"
    with hub:
        code, _, stderr = run_cli(
            capfd, monkeypatch, "collect", "finetunes", "--model", base, "--out", every,
            "--as-of", AS_OF, "--relations", "finetune,adapter,quantized,merge",
            "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 0, stderr
    union = list(fine.values()) + list(others.values())
    assert counts_of(rows(every / "finetune" / "acme.csv")[base]) == expected_counts(
        BASE_CREATED, union, as_of
    )


def test_refusals_name_the_model_and_a_rerun_does_only_the_failures(tmp_path, capfd, monkeypatch):
    """Models the Hub says do not exist (404) or may not be read (403; 401, its answer without a
    valid token, here over http:// as over https://) are skipped, like those on the createdAt
    floor: retrying cannot help. Failures (5xx) are retried by a rerun."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub(page_size=50)
    good = children(120, "g", seed=3)
    hub.add_model("acme/good", hub_time(BASE_CREATED))
    hub.add_children("acme/good", "finetune", {m: hub_time(t) for m, t in good.items()})
    for model in ("acme/private", "acme/gated", "acme/flaky"):
        hub.add_model(model, hub_time(BASE_CREATED))
    hub.add_model("acme/old", "2022-03-02T23:29:04.000Z")  # on the Hub's createdAt floor
    hub.inject("401", "info", model="acme/private")
    hub.inject("403", "info", model="acme/gated")
    for _ in range(6):
        hub.inject("500", "info", model="acme/flaky")
    out = tmp_path / "out"
    args = ["collect", "finetunes", "--out", out, "--as-of", AS_OF, "--backoff-base", "0.001"]
    models = ["acme/good", "acme/private", "acme/gated", "acme/missing", "acme/flaky", "acme/old"]
    for model in models:
        args += ["--model", model]
    with hub:
        code, stdout, stderr = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
        error = stderr.strip().splitlines()[-1]
        assert code == 1
        for line in (
            "acme/old: skipped: createdAt 2022-03-02 is the Hub's floor",
            "acme/gated: skipped: access forbidden (HTTP 403)",
            "acme/missing: skipped: not found on the Hub (HTTP 404)",
            "acme/private: skipped: not authorised (HTTP 401)",
        ):
            assert line in stderr
        assert error.startswith(
            "error: 1 of 6 base model(s) failed; the others are written and the same command "
            "retries only these: acme/flaky: the Hub kept failing (HTTP 500) after 6 tries"
        )
        assert set(rows(out / "finetune" / "acme.csv")) == {"acme/good"}
        no_token_anywhere(stdout, stderr, root=out)

        hub.add_model("acme/missing", hub_time(BASE_CREATED))  # asked again by the next collection
        before = len(hub.requests)
        code, stdout, stderr = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
    assert code == 0, stderr
    again = {r.model for r in hub.requests[before:]}
    assert again == {"acme/flaky"}
    written = rows(out / "finetune" / "acme.csv")
    assert list(written) == ["acme/good", "acme/flaky"]
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    assert counts_of(written["acme/good"]) == expected_counts(
        BASE_CREATED, list(good.values()), as_of
    )
    assert stdout.splitlines()[:5] == [
        "as of 2025-08-15 12:00:00+00:00: counted 2 base model(s), skipped 4",
        "skipped 1 (access forbidden (HTTP 403): the token has no access to this model (for a gated "
        "model, accept its conditions on the Hub first)): acme/gated",
        "skipped 1 (not found on the Hub (HTTP 404): check the model id): acme/missing",
        "skipped 1 (createdAt on the Hub's 2022-03-02 floor): acme/old",
        "skipped 1 (not authorised (HTTP 401): the model does not exist or is private; for a "
        "private one, set HF_TOKEN or run `hf auth login`): acme/private",
    ]
    panel = load_panel(out)
    assert panel.series_of("acme/flaky", "finetunes")["cumulative"].max() == 0


def test_a_deleted_base_model_does_not_hold_back_the_next_collections(tmp_path, capfd, monkeypatch):
    """A recurring collection (no --as-of) with a base model the Hub no longer has: each run
    completes, so the next one counts afresh rather than resuming the first one for ever."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    kids = children(20, "k", seed=4)
    hub.add_model("org1/base", hub_time(BASE_CREATED))
    hub.add_children("org1/base", "finetune", {m: hub_time(t) for m, t in kids.items()})
    out = tmp_path / "live"
    args = ["collect", "finetunes", "--model", "org1/base", "--model", "org9/gone", "--out", out]
    with hub:
        code, stdout, stderr = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
        assert code == 0, stderr
        assert "skipped 1 (not found on the Hub (HTTP 404): check the model id): org9/gone" in (
            stdout
        )
        first = rows(out / "finetune" / "org1.csv")["org1/base"]
        late = {"k-late/model": datetime(2024, 6, 1, tzinfo=UTC)}  # a model found since
        hub.add_children("org1/base", "finetune", {m: hub_time(t) for m, t in late.items()})
        code, stdout, stderr = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
    assert code == 0, stderr
    assert "resuming" not in stderr
    assert counts_of(rows(out / "finetune" / "org1.csv")["org1/base"])[-1] == (
        counts_of(first)[-1] + 1
    )
    assert not list((out / ".collect-state").glob("*.json"))
    assert [r.model for r in hub.requests if r.kind == "info"].count("org9/gone") == 2


def test_a_base_model_the_hub_knows_by_another_id_is_not_counted_under_the_old_one(
    tmp_path, capfd, monkeypatch
):
    """The Hub answers a renamed repository under its new id, but fine-tunes declare the base
    model by the id they were made from: listing them by the id typed could count none of them
    and write a series of zeros under a name the Hub no longer uses."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    kids = children(30, "k", seed=5)
    hub.add_model("acme/base-v2", hub_time(BASE_CREATED))
    hub.add_children("acme/base-v2", "finetune", {m: hub_time(t) for m, t in kids.items()})
    hub.add_alias("acme/base", "acme/base-v2")
    out = tmp_path / "out"
    args = ["collect", "finetunes", "--model", "acme/base", "--out", out, "--as-of", AS_OF]
    with hub:
        code, _, stderr = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
    assert code == 1
    assert stderr.strip().splitlines()[-1] == (
        "error: 1 of 1 base model(s) failed; the others are written and the same command "
        "retries only these: acme/base: the Hub knows it as acme/base-v2 (a renamed repository "
        "or another spelling): give that id instead"
    )
    assert [r.kind for r in hub.requests] == ["info"]  # nothing listed under the old id
    assert not (out / "finetune" / "acme.csv").exists()


def test_killed_between_pages_then_resumed(tmp_path, capfd, monkeypatch):
    env = hub_env(monkeypatch, tmp_path)
    hub = FakeHub(page_size=100)
    kids = {}
    for base, n, seed in (("acme/alpha", 120, 5), ("acme/beta", 247, 6)):
        kids[base] = children(n, base.split("/")[1], seed=seed)
        hub.add_model(base, hub_time(BASE_CREATED))
        hub.add_children(base, "finetune", {m: hub_time(t) for m, t in kids[base].items()})
    hub.inject("stall", "list", model="acme/beta", page=1)
    out, ref = tmp_path / "out", tmp_path / "reference"
    args = ["collect", "finetunes", "--model", "acme/beta", "--model", "acme/alpha"]
    with hub:
        run = [*args, "--out", str(out), "--endpoint", hub.url, "--backoff-base", "0.01"]
        with open(tmp_path / "stderr", "w+") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", "from bayesgrowth.cli import main; main()", *run],
                env=env,
                stdout=err,
                stderr=err,
            )
            try:
                assert hub.stalled.wait(timeout=60), "the run never reached page 2 of acme/beta"
            finally:
                proc.kill()
                proc.wait()
            err.seek(0)
            no_token_anywhere(err.read())
        hub.release()
        assert set(rows(out / "finetune" / "acme.csv")) == {"acme/alpha"}
        (state_file,) = (out / ".collect-state").glob("*.json")
        state = json.loads(state_file.read_text())
        assert list(state["done"]) == ["acme/alpha"]

        before = len(hub.requests)
        code, _, stderr = run_cli(capfd, monkeypatch, *run)
        assert code == 0, stderr
        assert "resuming" in stderr
        assert {r.model for r in hub.requests[before:]} == {"acme/beta"}  # alpha not listed again
        assert not state_file.exists()

        code, _, stderr = run_cli(
            capfd,
            monkeypatch,
            *args,
            "--out",
            ref,
            "--as-of",
            state["as_of"],
            "--endpoint",
            hub.url,
        )
        assert code == 0, stderr
    assert (out / "finetune" / "acme.csv").read_bytes() == (
        ref / "finetune" / "acme.csv"
    ).read_bytes()
    as_of = datetime.fromisoformat(state["as_of"])
    written = rows(out / "finetune" / "acme.csv")
    for base in ("acme/alpha", "acme/beta"):
        assert counts_of(written[base]) == expected_counts(
            BASE_CREATED, list(kids[base].values()), as_of
        )
    assert counts_of(written["acme/beta"])[-1] == 250


def test_a_reply_that_never_comes_times_out_and_is_retried(tmp_path, monkeypatch):
    """huggingface_hub passes ``timeout=None`` (no timeout) with each request, model_info's and
    every listing page's: the client's timeout must still apply, or one stalled reply holds a
    collection of many hours for ever."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub(page_size=10)
    kids = children(25, "s", seed=9)
    hub.add_model("acme/base", hub_time(BASE_CREATED))
    hub.add_children("acme/base", "finetune", {m: hub_time(t) for m, t in kids.items()})
    hub.inject("stall", "info")
    hub.inject("stall", "list", page=1)
    with hub:
        started = time.monotonic()
        try:
            result = collect_finetunes(
                make_api(hub.url, timeout_s=0.5),
                tmp_path / "out",
                models=["acme/base"],
                as_of=pd.Timestamp(AS_OF, tz="UTC"),
                policy=RetryPolicy(base_s=0.01),
                log=lambda _: None,
            )
        finally:
            # make_api sets huggingface_hub's process-wide client: later tests get the default.
            make_api(hub.url)
        elapsed = time.monotonic() - started
    assert elapsed < 20  # a stall lasts 60 s: each one was cut short, not waited out
    assert [(r.kind, r.page, r.outcome) for r in hub.requests] == [
        ("info", None, "stall"), ("info", None, "ok"),
        ("list", 0, "ok"), ("list", 1, "stall"), ("list", 1, "ok"), ("list", 2, "ok"),
    ]  # fmt: skip
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    assert result.counted == {
        "acme/base": expected_counts(BASE_CREATED, list(kids.values()), as_of)[-1]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model", "acme/x", "--relations", "finetune,forks"],
            "Invalid value for --relations: 'finetune,forks': choose from finetune, adapter, "
            "quantized, merge",
        ),
        (["--model", "not-an-id"], "Invalid value for --model: 'not-an-id' is not a model id"),
        ([], "Invalid value: give base models with --model, --org or --from-file"),
        # The Hub ignores an empty author filter: it would list every model it holds.
        (["--org", ""], "Invalid value for --org: '' is not an organisation name"),
        (["--org", "acme/x"], "Invalid value for --org: 'acme/x' is not an organisation name"),
        (["--model", "acme/x", "--as-of", ""], "Invalid value for --as-of: '' is not a date"),
        # "is not a date or time" alone, for a date written day or month first
        (
            ["--model", "acme/x", "--as-of", "11/01/2024"],
            "'11/01/2024' is not a date or time in ISO form (YYYY-MM-DD[ HH:MM:SS])",
        ),
        (["--model", "acme/bad name"], "Invalid value for --model: Repo id must use alphanumeric"),
    ],
)
def test_usage_errors(tmp_path, capfd, monkeypatch, args, message):
    hub_env(monkeypatch, tmp_path)
    code, _, stderr = run_cli(capfd, monkeypatch, "collect", "finetunes", "--out", tmp_path, *args)
    assert code == 2
    assert message in stderr
    assert not (tmp_path / "finetune").exists()


def test_a_collection_time_in_the_future_is_refused_from_the_command_and_from_python(
    tmp_path, capfd, monkeypatch
):
    """Months ending after now would be written with counts that are not final."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    hub.add_model("acme/base", hub_time(BASE_CREATED))
    with hub:
        code, _, stderr = run_cli(
            capfd, monkeypatch, "collect", "finetunes", "--model", "acme/base", "--out", tmp_path,
            "--as-of", "2999-01-01", "--endpoint", hub.url,
        )  # fmt: skip
        assert code == 2 and "Invalid value for --as-of: 2999-01-01 is in the future" in stderr
        with pytest.raises(BayesGrowthError, match="as_of 2999-01-01 00:00:00[+]00:00 is in the"):
            collect_finetunes(
                make_api(hub.url),
                tmp_path,
                models=["acme/base"],
                as_of=pd.Timestamp("2999-01-01", tz="UTC"),
            )
    assert hub.requests == [] and not (tmp_path / "finetune").exists()


def test_fine_tunes_collected_after_the_last_download_day_date_the_store(
    tmp_path, capfd, monkeypatch
):
    """A store whose daily download recording stopped before the fine-tune collection: the
    collection time (``finetune/AS_OF``) dates the data, so the later months load."""
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "live"
    hub = FakeHub()
    hub.add_model("acme/base", hub_time(BASE_CREATED), downloads_all_time=100)
    hub.add_model("acme/late", "2025-07-20T00:00:00.000Z", downloads_all_time=3)
    kids = children(30, "u", seed=3)
    hub.add_children("acme/base", "finetune", {m: hub_time(t) for m, t in kids.items()})
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "downloads", "--model", "acme/base", "--store", store,
            "--date", "2025-05-01", "--endpoint", hub.url,
        )  # fmt: skip
        assert code == 0, err
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", "finetunes", "--model", "acme/base", "--model",
            "acme/late", "--out", store, "--as-of", AS_OF, "--endpoint", hub.url,
        )  # fmt: skip
        assert code == 0, err
    assert (store / "finetune" / "AS_OF").read_text().strip() == "2025-08-15T12:00:00+00:00"
    panel = load_panel(store)
    assert panel.data_date == pd.Timestamp("2025-08-16", tz="UTC")
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    base = panel.series_of("acme/base", "finetunes")
    assert base["cumulative"].tolist() == expected_counts(BASE_CREATED, list(kids.values()), as_of)
    assert not base["partial"].any()
    assert panel.series_of("acme/late", "finetunes")["cumulative"].tolist() == [0]
    # An earlier collection time never moves the date back.
    from bayesgrowth.collect import _date_directory

    _date_directory(store, pd.Timestamp("2025-06-01", tz="UTC"))
    assert load_panel(store).data_date == pd.Timestamp("2025-08-16", tz="UTC")


def test_a_damaged_collection_time_is_named_not_a_traceback(tmp_path, capfd, monkeypatch):
    """``finetune/AS_OF`` not holding a time (an edit, a merge) ended the collection in a
    ValueError traceback; the loader names the file, and so does the collection now."""
    hub_env(monkeypatch, tmp_path)
    hub = FakeHub()
    hub.add_model("acme/base", hub_time(BASE_CREATED))
    store = tmp_path / "live"
    (store / "finetune").mkdir(parents=True)
    (store / "finetune" / "AS_OF").write_text("last Tuesday\n")
    args = ["collect", "finetunes", "--model", "acme/base", "--out", store, "--as-of", AS_OF]
    with hub:
        code, _, err = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
    assert code == 1
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"error: {store / 'finetune' / 'AS_OF'}, line 1: 'last Tuesday' is not a time"
    )
    assert (store / "finetune" / "AS_OF").read_text() == "last Tuesday\n"


def test_a_base_model_in_a_file_named_by_organisation_is_updated_there(
    tmp_path, capfd, monkeypatch
):
    """A copy of the snapshot's fine-tune folder names its files by organisation (``DeepSeek.csv``
    for ``deepseek-ai/…``): a base model already there is updated in that file, a new one of the
    same namespace joins it (and so the organisation DeepSeek), and the folder loads (no model in
    two files)."""
    hub_env(monkeypatch, tmp_path)
    out = tmp_path / "ext"
    (out / "finetune").mkdir(parents=True)
    snapshot_file = out / "finetune" / "DeepSeek.csv"
    header = (
        "model,0-month,1-month,lambda_i,mu_i,sigma_i,approx_condition,base_model,company,"
        "created_at,approx_cond_label,sort_key\n"
    )
    fit = "0.5,2.0,0.5,False,Original,DeepSeek"
    other = f"deepseek-ai/other,0,3,{fit},2024-12-01 00:00:00+00:00,x,3\n"
    snapshot_file.write_text(
        f"{header}deepseek-ai/base,0,5,{fit},2024-01-31 10:00:00+00:00,x,5\n{other}"
    )
    hub = FakeHub()
    kids = children(40, "d", seed=8)
    hub.add_model("deepseek-ai/base", hub_time(BASE_CREATED))
    hub.add_children("deepseek-ai/base", "finetune", {m: hub_time(t) for m, t in kids.items()})
    hub.add_model("deepseek-ai/fresh", hub_time(BASE_CREATED))
    with hub:
        code, stdout, stderr = run_cli(
            capfd, monkeypatch, "collect", "finetunes", "--model", "deepseek-ai/base",
            "--model", "deepseek-ai/fresh", "--out", out, "--as-of", AS_OF, "--endpoint", hub.url,
        )  # fmt: skip
    assert code == 0, stderr
    as_of = datetime.fromisoformat(AS_OF).replace(tzinfo=UTC)
    want = expected_counts(BASE_CREATED, list(kids.values()), as_of)
    written = rows(snapshot_file)
    assert list(written) == ["deepseek-ai/base", "deepseek-ai/other", "deepseek-ai/fresh"]
    assert counts_of(written["deepseek-ai/base"]) == want
    # the updated row keeps its other cells: the authors' estimates stay beside the new counts
    assert written["deepseek-ai/base"]["lambda_i"] == "0.5"
    assert written["deepseek-ai/base"]["company"] == "DeepSeek"
    (before,) = csv.DictReader(io.StringIO(header + other))
    assert {k: v for k, v in written["deepseek-ai/other"].items() if v} == before  # untouched
    assert written["deepseek-ai/fresh"]["company"] == ""  # no cell of its own to claim
    assert not (out / "finetune" / "deepseek-ai.csv").exists()
    assert f"wrote {snapshot_file}" in stdout
    panel = load_panel(out)
    assert panel.series_of("deepseek-ai/base", "finetunes")["cumulative"].tolist() == want
    assert panel.paper_fits.set_index("model").loc["deepseek-ai/base", "lambda_i"] == 0.5
    assert panel.series.set_index("model").loc["deepseek-ai/fresh", "organization"] == "DeepSeek"
