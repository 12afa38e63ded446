"""The file form of a fit: netCDF (via h5netcdf) or zarr, never pickle.

A saved fit is one :class:`xarray.DataTree` with the ArviZ groups ``posterior`` and
``sample_stats``, a ``design`` group with the arrays the model was built from, and JSON attributes
(written by :meth:`bayesgrowth.result.GrowthFit.save`). This module owns the layout of the design
group, the format version, the checks on where a fit may be written, and the atomic write and
checked read of the tree.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from bayesgrowth.design import Design
from bayesgrowth.errors import BayesGrowthError, OutputError
from bayesgrowth.store import check_file_path, prepare_directory, sync_to_disk, write_error

FORMAT_VERSION = 6
_SUFFIXES = (".nc", ".zarr")  # the usual names; a fit is read at the path as given
_SERIES = (
    "models",
    "series_org",
    "last_t",
    "last_t_exact",
    "last_value",
    "release_batch",
    "base_value",
    "base_t",
    "origin",
    "last_run",
)
_INCREMENT = ("inc_series", "t0", "t1", "inc", "inc_run")
_ONSET = ("onset_org", "onset_step", "onset_batch", "onset_at_risk", "onset_events")
_DIMS = {
    **dict.fromkeys(_SERIES, "series"),
    **dict.fromkeys(_INCREMENT, "increment"),
    **dict.fromkeys(_ONSET, "onset_cell"),
    "active": "active",
    "size": "active",
    "organizations": "organization",
}


class FitFileError(BayesGrowthError):
    """A saved fit that cannot be read or was written by an incompatible version."""


def design_to_dataset(design: Design, paper_fits: pd.DataFrame | None) -> xr.Dataset:
    """The design arrays as one Dataset (each field keeps its own dimension), and the authors'
    estimates ``paper_fits`` (indexed by model, as :meth:`GrowthFit.parameters` reads them) on
    the design's series, NaN for a model they do not name."""
    ds = xr.Dataset({name: (_DIMS[name], getattr(design, name)) for name in _DIMS})
    if paper_fits is not None:
        paper_fits = paper_fits.reindex(design.models)
        for col in paper_fits.columns:
            ds[f"paper_{col}"] = ("series", paper_fits[col].to_numpy(dtype=float))
    ds.attrs["metric"] = design.metric
    return ds


def design_from_dataset(ds: xr.Dataset) -> tuple[Design, pd.DataFrame | None]:
    """Inverse of :func:`design_to_dataset`."""
    values = {name: ds[name].values for name in _DIMS}
    values["models"] = values["models"].astype(str)
    values["organizations"] = values["organizations"].astype(str)
    design = Design(metric=str(ds.attrs["metric"]), **values)
    paper_cols = [v for v in ds.data_vars if str(v).startswith("paper_")]
    paper = (
        pd.DataFrame({c[len("paper_") :]: ds[c].values for c in paper_cols}, index=design.models)
        if paper_cols
        else None
    )
    return design, paper


LIBRARIES = ("numpy", "pymc", "pytensor", "nutpie", "arviz", "xarray")
"""The libraries whose versions a saved fit records: the posterior depends on them."""


def library_versions() -> dict[str, str]:
    """Versions of Python and of the installed :data:`LIBRARIES` (those not installed left out)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def check_save_path(path: str | os.PathLike) -> Path:
    """Check, before fitting, that :meth:`GrowthFit.save` can write a fit at ``path``.

    Only a saved fit is replaced, by one of the same kind (a netCDF file or a zarr store); the
    folder is created.

    Raises
    ------
    FitFileError
        When ``path`` is a directory and does not end in ``.zarr``, a file and ends in ``.zarr``,
        or a file or zarr directory that is not a saved fit.
    OutputError
        When the folder cannot be created or written to.
    """
    path = Path(path)
    if path.is_dir() and path.suffix != ".zarr":
        raise FitFileError(f"{path} is a directory: give a file name for the netCDF fit")
    if path.is_file() and path.suffix == ".zarr":
        raise FitFileError(f"{path} is a file, not a zarr store: it is left alone")
    if path.exists() and not _holds_a_fit(path):
        kind = "directory" if path.is_dir() else "file"
        raise FitFileError(
            f"{path} is a {kind} that is not a saved fit: it is left alone; choose another path"
        )
    prepare_directory(path.parent)
    return path


def check_table_path(path: str | os.PathLike) -> Path:
    """Check, before the work, that a table can be written at ``path`` without destroying a fit.

    As :func:`~bayesgrowth.store.check_file_path`, and a saved netCDF fit is never replaced by
    a table (``forecast --fit fit.nc --out fit.nc`` wrote its CSV over the fit it read).

    Raises
    ------
    OutputError
        When ``path`` is a directory, its folder cannot be created or written to, or it holds
        a saved fit.
    """
    path = check_file_path(path)
    if path.is_file() and path.suffix != ".zarr" and _holds_a_fit(path):
        raise OutputError(
            f"{path} is a saved fit: a table written there would replace it; give another file "
            "name for the table"
        )
    return path


def _open(path: Path) -> xr.DataTree:
    """The saved tree at ``path``, lazily: zarr if the path ends in ``.zarr``, else netCDF."""
    if path.suffix == ".zarr":
        return xr.open_datatree(path, engine="zarr", consolidated=False)
    return xr.open_datatree(path, engine="h5netcdf")


def _holds_a_fit(path: Path) -> bool:
    """Whether ``path`` holds a tree written by :func:`write_tree` (of any format version)."""
    try:
        with _open(path) as saved:
            return "bayesgrowth_format" in saved.attrs
    except (OSError, ValueError, KeyError):  # not netCDF/zarr at all
        return False


def write_tree(tree: xr.DataTree, path: str | os.PathLike) -> Path:
    """Write ``tree`` to ``path`` (zarr if it ends in ``.zarr``, else netCDF), atomically.

    The tree gets the attribute ``bayesgrowth_format`` (:data:`FORMAT_VERSION`). Only a saved fit
    already there is replaced; anything else is left alone (:func:`check_save_path`).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FitFileError, OutputError
        As :func:`check_save_path`; an ``OutputError`` naming ``path`` too when the write fails
        (a full disk), the fit already there kept.
    """
    path = check_save_path(path)
    tree.attrs = {"bayesgrowth_format": FORMAT_VERSION, **tree.attrs}
    try:  # a full disk can fail the staging folder already, as store._atomic's temporary file
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise write_error(path, exc) from None
    tmp = staging / path.name
    try:
        if path.suffix == ".zarr":
            # Zarr format 3 has no consolidated metadata in its specification (zarr warns).
            tree.to_zarr(tmp, consolidated=False)
        else:
            tree.to_netcdf(tmp, engine="h5netcdf")
        sync_to_disk(*(tmp.rglob("*") if tmp.is_dir() else ()), tmp)
        if path.is_dir():
            # A directory cannot be replaced in one step: the old store is moved aside, not
            # deleted, until the new one is in place.
            os.replace(path, staging / "replaced")
            try:
                os.replace(tmp, path)
            except BaseException:  # an interrupt too: the staging folder is deleted below
                os.replace(staging / "replaced", path)
                raise
        else:
            os.replace(tmp, path)
        sync_to_disk(path.parent)
    except OSError as exc:  # a full disk: one line, not a traceback; the old fit is kept
        raise write_error(path, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def read_tree(path: str | os.PathLike) -> xr.DataTree:
    """The tree of a fit written by :func:`write_tree`, loaded into memory.

    Raises
    ------
    FitFileError
        When the file is missing, unreadable or from an incompatible format version.
    """
    path = Path(path)
    if not path.exists():
        near = [
            p.name for p in (path.with_name(path.name + ext) for ext in _SUFFIXES) if p.exists()
        ]
        hint = f" (beside it: {', '.join(near)}; give the name in full)" if near else ""
        # A save killed outright (SIGKILL, a power cut) between write_tree's two renames of a
        # zarr store leaves the old store in its hidden staging folder, and nothing at the path.
        moved = list(path.parent.glob(f".{glob.escape(path.name)}.*/replaced"))
        if moved:  # the latest such save's, should there be several
            latest = max(moved, key=lambda p: p.stat().st_mtime)
            hint = (
                f" (a save stopped while replacing it: the previous fit is {latest}; "
                "move it back to use it)"
            )
        raise FitFileError(f"no fit at {path}{hint}")
    if path.is_dir() and path.suffix != ".zarr":
        # netCDF would fail on it with a message of several lines from the HDF5 library.
        raise FitFileError(
            f"{path} is a directory, not a saved fit: give the fit's file (a directory is "
            "read only as a zarr store ending in .zarr; `run` saves fit-METRIC.nc)"
        )
    try:
        tree = _open(path).load()
    except (OSError, ValueError) as exc:
        raise FitFileError(f"{path} is not a readable fit file ({exc})") from None
    if "bayesgrowth_format" not in tree.attrs:
        # Readable netCDF or zarr, but not written by write_tree (it read "fit format None").
        raise FitFileError(f"{path} is not a saved fit: it holds no bayesgrowth fit format")
    if int(tree.attrs["bayesgrowth_format"]) != FORMAT_VERSION:
        raise FitFileError(
            f"{path} was written in fit format {tree.attrs['bayesgrowth_format']}; this version reads {FORMAT_VERSION}"
        )
    _check_complete(tree, path)
    return tree


_FIT_ATTRS = ("config", "diagnostics", "data_hash", "bayesgrowth_version")
"""The attributes every saved fit has (``libraries`` is absent from older ones)."""


def _check_complete(tree: xr.DataTree, path: Path) -> None:
    """Refuse a fit with an attribute, a group or a design array missing, or non-finite draws or
    design values.

    A zarr store that lost chunk files (an interrupted copy) reads them as NaN without a word; the
    forecasts would then be silently wrong. The authors' estimates (``paper_*``) may be NaN.
    """
    absent = [a for a in _FIT_ATTRS if a not in tree.attrs]
    if absent:
        raise FitFileError(f"{path} is damaged: it lacks the attribute(s) {', '.join(absent)}")
    for group, names in (("posterior", ()), ("sample_stats", ()), ("design", tuple(_DIMS))):
        if group not in tree.children:
            raise FitFileError(f"{path} is damaged: it has no {group!r} group")
        missing = [n for n in names if n not in tree[group].to_dataset()]  # coordinates too
        if missing:
            raise FitFileError(f"{path} is damaged: its design lacks {', '.join(missing)}")
    for group, names in (("posterior", tree["posterior"].data_vars), ("design", _DIMS)):
        for name in names:
            values = tree[group][name].values
            if values.dtype.kind in "fc" and not np.isfinite(values).all():
                raise FitFileError(
                    f"{path} is damaged: {group} {name!r} has values that are not finite "
                    "(a zarr store with chunk files missing?); fit again or restore a copy"
                )
