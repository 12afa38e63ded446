"""A wrong ``--out`` or a wrong combination of options fails at once, before data are read or a
fit is run, with one clear line.

Every command here is given a data directory that does not exist: had it read its data (or
started a fit) before checking its options, the error would be about the data instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from cliruns import assert_one_line_error, run_main
from csvfiles import default_snapshot

from bayesgrowth import store
from bayesgrowth.errors import OutputError
from bayesgrowth.store import check_file_path, prepare_directory


@pytest.fixture
def places(tmp_path):
    """A missing data directory, an existing directory and an existing file."""
    folder = tmp_path / "folder"
    folder.mkdir()
    file = tmp_path / "file.csv"
    file.write_text("keep me\n")
    return {"data": tmp_path / "no-data", "folder": folder, "file": file}


@pytest.mark.parametrize(
    ("command", "out", "says"),
    [
        (["fit"], "folder", "is a directory: give a file name for the netCDF fit"),
        (["fit"], "file.csv/fit.nc", "file.csv is a file, not a directory"),
        (["run"], "file", "is a file, not a directory"),
        (["backtest", "--method", "last-value", "--as-of", "2024-08-18"], "file", "is a file"),
        (["deepseek"], "file", "is a file, not a directory"),
        (["baseline"], "folder", "is a directory: give a file name"),
        (["paper-table"], "folder", "is a directory: give a file name"),
    ],
)
def test_a_wrong_out_fails_before_the_data_are_read(
    command, out, says, places, monkeypatch, capsys
):
    target = places[out] if out in places else places["file"].parent / out
    proc = run_main(
        *command, "--data", places["data"], "--out", target, monkeypatch=monkeypatch, capsys=capsys
    )
    line = assert_one_line_error(proc, says)
    assert "no-data" not in line
    assert places["file"].read_text() == "keep me\n"


@pytest.mark.parametrize(
    "command", [["fit"], ["run"], ["backtest", "--as-of", "2024-08-18"], ["baseline"]]
)
def test_an_unknown_metric_fails_before_the_out_folder_is_made(
    command, places, monkeypatch, capsys
):
    """The metric was checked only when the data loaded, after the command had made its
    ``--out`` folder: a typo left an empty folder behind."""
    file = {"fit": "fit.nc", "baseline": "fits.csv"}.get(command[0])
    out = places["folder"] / "new" / (file or "results")
    proc = run_main(
        *command, "--metric", "finetune", "--data", places["data"], "--out", out,
        monkeypatch=monkeypatch, capsys=capsys,
    )  # fmt: skip
    assert_one_line_error(proc, "unknown metric(s) 'finetune'; choose from finetunes, downloads")
    assert not (places["folder"] / "new").exists()


@pytest.mark.parametrize(
    ("command", "taken"),
    [
        (["run"], "forecasts-finetunes.png"),
        (["run", "--metric", "downloads"], "diagnostics-downloads.txt"),
        (["backtest", "--method", "last-value", "--as-of", "2024-08-18"], "metrics.csv"),
        (["backtest", "--method", "paper,bayes", "--holdout", "2"], "sampling-bayes.txt"),
        (["deepseek"], "claim.png"),
    ],
)
def test_a_directory_named_like_a_result_file_fails_before_the_data_are_read(
    command, taken, places, monkeypatch, capsys
):
    """It failed with a traceback at the write, after the fit or the forecasts."""
    (places["folder"] / taken).mkdir()
    proc = run_main(
        *command, "--data", places["data"], "--out", places["folder"], monkeypatch=monkeypatch,
        capsys=capsys,
    )  # fmt: skip
    line = assert_one_line_error(proc, f"{taken} is a directory, where a result file goes")
    assert "no-data" not in line
    assert [p.name for p in places["folder"].iterdir()] == [taken]


def test_forecast_checks_its_out_before_opening_the_fit(places, monkeypatch, capsys):
    args = ["forecast", "--fit", places["data"] / "fit.nc", "--out", places["folder"]]
    assert_one_line_error(run_main(*args, monkeypatch=monkeypatch, capsys=capsys), "is a directory")


def test_the_benchmark_reports_errors_in_one_line(places):
    proc = subprocess.run(
        [sys.executable, "-m", "bayesgrowth.benchmark", "fit", "--data", places["data"]]
        + ["--out", places["folder"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_line_error(proc, "does not exist", "no-data")
    # a directory where figures.json goes failed at the write, after the 15-minute fit
    (places["folder"] / "figures.json").mkdir()
    proc = subprocess.run(proc.args, capture_output=True, text=True, timeout=120)
    line = assert_one_line_error(proc, "figures.json is a directory, where a result file goes")
    assert "no-data" not in line


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--draws", "0"], "draws and chains must be >= 1"),
        (["--seed", "-1"], "the seed must lie between 0 and 2**32 - 1"),
    ],
)
def test_the_benchmark_checks_its_sampler_settings_before_the_data(args, says, places):
    """They failed after the whole snapshot was loaded, at the fit."""
    proc = subprocess.run(
        [sys.executable, "-m", "bayesgrowth.benchmark", "fit", *args, "--data", places["data"]]
        + ["--out", places["folder"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "no-data" not in assert_one_line_error(proc, says)


def test_output_paths_are_made_ready_or_refused(places):
    nested = places["folder"] / "a" / "b"
    assert prepare_directory(nested).is_dir()
    assert check_file_path(places["folder"] / "c" / "x.csv").parent.is_dir()
    with pytest.raises(OutputError, match="is a file, not a directory"):
        prepare_directory(places["file"])
    with pytest.raises(OutputError, match="is a directory: give a file name"):
        check_file_path(places["folder"])


def test_a_write_that_fails_is_one_error_naming_the_file(places):
    """A full disk, or a directory under the file's name, ended the command in a traceback."""
    taken = places["folder"] / "forecasts.csv"
    taken.mkdir()
    with pytest.raises(OutputError, match=f"^cannot write {taken}: Is a directory; the files"):
        store.write_text(taken, "x\n")
    assert [p.name for p in places["folder"].iterdir()] == ["forecasts.csv"]  # no temporary file
    below_a_file = places["file"] / "x.csv"
    with pytest.raises(OutputError, match=f"^cannot write {below_a_file}: File exists"):
        store.write_text(below_a_file, "x\n")
    assert places["file"].read_text() == "keep me\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--holdout", "2", "--min-history", "5"], "--min-history applies to --as-of only"),
        (["--target-day", "29"], "--first-days and --target-day go together"),
        # it ran as --min-history 0
        (["--as-of", "2024-08-18", "--min-history", "-3"], "at least 0, got -3"),
        (["--as-of", "11/01/2024"], "--as-of '11/01/2024' is not a date (YYYY-MM-DD)"),
        # it kept days t <= 3 and forecast day 12, though --help says months
        (["--history", "3", "--metric", "downloads"], "for downloads give --first-days F"),
        # the reverse: it kept months t <= 3 and forecast month 6, though --help says days, and
        # refitted with the 12,000 draws measured for the first days of download series
        (
            ["--first-days", "3", "--target-day", "6", "--metric", "finetunes"],
            "for finetunes give --history K",
        ),
        (["--holdout", "2", "--method", "paper,bayes", "--target-accept", "3"], "target_accept"),
        # these three were refused only after the data were read, without naming the option
        (["--history", "12"], "--history K keeps months 0 to K and forecasts month 12: K must"),
        (["--history", "0"], "K must lie from 1 to 11, got 0"),
        (["--holdout", "0"], "--holdout must be at least 1, got 0"),
        (["--first-days", "30", "--target-day", "20"], "got F = 30, T = 20"),
        # numpy's "expected non-negative integer" from the paper curve's draws, after the data
        # were read and the curves fitted
        (["--as-of", "2024-08-18", "--seed", "-1"], "the seed must lie between 0 and 2**32 - 1"),
    ],
)
def test_backtest_options_are_checked_before_the_data(args, says, places, monkeypatch, capsys):
    proc = run_main(
        "backtest",
        *args,
        "--data",
        places["data"],
        "--out",
        places["folder"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert "no-data" not in assert_one_line_error(proc, says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--day", "10"], "days to report must come after the cut at day 20, not 10"),
        (["--draws", "0"], "draws and chains must be >= 1"),
        (["--seed", "-1"], "the seed must lie between 0 and 2**32 - 1"),
    ],
)
def test_deepseek_options_are_checked_before_the_data(args, says, places, monkeypatch, capsys):
    """They failed after the data were read, on the study's days or at the fit."""
    args = ["deepseek", *args, "--data", places["data"], "--out", places["folder"]]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert "no-data" not in assert_one_line_error(proc, says)


@pytest.mark.parametrize(
    ("args", "option"),
    [(["run", "--horizon", "0"], "--horizon"), (["deepseek", "--samples", "0"], "--samples")],
)
def test_forecast_options_of_a_fitting_command_are_checked_before_the_fit(
    args, option, places, monkeypatch, capsys
):
    """Checked only by the forecast, they failed after the data were read and the fit was run."""
    out = places["folder"] / "out"
    proc = run_main(
        *args, "--data", places["data"], "--out", out, monkeypatch=monkeypatch, capsys=capsys
    )
    assert proc.returncode == 2, proc.stderr
    assert f"Invalid value for '{option}'" in proc.stderr
    assert "no-data" not in proc.stderr and not out.exists()


def test_run_refuses_a_forecast_too_large_to_hold_before_the_fit(tmp_path, monkeypatch, capsys):
    """The forecast's size was checked only by the forecast, after a fit of up to 15 minutes
    (830 download series × two years of days × 1,000 samples is too large)."""

    def sampled(*args, **kwargs):
        raise AssertionError("the fit was run before the forecast's size was checked")

    monkeypatch.setattr("bayesgrowth.fitting.fit", sampled)
    data = default_snapshot(tmp_path / "snap")
    out = tmp_path / "latest"
    args = ["run", "--data", data, "--draws", "300", "--horizon", "1000000", "--out", out]
    proc = run_main(*args, monkeypatch=monkeypatch, capsys=capsys)
    assert_one_line_error(proc, "a forecast of 2 series × 1,000,000 steps × 600 samples holds")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("top", ["0", "-3"])
def test_paper_table_needs_at_least_one_model(top, places, monkeypatch, capsys):
    # -3 took every series but the last three (head(-3)), a fit of 3,900 series; 0 failed on an
    # empty selection with a message about organisations
    args = ["paper-table", "--top", top, "--data", places["data"]]
    proc = run_main(
        *args, "--out", places["folder"] / "t.csv", monkeypatch=monkeypatch, capsys=capsys
    )
    assert "no-data" not in assert_one_line_error(proc, f"--top must be at least 1, got {top}")


@pytest.mark.parametrize("m", ["0", "-1", "nan", "inf"])
def test_the_baseline_scale_must_be_positive(m, places, monkeypatch, capsys):
    # -1 fitted 87% of the series "ok" with a negative curve, 0 left every one stuck-at-start
    args = ["baseline", "--m", m, "--data", places["data"]]
    proc = run_main(
        *args, "--out", places["folder"] / "b.csv", monkeypatch=monkeypatch, capsys=capsys
    )
    assert "no-data" not in assert_one_line_error(
        proc, "--m, the curve's scale, must be a positive number, not"
    )


@pytest.mark.parametrize(("option", "value"), [("--horizon", "0"), ("--samples", "-5")])
def test_forecast_checks_its_horizon_and_samples_before_opening_the_fit(
    option, value, places, monkeypatch, capsys
):
    """They were checked after the fit was read (the DeepSeek fit is 884 MB)."""
    args = ["forecast", "--fit", places["data"] / "fit.nc", "--out", places["folder"] / "f.csv"]
    proc = run_main(*args, option, value, monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 2, proc.stderr
    assert f"Invalid value for '{option}'" in proc.stderr and "no fit at" not in proc.stderr


def test_release_batch_without_a_new_model_is_a_usage_error(places, monkeypatch, capsys):
    args = ["forecast", "--fit", places["data"] / "fit.nc", "--out", places["folder"] / "f.csv"]
    proc = run_main(*args, "--release-batch", "3", monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 2
    assert "--release-batch" in proc.stderr and "goes with --new-model-of" in proc.stderr


def test_an_interrupted_command_says_so_and_exits_130(places, monkeypatch, capsys):
    """Typer turns Ctrl-C into a returned code, which was dropped: the command exited 0, silent."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("bayesgrowth.cli.data_cmd.load_panel", interrupted)
    proc = run_main("data", "summary", monkeypatch=monkeypatch, capsys=capsys)
    assert proc.returncode == 130
    assert proc.stderr.startswith("interrupted: each file written before it is complete")
    assert "Traceback" not in proc.stderr


def test_a_terminated_command_removes_its_temporary_file_and_exits_143(
    tmp_path, monkeypatch, capsys
):
    """SIGTERM (kill, timeout) ended Python at once, leaving the hidden temporary file of the
    result being written; it now stops the command as Ctrl-C does."""

    def not_handled(signum, frame):
        raise RuntimeError("SIGTERM reached the default handler")

    original = signal.signal(signal.SIGTERM, not_handled)  # a stand-in for dying at once

    def terminated_while_writing(*args, **kwargs):
        def write(fh):
            fh.write("half a table")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts this

        store._atomic(tmp_path / "out" / "table.csv", write)

    monkeypatch.setattr("bayesgrowth.cli.data_cmd.load_panel", terminated_while_writing)
    try:
        proc = run_main("data", "summary", monkeypatch=monkeypatch, capsys=capsys)
        assert signal.getsignal(signal.SIGTERM) is not_handled, "the handler was not restored"
    finally:
        signal.signal(signal.SIGTERM, original)
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr.startswith("terminated: each file written before it is complete")
    assert list((tmp_path / "out").iterdir()) == []


def test_the_benchmark_offers_no_shell_completion_to_install():
    """As ``bayesgrowth`` itself. Run as ``python -m …``, Typer's bash script was broken (it runs
    ``_PYTHON _M BAYESGROWTH.BENCHMARK_COMPLETE=…``) and took over the completion of ``python``."""
    from typer.testing import CliRunner

    from bayesgrowth import benchmark

    shown = CliRunner().invoke(benchmark.app, ["--help"])
    assert shown.exit_code == 0, shown.output
    assert "Benchmarks (figures printed" in shown.output
    assert "completion" not in shown.output
