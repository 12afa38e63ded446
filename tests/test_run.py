"""``bayesgrowth run``, the README's main job, end to end on a tiny crafted snapshot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from csvfiles import default_snapshot
from typer.testing import CliRunner

import bayesgrowth
from bayesgrowth import benchmark
from bayesgrowth.cli import app


@pytest.mark.slow
def test_run_writes_every_result_and_they_agree_with_the_saved_fit(tmp_path):
    data = default_snapshot(tmp_path / "snap")
    out = tmp_path / "latest"
    # An earlier run on data with the authors' estimates left this table; these data have none,
    # so the run writes no such table and must not leave the old one beside its fit.
    out.mkdir()
    (out / "extreme-paper-fits-finetunes.csv").write_text("model\nother/model\n")
    # 2 x 300 draws: more than the 500 the main job once forecast from, fewer than the 1,000 the
    # forecast command used, so a difference between the two would show.
    args = ["run", "--data", str(data), "--draws", "300", "--tune", "60", "--horizon", "3"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "diagnostics:" in result.output and f"results written to {out}/" in result.output
    # as the forecast command says it: the main job cut them to its 600 without a word
    assert (
        "the fit holds 600 posterior draws (chains × draws): the forecast simulates 600 per series, not 1,000"
        in result.output
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "diagnostics-finetunes.txt",
        "fit-finetunes.nc",
        "forecasts-finetunes.csv",
        "forecasts-finetunes.png",
        "organisations-finetunes.csv",
        "parameters-finetunes.csv",
        "prior-predictive-finetunes.png",
    ]
    forecasts = pd.read_csv(out / "forecasts-finetunes.csv")
    # every series, the never-fine-tuned acme/beta included, three steps past its last month
    assert forecasts.groupby("model")["t"].apply(list).to_dict() == {
        "acme/alpha": [4, 5, 6],
        "acme/beta": [4, 5, 6],
    }
    fit = bayesgrowth.load(out / "fit-finetunes.nc")
    pd.testing.assert_frame_equal(forecasts, fit.forecast(3), check_dtype=False, atol=1e-9)
    again = CliRunner().invoke(
        app,
        [
            "forecast",
            "--fit",
            str(out / "fit-finetunes.nc"),
            "--horizon",
            "3",
            "--out",
            str(tmp_path / "f.csv"),
        ],
    )
    assert again.exit_code == 0, again.output
    pd.testing.assert_frame_equal(forecasts, pd.read_csv(tmp_path / "f.csv"))
    for figure in ("forecasts", "prior-predictive"):
        assert (out / f"{figure}-finetunes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (out / "diagnostics-finetunes.txt").read_text()
    assert text.startswith("chains × draws: 2 × 300;") and "\ndivergences: " in text


@pytest.mark.slow
def test_the_fit_benchmark_records_the_data_it_measured(tmp_path):
    """figures.md gives the command behind its figures: without the ``--data`` it was run on, it
    named the default snapshot for figures measured on other data."""
    data = default_snapshot(tmp_path / "snap")
    out = tmp_path / "bench"
    args = ["fit", "--data", str(data), "--draws", "20", "--tune", "20", "--out", str(out)]
    result = CliRunner().invoke(benchmark.app, args)
    assert result.exit_code == 0, result.output
    assert "series: 2\n" in result.output
    command = (
        f"Command: `python -m bayesgrowth.benchmark fit --data {data} --metric finetunes "
        "--draws 20 --tune 20 --seed 0`"
    )
    assert command in (out / "figures.md").read_text()


def test_the_fit_benchmark_reports_the_repairs_of_the_data_it_loads(tmp_path, monkeypatch):
    """Like every command that fits, the benchmark says what the loader changed: it loaded
    without a word, so download days dropped before a model's creation went unmentioned."""
    import bayesgrowth.fitting

    def no_fit(*args, **kwargs):
        raise RuntimeError("not sampled: the data were loaded")

    monkeypatch.setattr(bayesgrowth.fitting, "fit", no_fit)
    data = default_snapshot(tmp_path / "snap")
    args = ["fit", "--data", str(data), "--metric", "downloads", "--out", str(tmp_path / "b")]
    result = CliRunner().invoke(benchmark.app, args)
    assert str(result.exception) == "not sampled: the data were loaded"
    note = f"data ({data}): download days before the stated creation date are dropped"
    assert note in result.stderr


def test_run_stopped_after_the_fit_names_the_files_it_completed(tmp_path, monkeypatch, fitted):
    """A full disk (or Ctrl-C) after the long fit said nothing of the fit already saved, so the
    user could only run the whole job again."""
    import errno
    import os

    import bayesgrowth.fitting

    monkeypatch.setattr(bayesgrowth.fitting, "fit", lambda *args, **kwargs: fitted)
    replace = os.replace

    def disk_full_at_parameters(src, dst):
        if Path(dst).name.startswith("parameters"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full_at_parameters)
    data = default_snapshot(tmp_path / "snap")
    out = tmp_path / "latest"
    args = ["run", "--data", str(data), "--horizon", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert "No space left on device" in str(result.exception)
    completed = "fit-finetunes.nc, forecasts-finetunes.csv, forecasts-finetunes.png, "
    completed += "prior-predictive-finetunes.png"
    assert f"written to {out}/ before it stopped: {completed}\n" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(completed.split(", "))
