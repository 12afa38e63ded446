"""bayesgrowth: hierarchical Bayesian forecasts of how open-weight models spread on Hugging Face.

The flow is one-way: sources → :class:`Panel` (validated) → model → posterior → forecasts →
figures, tables and reports.
"""

from importlib.metadata import PackageNotFoundError, version

from bayesgrowth.data import load_panel
from bayesgrowth.errors import BayesGrowthError, DataError, UnknownModelError
from bayesgrowth.panel import METRICS, LoadReport, Panel

try:
    __version__ = version("bayesgrowth")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "METRICS",
    "BayesGrowthError",
    "DataError",
    "LoadReport",
    "Panel",
    "UnknownModelError",
    "__version__",
    "load_panel",
]
