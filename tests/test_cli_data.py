"""``bayesgrowth data …``: through typer's runner, through main() in-process, and as a process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cliruns import assert_one_line_error, run_main
from csvfiles import (
    DAYS,
    default_snapshot,
    download_table,
    finetune_table,
    real_data_dir,
    requires_real_data,
    write_snapshot,
)
from typer.testing import CliRunner

from bayesgrowth.cli import app
from bayesgrowth.errors import DataError, UnknownModelError


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m bayesgrowth ARGS`` as a user would run it (through ``main()``)."""
    return subprocess.run(
        [sys.executable, "-m", "bayesgrowth", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


runner = CliRunner()


# --- the real snapshot ----------------------------------------------------------------------------


@requires_real_data
def test_summary_of_the_real_snapshot(tmp_path):
    proc = run_cli("data", "summary", "--data", real_data_dir(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "finetunes: 3,903 series" in out
    assert "downloads: 830 series" in out
    assert "(data date 2025-02-21)" in out
    for line in (
        "finetunes.files: 17",
        "downloads.files: 18",
        "finetunes.never_finetuned: 2,652",
        "finetunes.only_month_0: 38",
        "finetunes.partial_last_month: 0",
        "downloads.precreation_nonzero: 9",
        "downloads.nonzero_on_creation_day: 28",
        "downloads.zero_on_day_1: 610",
        "downloads.zero_throughout: 60",
    ):
        assert f"  {line}\n" in out
    assert "finetunes by organisation (t in months):" in out
    assert "downloads by organisation (t in days):" in out
    assert out.count("\nALL ") == 2


@requires_real_data
def test_show_a_real_series():
    result = runner.invoke(
        app, ["data", "show", "--model", "amazon/MistralLite", "--data", str(real_data_dir())]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "t,date,cumulative"
    assert len(lines) == 18
    assert lines[1] == "0,2023-10-16,0"
    assert lines[-1] == "16,2025-02-16,53"


@requires_real_data
def test_corrupted_snapshot_fails_naming_the_file(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(real_data_dir(), copy)
    target = copy / "download" / "Meta.csv"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[5000] ^= 0x01
    target.write_bytes(bytes(data))
    proc = run_main("data", "summary", "--data", copy, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, str(target), "sha256")


# --- crafted files --------------------------------------------------------------------------------


def test_show_a_download_series(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    result = runner.invoke(
        app,
        ["data", "show", "--model", "acme/gamma", "--metric", "downloads", "--data", str(root)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "t,date,cumulative",
        *(f"{t},2025-02-{12 + t},{5 * t}" for t in range(7)),
    ]


def test_summary_of_a_crafted_snapshot(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    result = runner.invoke(app, ["data", "summary", "--data", str(root)])
    assert result.exit_code == 0, result.output
    assert "finetunes: 2 series" in result.stdout
    assert "downloads: 2 series" in result.stdout
    assert "downloads.rows_before_creation: 2" in result.stdout


def test_runner_surfaces_the_data_error(tmp_path):
    table = finetune_table().set("acme/beta", "2-month", "lots")
    root = write_snapshot(tmp_path / "snap", {"ACME": table}, {"ACME": download_table()})
    result = runner.invoke(app, ["data", "summary", "--data", str(root)])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "line 3" in str(result.exception)


def test_bad_count_through_main(tmp_path):
    table = download_table().set("acme/gamma", DAYS[4], "-3.0")
    root = write_snapshot(tmp_path / "snap", {"ACME": finetune_table()}, {"ACME": table})
    proc = run_cli("data", "summary", "--data", root, cwd=tmp_path)
    assert_one_line_error(
        proc,
        str(root / "download" / "ACME.csv"),
        "line 3",
        "model 'acme/gamma'",
        f"column '{DAYS[4]}'",
        "is negative",
    )


def test_bad_header_through_main(tmp_path, monkeypatch, capsys):
    table = finetune_table().add_column("notes", "x")
    root = write_snapshot(tmp_path / "snap", {"ACME": table}, {"ACME": download_table()})
    args = ["data", "show", "--model", "acme/alpha", "--data", root]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, str(root / "finetune" / "ACME.csv"), "line 1", "'notes'")


def test_unknown_model_through_main(tmp_path, monkeypatch, capsys):
    root = default_snapshot(tmp_path / "snap")
    args = ["data", "show", "--model", "nobody/nothing", "--data", root]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, "unknown model id 'nobody/nothing'")
    # the Hub takes an id in any case, the data hold its spelling: a hint names it
    args = ["data", "show", "--model", "ACME/alpha", "--data", root]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, "(ids are case-sensitive here: 'ACME/alpha' is 'acme/alpha')")
    args = ["fit", "--model", "acme/Alpha", "--model", "nobody/x", "--data", root]
    proc = run_main(*args, "--out", tmp_path / "f.nc", monkeypatch=monkeypatch, capsys=capsys)
    assert proc.stderr.splitlines()[-1].endswith(
        "(ids are case-sensitive here: 'acme/Alpha' is 'acme/alpha')"
    )


def test_a_model_fit_of_a_metric_without_it_names_the_metric_and_data(
    tmp_path, monkeypatch, capsys
):
    """acme/beta has fine-tunes only: `fit --metric downloads --model acme/beta` said "unknown
    model id(s): 'acme/beta'", neither which series it was looked for among nor where."""
    root = default_snapshot(tmp_path / "snap")
    args = ["fit", "--metric", "downloads", "--model", "acme/beta", "--data", root]
    proc = run_main(*args, "--out", tmp_path / "f.nc", monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # the lines before it are the loader's notes on the data (days before a creation dropped)
    assert proc.stderr.splitlines()[-1] == (
        f"error: unknown model id(s) 'acme/beta': not among the downloads series in {root}"
    )
    assert not (tmp_path / "f.nc").exists()


def test_unknown_model_in_process(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    result = runner.invoke(app, ["data", "show", "--model", "acme/zeta", "--data", str(root)])
    assert result.exit_code == 1 and isinstance(result.exception, UnknownModelError)


def test_unknown_metric_and_missing_directory_through_main(tmp_path, monkeypatch, capsys):
    root = default_snapshot(tmp_path / "snap")
    args = ["data", "show", "--model", "acme/alpha", "--metric", "likes", "--data", root]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, "unknown metric(s) 'likes'")
    args = ["data", "summary", "--data", tmp_path / "nowhere"]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, str(tmp_path / "nowhere"), "does not exist")


@pytest.mark.parametrize(
    "args, says",
    [
        (["data", "show"], "Missing option '--model'"),
        (["data", "summary", "--bogus"], "No such option: --bogus"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_usage_error_exits_2(args, says, monkeypatch, capsys):
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 2
    assert says in proc.stderr and "Usage:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_main_succeeds_in_process(tmp_path, monkeypatch, capsys):
    root = default_snapshot(tmp_path / "snap")
    proc = run_main("data", "summary", "--data", root, monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 0 and "finetunes: 2 series" in proc.stdout and proc.stderr == ""


@pytest.mark.parametrize(
    "args, names", [(["--help"], ["data"]), (["data", "--help"], ["summary", "show"])]
)
def test_help(args, names):
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    for name in names:
        assert f" {name} " in result.stdout


def test_a_command_help_reflows_its_docstring_paragraphs():
    """Each command's --help kept its docstring's line breaks, ragged at any terminal width."""
    wide = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["run", "--help"])
    assert wide.exit_code == 0, wide.output
    lines = [line.strip() for line in wide.stdout.splitlines()]
    assert any(line.startswith("Beside the fit:") and "data carry their" in line for line in lines)


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("forecast", "(months for a fine-tune fit, days for a download fit;"),
        ("run", "Forecast horizon in steps: months for finetunes, days for downloads."),
    ],
)
def test_the_horizon_help_gives_its_unit(command, says):
    """It said "steps" alone: `run --metric downloads --horizon 12` forecasts 12 days, not months."""
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert says in " ".join(result.stdout.replace("│", " ").split())
