"""Same seed, same posterior, in separate processes, whatever pytensor's compile cache holds."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# A fit of a small synthetic panel (drawn from the model itself), printed as one hash of every
# posterior value.
FIT_AND_HASH = """
import hashlib
import numpy as np
import bayesgrowth
from bayesgrowth.synthetic import synthetic_panel

panel, _ = synthetic_panel(n_orgs=2, series_per_org=4, months=np.full(8, 12), seed=5)
fit = bayesgrowth.fit(panel, draws=20, tune=20, chains=2, seed=7, progress=False)
post = fit.idata["posterior"]
print(hashlib.sha256(b"".join(post[v].values.tobytes() for v in sorted(post.data_vars))).hexdigest())
"""


@pytest.mark.slow
def test_first_fit_after_a_cold_compile_cache_matches_later_ones(tmp_path):
    """The first process compiles the model's operations afresh into an empty cache, the second
    loads them from it; both must give the same draws (with numba's fast-math they did not)."""
    flags = ",".join(
        filter(None, [os.environ.get("PYTENSOR_FLAGS"), f"base_compiledir={tmp_path}"])
    )
    env = {**os.environ, "PYTENSOR_FLAGS": flags}
    cold, warm = (
        subprocess.run(
            [sys.executable, "-c", FIT_AND_HASH],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
        for _ in range(2)
    )
    assert any((tmp_path / "numba").iterdir()), "the first fit left nothing in the cache"
    assert cold == warm


def test_the_stored_data_hash_tells_apart_data_that_fit_differently():
    """The saved fit's data hash changes with anything that changes the model's design: the
    organisation (which prior a series draws from) and the creation date (its release month),
    not only the counts; the same data give the same hash."""
    from panels import make_panel

    from bayesgrowth.fitting import data_hash

    counts = {"o/a": [0, 1, 3, 4], "o/b": [0, 0, 2, 2]}
    base = data_hash(make_panel(counts), "finetunes")
    assert data_hash(make_panel(counts), "finetunes") == base
    assert data_hash(make_panel(counts, organization="Other"), "finetunes") != base
    assert data_hash(make_panel(counts, created={"o/a": "2023-02-01"}), "finetunes") != base
    assert data_hash(make_panel({**counts, "o/b": [0, 0, 2, 3]}), "finetunes") != base
