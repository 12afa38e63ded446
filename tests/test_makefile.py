"""The Makefile's choice of data directory and of interpreter, read by running its own recipes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).parents[1] / "Makefile"

requires_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make not installed")


def exported_data(repo: Path, env: dict[str, str]) -> str:
    """``BAYESGROWTH_DATA`` as a recipe of the Makefile in ``repo`` sees it."""
    shutil.copy(MAKEFILE, repo / "Makefile")
    show = 'showdata: ; @printf "%s" "$$BAYESGROWTH_DATA"'
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval", show, "showdata"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@requires_make
def test_the_shared_snapshot_is_exported_as_an_absolute_path(tmp_path):
    """A relative ``../shared/...`` broke every test that changes directory (the notebook's)."""
    repo = tmp_path / "clone"
    repo.mkdir()
    shared = tmp_path / "shared" / "data" / "hf-paper-2025-02-18"
    shared.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "BAYESGROWTH_DATA"}
    assert exported_data(repo, env) == str(shared)
    # a directory given by the user is passed on as given; without either, nothing
    assert exported_data(repo, {**env, "BAYESGROWTH_DATA": "/elsewhere"}) == "/elsewhere"
    shutil.rmtree(tmp_path / "shared")
    assert exported_data(repo, env) == ""


def found_python(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The interpreter the Makefile in ``repo`` would build the environment with."""
    shutil.copy(MAKEFILE, repo / "Makefile")
    show = 'showpy: ; @py="$$($(FIND_PYTHON))" && printf "%s" "$$py"'
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval", show, "showpy"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


@requires_make
def test_an_explicit_python_is_used_or_refused_never_passed_over(tmp_path):
    """``PYTHON=python3.11 make test`` silently built the environment with another interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # a new-enough interpreter on PATH that the search would pick
    (bin_dir / "python3.14").symlink_to(sys.executable)
    old = bin_dir / "python3.11"
    old.write_text('#!/bin/sh\ncase "$2" in *print*) echo "Python 3.11.7" ;; *) exit 1 ;; esac\n')
    old.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    repo = tmp_path / "clone"
    repo.mkdir()

    refused = found_python(repo, {**env, "PYTHON": "python3.11"})
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert "PYTHON=python3.11 is Python 3.11.7" in refused.stderr
    assert "needs Python >= 3.12" in refused.stderr

    missing = found_python(repo, {**env, "PYTHON": "python3.99"})
    assert missing.returncode != 0
    assert "PYTHON=python3.99 is not a Python that runs" in missing.stderr

    chosen = found_python(repo, {**env, "PYTHON": sys.executable})
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == sys.executable

    searched = found_python(repo, {k: v for k, v in env.items() if k != "PYTHON"})
    assert searched.returncode == 0, searched.stderr
    assert searched.stdout == "python3.14"
