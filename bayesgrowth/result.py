"""A fitted model: posterior + design + configuration, with forecasts, tables and save/load.

Saved fits are netCDF (via h5netcdf) or zarr — never pickle — holding the ArviZ groups
``posterior`` and ``sample_stats``, a ``design`` group with the arrays the model was built from,
and JSON attributes with the configuration, the data hash, the package version, the versions
of Python and the numerical libraries it was sampled with, and the diagnostics
(:mod:`bayesgrowth.fitfile` writes and reads that form). A reloaded fit gives identical
forecasts for the same seed.
"""

from __future__ import annotations

import json
import os
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrowth import defaults
from bayesgrowth import forecast as fc
from bayesgrowth.design import Design
from bayesgrowth.diagnostics import Diagnostics
from bayesgrowth.errors import BayesGrowthError, UnknownModelError
from bayesgrowth.fitfile import (
    design_from_dataset,
    design_to_dataset,
    library_versions,
    read_tree,
    write_tree,
)
from bayesgrowth.posterior import PosteriorDraws

if TYPE_CHECKING:
    from bayesgrowth.fitting import FitConfig


class GrowthFit:
    """Posterior of the hierarchical growth model for one metric.

    Use :func:`bayesgrowth.fit` to create one and :func:`bayesgrowth.load` to reopen a saved one.
    ``fit.idata`` is an ArviZ-compatible :class:`xarray.DataTree`.

    Parameters
    ----------
    idata
        The posterior: groups ``posterior`` and ``sample_stats``.
    design
        The arrays the model was built from.
    config
        Metric, curve scale, priors and sampler settings
        (:class:`bayesgrowth.fitting.FitConfig`).
    data_hash
        :func:`bayesgrowth.fitting.data_hash` of the data fitted.
    diagnostics
        The sampling diagnostics.
    paper_fits
        The authors' ``lambda_i, mu_i, sigma_i``, indexed by model id, or ``None``.
    version
        The package version the fit was made with; default this one.
    libraries
        The versions it was sampled with (:func:`bayesgrowth.fitfile.library_versions`);
        default this environment's.
    """

    def __init__(
        self,
        idata: xr.DataTree,
        design: Design,
        config: FitConfig,
        data_hash: str,
        diagnostics: Diagnostics,
        paper_fits: pd.DataFrame | None = None,
        version: str | None = None,
        libraries: dict[str, str] | None = None,
    ) -> None:
        from bayesgrowth import __version__

        self.idata = idata
        self.design: Design = design
        self.config = config
        self.data_hash: str = data_hash
        self._diagnostics: Diagnostics = diagnostics
        self.paper_fits: pd.DataFrame | None = paper_fits
        self.version: str = version or __version__
        # The versions the posterior was sampled with: this environment's for a new fit.
        self.libraries: dict[str, str] = library_versions() if libraries is None else libraries

    @property
    def n_draws(self) -> int:
        """Chains × draws: the most posterior draws a forecast simulates, one path each."""
        return self._posterior.n_draws

    @property
    def _posterior(self) -> PosteriorDraws:
        """The posterior read as the forecast's draws."""
        return PosteriorDraws(self.idata["posterior"], self.design, self.config.priors.recent_steps)

    # --- forecasts ---------------------------------------------------------------------------
    def simulate(
        self,
        steps: np.ndarray,
        *,
        n_samples: int = defaults.FORECAST_SAMPLES,
        seed: int | None = None,
    ) -> np.ndarray:
        """Posterior predictive cumulative counts of every fitted series at future ``steps``.

        Parameters
        ----------
        steps
            Steps since creation (the panel's ``t``: months or days), shape (n_series, H), each
            row after its series' last observation and increasing along H: the forecast's
            ``t``, not the number of steps ahead.
        n_samples
            Posterior draws used (evenly thinned); at most the fit's chains × draws, one
            simulated path each.
        seed
            Random seed, a whole number >= 0; default the fit's sampler seed, so forecasts are
            reproducible.

        Returns
        -------
        numpy.ndarray
            Shape (n_series, H, n_samples).

        Raises
        ------
        BayesGrowthError
            For steps of another shape, or a row not after its series' last observation or not
            increasing, naming the first such series; for ``n_samples`` not a whole number >= 1,
            or a seed not a whole number >= 0.
        """
        d = self.design
        check_whole("the number of samples", n_samples)
        steps = np.asarray(steps, dtype=float)
        _check_steps(steps, d)
        fc.check_size(d.n_series, steps.shape[1], min(n_samples, self.n_draws))
        rng = self._rng(seed)
        # Series at zero draw from a stream of their own (spawning takes no number from ``rng``),
        # so that no forecast depends on the horizon of the others' forecasts.
        rng_dormant = rng.spawn(1)[0]
        out = np.empty((d.n_series, steps.shape[1], min(n_samples, self.n_draws)))
        if len(d.active):
            a = d.active
            out[a] = fc.grow(
                self._posterior.curve(n_samples),
                d.last_t_exact[a] - d.origin[a],
                d.last_value[a],
                steps[a] - d.origin[a, None],
                rng,
                self.config.m,
                self._posterior.pause(n_samples, d.size),
                d.last_run[a],
            )
        dormant = np.setdiff1d(np.arange(d.n_series), a if len(d.active) else [])
        if len(dormant):
            org = d.series_org[dormant]
            # still at zero: their base value is 0 (a base value is a count the series reached)
            out[dormant] = self._dormant(
                org,
                d.release_batch[dormant],
                steps[dormant],
                n_samples,
                rng_dormant,
                d.last_t_exact[dormant],
            )
        return out

    def _dormant(
        self,
        org: np.ndarray,
        batch: np.ndarray,
        steps: np.ndarray,
        n_samples: int,
        rng,
        start: np.ndarray,
    ) -> np.ndarray:
        """Series of organisations ``org`` and release batches ``batch`` still at zero, last seen
        so at ``start``: onset hazard, then a population curve."""
        return fc.dormant(
            self._posterior.onset(org, batch, n_samples),
            self._posterior.population(org, n_samples, rng),
            steps,
            rng,
            self.config.m,
            self._posterior.pause(n_samples, np.full(len(org), self._posterior.new_size())),
            start,
        )

    def _rng(self, seed: int | None) -> np.random.Generator:
        """The random generator of a forecast from ``seed``, by default the fit's sampler seed.

        Raises
        ------
        BayesGrowthError
            For a seed that is not a whole number >= 0 (numpy's own errors named no seed).
        """
        seed = self.config.sampler.seed if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
            raise BayesGrowthError(f"the seed must be a whole number of at least 0, not {seed!r}")
        return np.random.default_rng(seed)

    def _first_steps(self) -> np.ndarray:
        """Each series' first forecast step, the one after its last complete step: the end of a
        partial last month k (read at k − 1 < t_exact < k) is still to come, so it is k."""
        return np.floor(self.design.last_t_exact).astype(int) + 1

    def forecast(
        self, horizon: int, *, n_samples: int = defaults.FORECAST_SAMPLES, seed: int | None = None
    ) -> pd.DataFrame:
        """Forecast every fitted series over the ``horizon`` steps after its last complete one.

        Parameters
        ----------
        horizon
            Steps forecast per series, a whole number >= 1.
        n_samples, seed
            As in :meth:`simulate`.

        Returns
        -------
        pandas.DataFrame
            Columns ``model, organization, metric, t, mean, q05, q25, q50, q75, q95`` with
            t = last observed + 1 … last + horizon, one block per series (dormant ones included).
            A series whose last month was read before it ended (a partial month k) is forecast
            from that month's end: t = k … k + horizon − 1. ``mean`` is the mean of the
            simulated draws, which a few draws far in the upper tail can pull above ``q95``
            (see :func:`bayesgrowth.forecast.summarise`).

        Raises
        ------
        BayesGrowthError
            For ``horizon`` or ``n_samples`` not a whole number >= 1, a seed not a whole number
            >= 0, or a forecast too large to hold (:data:`bayesgrowth.forecast.MAX_DRAWS`).
        """
        _check_request(horizon, n_samples)
        d = self.design
        # Checked before the steps are built: those of a horizon far too long fill the memory.
        fc.check_size(d.n_series, horizon, min(n_samples, self.n_draws))
        steps = self._first_steps()[:, None] + np.arange(horizon)[None, :]
        samples = self.simulate(steps, n_samples=n_samples, seed=seed)
        return self._table(np.arange(d.n_series), steps, samples)

    def predictive(
        self,
        targets: pd.DataFrame,
        *,
        n_samples: int = defaults.FORECAST_SAMPLES,
        seed: int | None = None,
    ) -> np.ndarray:
        """Predictive draws of the cumulative count for arbitrary (model, t) targets.

        Parameters
        ----------
        targets
            Columns ``model`` and ``t`` (the step since creation, an integer after the series'
            last observed step, or the step of a partial last month, whose end is to come), and
            optionally ``t_exact``, the time each target count was read (fractional for a
            partial month). The targets of one model share one simulated path, so two of
            them at one step must give the same ``t_exact``.
        n_samples, seed
            As in :meth:`simulate`.

        Returns
        -------
        numpy.ndarray
            Shape (len(targets), n_samples), rows aligned with ``targets``.

        Raises
        ------
        UnknownModelError
            For a model not in this fit.
        BayesGrowthError
            For no targets, a ``t`` that is not a whole number or not after its series' last
            observed step, a ``t_exact`` outside its step, or two targets of one model at one
            step that give different ``t_exact``.
        """
        d = self.design
        if targets.empty:
            raise BayesGrowthError("no targets to forecast")
        index = pd.Series(np.arange(d.n_series), index=d.models)
        # by their text: a missing id (NaN) cannot be sorted among strings
        unknown = sorted({repr(m) for m in set(targets["model"]) - set(d.models)})
        if unknown:
            raise UnknownModelError(f"models not in this fit: {', '.join(unknown[:5])}")
        rows = index.loc[targets["model"]].to_numpy()
        t = targets["t"].to_numpy(dtype=float)
        if not (np.isfinite(t) & (t == np.round(t))).all():
            raise BayesGrowthError("target steps t must be whole numbers")
        first = self._first_steps()
        ahead = t.astype(int) - first[rows] + 1
        if (ahead < 1).any():
            raise BayesGrowthError(
                "targets must lie after each series' last observed step (or at the end of a "
                "partial last month)"
            )
        horizon = int(ahead.max())
        # Checked before the steps are built, as in forecast().
        fc.check_size(d.n_series, horizon, min(n_samples, self.n_draws))
        steps = (first[:, None] + np.arange(horizon)[None, :]).astype(float)
        if "t_exact" in targets:
            # A target read part-way through its step (a partial last month) is forecast at the
            # time it was read, not at the end of the step.
            t_exact = targets["t_exact"].to_numpy(dtype=float)
            if not ((t - 1 < t_exact) & (t_exact <= t)).all():
                raise BayesGrowthError(
                    "each target's t_exact must lie within its step: t - 1 < t_exact <= t"
                )
            read = pd.DataFrame({"row": rows, "t": t, "t_exact": t_exact})
            clash = read.groupby(["row", "t"])["t_exact"].nunique() > 1
            if clash.any():
                row, step = clash[clash].index[0]
                raise BayesGrowthError(
                    f"targets of {str(d.models[row])!r} at t = {step:g} give different t_exact"
                )
            steps[rows, ahead - 1] = t_exact
        samples = self.simulate(steps, n_samples=n_samples, seed=seed)
        return samples[rows, ahead - 1]

    def forecast_new(
        self,
        organization: str,
        horizon: int,
        *,
        release_batch: int = 1,
        n_samples: int = defaults.FORECAST_SAMPLES,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Forecast a model of ``organization`` released today, with no data yet (t = 1 … horizon).

        Parameters
        ----------
        organization
            One of the fit's organisations.
        horizon
            Steps forecast, a whole number >= 1.
        release_batch
            How many models the organisation releases this month, this one included (1: on
            its own; see :class:`bayesgrowth.design.Design`).
        n_samples, seed
            As in :meth:`simulate`.

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`forecast`, one row per step, model ``<new ORGANIZATION model>``.

        Raises
        ------
        UnknownModelError
            For an organisation not in the fit.
        BayesGrowthError
            For a horizon, number of samples or release batch not a whole number >= 1, a seed
            not a whole number >= 0, a forecast too large to hold, or a release batch other than 1 on a fit whose onset
            hazard has no release-batch slope (downloads), where it would change nothing.
        """
        _check_request(horizon, n_samples)
        fc.check_size(1, horizon, min(n_samples, self.n_draws))
        check_whole("the release batch", release_batch)
        d = self.design
        if release_batch != 1 and "onset_batch" not in self.idata["posterior"]:
            raise BayesGrowthError(
                f"this {d.metric} fit's onset hazard has no release-batch slope: a release batch "
                f"of {release_batch} would forecast the same as 1"
            )
        known = list(d.organizations)
        if organization not in known:
            raise UnknownModelError(
                f"unknown organisation {organization!r}; fitted ones: {', '.join(known)}"
            )
        rng = self._rng(seed)
        org = np.array([known.index(organization)])
        steps = np.arange(1, horizon + 1, dtype=float)[None, :]
        samples = self._dormant(org, np.array([release_batch]), steps, n_samples, rng, np.zeros(1))
        table = pd.DataFrame(
            {
                "model": f"<new {organization} model>",
                "organization": organization,
                "metric": d.metric,
                "t": steps[0].astype(int),
            }
        )
        return table.assign(**{k: v[0] for k, v in fc.summarise(samples).items()})

    def _table(self, rows: np.ndarray, steps: np.ndarray, samples: np.ndarray) -> pd.DataFrame:
        d = self.design
        h = steps.shape[1]
        table = pd.DataFrame(
            {
                "model": np.repeat(d.models[rows], h),
                "organization": np.repeat(d.organizations[d.series_org[rows]], h),
                "metric": d.metric,
                "t": steps.reshape(-1).astype(int),
            }
        )
        stats = fc.summarise(samples.reshape(len(rows) * h, -1))
        return table.assign(**stats)

    # --- tables ------------------------------------------------------------------------------
    def parameters(self) -> pd.DataFrame:
        """Per fitted model: λ, μ, σ posterior median and 90% interval, beside the paper's estimate.

        Dormant series (no count yet) have no curve of their own and get empty cells. μ is on
        the log of the curve's clock: months since creation for fine-tunes, but for a download
        series read as 0 after its creation, days since it was last seen at zero
        (``design.origin``; :mod:`bayesgrowth.design`), not days since creation: the column
        ``clock_start`` gives that start (0 for fine-tunes), so the curve reaches half its
        log-growth at ``clock_start`` + e^μ steps after creation. The
        authors' estimates were fitted on a years axis (t = k/12): their λ and σ are comparable
        with ours, their μ is ours minus ln 12; the column ``paper_mu_months`` converts it. In
        the 2025-02-18 snapshot 1,128 of the authors' estimates (974 of series never fine-tuned)
        are exactly their curve_fit's starting guess (0.5, 2.0, 0.5,
        :data:`bayesgrowth.baseline.P0`): a fit that never moved, not an estimate. Where
        the model has the recent-rate term, ``recent_rate_median`` is the posterior median of
        the factor e^δ by which a series' last steps (and its forecast) run faster than its curve.
        """
        d = self.design
        table = pd.DataFrame(
            {
                "model": d.models,
                "organization": d.organizations[d.series_org],
                "last_value": d.last_value.astype(int),
                "status": "dormant",
            }
        )
        table.loc[d.active, "status"] = "active"
        for name, label, transform in (
            ("log_lam", "lambda", np.exp),
            ("mu", "mu", lambda x: x),
            ("log_sigma", "sigma", np.exp),
        ):
            q = np.quantile(
                transform(self._posterior.draws(name, self.n_draws)),
                [0.05, 0.5, 0.95],
                axis=-1,
            )
            for i, suffix in enumerate(("q05", "median", "q95")):
                col = np.full(d.n_series, np.nan)
                col[d.active] = q[i]
                table[f"{label}_{suffix}"] = col
        # The step μ's clock starts from: the curve reaches half its log-growth at
        # clock_start + e^μ steps after creation.
        table["clock_start"] = np.nan
        table.loc[d.active, "clock_start"] = d.origin[d.active]
        if "recent" in self.idata["posterior"]:
            col = np.full(d.n_series, np.nan)
            col[d.active] = np.median(
                np.exp(self._posterior.draws("recent", self.n_draws)), axis=-1
            )
            table["recent_rate_median"] = col
        if self.paper_fits is not None:
            paper = self.paper_fits.reindex(d.models)
            table["paper_lambda"] = paper["lambda_i"].to_numpy()
            table["paper_mu"] = paper["mu_i"].to_numpy()
            table["paper_mu_months"] = paper["mu_i"].to_numpy() + np.log(12.0)
            table["paper_sigma"] = paper["sigma_i"].to_numpy()
        return table

    def organisations(self) -> pd.DataFrame:
        """Per organisation: posterior medians of the curve means, onset chance (of a model
        released on its own), dispersion.

        ``onset_prob_step1`` and ``onset_prob_step12`` are the chance of a first count during
        step 1 (12) of a model still at zero when that step begins, not the chance of a first
        count by then.
        """
        d = self.design
        n = self.n_draws
        table = pd.DataFrame(
            {
                "organization": d.organizations,
                "series": np.bincount(d.series_org, minlength=len(d.organizations)),
                "active": np.bincount(d.series_org[d.active], minlength=len(d.organizations)),
            }
        )
        table["lambda_median"] = np.median(np.exp(self._posterior.draws("org_log_lam", n)), axis=-1)
        table["mu_median"] = np.median(self._posterior.draws("org_mu", n), axis=-1)
        table["sigma_median"] = np.median(
            np.exp(self._posterior.draws("org_log_sigma", n)), axis=-1
        )
        orgs = np.arange(len(d.organizations))
        onset = self._posterior.onset(orgs, np.ones(len(orgs)), n)
        for k in (1, 12):
            table[f"onset_prob_step{k}"] = np.median(onset.probability(np.full((1, 1), k)), axis=-1)
        table["dispersion_median"] = np.median(
            np.exp(self._posterior.draws("disp_org", n)), axis=-1
        )
        return table

    def diagnostics(self) -> Diagnostics:
        """Sampling diagnostics of this fit."""
        return self._diagnostics

    # --- persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fit to ``path`` (zarr if it ends in ``.zarr``, else netCDF), atomically.

        Only a saved fit already there is replaced; anything else at ``path`` is left alone
        (:func:`bayesgrowth.fitfile.check_save_path`).

        Raises
        ------
        FitFileError
            When ``path`` is a directory and does not end in ``.zarr``, a file and ends in
            ``.zarr``, or a file or zarr directory that is not a saved fit.
        OutputError
            When the folder cannot be created or written to, or the write fails (a full disk):
            the fit already at ``path`` is kept.
        """
        tree = xr.DataTree.from_dict(
            {
                "posterior": self.idata["posterior"].to_dataset(),
                "sample_stats": self.idata["sample_stats"].to_dataset(),
                "design": design_to_dataset(self.design, self.paper_fits),
            }
        )
        tree.attrs = {
            "bayesgrowth_version": self.version,
            "libraries": json.dumps(self.libraries),
            "config": json.dumps(self.config.to_dict()),
            "data_hash": self.data_hash,
            "diagnostics": json.dumps(self._diagnostics.to_dict()),
        }
        return write_tree(tree, path)


def _check_steps(steps: np.ndarray, design: Design) -> None:
    """Refuse forecast steps that are not the forecast's ``t`` of every series in order: steps
    before a series' last observation read its curve backwards, without an error."""
    if steps.ndim != 2 or steps.shape[0] != design.n_series or steps.shape[1] < 1:
        raise BayesGrowthError(
            f"steps must have shape (n_series, H) = ({design.n_series}, H), not {steps.shape}"
        )
    early = ~(steps > design.last_t_exact[:, None]).all(axis=1)
    wrong = early | (np.diff(steps, axis=1) <= 0).any(axis=1)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise BayesGrowthError(
            f"steps are steps since creation, after each series' last observation and "
            f"increasing: {str(design.models[i])!r} was last observed at t = {design.last_t_exact[i]:g}"
            f" and was given {steps[i, :6].tolist()}"
        )


def _check_request(horizon: int, n_samples: int) -> None:
    check_whole("the horizon", horizon)
    check_whole("the number of samples", n_samples)


def check_whole(what: str, value: object) -> None:
    """Refuse anything but a whole number of at least 1 (numpy integers included)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise BayesGrowthError(f"{what} must be a whole number of at least 1, not {value!r}")


def load(path: str | os.PathLike) -> GrowthFit:
    """Reopen a fit written by :meth:`GrowthFit.save`.

    Raises
    ------
    FitFileError
        When the file is missing, unreadable, not a saved fit, damaged (an attribute or chunk
        files missing) or from an incompatible format version.
    """
    from bayesgrowth.fitting import FitConfig

    tree = read_tree(path)
    design, paper = design_from_dataset(tree["design"].to_dataset())
    diag = json.loads(tree.attrs["diagnostics"])
    diag["worst"] = tuple(tuple(w) for w in diag.get("worst", ()))
    idata = xr.DataTree.from_dict(
        {
            "posterior": tree["posterior"].to_dataset(),
            "sample_stats": tree["sample_stats"].to_dataset(),
        }
    )
    return GrowthFit(
        idata=idata,
        design=design,
        config=FitConfig.from_dict(json.loads(tree.attrs["config"])),
        data_hash=str(tree.attrs["data_hash"]),
        diagnostics=Diagnostics(**diag),
        paper_fits=paper,
        version=str(tree.attrs["bayesgrowth_version"]),
        libraries=json.loads(tree.attrs["libraries"]) if "libraries" in tree.attrs else {},
    )
