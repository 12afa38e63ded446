"""The shipped notebook runs, cell by cell, on a saved fit of a few real series."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from csvfiles import real_data_dir, requires_real_data

import bayesgrowth

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "examine-fit.ipynb"
# The notebook's own example model, beside others of two organisations.
MODELS = [
    "meta-llama/Llama-2-7b",
    "meta-llama/Llama-2-13b",
    "meta-llama/Meta-Llama-3-8B",
    "mistralai/Mistral-7B-v0.1",
    "mistralai/Mixtral-8x7B-v0.1",
]


def code_cells(path: Path) -> list[str]:
    """The source of each code cell of a notebook, in order."""
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def run_notebook(where: Path, monkeypatch) -> dict:
    """Execute the notebook's code cells in ``where`` (a ``notebooks/`` folder) on the real data;
    the names they leave."""
    monkeypatch.chdir(where)
    monkeypatch.setenv("BAYESGROWTH_DATA", str(real_data_dir()))
    namespace: dict = {}
    for source in code_cells(NOTEBOOK):
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)
    return namespace


def save_beside_notebooks(fit, root: Path) -> Path:
    """Save ``fit`` where `make run` writes it and return the ``notebooks/`` folder beside it."""
    fit.save(root / "results" / "latest" / "fit-finetunes.nc")
    (root / "notebooks").mkdir()
    return root / "notebooks"


@pytest.fixture(scope="module")
def small_fit():
    """A short fit of ``MODELS``, shared by the tests of this module."""
    panel = bayesgrowth.load_panel(real_data_dir(), metrics=("finetunes",)).select(models=MODELS)
    return bayesgrowth.fit(panel, draws=30, tune=30, chains=2, seed=2, progress=False)


@requires_real_data
def test_examine_fit_notebook_runs_on_a_saved_fit(small_fit, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    namespace = run_notebook(save_beside_notebooks(small_fit, tmp_path), monkeypatch)

    # The sampler check covers every quantity above the series level, worst first: a list of
    # names written into the cell fell behind the model (onset_org, onset_frailty, the
    # organisation means), and those were the worst mixed of a short fit.
    posterior = small_fit.idata["posterior"]
    above_series = {
        name for name, v in posterior.data_vars.items() if v.ndim == 2 or "organization" in v.dims
    }
    summary = namespace["summary"]
    assert {label.split("[")[0] for label in summary.index} == above_series
    assert summary["r_hat"].is_monotonic_decreasing
    assert namespace["forecast"]["t"].nunique() == 12
    assert set(namespace["params"]["model"]) == set(MODELS)
    assert plt.get_fignums(), "the forecast cell drew no figure"
    plt.close("all")


@requires_real_data
def test_examine_fit_notebook_refuses_data_the_fit_was_not_made_from(
    small_fit, tmp_path, monkeypatch
):
    # A fit made from other data (`bayesgrowth run --data live`, a truncated panel) whose series
    # the notebook would draw beside counts that are not those it saw; or a fit of the same data
    # made before a change to the loader, which the message must send to a refit.
    other = copy.copy(small_fit)
    other.data_hash = "0" * 64
    with pytest.raises(
        ValueError, match=r"not those the fit was made from.*refit them \(`make run`"
    ):
        run_notebook(save_beside_notebooks(other, tmp_path), monkeypatch)
    plt.close("all")
