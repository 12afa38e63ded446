"""``bayesgrowth collect``: a Hub that cannot be used at all stops the run with one line."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time

import pytest
from hub_server import TOKEN, FakeHub, hub_env, run_cli

from bayesgrowth.hub import HubUnavailable, make_api

CREATED = "2024-06-01T00:00:00.000Z"


@pytest.fixture
def closed_endpoint() -> str:
    """An endpoint on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def retried_models(stderr: str) -> set[str]:
    """The models named on retry notices (``  ORG/NAME: …; retrying in …``)."""
    return {line.split(":")[0].strip() for line in stderr.splitlines() if "retrying in" in line}


def test_downloads_stop_at_the_first_model_the_hub_cannot_be_reached_for(
    tmp_path, capfd, monkeypatch, closed_endpoint
):
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "store"
    hub = FakeHub()
    hub.add_model("acme/alpha", CREATED, downloads_all_time=10)
    args = ["collect", "downloads", "--store", store, "--date", "2025-02-01"]
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, *args, "--model", "acme/alpha", "--endpoint", hub.url
        )
    assert code == 0, err
    written = (store / "download" / "acme.csv").read_bytes()

    models = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta"]
    started = time.monotonic()
    code, out, err = run_cli(
        capfd, monkeypatch, *args, *(a for m in models for a in ("--model", m)),
        "--endpoint", closed_endpoint, "--backoff-base", "0.01",
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f"error: cannot reach the Hub at {closed_endpoint} (connection problem (ConnectError), "
        "6 tries for acme/beta); stopped; check the network or the endpoint (--endpoint, "
        "HF_ENDPOINT), then run the same command again later: finished work is kept"
    )
    assert retried_models(err) == {"acme/beta"}  # no retries wasted on the models after it
    assert "acme/gamma" not in err and "other/delta" not in err
    assert "Traceback" not in err and TOKEN not in out + err
    assert (store / "download" / "acme.csv").read_bytes() == written
    assert not (store / "download" / "other.csv").exists()


def test_finetunes_stop_at_the_first_model_and_resume_once_the_hub_answers(
    tmp_path, capfd, monkeypatch, closed_endpoint
):
    hub_env(monkeypatch, tmp_path)
    out = tmp_path / "out"
    args = ["collect", "finetunes", "--model", "acme/a", "--model", "acme/b", "--out", out]
    args += ["--as-of", "2025-08-15", "--backoff-base", "0.01"]
    code, _, err = run_cli(capfd, monkeypatch, *args, "--endpoint", closed_endpoint)
    assert code == 1
    error = err.strip().splitlines()[-1]
    assert error.startswith(
        f"error: cannot reach the Hub at {closed_endpoint} (connection problem (ConnectError), "
        "6 tries for acme/a); stopped"
    )
    assert retried_models(err) == {"acme/a"}
    (state,) = (out / ".collect-state").glob("*.json")  # the checkpoint is kept
    assert json.loads(state.read_text())["done"] == {}

    hub = FakeHub()
    hub.add_model("acme/a", CREATED)
    hub.add_model("acme/b", CREATED)
    with hub:
        code, _, err = run_cli(capfd, monkeypatch, *args, "--endpoint", hub.url)
    assert code == 0, err
    assert "resuming the collection begun 2025-08-15T00:00:00+00:00" in err
    assert not state.exists()


NON_ASCII_TOKEN = "hf_SECRÉTtoken0123"


@pytest.mark.parametrize(
    ("command", "env", "message"),
    [
        (
            "downloads",
            {"HF_HUB_OFFLINE": "1"},
            "error: HF_HUB_OFFLINE is set: huggingface_hub makes no request in offline mode; "
            "unset it to collect from the Hub",
        ),
        (
            "finetunes",
            {"HF_TOKEN": NON_ASCII_TOKEN},
            "error: the Hugging Face token contains non-ASCII characters, so no request can carry "
            "it: set HF_TOKEN again (or run `hf auth login`), copying the token from the Hub",
        ),
    ],
    ids=["offline", "non-ascii-token"],
)
def test_an_unusable_hub_setting_is_one_line_before_any_work(
    tmp_path, monkeypatch, command, env, message
):
    """Run as a user would (huggingface_hub reads HF_HUB_OFFLINE when imported)."""
    base_env = hub_env(monkeypatch, tmp_path)
    store = tmp_path / "store"
    hub = FakeHub()
    hub.add_model("org2/m", CREATED, downloads_all_time=5)
    where = ["--store", store] if command == "downloads" else ["--out", store]
    with hub:
        proc = subprocess.run(
            [sys.executable, "-m", "bayesgrowth", "collect", command, "--model", "org2/m",
             *map(str, where), "--endpoint", hub.url],
            env=base_env | env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == message
    assert "SECR" not in proc.stdout + proc.stderr
    assert hub.requests == [] and not store.exists()


@pytest.mark.parametrize(
    "endpoint", ["huggingface.co", "ftp://huggingface.co", "https://", "http://127.0.0.1:99999"]
)
def test_an_endpoint_that_is_not_an_http_url_is_one_line_before_any_work(
    tmp_path, capfd, monkeypatch, endpoint
):
    """httpx refuses such a URL on every request: that is no network failure to retry for each
    model (6 tries, over 30 s apiece with the default backoff) and then blame on the Hub."""
    hub_env(monkeypatch, tmp_path)
    store = tmp_path / "store"
    started = time.monotonic()
    code, _, err = run_cli(
        capfd, monkeypatch, "collect", "downloads", "--model", "acme/a", "--model", "acme/b",
        "--store", store, "--endpoint", endpoint,
    )  # fmt: skip
    assert time.monotonic() - started < 10
    assert code == 1
    assert err.strip() == (
        "error: the Hub endpoint given is not an http:// or https:// URL "
        "with a host (e.g. https://huggingface.co)"
    )
    assert not store.exists()


def test_an_hf_endpoint_that_is_not_an_http_url_is_named(tmp_path, capfd, monkeypatch):
    hub_env(monkeypatch, tmp_path)
    monkeypatch.setenv("HF_ENDPOINT", "hf.co")
    code, _, err = run_cli(
        capfd, monkeypatch, "collect", "finetunes", "--model", "acme/a", "--out", tmp_path / "o"
    )
    assert code == 1
    assert err.strip() == (
        "error: the Hub endpoint in HF_ENDPOINT is not an http:// or https:// URL with a host "
        "(e.g. https://huggingface.co)"
    )
    assert not (tmp_path / "o").exists()


def test_an_endpoint_from_python_is_not_blamed_on_a_flag(monkeypatch, tmp_path):
    hub_env(monkeypatch, tmp_path)
    with pytest.raises(HubUnavailable) as caught:
        make_api("huggingface.co")
    assert str(caught.value) == (
        "the Hub endpoint given is not an http:// or https:// URL with a host "
        "(e.g. https://huggingface.co)"
    )


@pytest.mark.parametrize("timeout_s", [0, -1.0, float("nan"), float("inf"), "60"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(monkeypatch, tmp_path, timeout_s):
    """httpx would take 0 or a negative number as no wait at all (every request fails), and
    ``inf`` or ``nan`` as no usable timeout."""
    hub_env(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match="timeout_s must be a positive number of seconds"):
        make_api("http://127.0.0.1:9", timeout_s=timeout_s)


@pytest.mark.parametrize("command", ["downloads", "finetunes"])
def test_a_token_the_hub_refuses_stops_the_run_at_the_first_model(
    tmp_path, capfd, monkeypatch, command
):
    """A revoked or mistyped token is refused on every request, public models included: the
    run stops with one line about the token, not one failure per model blaming each model."""
    hub_env(monkeypatch, tmp_path)
    out = tmp_path / "out"
    hub = FakeHub()
    for model in ("acme/a", "acme/b", "acme/c"):
        hub.add_model(model, CREATED, downloads_all_time=5)
    hub.refuse_token(TOKEN)
    where = ["--store", out, "--date", "2025-02-01"] if command == "downloads" else ["--out", out]
    with hub:
        code, stdout, err = run_cli(
            capfd, monkeypatch, "collect", command, "--model", "acme/a", "--model", "acme/b",
            "--model", "acme/c", *where, "--endpoint", hub.url, "--backoff-base", "0.01",
        )  # fmt: skip
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: the Hub refuses the token (HTTP 401: invalid credentials in the Authorization "
        "header): set HF_TOKEN again or run `hf auth login`, then run the same command again"
    )
    assert [r.model for r in hub.requests] == ["acme/a"]
    assert TOKEN not in stdout + err and "Traceback" not in err
    assert not list(out.rglob("*.csv"))


def _collect_acme_a(capfd, monkeypatch, command: str, option: str, target) -> tuple:
    """``collect COMMAND --model acme/a OPTION TARGET`` against a fake Hub holding acme/a: the
    exit code, stderr and the hub (its ``requests``)."""
    hub = FakeHub()
    hub.add_model("acme/a", CREATED, downloads_all_time=5)
    with hub:
        code, _, err = run_cli(
            capfd, monkeypatch, "collect", command, "--model", "acme/a", option, target,
            "--endpoint", hub.url,
        )  # fmt: skip
    return code, err, hub


@pytest.mark.parametrize(("command", "option"), [("downloads", "--store"), ("finetunes", "--out")])
def test_an_output_that_is_a_file_is_one_line_before_any_request(
    tmp_path, capfd, monkeypatch, command, option
):
    hub_env(monkeypatch, tmp_path)
    path = tmp_path / "models.txt"
    path.write_text("acme/a\n")
    code, err, hub = _collect_acme_a(capfd, monkeypatch, command, option, path)
    assert code == 1
    assert (
        err.strip() == f"error: {path} is a file, not a directory: give a directory for the results"
    )
    assert hub.requests == [] and path.read_text() == "acme/a\n"


@pytest.mark.parametrize(("command", "option"), [("downloads", "--store"), ("finetunes", "--out")])
def test_a_checksummed_copy_of_the_snapshot_is_refused_before_any_request(
    tmp_path, capfd, monkeypatch, command, option
):
    """The loader verifies every file a SHA256SUMS lists: a count collected into one of them
    would leave the directory unreadable ("sha256 does not match SHA256SUMS")."""
    hub_env(monkeypatch, tmp_path)
    copy = tmp_path / "snapshot-copy"
    (copy / "download").mkdir(parents=True)
    table = "model,2025-02-18 00:00:00,created_at\nacme/a,3,2024-06-01 00:00:00+00:00\n"
    (copy / "download" / "acme.csv").write_text(table)
    digest = hashlib.sha256(table.encode()).hexdigest()
    (copy / "SHA256SUMS").write_text(f"{digest}  download/acme.csv\n")
    code, err, hub = _collect_acme_a(capfd, monkeypatch, command, option, copy)
    assert code == 1
    assert err.strip() == (
        f"error: {copy} holds SHA256SUMS, which the loader checks every file it lists against: "
        "collecting would change those files and leave the directory unreadable; delete "
        f"{copy / 'SHA256SUMS'} to make the copy your own store, or collect elsewhere"
    )
    assert hub.requests == [] and (copy / "download" / "acme.csv").read_text() == table
    assert sorted(p.name for p in copy.iterdir()) == ["SHA256SUMS", "download"]
