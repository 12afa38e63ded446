"""Fitting: build the model from a panel, sample it, and wrap the posterior in a :class:`GrowthFit`."""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import xarray as xr
from pymc.initial_point import make_initial_point_fn

from bayesgrowth import defaults
from bayesgrowth.design import build_design
from bayesgrowth.diagnostics import diagnose
from bayesgrowth.errors import SamplingError, SettingsError
from bayesgrowth.forecasters import Forecast
from bayesgrowth.model import FIXED_START, build_model
from bayesgrowth.panel import Panel
from bayesgrowth.priors import Priors, checked_priors
from bayesgrowth.result import GrowthFit, check_whole

SAMPLERS = ("nutpie", "pymc", "numpyro")


@dataclass(frozen=True)
class SamplerSettings:
    """How the posterior is sampled; stored in every saved fit.

    Attributes
    ----------
    draws, tune, chains
        Kept draws and tuning steps per chain, and the number of chains (nutpie needs tune >= 1).
    seed
        Seeds the sampler and, unless overridden, the forecast simulation: a whole number from 0
        to 2**32 - 1 (nutpie and numpy refuse a negative one).
    sampler
        ``nutpie`` (default: compiled with numba, about twice as fast per iteration here as
        PyMC's own NUTS), ``pymc`` or ``numpyro`` (needs JAX). All three start the chains alike
        (:func:`jittered_variables`): a start jittered everywhere can strand a chain of a
        download fit (:data:`bayesgrowth.model.FIXED_START`).
    target_accept
        NUTS target acceptance; raised from 0.8 because the curve part has tight regions. At 0.8
        the full fine-tune fit ran in 526 s instead of 903 s but reached only ESS 251 and R-hat
        1.016: about the same effective draws per second (results/model-experiments.md).
        Fits on the first months of fine-tune series use 0.97, or 0.99 on one or two months
        (:func:`~bayesgrowth.defaults.history_sampling`).
    """

    draws: int = defaults.DRAWS
    tune: int = defaults.TUNE
    chains: int = 2
    seed: int = 0
    sampler: str = "nutpie"
    target_accept: float = defaults.TARGET_ACCEPT

    def __post_init__(self) -> None:
        for name in ("draws", "tune", "chains", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral):
                # nutpie raised a TypeError on a fractional seed only after the model compiled.
                raise SamplingError(f"{name} must be a whole number, not {value!r}")
        if self.sampler not in SAMPLERS:
            raise SamplingError(
                f"unknown sampler {self.sampler!r}; choose one of {', '.join(SAMPLERS)}"
            )
        if min(self.draws, self.chains) < 1 or self.tune < 0:
            raise SamplingError("draws and chains must be >= 1 and tune >= 0")
        if self.sampler == "nutpie" and self.tune == 0:  # nuts-rs panics in its adaptation
            raise SamplingError("nutpie needs at least 1 tuning step; for none, --sampler pymc")
        defaults.check_seed(self.seed)
        if not (isinstance(self.target_accept, Real) and 0 < self.target_accept < 1):
            raise SamplingError(
                f"target_accept must lie strictly between 0 and 1, not {self.target_accept!r}"
            )


@dataclass(frozen=True)
class FitConfig:
    """Everything that determines a fit besides the data: stored in the saved file and checked.

    ``priors=None`` stands for the metric's own (:meth:`Priors.for_metric`); priors of the other
    metric, or anything but a :class:`Priors`, are refused (:func:`checked_priors`).
    """

    metric: str = "finetunes"
    m: float = 1.0
    priors: Priors = field(default_factory=Priors)
    sampler: SamplerSettings = field(default_factory=SamplerSettings)

    def __post_init__(self) -> None:
        if not (isinstance(self.m, Real) and 0 < self.m < math.inf):
            raise SettingsError(
                f"the curve scale m must be a positive finite number, not {self.m!r}"
            )
        # None is the metric's own priors, kept as such: the config is what a saved fit records.
        object.__setattr__(self, "priors", checked_priors(self.priors, self.metric))

    def to_dict(self) -> dict:
        """Plain nested dict (JSON-serialisable): a numpy number given as a setting (a seed
        from ``np.arange``, a prior read from an array) becomes the Python number it equals."""
        return asdict(
            self,
            dict_factory=lambda items: {
                k: v.item() if isinstance(v, np.generic) else v for k, v in items
            },
        )

    @classmethod
    def from_dict(cls, d: dict) -> FitConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            metric=d["metric"],
            m=float(d["m"]),
            # Fits saved before priors named their metric had the metric's own priors.
            priors=Priors(**{"metric": d["metric"], **d["priors"]}),
            sampler=SamplerSettings(**d["sampler"]),
        )


def data_hash(panel: Panel, metric: str) -> str:
    """sha256 of everything in the data that shapes the fit, in a stable order.

    That is every column of the observations (model, organisation, steps, dates, counts, partial
    months) and of each series its organisation, creation time and left-censoring; not where the
    rows were read from, so a copy of the data in another folder hashes the same.
    """
    metric_panel = panel.metric(metric)
    h = hashlib.sha256()
    for table in (
        metric_panel.observations,
        metric_panel.series[["model", "organization", "created_at", "left_censored"]],
    ):
        h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


def require_backend(sampler: str) -> None:
    """Check that ``sampler``'s optional backend is installed (numpyro needs JAX and numpyro).

    Raises
    ------
    SamplingError
        When it is not, saying what to install.
    """
    if sampler == "numpyro":
        try:
            import numpyro  # noqa: F401
        except ImportError:
            raise SamplingError(
                "the numpyro sampler needs JAX and numpyro: pip install 'bayesgrowth[numpyro]'"
            ) from None


def paper_estimates(panel: Panel, metric: str, models: Sequence[str]) -> pd.DataFrame | None:
    """The authors' own ``lambda_i, mu_i, sigma_i`` for ``models``, indexed by model.

    Returns
    -------
    pandas.DataFrame or None
        ``None`` where there are none to compare with: the snapshot's fits are of the
        fine-tune series only (months axis, μ in years), never of downloads.
    """
    paper = panel.paper_fits
    if metric != "finetunes" or paper.empty:
        return None
    return paper.set_index("model")[["lambda_i", "mu_i", "sigma_i"]].reindex(models)


def jittered_variables(model: pm.Model, metric: str) -> set:
    """The free variables of ``model`` whose chains start jittered, with every sampler.

    Parameters
    ----------
    model
        A model from :func:`bayesgrowth.model.build_model`.
    metric
        Its metric: the variables of :data:`bayesgrowth.model.FIXED_START` for it start at the
        model's initial point in every chain, but for their elements that no data inform
        (:func:`_start_overrides`).

    Returns
    -------
    set
        Random variables of ``model``, to be started with a U(-1, 1) jitter on their
        unconstrained scale.
    """
    return {rv for rv in model.free_RVs if rv.name not in FIXED_START[metric]}


def _start_overrides(model: pm.Model, metric: str) -> dict:
    """Starts of the fixed-start variables that jitter the elements no data inform.

    An element of a variable of :data:`bayesgrowth.model.FIXED_START` that no data inform (the
    dispersion and the means of μ and log σ of an organisation whose series are all still at
    zero, the size slope of the dispersion where every active series has the same size) starts
    at its prior's mode, where the gradient of the log density is exactly 0; nutpie refuses such
    a start ("Invalid initial point": its first mass matrix is set from the gradient). Those
    elements, found by that zero gradient at a start jittered like a chain's, start jittered by
    U(−1, 1) as the free variables outside ``FIXED_START`` do, and the other elements of their
    variable at the model's initial point (a centred organisation mean there, not at the
    jittered global mean it otherwise starts from). A fit in which every element is informed,
    such as the full snapshot's, starts as before.

    Parameters
    ----------
    model, metric
        As for :func:`jittered_variables`.

    Returns
    -------
    dict
        Random variable -> its starting value, a PyTensor expression with its own random jitter
        (drawn afresh for each chain from the chain's seed), for PyMC's and nutpie's initial-point
        overrides; empty when every element is informed. The fixed-start variables are
        real-valued (no transform), so the jitter is on their own scale.
    """
    fixed = [rv for rv in model.free_RVs if rv.name in FIXED_START[metric]]
    if not fixed:
        return {}
    # The gradient at a start like a chain's: at the unjittered initial point a centred
    # organisation mean and the series around it sit at each other's modes, and their gradient
    # is 0 however much data there is.
    start = make_initial_point_fn(model=model, jitter_rvs=jittered_variables(model, metric))(0)
    # The Python linker: one evaluation, without compiling the whole log density to C.
    gradient = model.compile_dlogp(fixed, mode="FAST_COMPILE")(start)
    initial = model.initial_point()
    sizes = [initial[rv.name].size for rv in fixed]
    overrides = {}
    for rv, grad in zip(fixed, np.split(gradient, np.cumsum(sizes)[:-1]), strict=True):
        uninformed = (grad == 0).reshape(initial[rv.name].shape)
        if uninformed.any():
            jitter = pm.Uniform.dist(-1.0, 1.0, shape=uninformed.shape)
            overrides[rv] = initial[rv.name] + np.where(uninformed, 1.0, 0.0) * jitter
    return overrides


def chain_starts(model: pm.Model, metric: str, chains: int, seed: int) -> list[dict]:
    """One starting point per chain for the samplers driven through PyMC (``pymc``, ``numpyro``).

    Parameters
    ----------
    model, metric
        As for :func:`jittered_variables`, which says which variables are jittered, and
        :func:`_start_overrides`, which elements of the others (nutpie is given the same and
        jitters them itself).
    chains, seed
        Number of chains, and the seed their jitter is drawn from.

    Returns
    -------
    list of dict
        Per chain, the value of every free variable on its constrained scale (PyMC's
        ``initvals``).
    """
    start = make_initial_point_fn(
        model=model,
        overrides=_start_overrides(model, metric),
        jitter_rvs=jittered_variables(model, metric),
        return_transformed=False,
    )
    return [start(int(c)) for c in np.random.default_rng(seed).integers(2**31, size=chains)]


def _sample(model: pm.Model, metric: str, s: SamplerSettings, progress: bool) -> xr.DataTree:
    cores = min(s.chains, os.cpu_count() or 1)
    if s.sampler == "nutpie":
        import nutpie

        # Compiled without numba's fast-math, which lets LLVM reorder and fuse floating-point
        # operations differently in code compiled afresh and in the same code loaded from
        # pytensor's cache: the first fit of a new panel (or after an install or a cleared cache)
        # then differed from later ones in the last bits of the log density, and a long fit
        # turned that into other draws. Strict floating point gives one log density whatever the
        # cache holds, at the same speed (0.83 against 0.81 ms per gradient on 2,301 series).
        with pytensor.config.change_flags(numba__fastmath=False):
            compiled = nutpie.compile_pymc_model(
                model,
                jitter_rvs=jittered_variables(model, metric),
                initial_points=_start_overrides(model, metric),
            )
        try:
            return nutpie.sample(
                compiled,
                draws=s.draws,
                tune=s.tune,
                chains=s.chains,
                cores=cores,
                seed=s.seed,
                target_accept=s.target_accept,
                progress_bar=progress,
            )
        except RuntimeError as exc:
            # nutpie's message goes on with the Rust error chain and a backtrace.
            if not str(exc).startswith("All initialization points failed"):
                raise
            raise SamplingError(
                "nutpie found no start it could sample from: at each one it tried, the log "
                "density or its gradient was not finite or a gradient component was exactly 0; "
                "try another seed, or the pymc sampler (--sampler pymc)"
            ) from None
    require_backend(s.sampler)
    # PyMC's init and numpyro's would add their own jitter to every free variable: switched off.
    no_own_jitter = {"init": "adapt_diag"} if s.sampler == "pymc" else {"nuts": {"jitter": False}}
    return pm.sample(
        draws=s.draws,
        tune=s.tune,
        chains=s.chains,
        cores=cores,
        random_seed=s.seed,
        progressbar=progress,
        target_accept=s.target_accept,
        nuts_sampler=s.sampler,
        model=model,
        compute_convergence_checks=False,
        initvals=chain_starts(model, metric, s.chains, s.seed),
        **no_own_jitter,
    )


def check_complete(idata: xr.DataTree, settings: SamplerSettings) -> None:
    """Re-raise the Ctrl-C that stopped a sampler, which nutpie and PyMC catch themselves.

    They return the draws made so far instead (nutpie padding the shorter chains with NaN), which
    would otherwise be diagnosed, forecast from and saved as if they were the whole fit.

    Parameters
    ----------
    idata
        What the sampler returned: ``posterior`` and ``sample_stats``.
    settings
        The settings it was run with.

    Raises
    ------
    KeyboardInterrupt
        When fewer than ``settings.chains × settings.draws`` draws were made: a draw is made when
        its log density (``logp``, or PyMC's ``lp``) was recorded, a finite number.
    """
    post = idata["posterior"]
    stats = idata["sample_stats"].to_dataset()
    logp = next((stats[k] for k in ("logp", "lp") if k in stats), None)
    made = (
        int(np.isfinite(logp).sum())
        if logp is not None
        else post.sizes["chain"] * post.sizes["draw"]
    )
    wanted = settings.chains * settings.draws
    if made < wanted:
        raise KeyboardInterrupt(
            f"sampling was stopped after {made:,} of {wanted:,} draws: no fit is returned"
        )


def fit(
    panel: Panel,
    metric: str = "finetunes",
    *,
    draws: int = defaults.DRAWS,
    tune: int = defaults.TUNE,
    chains: int = 2,
    seed: int = 0,
    sampler: str = "nutpie",
    target_accept: float = defaults.TARGET_ACCEPT,
    priors: Priors | None = None,
    m: float = 1.0,
    progress: bool = True,
) -> GrowthFit:
    """Fit the hierarchical growth model to one metric of a panel.

    Parameters
    ----------
    panel
        Validated panel (from :func:`bayesgrowth.load_panel`, possibly subset or truncated).
    metric
        ``finetunes`` or ``downloads``.
    draws, tune, chains, seed, sampler, target_accept
        Sampler settings, see :class:`SamplerSettings`.
    priors
        Hyperpriors, see :class:`bayesgrowth.priors.Priors`; default ``Priors.for_metric(metric)``.
        To change some, start from those: ``dataclasses.replace(Priors.for_metric("downloads"),
        mu_loc=3.5)`` (priors made for the other metric are refused).
    m
        Curve scale (1 as in the paper), a positive number.
    progress
        Show the sampler's progress bar.

    Returns
    -------
    GrowthFit
        Posterior, design, configuration and diagnostics. Problems (divergences, R-hat > 1.01,
        bulk or tail ESS < 400, draws at the maximum tree depth) are printed to stderr and kept
        in :meth:`GrowthFit.diagnostics`.

    Raises
    ------
    SettingsError
        For priors that are not a :class:`Priors` or are of the other metric, or a curve scale
        that is not positive, before sampling.
    SamplingError
        For sampler settings out of range (see :class:`SamplerSettings`).
    KeyboardInterrupt
        When sampling was stopped (Ctrl-C) before every draw was made (:func:`check_complete`).
    """
    config = FitConfig(
        metric=metric,
        m=m,
        priors=priors,
        sampler=SamplerSettings(
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            sampler=sampler,
            target_accept=target_accept,
        ),
    )
    design = build_design(panel, metric)
    model = build_model(design, config.priors, config.m)
    start = time.perf_counter()
    idata = _sample(model, metric, config.sampler, progress)
    wall = time.perf_counter() - start
    check_complete(idata, config.sampler)
    diagnostics = diagnose(idata, wall)
    for problem in diagnostics.problems():
        print(f"WARNING: {problem}", file=sys.stderr)
    paper = paper_estimates(panel, metric, design.models)
    return GrowthFit(
        idata=idata,
        design=design,
        config=config,
        data_hash=data_hash(panel, metric),
        diagnostics=diagnostics,
        paper_fits=paper,
    )


@dataclass
class BayesForecaster:
    """The hierarchical model as a backtest method (``--method bayes``): fit on the history,
    then draw the targets from the posterior predictive.

    Attributes
    ----------
    draws, tune, chains, sampler, target_accept
        Sampler settings for each backtest fit.
    n_samples
        Predictive draws per target.
    """

    name: str = "bayes"
    # Short enough for quick experiments and tests; ``bayesgrowth backtest`` sets the lengths
    # that meet the sampling bar for its protocol (``cli.backtest_cmd.protocol_sampling``).
    draws: int = 500
    tune: int = 500
    chains: int = 2
    sampler: str = "nutpie"
    target_accept: float = defaults.TARGET_ACCEPT
    n_samples: int = defaults.FORECAST_SAMPLES
    last_fit: GrowthFit | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Checked when the method is made, not after the other methods of a backtest have run.
        SamplerSettings(
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            sampler=self.sampler,
            target_accept=self.target_accept,
        )
        check_whole("the number of samples", self.n_samples)

    def forecast(self, history: Panel, targets: pd.DataFrame, seed: int) -> Forecast:
        """Fit on ``history`` and forecast ``targets`` (see :class:`bayesgrowth.forecasters.Forecaster`)."""
        metric = str(targets["metric"].iloc[0])
        self.last_fit = fit(
            history,
            metric,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            seed=seed,
            sampler=self.sampler,
            target_accept=self.target_accept,
            progress=False,
        )
        samples = self.last_fit.predictive(targets, n_samples=self.n_samples, seed=seed)
        # Sampling problems concern the whole fit, not single series: fit() has printed them,
        # and self.last_fit.diagnostics() keeps them.
        return Forecast.from_samples(targets, samples)
