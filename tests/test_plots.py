"""Figures: what each one draws and how it is labelled."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from panels import make_panel

from bayesgrowth.design import build_design
from bayesgrowth.fitting import FitConfig
from bayesgrowth.plots import plot_fit_prior_predictive, plot_forecast
from bayesgrowth.priors import prior_curves
from bayesgrowth.result import GrowthFit

matplotlib.use("Agg")


def test_a_point_forecast_is_labelled_with_its_method():
    """The docstring offers any method's point forecast; each was labelled the paper's."""
    observed = pd.DataFrame({"t": [0, 1, 2], "cumulative": [0, 3, 5]})
    quantiles = {"q05": [5, 5], "q25": [6, 7], "q50": [6, 8], "q75": [7, 9], "q95": [9, 12]}
    forecast = pd.DataFrame({"t": [3, 4], **quantiles})
    point = pd.DataFrame({"t": [3, 4], "value": [7, 9]})
    fig, ax = plot_forecast(
        observed, forecast, point=point, point_label="linear trend", metric="downloads"
    )
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == [
        "observed (fitted)",
        "90% band",
        "50% band",
        "median forecast",
        "linear trend",
    ]
    assert ax.get_xlabel() == "days since the model was created"
    _, default = plot_forecast(observed, forecast, point=point)
    assert default.get_legend().get_texts()[-1].get_text() == "paper's curve fit"
    plt.close("all")


def test_a_partial_last_month_is_drawn_where_it_was_read():
    """A count read part-way through month 2 was drawn at the end of month 2, as if the month
    had ended with it; the forecast starts at that month's end."""
    observed = pd.DataFrame({"t": [0, 1, 2], "t_exact": [0.0, 1.0, 1.4], "cumulative": [0, 3, 4]})
    quantiles = {"q05": [4, 5], "q25": [5, 6], "q50": [6, 8], "q75": [7, 9], "q95": [9, 12]}
    forecast = pd.DataFrame({"t": [2, 3], **quantiles})
    _, ax = plot_forecast(observed, forecast)
    assert ax.get_lines()[0].get_xdata().tolist() == [0.0, 1.0, 1.4]
    plt.close("all")


def test_a_fits_prior_predictive_check_draws_its_own_curve_scale():
    """A fit with curve scale m = 10 had its prior predictive bands drawn for m = 1, ten times
    too low beside its own counts; they are drawn with the fit's m."""
    design = build_design(make_panel({"org/a": [0, 40, 90], "org/b": [0, 0, 5]}))
    config = FitConfig(m=10.0)
    fit = GrowthFit(None, design, config, "hash", None)
    _, ax = plot_fit_prior_predictive(fit, 12)
    median = next(line for line in ax.get_lines() if line.get_label() == "prior median")
    t = np.arange(1.0, 13.0)
    expected = np.median(prior_curves(config.priors, t, n=2000, seed=0, m=10.0), axis=0)
    np.testing.assert_allclose(median.get_ydata(), expected)
    plt.close("all")
