"""The Makefile's choice of data directory, read from the variables it exports to its recipes."""

from __future__ import annotations

import os
import shutil
import subprocess
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
