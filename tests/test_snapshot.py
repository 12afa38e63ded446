"""The snapshot's checksums, and fetching the pinned files (from a local HTTP server)."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from csvfiles import default_snapshot, real_data_dir, requires_real_data

import bayesgrowth as bg
from bayesgrowth.errors import DataError
from bayesgrowth.snapshot import (
    CHECKSUMS,
    ENV_DATA,
    ENV_URL,
    SNAPSHOT_NAME,
    cache_dir,
    fetch_snapshot,
    parse_checksums,
    pinned_files,
    resolve_data_dir,
    sha256,
    verify_checksums,
)


def writable_copy(src: Path, dst: Path) -> Path:
    """Copy a snapshot directory (whose files may be read-only) to ``dst``, writable."""
    shutil.copytree(src, dst)
    for path in [dst, *dst.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dst


def flip_byte(path: Path, at: int = 1000) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x20
    path.write_bytes(bytes(data))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve(monkeypatch) -> Iterator:
    """``serve(directory)`` starts an HTTP server on 127.0.0.1 and returns its base URL."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = []

    def start(directory: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# --- checksums ------------------------------------------------------------------------------------


def test_parse_checksums():
    text = "ABC123  finetune/A.csv\n\nfff *download/B.csv\n"
    assert parse_checksums(text) == {"finetune/A.csv": "abc123", "download/B.csv": "fff"}


def test_malformed_checksum_line(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    name = "finetune/ACME.csv"
    (root / CHECKSUMS).write_text(f"{sha256(root / name)}  {name}\ndeadbeef\n")
    with pytest.raises(DataError, match="not a checksum line") as err:
        bg.load_panel(root)
    assert (err.value.file, err.value.row) == (str(root / CHECKSUMS), 2)


def test_pinned_files_cover_the_snapshot():
    files = pinned_files()
    assert sum(n.startswith("finetune/") for n in files) == 17
    assert sum(n.startswith("download/") for n in files) == 18
    assert all(len(d) == 64 for d in files.values())


@requires_real_data
def test_pinned_hashes_match_the_real_snapshot():
    real = real_data_dir()
    assert parse_checksums((real / CHECKSUMS).read_text()) == pinned_files()
    verify_checksums(real)  # raises on any mismatch
    assert resolve_data_dir(real) == real


@requires_real_data
@pytest.mark.parametrize("name", ["finetune/Meta.csv", "download/Other.csv"])
def test_corrupted_copy_fails_naming_the_file(tmp_path, name):
    copy = writable_copy(real_data_dir(), tmp_path / "copy")
    flip_byte(copy / name)
    with pytest.raises(DataError, match="sha256 does not match SHA256SUMS") as err:
        bg.load_panel(copy)
    assert err.value.file == str(copy / name)
    assert str(copy / name) in str(err.value)


@requires_real_data
def test_file_listed_but_missing(tmp_path):
    copy = writable_copy(real_data_dir(), tmp_path / "copy")
    (copy / "download" / "Apple.csv").unlink()
    with pytest.raises(DataError, match="listed in SHA256SUMS but missing") as err:
        bg.load_panel(copy)
    assert str(copy / "download" / "Apple.csv") in str(err.value)


@requires_real_data
def test_subset_without_checksums_loads_with_the_usual_validation(tmp_path):
    """Two organisations, series cut short, the authors' fit columns removed, no SHA256SUMS."""
    real, root = real_data_dir(), tmp_path / "subset"
    fit = ["lambda_i", "mu_i", "sigma_i", "approx_condition", "approx_cond_label"]
    expected = {}
    for org in ("AMAZON", "Apple"):
        ft = pd.read_csv(real / "finetune" / f"{org}.csv", dtype=str, keep_default_na=False)
        ft = ft.drop(columns=fit + [f"{k}-month" for k in range(6, 35)])
        dl = pd.read_csv(real / "download" / f"{org}.csv", dtype=str, keep_default_na=False)
        dl = dl.drop(columns=[c for c in dl.columns if c.startswith("2025-02-1")])
        for sub, frame in (("finetune", ft), ("download", dl)):
            (root / sub).mkdir(parents=True, exist_ok=True)
            frame.to_csv(root / sub / f"{org}.csv", index=False)
        expected[org] = (len(ft), len(dl))
    assert not (root / CHECKSUMS).exists()

    panel = bg.load_panel(root)
    assert panel.data_date == pd.Timestamp("2025-02-09", tz="UTC")
    counts = panel.series.groupby(["organization", "metric"]).size()
    for org, (n_ft, n_dl) in expected.items():
        assert (counts[org, "finetunes"], counts[org, "downloads"]) == (n_ft, n_dl)
    assert panel.observations.loc[panel.observations["metric"] == "finetunes", "t"].max() == 5
    assert panel.paper_fits.empty

    # the usual validation still applies
    bad = root / "finetune" / "Apple.csv"
    lines = bad.read_text().splitlines(keepends=True)
    cells = lines[4].split(",")
    cells[3] = "-7"
    lines[4] = ",".join(cells)
    bad.write_text("".join(lines))
    with pytest.raises(DataError, match="is negative") as err:
        bg.load_panel(root)
    assert (err.value.file, err.value.row, err.value.column) == (str(bad), 5, "2-month")
    assert err.value.model == cells[0]


def test_crafted_directory_with_its_own_checksums(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    names = ["finetune/ACME.csv", "download/ACME.csv"]
    (root / CHECKSUMS).write_text("".join(f"{sha256(root / n)}  {n}\n" for n in names))
    assert bg.load_panel(root).n_series == 4
    flip_byte(root / "finetune" / "ACME.csv", at=20)
    with pytest.raises(DataError, match="sha256 does not match") as err:
        bg.load_panel(root)
    assert err.value.file == str(root / "finetune" / "ACME.csv")


def test_a_file_the_checksums_do_not_list_is_reported(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    names = ["finetune/ACME.csv", "download/ACME.csv"]
    (root / CHECKSUMS).write_text("".join(f"{sha256(root / n)}  {n}\n" for n in names))
    assert bg.load_panel(root).report.counts["unverified_files"] == 0
    extra = (root / "finetune" / "ACME.csv").read_text().replace("acme/", "other/")
    (root / "finetune" / "OTHER.csv").write_text(extra)
    panel = bg.load_panel(root)
    assert panel.n_series == 6
    assert panel.report.counts["unverified_files"] == 1
    assert any("not verified: finetune/OTHER.csv" in note for note in panel.report.notes)


# --- fetching -------------------------------------------------------------------------------------


@requires_real_data
def test_fetch_from_a_server(tmp_path, serve):
    url = serve(real_data_dir())
    target = tmp_path / "cache"
    assert fetch_snapshot(target, url) == target
    pinned = pinned_files()
    for name, digest in pinned.items():
        assert sha256(target / name) == digest
    assert parse_checksums((target / CHECKSUMS).read_text()) == pinned
    verify_checksums(target)
    # a second fetch finds every file present and intact: no server needed
    # and writes nothing, so a filled cache may be read-only
    before = {n: (target / n).stat() for n in [*pinned, CHECKSUMS]}
    assert fetch_snapshot(target, closed_port_url()) == target
    after = {n: (target / n).stat() for n in before}
    assert {n: (s.st_ino, s.st_mtime_ns) for n, s in after.items()} == {
        n: (s.st_ino, s.st_mtime_ns) for n, s in before.items()
    }


@requires_real_data
def test_fetch_rejects_a_tampered_file(tmp_path, serve):
    served = writable_copy(real_data_dir(), tmp_path / "served")
    flip_byte(served / "download" / "Qwen.csv")
    target = tmp_path / "cache"
    with pytest.raises(DataError, match="sha256") as err:
        fetch_snapshot(target, serve(served))
    assert err.value.file == "download/Qwen.csv"
    assert "download/Qwen.csv" in str(err.value)
    assert (target / "download" / "AMAZON.csv").is_file()  # files before it arrived
    assert not (target / CHECKSUMS).exists()


@requires_real_data
def test_fetch_repairs_a_damaged_cached_file(tmp_path, serve):
    url = serve(real_data_dir())
    target = fetch_snapshot(tmp_path / "cache", url)
    damaged = target / "finetune" / "Google.csv"
    flip_byte(damaged)
    fetch_snapshot(target, url)
    assert sha256(damaged) == pinned_files()["finetune/Google.csv"]


def test_fetch_from_nowhere(tmp_path):
    with pytest.raises(DataError, match="could not fetch the pinned snapshot") as err:
        fetch_snapshot(tmp_path / "cache", closed_port_url())
    assert ENV_DATA in str(err.value)


def test_a_cache_that_cannot_take_the_files_is_named_not_the_server(tmp_path):
    """A local folder problem said 'could not fetch ... from URL (NotADirectoryError)'."""
    (tmp_path / "afile").write_text("")
    url = closed_port_url()  # reached only if the folder were fine
    with pytest.raises(DataError, match="cannot be created") as err:
        fetch_snapshot(tmp_path / "afile" / "cache", url)
    assert str(tmp_path / "afile" / "cache") in str(err.value)
    with pytest.raises(DataError, match="is not a directory"):
        fetch_snapshot(tmp_path / "afile", url)
    target = tmp_path / "cache"
    target.mkdir()
    (target / "download").write_text("")  # a file where a folder of the snapshot goes
    with pytest.raises(DataError, match="cannot write the snapshot into") as err:
        fetch_snapshot(target, url)
    assert str(target / "download") in str(err.value)
    assert "could not fetch" not in str(err.value)


def test_fetch_a_missing_file(tmp_path, serve):
    """A server without the files answers 404: an error naming the file, not a traceback."""
    with pytest.raises(DataError, match="could not fetch") as err:
        fetch_snapshot(tmp_path / "cache", serve(tmp_path))
    assert err.value.file in pinned_files()


@requires_real_data
def test_resolve_fills_the_user_cache(tmp_path, serve, monkeypatch):
    real = real_data_dir()
    monkeypatch.delenv(ENV_DATA)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(ENV_URL, serve(real))
    assert cache_dir() == tmp_path / "xdg" / "bayesgrowth" / SNAPSHOT_NAME
    root = resolve_data_dir(None)
    assert root == cache_dir()
    assert sorted(p.name for p in (root / "download").glob("*.csv")) == sorted(
        p.name for p in (real / "download").glob("*.csv")
    )
    verify_checksums(root)


def test_resolve_prefers_the_environment(tmp_path, monkeypatch):
    root = default_snapshot(tmp_path / "snap")
    monkeypatch.setenv(ENV_DATA, str(root))
    monkeypatch.setenv(ENV_URL, closed_port_url())  # would fail if it fetched
    assert resolve_data_dir(None) == root
    assert bg.load_panel().source == str(root)
    other = default_snapshot(tmp_path / "other")
    assert resolve_data_dir(other) == other  # an explicit directory wins


def test_a_data_directory_that_is_missing_or_a_file_says_which_and_from_where(
    tmp_path, monkeypatch
):
    """A file was said not to exist, and a directory from the environment was not said to be."""
    (tmp_path / "afile").write_text("")
    with pytest.raises(DataError, match="is a file, not a directory"):
        resolve_data_dir(tmp_path / "afile")
    monkeypatch.setenv(ENV_DATA, str(tmp_path / "gone"))
    with pytest.raises(DataError) as err:
        bg.load_panel()
    assert str(err.value) == f"data directory {tmp_path / 'gone'} (from ${ENV_DATA}) does not exist"
