"""The small synthetic panel (drawn from the model itself, labelled synthetic) and the fit of it
that the model tests share; :mod:`conftest` makes them the ``synthetic`` and ``fitted``
fixtures, fitted once per test session."""

from __future__ import annotations

import numpy as np

import bayesgrowth
from bayesgrowth.synthetic import SyntheticTruth, synthetic_panel

DRAWS = dict(draws=250, tune=250, chains=2)
PAUSE = (-2.0, 1.0)
"""The pause term's (intercept, slope) the panel is drawn with."""


def draw_synthetic() -> tuple[bayesgrowth.Panel, SyntheticTruth]:
    """3 organisations × 8 synthetic series of 6–24 months with pauses, plus 2 dormant series each."""
    months = np.tile([6, 9, 12, 15, 18, 20, 22, 24], 3)
    return synthetic_panel(
        n_orgs=3, series_per_org=8, months=months, dormant_per_org=2, pause=PAUSE, seed=3
    )


def fit_synthetic(panel: bayesgrowth.Panel) -> bayesgrowth.GrowthFit:
    """The fine-tune model fitted to ``panel``: 2 chains × 250 draws, seed 11."""
    return bayesgrowth.fit(panel, "finetunes", seed=11, progress=False, **DRAWS)
