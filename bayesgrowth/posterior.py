"""A fit's posterior read as a forecast's draws: each quantity thinned evenly over chains ×
draws and shaped as :mod:`bayesgrowth.forecast` takes it (one column per draw)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgrowth import forecast as fc
from bayesgrowth.design import BLOCK_STEPS, Design


class PosteriorDraws:
    """The posterior of one fit, read for its forecasts and tables.

    Parameters
    ----------
    posterior
        The fit's ``posterior`` group (:attr:`bayesgrowth.result.GrowthFit.idata`).
    design
        The arrays the model was built from.
    recent_steps
        The window of the recent-rate term (:attr:`bayesgrowth.priors.Priors.recent_steps`).
    """

    def __init__(self, posterior: xr.DataTree, design: Design, recent_steps: float) -> None:
        self.posterior = posterior
        self.design = design
        self.recent_steps = recent_steps

    @property
    def n_draws(self) -> int:
        """Chains × draws: the most draws a forecast can use."""
        return int(self.posterior.sizes["chain"] * self.posterior.sizes["draw"])

    def draws(self, name: str, n_samples: int) -> np.ndarray:
        """Posterior of ``name`` as (..., n_samples), evenly thinned over chains × draws."""
        values = self.posterior[name].transpose("chain", "draw", ...).values
        # Chains one after the other, reshaped by explicit sizes: a variable with no elements (the
        # series parameters of a fit with no active series) cannot be stacked by xarray.
        chains, draws, *shape = values.shape
        stacked = np.moveaxis(values.reshape(chains * draws, *shape), 0, -1)
        total = stacked.shape[-1]
        pick = np.linspace(0, total - 1, min(n_samples, total)).round().astype(int)
        return stacked[..., pick]

    def optional(self, name: str, n_samples: int, absent: np.ndarray | float) -> np.ndarray | float:
        """:meth:`draws` of ``name``, or ``absent`` where this metric's model has no such term."""
        return self.draws(name, n_samples) if name in self.posterior else absent

    def curve(self, n_samples: int) -> fc.CurveDraws:
        """Curve parameters of the active series (those with a count)."""
        d = self.design
        org = d.series_org[d.active]
        alpha = np.exp(
            self.draws("disp_org", n_samples)[org]
            + self.draws("disp_size", n_samples) * d.size[:, None]
        )
        return fc.CurveDraws(
            log_lam=self.draws("log_lam", n_samples),
            mu=self.draws("mu", n_samples),
            log_sigma=self.draws("log_sigma", n_samples),
            alpha=alpha,
            recent=self.optional("recent", n_samples, 0.0),
            pace_spread=self.optional("s_recent", n_samples, 0.0),
            pace_window=max(int(self.recent_steps), 1),
            block=BLOCK_STEPS[d.metric],
        )

    def pause(self, n_samples: int, size: np.ndarray) -> fc.PauseDraws | None:
        """Pause term of series of (centred) ``size``, or ``None`` for a metric without one."""
        if "pause_g" not in self.posterior:
            return None
        intercept = (
            self.draws("pause_g", n_samples)[None, :]
            + self.draws("pause_size", n_samples)[None, :] * np.asarray(size)[:, None]
        )
        return fc.PauseDraws(intercept, self.draws("pause_slope", n_samples))

    def new_size(self) -> float:
        """The centred size covariate of a series that has just got its first count."""
        d = self.design
        centre = np.log1p(d.last_value[d.active]).mean() if len(d.active) else 0.0
        return float(np.log1p(1.0) - centre)

    def population(
        self, org: np.ndarray, n_samples: int, rng: np.random.Generator
    ) -> fc.CurveDraws:
        """Curve parameters of new series of organisations ``org``, drawn from the hierarchy."""
        out = {}
        for name in ("log_lam", "mu", "log_sigma"):
            out[name] = self.draws(f"org_{name}", n_samples)[org]
        # σ is an organisation value (shared by all organisations for fine-tunes); λ and μ vary
        # by series around their org means.
        for name in ("log_lam", "mu"):
            out[name] = out[name] + self.draws(f"s_{name}", n_samples) * rng.standard_normal(
                out[name].shape
            )
        alpha = np.exp(
            self.draws("disp_org", n_samples)[org]
            + self.draws("disp_size", n_samples) * self.new_size()
        )
        return fc.CurveDraws(alpha=alpha, block=BLOCK_STEPS[self.design.metric], **out)

    def onset(self, org: np.ndarray, batch: np.ndarray, n_samples: int) -> fc.OnsetDraws:
        """Onset hazard draws for series of organisations ``org`` and release batches ``batch``."""
        offset = np.log(batch) - self.design.onset_batch_centre
        return fc.OnsetDraws(
            self.draws("onset_org", n_samples)[org]
            + offset[:, None] * self.optional("onset_batch", n_samples, 0.0),
            self.optional("onset_slope", n_samples, np.zeros(min(n_samples, self.n_draws))),
            self.draws("onset_frailty", n_samples),
            self.design.onset_centre,
        )
