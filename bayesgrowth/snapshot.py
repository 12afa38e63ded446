"""Where the snapshot lives: an explicit directory, ``BAYESGROWTH_DATA``, or a checked user cache.

The authors' snapshot (Bhandari, Chen & Gao 2025; MIT) is pinned by commit and by the sha256 of every
file (``snapshot_sha256sums.txt``, a copy of the snapshot's ``SHA256SUMS``). A user with no copy gets
the files fetched with :mod:`pooch`, which checks each hash on download.

The snapshot is named after its last download day, 2025-02-18, but its fine-tune table was
collected later, at about 23:10–23:30 UTC on 2025-02-20 (:data:`FINETUNES_COLLECTED`), and holds
complete months only. The data show both: the latest written month of any series ends at
2025-02-20 23:28:44 and the earliest unwritten month at 2025-02-20 23:08:00 (the collector's run
took a few minutes). Of the 3,797 series with fewer than 34 months, 358 have a month written
that had not ended on 2025-02-18, and the other 3,439 lack the month then in progress, which a
collector that wrote months in progress would have written. Read as of 2025-02-18, those 358
months (365 with the series at 34 months) would be taken for partial months read early.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

from bayesgrowth.csvfile import csv_files
from bayesgrowth.errors import DataError
from bayesgrowth.store import write_text

SNAPSHOT_NAME = "hf-paper-2025-02-18"
SNAPSHOT_COMMIT = "b273a980cc7412f7f1249016006984b6db540299"
SNAPSHOT_URL = (
    "https://raw.githubusercontent.com/KBhandari11/ForecastHuggingFaceModels/"
    f"{SNAPSHOT_COMMIT}/data/2025-02-18/"
)
ENV_DATA = "BAYESGROWTH_DATA"
ENV_URL = "BAYESGROWTH_SNAPSHOT_URL"
"""Overrides the base URL the pinned files are fetched from (a mirror; the tests' local server)."""
CHECKSUMS = "SHA256SUMS"
FINETUNES_COLLECTED = "2025-02-20T23:30:00Z"
"""When the pinned snapshot's fine-tune table was collected (to the minute after its last month)."""


def pinned_files() -> dict[str, str]:
    """The pinned snapshot files: relative path → sha256."""
    text = resources.files("bayesgrowth").joinpath("snapshot_sha256sums.txt").read_text()
    return parse_checksums(text)


def pinned_finetune_file(folder: Path) -> Path | None:
    """A CSV file in ``folder`` byte-identical to one of the pinned snapshot's fine-tune files.

    Such a file was collected at :data:`FINETUNES_COLLECTED`; ``None`` when there is none.
    """
    pinned = {d for name, d in pinned_files().items() if name.startswith("finetune/")}
    return next((p for p in csv_files(folder) if sha256(p) in pinned), None)


def parse_checksums(text: str, source: str | None = None) -> dict[str, str]:
    """Parse ``sha256sum`` output (``HASH  PATH`` per line) into ``{path: hash}``.

    A line of another shape is a :class:`DataError` naming ``source`` and the line.
    """
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                raise DataError(
                    "not a checksum line of the form 'HASH  PATH'", file=source, row=number
                )
            digest, name = parts
            out[name.lstrip("*").strip()] = digest.lower()
    return out


def sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksummed(root: Path) -> dict[str, str] | None:
    """File name (relative to ``root``) → sha256 from ``root/SHA256SUMS``; ``None`` without one."""
    listing = root / CHECKSUMS
    if not listing.is_file():
        return None
    return parse_checksums(listing.read_text(), str(listing))


def verify_checksums(root: Path) -> None:
    """Check every file a ``SHA256SUMS`` in ``root`` lists; a mismatch is an error naming the file."""
    for name, digest in (checksummed(root) or {}).items():
        path = root / name
        if not path.is_file():
            raise DataError(f"listed in {CHECKSUMS} but missing", file=str(path))
        if sha256(path) != digest:
            raise DataError(
                f"sha256 does not match {CHECKSUMS}: the file is corrupted or was edited; "
                "restore the original or remove it and the SHA256SUMS file",
                file=str(path),
            )


def cache_dir() -> Path:
    """The user cache directory the pinned snapshot is fetched into."""
    import pooch

    return Path(pooch.os_cache("bayesgrowth")) / SNAPSHOT_NAME


def fetch_snapshot(target: Path | None = None, base_url: str | None = None) -> Path:
    """Download the pinned snapshot files (skipping those already present and intact).

    Parameters
    ----------
    target
        Directory to fill; default :func:`cache_dir`.
    base_url
        Where the files are served; default ``BAYESGROWTH_SNAPSHOT_URL`` or the pinned commit's
        raw GitHub URL.

    Returns
    -------
    Path
        The directory, holding ``finetune/``, ``download/`` and a ``SHA256SUMS`` of the pinned files.
    """
    import pooch

    target = Path(target) if target is not None else cache_dir()
    base_url = base_url or os.environ.get(ENV_URL) or SNAPSHOT_URL
    files = pinned_files()
    lines = "".join(f"{digest}  {name}\n" for name, digest in files.items())
    listing = target / CHECKSUMS
    # A cache filled earlier is only read (each file's hash checked), so it may be read-only.
    filled = listing.is_file() and listing.read_text() == lines
    if not filled:
        _check_writable(target)
    fetcher = pooch.create(
        path=target,
        base_url=base_url.rstrip("/") + "/",
        registry={name: f"sha256:{digest}" for name, digest in files.items()},
    )
    for name in files:
        try:
            fetcher.fetch(name)
        except ValueError as exc:  # pooch raises ValueError on a hash mismatch
            raise DataError(f"download failed its sha256 check: {exc}", file=name) from None
        except OSError as exc:  # requests' errors derive from OSError (IOError)
            if exc.filename is not None:  # a local file or folder, not the network
                raise DataError(
                    f"cannot write the snapshot into {target} ({exc.strerror}: {exc.filename}); "
                    f"make it writable, or point --data or {ENV_DATA} at a local copy",
                    file=name,
                ) from None
            raise DataError(
                f"could not fetch the pinned snapshot from {base_url} ({type(exc).__name__}); "
                f"point --data or {ENV_DATA} at a local copy",
                file=name,
            ) from None
    if not filled:
        write_text(listing, lines)
    return target


def _check_writable(target: Path) -> None:
    """Fail before any download when ``target`` cannot take the files, naming it (not the URL)."""
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = "is not a directory" if target.exists() else f"cannot be created ({exc.strerror})"
        raise DataError(
            f"the snapshot folder {target} {problem}; point --data or {ENV_DATA} at a local copy"
        ) from None
    if not os.access(target, os.W_OK | os.X_OK):
        raise DataError(
            f"cannot write into the snapshot folder {target}: permission denied; point --data "
            f"or {ENV_DATA} at a local copy"
        )


def resolve_data_dir(data: str | Path | None) -> Path:
    """The data directory to read: ``data``, else ``$BAYESGROWTH_DATA``, else the fetched cache.

    The directory's ``SHA256SUMS``, when present, is verified.
    """
    via = ""
    if data is None and os.environ.get(ENV_DATA):
        data, via = os.environ[ENV_DATA], f" (from ${ENV_DATA})"
    root = Path(data).expanduser() if data is not None else fetch_snapshot()
    if not root.is_dir():
        problem = "is a file, not a directory" if root.exists() else "does not exist"
        raise DataError(f"data directory {root}{via} {problem}")
    verify_checksums(root)
    return root
