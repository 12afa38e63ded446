"""Files the collectors write: locked read-modify-write, atomic replacement.

A change to a CSV file is made under an exclusive ``fcntl.flock`` on ``DIR/.lock`` and lands with
``os.replace`` of a temporary file from the same directory, so a reader (the loader) sees the old
file or the new one, never part of one, and two collectors writing at once cannot lose each other's
rows. Temporary and lock files do not end in ``.csv``: the loader never picks them up. Every
``write_*`` function here writes the same way, and a write that fails (a full disk) is an
:class:`~bayesgrowth.errors.OutputError` naming the file, the file already there kept.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from bayesgrowth.csvfile import csv_files
from bayesgrowth.errors import DataError, OutputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LOCK_NAME = ".lock"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

Row = dict[str, str]


def org_of(model: str) -> str:
    """The namespace of a model id (the part before ``/``)."""
    return model.split("/", 1)[0]


def org_file(directory: Path, model: str) -> Path:
    """``directory/<ORG>.csv`` for the model's namespace, made safe as a file name."""
    name = _UNSAFE.sub("_", org_of(model))
    if name.startswith("."):  # a hidden file would be skipped by people, and '..' is a parent
        name = "_" + name[1:]
    return directory / f"{name}.csv"


def model_file(directory: Path, model: str) -> Path:
    """The CSV file of ``directory`` for ``model``: the one that has a row for it, else the one
    file that holds models of its namespace, else :func:`org_file`'s.

    A store begun from the snapshot names its files by organisation (``DeepSeek.csv`` holds
    ``deepseek-ai/…``), and the loader rejects a model found in two files: a model already in the
    store is updated where it is. A new model of a namespace the store already files under an
    organisation joins that file, so it is fitted with that organisation's models (the file name
    is the organisation) rather than as an organisation of its own; where several files hold the
    namespace, it goes to the namespace's own file. Call it under the directory's lock, as the
    file is then written.

    Parameters
    ----------
    directory
        A store directory (``finetune/`` or ``download/``).
    model
        The model id.

    Returns
    -------
    Path
        The file to read and rewrite (it need not exist yet).

    Raises
    ------
    DataError
        For a CSV file of ``directory`` that is not UTF-8 text (naming it).
    """
    namespace = org_of(model)
    holding = []
    for path in csv_files(directory):
        models = _models_in(path)
        if model in models:
            return path
        if any(org_of(m) == namespace for m in models):
            holding.append(path)
    return holding[0] if len(holding) == 1 else org_file(directory, model)


def stored_models(directory: Path) -> set[str]:
    """Every model id with a row in a CSV file of the store directory ``directory``.

    Raises
    ------
    DataError
        For a CSV file of ``directory`` that is not UTF-8 text (naming it).
    """
    found: set[str] = set()
    for path in csv_files(directory):
        found |= _models_in(path)
    return found


def _models_in(path: Path) -> set[str]:
    """The ``model`` cells of a CSV file (only that column is kept: files run to megabytes)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            if "model" not in header:
                return set()
            column = header.index("model")
            return {model_id(row[column]) for row in reader if len(row) > column}
    except UnicodeDecodeError:
        raise DataError(
            "not UTF-8 text: fix or move it before collecting into this folder", file=str(path)
        ) from None


def model_id(cell: str) -> str:
    """The model id a ``model`` cell of a stored file holds, as the loader reads it: ``'a/b '``
    is the model ``'a/b'`` (the cell itself is rewritten as it was)."""
    return cell.strip()


def find_row(rows: list[Row], model: str) -> Row | None:
    """The row of ``model`` among ``rows`` (as :func:`read_table` gives them; ids compared by
    :func:`model_id`), or ``None``."""
    return next((row for row in rows if model_id(row["model"]) == model), None)


@contextmanager
def locked(lock_file: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``fcntl.flock`` on ``lock_file`` (created if needed) for the ``with`` block.

    Parameters
    ----------
    lock_file
        The lock file, e.g. ``DIR/.lock`` for changes to the files in ``DIR``.
    blocking
        Wait for the lock (default), or give up at once when another process holds it.

    Yields
    ------
    bool
        Whether the lock is held (always ``True`` when ``blocking``).
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_table(path: Path) -> tuple[list[str], list[Row]]:
    """A CSV file's header and rows (cells as text, missing cells as ``""``); empty if absent.

    Raises
    ------
    DataError
        For a header that repeats a column name (naming file, line 1 and column), or a row with
        more cells than the header (naming file, line and model): rewriting the file would lose
        the cells of one of the two columns, or the cells beyond the header.
    """
    if not path.exists():
        return [], []
    # utf-8-sig: a file saved by a spreadsheet program starts with a byte-order mark.
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh, restval="")
        header = reader.fieldnames or []
        repeated = next((name for name in header if header.count(name) > 1), None)
        if repeated is not None:  # DictReader keeps only the last of the two cells
            raise DataError(
                "the header repeats this column: fix it before collecting into this file",
                file=str(path),
                row=1,
                column=repeated,
            )
        rows = []
        for row in reader:
            if None in row:  # DictReader keeps the cells beyond the header under None
                raise DataError(
                    f"the row has {len(row) - 1 + len(row[None])} cells, the header "
                    f"{len(reader.fieldnames)}: fix or remove it before collecting into this file",
                    file=str(path),
                    row=reader.line_num,
                    model=row.get("model"),
                )
            rows.append(row)
        return list(header), rows


def write_table(path: Path, header: list[str], rows: list[Row]) -> None:
    """Replace ``path`` atomically by a CSV file with this header and these rows.

    Cells a row lacks are written empty.
    """

    def write(fh) -> None:
        writer = csv.DictWriter(fh, fieldnames=header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)

    _atomic(path, write, newline="")


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically by ``data`` as JSON."""
    _atomic(path, lambda fh: json.dump(data, fh, indent=1, sort_keys=True))


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Replace ``path`` atomically by ``text``."""
    path = Path(path)
    _atomic(path, lambda fh: fh.write(text), newline="")
    return path


def write_csv(
    path: str | os.PathLike, table: pd.DataFrame, *, float_format: str | None = None
) -> Path:
    """Replace ``path`` atomically by a DataFrame as CSV (without its index).

    Parameters
    ----------
    path
        The file to replace.
    table
        The rows to write.
    float_format
        A ``%``-format for floats (e.g. ``"%.6g"``); ``None`` writes them in full.

    Returns
    -------
    Path
        ``path``.
    """
    return write_text(path, table.to_csv(index=False, float_format=float_format))


def write_figure(path: str | os.PathLike, figure: Figure, *, dpi: int = 130) -> Path:
    """Replace ``path`` atomically by a matplotlib figure, its format taken from the suffix."""
    path = Path(path)
    _atomic(path, lambda fh: figure.savefig(fh, dpi=dpi, format=path.suffix.lstrip(".")), mode="wb")
    return path


def prepare_directory(path: str | os.PathLike) -> Path:
    """Create the output directory ``path`` before the work whose results go there.

    A command checks its output first so that a mistyped ``--out`` fails at once, not after a
    fit of many minutes.

    Returns
    -------
    Path
        ``path``, which now exists and takes new files.

    Raises
    ------
    OutputError
        When ``path`` (or a folder above it) is a file, or it cannot be created or written to.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(
            f"{path} is a file, not a directory: give a directory for the results"
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot create the directory {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into the directory {path}: permission denied")
    return path


def check_file_path(path: str | os.PathLike) -> Path:
    """Check, before the work, that a file can be written at ``path`` (its folder is created).

    Raises
    ------
    OutputError
        When ``path`` is a directory, or its folder cannot be created or written to.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a directory: give a file name")
    prepare_directory(path.parent)
    return path


def check_result_files(directory: str | os.PathLike, names: Iterable[str]) -> list[Path]:
    """Check, before the work, that the files ``names`` can be written in the output directory.

    A command writes its results under fixed names in its output directory; a directory under
    one of those names would fail the write only after the work.

    Parameters
    ----------
    directory
        The output directory (created if needed).
    names
        The file names the command writes there.

    Returns
    -------
    list of Path
        The result files, in the order of ``names``.

    Raises
    ------
    OutputError
        When the directory cannot take files (:func:`prepare_directory`), or a result file's
        name is taken by a directory.
    """
    directory = prepare_directory(directory)
    paths = [directory / name for name in names]
    for path in paths:
        if path.is_dir():
            raise OutputError(
                f"{path} is a directory, where a result file goes: move it away or write the "
                "results elsewhere"
            )
    return paths


def _atomic(path: Path, write, *, mode: str = "w", **open_kwargs) -> None:
    """Write ``path`` through a temporary file beside it; an ``OSError`` (a full disk, a
    directory under the name) is an :class:`OutputError` naming ``path``, the old file kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc) from None
    if "b" not in mode:
        open_kwargs.setdefault("encoding", "utf-8")
    try:
        with open(fd, mode, **open_kwargs) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; a result file gets the usual permissions (umask applied).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
    # The rename itself must reach the disk too, or a crash could bring the old file back.
    sync_to_disk(path.parent)


def write_error(path: Path, exc: OSError) -> OutputError:
    """The one-line error for a write of ``path`` that failed (Python's would be a traceback).

    Parameters
    ----------
    path
        The file (or zarr store) being written.
    exc
        What the write raised.

    Returns
    -------
    OutputError
        Naming ``path`` and the reason.
    """
    return OutputError(
        f"cannot write {path}: {exc.strerror or exc}; the files written before it are complete"
    )


def sync_to_disk(*paths: str | os.PathLike) -> None:
    """Flush each of ``paths`` to the disk: files, or directories (their entries, not what the
    entries hold).

    A result written elsewhere and renamed into place is synced before the rename (its
    contents) and its folder after (the rename), so a crash leaves the old result or the new
    one, never a truncated file.
    """
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
