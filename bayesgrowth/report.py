"""Tables that put the model's posterior beside the paper's own estimates."""

from __future__ import annotations

import pandas as pd

from bayesgrowth.baseline import EXTREME_LAMBDA, EXTREME_SIGMA


def extreme_paper_fits(parameters: pd.DataFrame) -> pd.DataFrame:
    """The series whose published curve fit is extreme (λ > 100 or σ > 20), beside our posterior.

    Parameters
    ----------
    parameters
        Output of :meth:`bayesgrowth.result.GrowthFit.parameters` (with the ``paper_*`` columns).

    Returns
    -------
    pandas.DataFrame
        One row per such series: the paper's λ, μ (years axis) and the same μ on our months axis
        (``paper_mu_months`` = μ + ln 12), σ, our posterior medians and 90% intervals (months
        axis), and ``still_extreme`` (our median λ > 100 or σ > 20).
    """
    if "paper_lambda" not in parameters:
        raise ValueError("the fit carries no paper estimates (the data had no lambda_i column)")
    extreme = (parameters["paper_lambda"] > EXTREME_LAMBDA) | (
        parameters["paper_sigma"] > EXTREME_SIGMA
    )
    cols = [
        "model",
        "organization",
        "last_value",
        "status",
        "paper_lambda",
        "paper_mu",
        "paper_mu_months",
        "paper_sigma",
        "lambda_median",
        "lambda_q05",
        "lambda_q95",
        "mu_median",
        "mu_q05",
        "mu_q95",
        "sigma_median",
        "sigma_q05",
        "sigma_q95",
    ]
    table = parameters.loc[extreme, cols].copy()
    table["still_extreme"] = (table["lambda_median"] > EXTREME_LAMBDA) | (
        table["sigma_median"] > EXTREME_SIGMA
    )
    return table.sort_values("last_value", ascending=False, ignore_index=True)
