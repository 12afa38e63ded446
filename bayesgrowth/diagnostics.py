"""Sampling diagnostics: divergences, R-hat, effective sample size, tree depth — reported, never hidden."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

RHAT_MAX = 1.01
ESS_MIN = 400


@dataclass(frozen=True)
class Diagnostics:
    """Summary of how well the sampler did.

    Attributes
    ----------
    divergences
        Number of divergent transitions after tuning.
    max_rhat
        Largest rank-normalised split R-hat over every posterior quantity.
    min_ess_bulk, min_ess_tail
        Smallest bulk and tail effective sample sizes.
    max_depth_hits
        Draws that hit the maximum tree depth.
    mean_tree_depth
        Average tree depth.
    wall_seconds
        Sampling wall time (compilation included).
    draws, chains
        Draws per chain kept, and chains.
    worst
        The quantities with the largest R-hat, for the report.
    """

    divergences: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    max_depth_hits: int
    mean_tree_depth: float
    wall_seconds: float
    draws: int
    chains: int
    worst: tuple[tuple[str, float, float], ...] = ()

    def problems(self) -> list[str]:
        """Plain-language statements of each problem found; empty when sampling looks healthy."""
        out = []
        if self.divergences:
            out.append(
                f"{self.divergences} divergent transitions: the posterior has regions the sampler cannot explore; treat intervals with caution"
            )
        if self.chains < 2:
            out.append("R-hat needs at least 2 chains: convergence cannot be checked")
        elif not np.isfinite(self.max_rhat) or self.max_rhat > RHAT_MAX:
            out.append(
                f"max R-hat {self.max_rhat:.3f} > {RHAT_MAX}: chains disagree; run longer (--draws/--tune) before trusting results"
            )
        for kind, ess, needed in (
            ("bulk", self.min_ess_bulk, "for stable intervals"),
            ("tail", self.min_ess_tail, "in the tails for stable 5% and 95% quantiles"),
        ):
            if not np.isfinite(ess) or ess < ESS_MIN:
                out.append(
                    f"min {kind} ESS {ess:.0f} < {ESS_MIN}: too few effective draws {needed}"
                )
        if self.max_depth_hits:
            out.append(f"{self.max_depth_hits} draws hit the maximum tree depth")
        return out

    def lines(self) -> list[str]:
        """The summary as printable lines, problems last."""
        lines = [
            f"chains × draws: {self.chains} × {self.draws}; wall time {self.wall_seconds:.1f} s",
            f"divergences: {self.divergences}",
            f"max R-hat: {self.max_rhat:.4f}; min ESS bulk {self.min_ess_bulk:.0f}, tail {self.min_ess_tail:.0f}",
            f"tree depth: mean {self.mean_tree_depth:.1f}, draws at max depth {self.max_depth_hits}",
        ]
        if self.worst:
            lines.append(
                "largest R-hat: "
                + ", ".join(f"{n} ({r:.3f}, ESS {e:.0f})" for n, r, e in self.worst)
            )
        problems = self.problems()
        lines += [f"WARNING: {p}" for p in problems] if problems else ["no sampling problems found"]
        return lines

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return asdict(self)


def _flat(tree: xr.DataTree) -> pd.Series:
    """Every element of every variable, named as :func:`_element_names` names it."""
    ds = tree.to_dataset() if isinstance(tree, xr.DataTree) else tree
    parts = [
        pd.Series(np.asarray(da.values, dtype=float).ravel(), index=_element_names(str(name), da))
        for name, da in ds.data_vars.items()
    ]
    return pd.concat(parts) if parts else pd.Series(dtype=float)


def _element_names(name: str, da: xr.DataArray) -> list[str]:
    """``name`` for a scalar, else ``name[label, …]`` per element in storage order, each label
    the element's coordinate (a model id, an organisation), or its position along a dimension
    without one. A position along ``active_model`` would name another model in every table, where
    series still at zero sit between the active ones."""
    if not da.dims:
        return [name]
    axes = [da[dim].values if dim in da.coords else range(da.sizes[dim]) for dim in da.dims]
    return [f"{name}[{', '.join(map(str, labels))}]" for labels in itertools.product(*axes)]


def diagnose(idata: xr.DataTree, wall_seconds: float, max_depth: int = 10) -> Diagnostics:
    """Compute :class:`Diagnostics` from an ArviZ/xarray DataTree with posterior and sample_stats."""
    post = idata["posterior"]
    stats = idata["sample_stats"].to_dataset()
    # A quantity fixed at a constant (the recent rate of a series with no past) has no R-hat
    # or ESS: NaN, skipped by max/min below, without numpy's warning for 0/0.
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat = _flat(az.rhat(post))
        bulk = _flat(az.ess(post, method="bulk"))
        tail = _flat(az.ess(post, method="tail"))
    depth = stats["depth"] if "depth" in stats else stats.get("tree_depth")
    # The samplers' own flag where they keep one: PyMC also records depth 10 for a trajectory
    # that ended by itself at its 10th doubling, so counting depth >= 10 over-reports.
    hit = next(
        (stats[k] for k in ("maxdepth_reached", "reached_max_treedepth") if k in stats), None
    )
    if hit is None and depth is not None:
        hit = depth >= max_depth
    div = stats["diverging"] if "diverging" in stats else stats.get("divergences")
    worst = rhat.sort_values(ascending=False).head(5)
    return Diagnostics(
        divergences=int(div.sum()) if div is not None else 0,
        max_rhat=float(rhat.max()),
        min_ess_bulk=float(bulk.min()),
        min_ess_tail=float(tail.min()),
        max_depth_hits=int(hit.sum()) if hit is not None else 0,
        mean_tree_depth=float(depth.mean()) if depth is not None else float("nan"),
        wall_seconds=float(wall_seconds),
        draws=int(post.sizes["draw"]),
        chains=int(post.sizes["chain"]),
        worst=tuple((str(n), float(r), float(bulk.get(n, np.nan))) for n, r in worst.items()),
    )
