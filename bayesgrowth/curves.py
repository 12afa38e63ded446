"""The Wang–Song–Barabási growth curve, as pure numpy maths.

.. math:: c(t) = m \\left(\\exp\\left(\\lambda\\, \\Phi\\left(\\frac{\\ln t - \\mu}{\\sigma}\\right)\\right) - 1\\right)

with :math:`t` the time since release (months for fine-tunes, days for downloads) and
:math:`\\Phi` the standard normal CDF.

Meaning of the parameters, in these units
-----------------------------------------
``lam`` (λ, relative fitness)
    Sets the final size: :math:`c(\\infty) = m(e^{\\lambda} - 1)`. With ``m = 1``, λ = ln(1 + c(∞)):
    a model that will end with 100 fine-tunes has λ ≈ 4.6.
``mu`` (μ, immediacy)
    Log of the time at which half of the *log-scale* growth has happened: at :math:`t = e^{\\mu}`,
    :math:`c = m(e^{\\lambda/2} - 1)`. μ = 0 puts it at 1 month (1 day for downloads); μ = 2.5 at
    about a year of months.
``sigma`` (σ, longevity)
    Spread of the growth in log-time: growth runs from about :math:`e^{\\mu - 2\\sigma}` to
    :math:`e^{\\mu + 2\\sigma}`. Large σ means slow, drawn-out growth (over 1–34 months with σ ≈ 2–4,
    the curve looks like a power law).
``m``
    Scale, fixed at 1 as in the paper.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

ArrayLike = np.ndarray | float


def cumulative(
    t: ArrayLike, lam: ArrayLike, mu: ArrayLike, sigma: ArrayLike, m: float = 1.0
) -> np.ndarray:
    """c(t) of the WSB curve; 0 at t ≤ 0. All arguments broadcast.

    Parameters
    ----------
    t
        Time since release (> 0 for growth; t ≤ 0 gives 0).
    lam, mu, sigma
        Fitness λ ≥ 0, immediacy μ, longevity σ > 0.
    m
        Scale (1 in the paper).

    Returns
    -------
    numpy.ndarray
        The cumulative count, ``m * (exp(lam * Phi((ln t - mu) / sigma)) - 1)``.
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        z = (np.log(np.where(t > 0, t, 1.0)) - mu) / sigma
    phi = np.where(t > 0, ndtr(z), 0.0)
    return m * np.expm1(lam * phi)


def final_size(lam: ArrayLike, m: float = 1.0) -> np.ndarray:
    """c(∞) = m(e^λ − 1), the count the curve saturates at."""
    return m * np.expm1(np.asarray(lam, dtype=float))
