"""The hierarchical growth model as a PyMC graph, built from a :class:`~bayesgrowth.design.Design`.

Two parts share one graph (their likelihoods are independent, so they could be fitted apart; one
graph keeps one posterior file and one set of diagnostics):

**Curve part** (series with a count > 0). For series i of organisation o, with WSB parameters
:math:`\\log\\lambda_i, \\mu_i, \\sigma` (see :mod:`bayesgrowth.curves` for their meaning),

.. math::

    \\theta_{i} \\sim N(\\bar\\theta_{o}, s_{\\theta}), \\qquad
    \\bar\\theta_{o} \\sim N(g_{\\theta}, \\tau_{\\theta})

for :math:`\\theta \\in \\{\\log\\lambda, \\mu\\}` (organisation means centred: every
organisation has a dozen to hundreds of series, so the data fix its mean; series in the
coordinates their data identify, see :func:`build_model`), and one longevity σ shared by
every series (for downloads, σ by organisation, and organisation means and μ centred only where
the series are long enough to fix them: :meth:`~bayesgrowth.priors.Priors.for_metric`). The
increment over :math:`(t_0, t_1]` is negative binomial with mean
:math:`m\\,(c(t_1) - c(t_0)) + \\epsilon` and dispersion
:math:`\\alpha_i = \\exp(a_o + b\\, \\text{size}_i)`: per-organisation over-dispersion with a slope
on series size, because large, fast-growing series are burstier relative to their mean than
small ones. The likelihood is on increments, not cumulative counts: cumulative residuals are not
independent.

**Pause** (fine-tunes). Adoption stops: once a series has had no new fine-tune for a while it
mostly stays flat (in the snapshot, after a non-zero month 34% of the next months are zero, after
three quiet months 85%, after a year 96%), which a smooth curve cannot say — it keeps
predicting a little growth. So after a series' first non-zero increment, each increment is zero
with an extra probability
:math:`\\pi = \\text{logit}^{-1}(p_0 + p_s\\,\\text{size}_i + p_1 \\log(1 + r))`, r the number of
zero increments straight before it (small series fall quiet more easily than large ones), and
otherwise negative binomial as above. The curve is then the growth of a series while it is
adopted; a forecast continues the run r month by month.

**Recent rate**. One smooth curve through a series' whole history often misses how
fast it grows *now*: on the 2024-08-18 backtest, where the curve forecast much more growth than
the series' latest months showed, it over-forecast (median error +0.06 in log10 on series with
more than ten fine-tunes) and the three-month linear trend was nearly unbiased; where it forecast
much less, it under-forecast. So the increments of a series' last ``recent_steps`` steps have
their mean multiplied by :math:`e^{\\delta_i}`, :math:`\\delta_i \\sim N(0, s_\\delta)`
(non-centred). The forecast starts from that departure and lets it move on: at the start of
every future window of ``recent_steps`` steps it takes a step of N(0, s_δ), as large as the
departures the data show (:class:`bayesgrowth.forecast.CurveDraws`). Frozen at δ, the bands of
the largest series were too narrow: 6 months ahead of 2024-08-18, 77% of the series above 100
fine-tunes fell inside their 90% bands (randomised-PIT coverage 43% / 82% at 50% / 90%, all
series); with the walk 91% (PIT 50% / 88%), the median error unchanged within 0.001. Chosen
on the 2024-02-18 cut (PIT 36% / 81% frozen, 51% / 89% with the walk) and confirmed on
2024-08-18 (results/model-experiments.md). Series with no more than twice that window of
history have no such term (δ = 0): for them the multiplier would rescale most of the curve and
trade off with its level, which cost 55% more sampling time on the full snapshot. Their forecast
pace still walks, from 0: a young series' rate will depart from its curve as the older series'
did (in a fit with no older series, s_δ keeps its prior). Frozen at 0, the month-12 forecasts
from three months of data (``--history 3``) had a randomised-PIT coverage of 79% at 90%;
walking, 83% (sixth round of results/model-experiments.md). For downloads the window is one
weekly block: without the term, 60-day forecasts from long histories covered 55% at 90%
(:meth:`bayesgrowth.priors.Priors.for_metric`).

**Onset part** (every series while it is at zero). A series' hazard of a first count during
step k is :math:`1 - \\exp(-u\\, e^{\\eta_{ok}})`,
:math:`\\eta_{ok} = h_o + \\beta (\\log k - \\bar\\ell) + \\gamma (\\log b - \\bar b)`, with
centred organisation intercepts (:math:`\\bar\\ell` the mean log step at risk, so intercept
and slope do not trade off), a slope γ on the log of the series' release batch b (fine-tunes;
:class:`bayesgrowth.design.Design`, centred likewise) and a Gamma **frailty** u of mean 1 and
variance θ per series, integrated out (:func:`onset_loglik`).
This is what lets a series at 0 today take off in a forecast, and what a brand-new model gets.
The frailty says that series differ in how soon they start, so a series that has waited is
likely one of the slow ones: the survivors' hazard falls with the wait, fastest in the
organisations whose series mostly start at once. Without it (design 14), series still at zero
after 20 days in fast-starting organisations (Qwen, HuggingFace) kept their organisation's
high hazard: 6 of the 147 series at zero on day 20 of the download backtest got a median
forecast above zero, 5 of which stayed at zero; with it none do, and their 90% coverage is
unchanged (95%). Two other variants were measured and not kept (results/model-experiments.md):
slopes by organisation read calendar bursts of first downloads late in the window as rising
hazards (36% of those 147 series off by more than 2×, against 26%); a share of series that
never start (a cure fraction) made waiting at zero evidence against ever starting, and its 90%
bands then excluded any start for 62 of those series, though 22% of them started within nine
days (90% coverage 82% on them, 84% overall).

The release batch (fourteenth round of results/model-experiments.md) was chosen on the onset part
alone, fitted to the 2024-02-18 cut and scored on the series then at zero (did they get a first
fine-tune by 2025-02-18?): without it 188.5 first fine-tunes were expected where 146 happened,
100.8 of them among 1,026 series three to five months old, 935 of which Meta released in a few
months (78 expected, 32 happened); with it 138.1, 48.2 and 28.4, γ ≈ −0.72 per unit of log
batch, and the mean log loss fell from 0.262 to 0.234. On 2024-08-18 (scored in the same
session, so not a clean hold-out) it fell from 0.234 to 0.213, though the total expected there
moved from 149 to 122 against 152 that happened: the older series at zero, already
under-forecast, are more so. In the package's backtests (results/backtest-young) the CRPS of
the series at zero fell by 4% and 5% on the two cuts. On the full snapshot γ is −0.89 (90%
−0.99 to −0.80): the hazard falls to about half per doubling of the batch.

Priors (months, m = 1; reasons in :class:`bayesgrowth.priors.Priors`) are weakly informative on the scale of the data.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesgrowth.design import Design
from bayesgrowth.priors import Priors, checked_priors

INCREMENT_FLOOR = 1e-4
"""Added to every expected increment so a count far in the curve's tail has finite likelihood."""

FIXED_START = {
    "finetunes": ("log_level",),
    "downloads": ("log_level", "u_mu", "u_log_sigma", "disp_org", "disp_size"),
}
"""Free variables whose chains start at the model's initial point, by metric; every other free
variable starts jittered by U(−1, 1) on its unconstrained scale, so that R-hat compares chains
from different places (:func:`bayesgrowth.fitting.fit`).

* ``log_level`` (both metrics): its initial value is the data's, log log(1 + count); ±1 there
  starts a series of 10^8 downloads at e^50, where a chain's step size collapsed to 10^-13 on
  the full download snapshot (results/model-experiments.md, fourth round).
* Downloads also start dispersion (``disp_org``, ``disp_size``) and the organisation means (or
  offsets) of μ and log σ (``u_mu``, ``u_log_sigma``) unjittered. Weekly increments of up to
  millions of downloads make the log density about 3·10^11 and pin these quantities to a few
  hundredths, so ±1 (a factor e on σ, or on α per unit of centred log size) puts a start far
  below the posterior: on the full snapshot, of 40 jittered starts the median was 6·10^7 below
  the log density where the chains end up, 7 were more than 10^9 below and the worst 6·10^10.
  Seed 2 drew a start 2·10^10 below, with gradients of 10^11 (organisation σ, the size slope):
  its step size fell to 10^-8 within ten draws and it crawled at tree depth 10, 145 tuning
  draws in 7 minutes, while the other chain finished in under two. With these four unjittered,
  60 starts were at most 4·10^8 below (median 5·10^5), and seeds 0 to 4 of 2 × 300 draws
  each finished in 1 to 2 minutes (results/model-experiments.md, twelfth round). Fine-tune
  counts are thousands, not millions: the log density is about 1.4·10^6 and jittered starts
  were at most 10^6 below it, so their starts are unchanged.
* Elements that no data inform start jittered all the same: those of an organisation whose
  series are all still at zero, the size slope where every active series has the same size,
  every element in a fit without increments. Unjittered, they sit at their prior's mode, where
  the gradient is exactly 0, and nutpie refuses to start there
  (:func:`bayesgrowth.fitting._start_overrides`).
"""


def negative_binomial_loglik(
    y: np.ndarray,
    mean: pt.TensorVariable,
    alpha: pt.TensorVariable,
    logit_pause: pt.TensorVariable | None = None,
    pausable: np.ndarray | None = None,
) -> pt.TensorVariable:
    """Sum of negative-binomial log-likelihoods (mean, dispersion α; variance m + m²/α), with an
    optional pause: a zero-inflation of probability :math:`\\text{logit}^{-1}(x)` on the rows
    marked ``pausable``.

    The constant −log y! is left out. Zero counts, most of the data, take the short form
    α·log(α/(α+m)) without log-gamma calls; PyMC's own NegativeBinomial computes the full form
    and its checks for every cell, at about twice the cost per gradient.
    """
    zero = y == 0
    pausable = np.zeros(len(y), bool) if pausable is None or logit_pause is None else pausable
    out = 0.0
    if zero.any():
        rows = np.flatnonzero(zero)
        a0 = alpha[rows]
        log_p0 = a0 * (pt.log(a0) - pt.log(a0 + mean[rows]))
        paused = np.flatnonzero(pausable[rows])
        if len(paused):
            x = logit_pause[rows[paused]]
            log_p0 = pt.set_subtensor(
                log_p0[paused], pt.logaddexp(-pt.softplus(-x), -pt.softplus(x) + log_p0[paused])
            )
        out = out + log_p0.sum()
    if (~zero).any():
        pos = np.flatnonzero(~zero)
        yp, a1, m1 = y[pos], alpha[pos], mean[pos]
        log_am = pt.log(a1 + m1)
        out = (
            out
            + (
                pt.gammaln(yp + a1)
                - pt.gammaln(a1)
                + a1 * (pt.log(a1) - log_am)
                + yp * (pt.log(m1) - log_am)
            ).sum()
        )
        live = pos[pausable[pos]]
        if len(live):
            out = out - pt.softplus(logit_pause[live]).sum()
    return out


def partly_centred(
    name: str,
    mean: pt.TensorVariable,
    scale: pt.TensorVariable,
    centred: np.ndarray,
    dims: str,
) -> pt.TensorVariable:
    """A normal ``N(mean, scale)`` per element, sampled centred where ``centred`` is 1 and
    non-centred where it is 0.

    The free variable is :math:`x \\sim N(c\\,\\text{mean}, \\text{scale}^{c})` and the value
    :math:`\\text{mean} + \\text{scale}^{1-c}(x - c\\,\\text{mean})`, which is
    :math:`N(\\text{mean}, \\text{scale})` for either c (the partially non-centred form of
    Papaspiliopoulos, Roberts & Sköld 2007 with weights 0 or 1). Centred suits elements the data
    pin down, non-centred those left to the prior.
    """
    raw = pm.Normal(name, centred * mean, scale**centred, dims=dims)
    return mean + scale ** (1.0 - centred) * (raw - centred * mean)


def _organisation_means(
    name: str, loc: tuple[float, float], spread: float, centred: np.ndarray
) -> pt.TensorVariable:
    """Organisation means ``org_<name>`` around a global mean ``g_<name>`` with spread
    ``tau_<name>``, through the free ``u_<name>``: centred for the organisations marked in
    ``centred`` (their data fix the mean), non-centred for the others (see
    :meth:`~bayesgrowth.priors.Priors.for_metric`)."""
    g = pm.Normal(f"g_{name}", *loc)
    tau = pm.HalfNormal(f"tau_{name}", spread)
    return pm.Deterministic(
        f"org_{name}",
        partly_centred(f"u_{name}", g, tau, centred, "organization"),
        dims="organization",
    )


def _nodes(series: np.ndarray, t0: np.ndarray, t1: np.ndarray):
    """Distinct (series, time) points of the increments, and each increment's start/end node."""
    keys = np.concatenate([np.stack([series, t0], 1), np.stack([series, t1], 1)])
    nodes, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return nodes[:, 0].astype(int), nodes[:, 1], inverse[: len(t0)], inverse[len(t0) :]


def _series_log_lam(
    design: Design, org_log_lam, spread, log_phi_ref, min_increments: int
) -> pt.TensorVariable:
    r"""Each active series' log λ, from the coordinate its data identify best.

    A series with at least ``min_increments`` increments that has grown since its start is
    sampled by its log-level at its last observation, ``log_level`` (:func:`build_model`), and
    log λ = log_level − log Φ(z_r); its hierarchical prior enters as a potential. A monthly
    fine-tune series with a single increment tells its level through one over-dispersed count,
    and where every series is like that (``--history 1``) the spread of λ between series and the
    over-dispersion explain the same variation: sampled by their levels, those series made a
    funnel with the series spread of log λ (2,374 divergences, R-hat 1.71 on it, in 2 × 8,000
    draws). Their log λ is sampled non-centred instead, log λ = organisation mean +
    s·``z_log_lam``, like their μ (0 divergences, R-hat 1.003, with the organisation means
    non-centred too and a target acceptance of 0.97; 0.99 on the eighth round's floating-point
    path: :func:`bayesgrowth.defaults.history_sampling`). A series that has not grown since its
    start (a download series counted once, or flat since) has no level to start from
    (log log(1 + 0) = −∞) and goes by the offset too.

    Parameters
    ----------
    design
        The model's design; ``inc_series`` gives each active series' number of increments.
    org_log_lam, spread
        Each active series' organisation mean of log λ, and the series spread.
    log_phi_ref
        log Φ(z_r) at each active series' last observation.
    min_increments
        Fewest increments for the log-level coordinate (:attr:`~bayesgrowth.priors.Priors.level_min_increments`).

    Returns
    -------
    pytensor.tensor.TensorVariable
        log λ per active series.
    """
    n_inc = np.bincount(design.inc_series, minlength=len(design.active))
    growth = design.last_value[design.active] - design.base_value[design.active]
    level_coordinate = (n_inc >= min_increments) & (growth > 0)
    by_level = np.flatnonzero(level_coordinate)
    by_offset = np.flatnonzero(~level_coordinate)
    log_lam = pt.zeros(len(design.active))
    if len(by_level):
        level = np.log(np.log1p(growth[by_level]))
        _subset_dim(design, "level_model", by_level)
        log_level = pm.Flat("log_level", dims="level_model", initval=level)
        log_lam = pt.set_subtensor(log_lam[by_level], log_level - log_phi_ref[by_level])
        prior = pm.logp(pm.Normal.dist(org_log_lam[by_level], spread), log_lam[by_level])
        pm.Potential("series_prior", prior.sum())
    if len(by_offset):
        _subset_dim(design, "offset_model", by_offset)
        z = pm.Normal("z_log_lam", 0.0, 1.0, dims="offset_model")
        log_lam = pt.set_subtensor(log_lam[by_offset], org_log_lam[by_offset] + spread * z)
    return log_lam


def coords_of(design: Design) -> dict[str, np.ndarray]:
    """Named dimensions of the model that every fit has: ``organization`` (the organisations)
    and ``active_model`` (the active series, each by its model id). The dimensions of subsets of
    the active series are added where their variables are made (:func:`_subset_dim`)."""
    return {
        "organization": design.organizations,
        "active_model": design.models[design.active],
    }


def _subset_dim(design: Design, name: str, rows: np.ndarray) -> None:
    """Add the dimension ``name`` to the model being built: the active series at positions
    ``rows``, each by its model id.

    A free variable over a subset of the active series gets such a dimension, so that its
    posterior and the diagnostics (:func:`bayesgrowth.diagnostics.diagnose`) name each element
    by its model, not by its position in the subset, which names no series a user can find.
    """
    pm.modelcontext(None).add_coord(name, design.models[design.active][rows])


def build_model(design: Design, priors: Priors | None = None, m: float = 1.0) -> pm.Model:
    r"""Build the PyMC model of one metric.

    Parameters
    ----------
    design
        Arrays from :func:`bayesgrowth.design.build_design`.
    priors
        Hyperpriors of the design's metric; its defaults
        (:meth:`~bayesgrowth.priors.Priors.for_metric`) when ``None``.
    m
        Curve scale m (1 as in the paper).

    Returns
    -------
    pymc.Model
        Free variables: global means ``g_*`` (``g_log_sigma`` is the shared log σ), organisation
        spreads ``tau_*`` and organisation means through ``u_log_lam``, ``u_mu`` (``u_log_sigma``
        where σ varies by organisation; each the mean itself where centred, a standard offset
        where not: :func:`partly_centred`), series spreads ``s_log_lam``, ``s_mu``; per active
        series the log-level ``log_level`` at its last observation (``z_log_lam``, a standard
        offset of log λ, for series with a single increment: :func:`_series_log_lam`) and
        ``z_mu`` for μ (likewise centred or not); dispersion ``disp_org``, ``disp_size``; pause ``pause_g``,
        ``pause_size``, ``pause_slope`` (fine-tunes); recent rate ``s_recent``, ``z_recent``
        (deterministic ``recent`` per active series); onset ``onset_g``,
        ``onset_tau``, ``onset_org``, ``onset_slope`` and ``onset_batch`` (fine-tunes),
        ``onset_frailty``.
        Deterministics ``org_log_lam``, ``org_mu``, ``org_log_sigma`` per organisation (the last
        equal to ``g_log_sigma`` where σ is shared), ``log_lam``, ``mu``, ``log_sigma`` per active
        series.
        Dimensions, each labelled: ``organization`` by organisation, ``active_model`` by model id
        (:func:`coords_of`), and the subsets of the active series, by model id too:
        ``level_model`` (the series sampled by ``log_level``), ``offset_model`` (by
        ``z_log_lam``) and ``recent_model`` (those with a recent-rate term, ``z_recent``).

    Raises
    ------
    SettingsError
        For priors that are not a :class:`~bayesgrowth.priors.Priors` or are for the other
        metric (:func:`~bayesgrowth.priors.checked_priors`).

    Notes
    -----
    Without increments (every series still at zero, or none grown since its start) the curve
    part has no likelihood: its variables keep their priors, and a series that starts in a
    forecast takes its curve from them.

    Sampling (log λ, μ, log σ) per series directly fails: over 1–34 months with σ ≈ 2–4 the
    curve behaves like a power law, so the data pin down only the level and slope near the end of
    a series and leave λ and μ on a long curved ridge (100 series: 170 leapfrog steps per draw).
    So each series is sampled in coordinates closer to what the data identify:

    * the log-level at its last observed time :math:`t_r`,
      :math:`\log G = \log(\lambda\Phi(z_r))` with :math:`z_r = (\ln t_r - \mu)/\sigma`
      (for m = 1, G = log(1 + c(t_r)), so it is fixed by the last count);
    * μ, non-centred around its organisation mean (most series have a few counts, so their
      prior, not their data, fixes μ), but centred for long, large series, whose data do
      (:class:`~bayesgrowth.priors.Priors`: ``centred_mu_span``, ``centred_mu_count``);
    * σ shared by all series: a single series cannot separate σ from μ (a free σ per series
      reproduced the ridges), and σ per organisation mixed worst of all (R-hat 1.05, ESS 87 in
      2,000 draws on the full snapshot): each organisation's σ is tied to the μ of all its
      series.

    log λ = log G − log Φ(z_r) is then a deterministic; for fixed μ and σ the map
    log G → log λ has unit Jacobian, so its hierarchical normal prior enters as a potential with
    no correction. Measured on the 812 active series of the 2024-08-18 backtest: 48 leapfrog
    steps per draw (from 170), 0 divergences. Organisation means are centred: non-centred, the
    global means and offsets traded off (ESS 46 in 1,000 draws against 81 centred). The
    organisation means of μ and log λ still mix slowly; the designs tried and their figures are
    in results/model-experiments.md.
    """
    p = checked_priors(priors, design.metric)
    org_of_active = design.series_org[design.active]
    origin = design.origin[design.active]
    t_ref = design.last_t_exact[design.active] - origin
    k = design.inc_series
    t0, t1 = design.t0 - origin[k], design.t1 - origin[k]
    with pm.Model(coords=coords_of(design)) as model:
        org_mean, spread = {}, {}
        locs = {
            "log_lam": (p.log_lam_loc, p.log_lam_scale),
            "mu": (p.mu_loc, p.mu_scale),
            "log_sigma": (p.log_sigma_loc, p.log_sigma_scale),
        }
        # How long each active series has been counted (and its organisation's median), and how
        # much it has grown: where that is much, the data fix μ and the organisation means, so
        # they are sampled centred.
        span = design.last_t_exact[design.active] - design.base_t[design.active]
        growth = design.last_value[design.active] - design.base_value[design.active]
        org_span = np.array(
            [
                np.median(span[org_of_active == o]) if (org_of_active == o).any() else 0.0
                for o in range(len(design.organizations))
            ]
        )
        names = ("log_lam", "mu", "log_sigma") if p.sigma_by_organisation else ("log_lam", "mu")
        for name in names:
            org_mean[name] = _organisation_means(
                name, locs[name], p.org_spread, (org_span >= p.centred_org_span).astype(float)
            )
        if not p.sigma_by_organisation:
            g_log_sigma = pm.Normal("g_log_sigma", *locs["log_sigma"])
            org_mean["log_sigma"] = pm.Deterministic(
                "org_log_sigma",
                g_log_sigma * pt.ones(len(design.organizations)),
                dims="organization",
            )
        spread["log_lam"] = pm.HalfNormal("s_log_lam", p.series_spread_log_lam)
        spread["mu"] = pm.HalfNormal("s_mu", p.series_spread_mu)

        log_sigma = org_mean["log_sigma"][org_of_active]
        sigma = pt.exp(log_sigma)
        mu = pm.Deterministic(
            "mu",
            partly_centred(
                "z_mu",
                org_mean["mu"][org_of_active],
                spread["mu"],
                ((span >= p.centred_mu_span) & (growth >= p.centred_mu_count)).astype(float),
                "active_model",
            ),
            dims="active_model",
        )
        # A download series counted only on its creation day (t_r = 0) has not grown, so its
        # log λ goes by the offset and never reads log Φ(z_r); at ln 0 its gradient is NaN and
        # no start could be sampled from, so a finite time stands in.
        phase = (np.log(np.where(t_ref > 0, t_ref, 1.0)) - mu) / sigma
        log_phi_ref = pm.logcdf(pm.Normal.dist(0.0, 1.0), phase)
        log_lam = pm.Deterministic(
            "log_lam",
            _series_log_lam(
                design,
                org_mean["log_lam"][org_of_active],
                spread["log_lam"],
                log_phi_ref,
                p.level_min_increments,
            ),
            dims="active_model",
        )
        pm.Deterministic("log_sigma", log_sigma, dims="active_model")

        # λΦ(z_t), once per distinct (series, time) node and then differenced: consecutive
        # increments share end points, which halves the costly normal CDF calls. Φ through one
        # erfc: the log-CDF (an erfcx, an erfc and logs on both branches of a switch, with their
        # gradients) is needed only where it is subtracted, at t_r; here it took a third of each
        # gradient (6.0 against 4.0-4.8 ms on the full snapshot). The product differs from
        # exp(log λ + log Φ) only where Φ(z_r) < 1e-308 (z_r < -37.5: μ 37σ past the series'
        # last time), where e^{log λ} overflows and the sampler counts a divergence.
        node_series, node_t, start, end = _nodes(k, t0, t1)
        growing = node_t > 0
        ns = node_series[growing]
        z = (np.log(node_t[growing]) - mu[ns]) / sigma[ns]
        g = pt.exp(log_lam[ns]) * (0.5 * pt.erfc(-z / np.sqrt(2.0)))
        a = pt.zeros(len(node_t))
        a = pt.set_subtensor(a[np.flatnonzero(growing)], g)
        a0, a1 = a[start], a[end]
        mean = m * pt.exp(a0) * pt.expm1(a1 - a0)

        if p.recent_steps > 0:
            # The rate of a series' last steps may depart from its curve; the departure persists
            # into its forecast. Only where there is a past to depart from: with twice the
            # window of history or less, the multiplier would rescale most of the curve.
            has_past = np.flatnonzero(span > 2 * p.recent_steps)
            s_recent = pm.HalfNormal("s_recent", p.recent_scale)
            _subset_dim(design, "recent_model", has_past)
            z_recent = pm.Normal("z_recent", 0.0, 1.0, dims="recent_model")
            pm.Deterministic(
                "recent",
                pt.set_subtensor(pt.zeros(len(t_ref))[has_past], s_recent * z_recent),
                dims="active_model",
            )
            # Only the late increments of those series are scaled (a gather of a few thousand
            # rows, not of every increment).
            slot = np.full(len(t_ref), -1)
            slot[has_past] = np.arange(len(has_past))
            rows = np.flatnonzero((t1 > t_ref[k] - p.recent_steps) & (slot[k] >= 0))
            factor = pt.set_subtensor(
                pt.ones(len(k))[rows], pt.exp(s_recent * z_recent[slot[k[rows]]])
            )
            mean = mean * factor

        disp_org = pm.Normal("disp_org", p.disp_loc, p.disp_scale, dims="organization")
        disp_size = pm.Normal("disp_size", 0.0, 0.5)
        alpha = pt.exp(disp_org[org_of_active] + disp_size * design.size)
        pausable = design.inc_run >= 0
        logit_pause = None
        if pausable.any():
            pause_g = pm.Normal("pause_g", p.pause_loc, p.pause_scale)
            pause_slope = pm.Normal("pause_slope", p.pause_slope_loc, 1.0)
            pause_size = pm.Normal("pause_size", 0.0, 0.5)
            logit_pause = (
                pause_g
                + pause_size * design.size[k]
                + pause_slope * np.log1p(np.maximum(design.inc_run, 0))
            )
        if len(design.inc):  # none: the curve keeps its priors (see Notes)
            pm.Potential(
                "increments",
                negative_binomial_loglik(
                    design.inc, mean + INCREMENT_FLOOR, alpha[k], logit_pause, pausable
                ),
            )

        onset_g = pm.Normal("onset_g", p.onset_loc, p.onset_scale)
        onset_tau = pm.HalfNormal("onset_tau", 1.0)
        onset_org = pm.Normal("onset_org", onset_g, onset_tau, dims="organization")
        onset_slope = _slope_or_zero("onset_slope", p.onset_slope_scale)
        onset_batch = _slope_or_zero("onset_batch", p.onset_batch_scale)
        frailty = pm.HalfNormal("onset_frailty", p.onset_frailty_scale)
        pm.Potential(
            "onsets",
            onset_loglik(design, onset_org, onset_slope, frailty, onset_batch),
        )
    return model


def _slope_or_zero(name: str, scale: float) -> pt.TensorVariable:
    """A slope ``name`` ~ N(0, ``scale``) in the model being built, or 0 where ``scale`` is 0."""
    return pm.Normal(name, 0.0, scale) if scale else pt.zeros(())


def onset_loglik(
    design: Design,
    onset_org: pt.TensorVariable,
    onset_slope: pt.TensorVariable,
    frailty: pt.TensorVariable,
    batch_slope: pt.TensorVariable,
) -> pt.TensorVariable:
    """Log-likelihood of the onset cells (organisation, step, release batch): of ``n`` series at
    zero through step k − 1, ``events`` get their first count during k.

    A series' hazard rate at step j is :math:`u\\, e^{\\eta_{oj}}`,
    :math:`\\eta_{oj} = h_o + \\beta(\\log j - \\bar\\ell) + \\gamma(\\log b - \\bar b)` for
    a series of release batch b, with a Gamma frailty u of mean 1 and variance θ; integrating u
    out, a series survives to k with probability :math:`(1 + θ H_{ok})^{-1/θ}`,
    :math:`H_{ok} = \\sum_{j \\le k} e^{\\eta_{oj}}`, and the series still at zero after k − 1
    start during k with probability
    :math:`1 - \\exp(-D_{ok})`, :math:`D_{ok} = (\\log(1 + θH_{ok}) - \\log(1 + θH_{o,k-1}))/θ`.
    A cell counts only series seen at zero at k − 1 (step 1 for most; the step after the next
    recorded zero for one after an unrecorded step), so the cells' binomial likelihood with that
    conditional chance is exact. The binomial coefficient is left out (a constant).
    """
    steps = design.onset_step.astype(int)
    if not len(steps):
        return pt.zeros(())
    j = np.arange(1, steps.max() + 1)
    base = pt.concatenate(
        [pt.zeros(1), pt.cumsum(pt.exp(onset_slope * (np.log(j) - design.onset_centre)))]
    )
    scale = pt.exp(
        onset_org[design.onset_org] + batch_slope * (design.onset_batch - design.onset_batch_centre)
    )
    h1, h0 = scale * base[steps], scale * base[steps - 1]
    gap = (pt.log1p(frailty * h1) - pt.log1p(frailty * h0)) / frailty
    events, at_risk = design.onset_events, design.onset_at_risk
    return (events * pt.log(-pt.expm1(-gap)) - (at_risk - events) * gap).sum()
