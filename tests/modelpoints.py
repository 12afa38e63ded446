"""Evaluating a PyMC model's variables at a chosen point, for tests of how the graph is built."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor


def evaluate_at(model: pm.Model, point: dict[str, np.ndarray], names: list[str]) -> list:
    """Values of the model variables ``names`` where the free (value) variables are ``point``."""
    outputs = model.replace_rvs_by_values([model[name] for name in names])
    evaluate = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")
    return evaluate(**{v.name: point[v.name] for v in model.value_vars})
