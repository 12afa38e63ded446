"""bayesgrowth: hierarchical Bayesian forecasts of how open-weight models spread on Hugging Face.

The flow is one-way: sources → :class:`Panel` (validated) → model → posterior → forecasts →
figures, tables and reports.
"""

from importlib.metadata import PackageNotFoundError, version

from bayesgrowth.data import load_panel
from bayesgrowth.errors import BayesGrowthError, DataError, UnknownModelError
from bayesgrowth.panel import METRICS, LoadReport, Panel


def __getattr__(name: str):
    # fit/load pull in PyMC (seconds to import): resolved on first use, not at `import bayesgrowth`.
    if name == "Priors":
        from bayesgrowth.priors import Priors

        return Priors
    if name in ("fit", "load", "GrowthFit"):
        from bayesgrowth import fitting, result

        return {"fit": fitting.fit, "load": result.load, "GrowthFit": result.GrowthFit}[name]
    raise AttributeError(f"module 'bayesgrowth' has no attribute {name!r}")


try:
    __version__ = version("bayesgrowth")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "METRICS",
    "BayesGrowthError",
    "DataError",
    "GrowthFit",
    "LoadReport",
    "Panel",
    "Priors",
    "UnknownModelError",
    "__version__",
    "fit",
    "load",
    "load_panel",
]
