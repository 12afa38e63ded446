"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest
from synthfit import draw_synthetic, fit_synthetic


@pytest.fixture(scope="session")
def synthetic():
    """The synthetic panel of :func:`synthfit.draw_synthetic` and its true parameters."""
    return draw_synthetic()


@pytest.fixture(scope="session")
def fitted(synthetic):
    """The fit of the synthetic panel (:func:`synthfit.fit_synthetic`)."""
    panel, _ = synthetic
    return fit_synthetic(panel)
