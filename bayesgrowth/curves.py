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
    return m * np.expm1(log_growth(t, lam, mu, sigma))


def log_growth(t: ArrayLike, lam: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """:math:`\\lambda\\,\\Phi((\\ln t - \\mu)/\\sigma)`, that is ln(1 + c(t)/m); 0 at t ≤ 0.

    Finite wherever λ is, while c(t) itself overflows to inf once this passes about 709.
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        z = (np.log(np.where(t > 0, t, 1.0)) - mu) / sigma
    return lam * np.where(t > 0, ndtr(z), 0.0)


def growth_between(before: ArrayLike, after: ArrayLike, m: float = 1.0) -> np.ndarray:
    """c(t₁) − c(t₀) from the log growths at t₀ and t₁ (:func:`log_growth`), without inf − inf.

    Where both curve values are finite this is their plain difference,
    ``m * expm1(after) - m * expm1(before)``. Past float range (``after`` above about 709) it is
    computed as :math:`m\\,e^{x_1}(1 - e^{x_0 - x_1})` on the log scale: inf only where the
    increase itself overflows, 0 where the curve has stopped rising. Subtracting two overflowed
    values instead gives NaN, which a forecast would read as no growth.
    """
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        plain = m * np.expm1(after) - m * np.expm1(before)
        gap = np.minimum(before - after, 0.0)
        logged = np.exp(np.log(m) + after + np.log(-np.expm1(gap)))
    return np.where(np.isfinite(plain), plain, logged)
