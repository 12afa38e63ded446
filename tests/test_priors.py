"""Prior predictive curves drawn in the order of the model, for both metrics."""

from __future__ import annotations

import numpy as np
import pytest

from bayesgrowth.priors import Priors, prior_curves


@pytest.mark.parametrize("metric", ["finetunes", "downloads"])
def test_prior_curves_are_cumulative(metric):
    t = np.arange(1.0, 37.0)
    curves = prior_curves(Priors.for_metric(metric), t, n=300, seed=1)
    assert curves.shape == (300, 36)
    finite = np.isfinite(curves).all(axis=1)
    assert finite.mean() > 0.9, "only the widest prior draws may overflow"
    assert (curves[finite] >= 0).all() and (np.diff(curves[finite], axis=1) >= 0).all()
