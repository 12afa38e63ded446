"""Count, month by month, the models built on base models, in the layout ``--data`` reads.

``OUT/finetune/<ORG>.csv`` holds, for each base model, the cumulative number of models declaring it
as their base model (by default the ``base_model:finetune:`` relation: ``base_model:ORG/NAME``
alone also matches adapters, quantisations and merges) at the end of each complete month since its
creation. Month ``k`` ends at ``created_at + k`` calendar months, as in the loader, and only months
ended by the collection time are written. Base models whose ``createdAt`` is the Hub's floor
(2022-03-02, given to every older model) are skipped unless asked for: their real creation date,
hence their month 0, is unknown. So are those the Hub says do not exist or may not be read (HTTP
403, 404, or 401 on the model's URL): the next collection asks again. A model the Hub answers
under another id (renamed) is a failure naming that id. A base model already in a file of ``OUT/finetune/``
(the snapshot names its files by organisation, e.g. ``DeepSeek.csv``) is updated there. Downloads
are recorded by :mod:`bayesgrowth.downloads`.

Interrupted runs
----------------
A collection keeps a checkpoint in ``OUT/.collect-state/``: the collection time, the base models to
do and those done (each written to its CSV file, under a lock and atomically, before it is marked
done). Run again with the same arguments, it skips the models done and counts as of the first run's
collection time, so it ends with the rows an uninterrupted run gives; the checkpoint is deleted once
every model is done or skipped. A run stops at once when the Hub cannot be reached, its checkpoint
kept. ``OUT/finetune/AS_OF`` keeps the latest collection time: it dates the
directory for the loader when no later download day does. The listing of one base model cannot resume mid-way (huggingface_hub cannot
start at a given page): it starts again from page 1, models keyed by id so none is counted twice.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from huggingface_hub import HfApi

from bayesgrowth.data import FINETUNE_DIR, MONTH_COLUMN
from bayesgrowth.datadate import AS_OF_FILE, read_as_of
from bayesgrowth.errors import BayesGrowthError, HubError
from bayesgrowth.hub import (
    DEFAULT_RETRY,
    Log,
    ModelUnavailable,
    RetryPolicy,
    listing,
    model_info,
    stderr_log,
    summary,
)
from bayesgrowth.panel import add_months, months_between, to_utc
from bayesgrowth.store import (
    LOCK_NAME,
    Row,
    find_row,
    locked,
    model_file,
    read_table,
    write_json,
    write_table,
    write_text,
)

RELATIONS = ("finetune", "adapter", "quantized", "merge")
"""How a model can declare its base model on the Hub (the ``base_model:RELATION:ID`` filter)."""
_PLURAL = {
    "finetune": "fine-tunes",
    "adapter": "adapters",
    "quantized": "quantisations",
    "merge": "merges",
}
CREATED_AT_FLOOR = pd.Timestamp("2022-03-03", tz="UTC")
"""The Hub gives ``createdAt`` 2022-03-02 to every model created before: earlier means censored."""
STATE_DIR = ".collect-state"


@dataclass
class FinetuneResult:
    """What :func:`collect_finetunes` did, over the first run and any resumed one.

    Attributes
    ----------
    as_of
        The collection time: months ended by then are counted.
    counted
        Base model → its cumulative count at the last complete month.
    skipped
        Base model → why it was left out.
    files
        The CSV files written.
    """

    as_of: pd.Timestamp
    counted: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    files: set[Path] = field(default_factory=set)


def monthly_counts(
    created_at: pd.Timestamp, children: Iterable[datetime], as_of: pd.Timestamp
) -> list[int]:
    """Cumulative counts at months ``0 … K``, ``K`` the last month ended by ``as_of``.

    Parameters
    ----------
    created_at
        The base model's creation time; month ``k`` ends at ``created_at + k`` calendar months.
    children
        Creation times of the models that declare it as base model.
    as_of
        The collection time.

    Returns
    -------
    list of int
        Models created by the end of each month. Month 0 is the creation instant: always 0.
    """
    last = int(months_between(pd.Series([created_at]), as_of)[0])
    ends = add_months(pd.Series([created_at] * (last + 1)), np.arange(last + 1))
    times = sorted(pd.Timestamp(t) for t in children)
    return [0] + [bisect_right(times, end) for end in ends.iloc[1:]]


def collect_finetunes(
    api: HfApi,
    out: Path,
    *,
    models: Sequence[str] = (),
    orgs: Sequence[str] = (),
    relations: Sequence[str] = ("finetune",),
    as_of: pd.Timestamp | None = None,
    include_censored: bool = False,
    policy: RetryPolicy = DEFAULT_RETRY,
    log: Log = stderr_log,
) -> FinetuneResult:
    """Count the models built on each base model, month by month, into ``out/finetune/``.

    Parameters
    ----------
    api
        The Hub client (see :func:`bayesgrowth.hub.make_api`).
    out
        Output directory; ``--data out`` reads it.
    models
        Base model ids (``ORG/NAME``).
    orgs
        Organisations whose every model is a base model.
    relations
        Which declarations count (see :data:`RELATIONS`); a model declaring several is counted once.
    as_of
        Count months ended by this time. Default: now, or, when resuming, the first run's time.
    include_censored
        Keep base models whose ``createdAt`` is the Hub's 2022-03-02 floor.
    policy
        Retries of failed requests.
    log
        Where progress lines go.

    Returns
    -------
    FinetuneResult
        What was counted, skipped and written.

    Raises
    ------
    BayesGrowthError
        For an unknown relation, a malformed organisation name or an ``as_of`` in the future.
    HubError
        When some base models could not be collected (the others are written, and the same
        command resumes with the missing ones), or an organisation lists no models.
    HubUnavailable
        When the Hub cannot be reached: the run stops, and the same command resumes.
    """
    unknown = sorted(set(relations) - set(RELATIONS))
    if unknown:
        raise BayesGrowthError(
            f"unknown relation(s) {', '.join(unknown)}; choose from {', '.join(RELATIONS)}"
        )
    bad = [org for org in orgs if not is_organisation_name(org)]
    if bad:
        raise BayesGrowthError(f"{bad[0]!r} is not an organisation name (no '/', not empty)")
    if as_of is not None and to_utc(as_of) > pd.Timestamp.now(tz="UTC"):
        # months ending later would be written with counts that are not final
        raise BayesGrowthError(f"as_of {as_of} is in the future")
    spec = {
        "models": sorted(set(models)),
        "orgs": sorted(set(orgs)),
        "relations": sorted(set(relations)),
        "as_of": None if as_of is None else to_utc(as_of).isoformat(),
        "include_censored": include_censored,
    }
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    state_path = out / STATE_DIR / f"finetunes-{key}.json"
    with locked(state_path.with_suffix(".lock"), blocking=False) as held:
        if not held:
            raise BayesGrowthError(
                f"another `collect finetunes` with the same arguments is writing to {out}"
            )
        return _run_finetunes(api, out, spec, state_path, policy, log)


def _run_finetunes(
    api: HfApi, out: Path, spec: dict, state_path: Path, policy: RetryPolicy, log: Log
) -> FinetuneResult:
    if state_path.exists():
        state = json.loads(state_path.read_text())
        log(
            f"resuming the collection begun {state['as_of']}: {len(state['done'])} base model(s) "
            f"done (delete {state_path.parent} to start afresh)"
        )
    else:
        now = pd.Timestamp.now(tz="UTC").floor("s")
        state = {"as_of": spec["as_of"] or now.isoformat(), "bases": None, "done": {}}
    as_of = to_utc(state["as_of"])
    if state["bases"] is None:
        state["bases"] = _resolve_bases(api, spec["models"], spec["orgs"], policy, log)
        write_json(state_path, state)
    _date_directory(out, as_of)
    bases = sorted(state["bases"])
    what = ", ".join(_PLURAL[r] for r in spec["relations"])
    log(f"counting {what} of {len(bases)} base model(s) as of {as_of}")
    failures = []
    for i, base in enumerate(bases, 1):
        if base in state["done"]:
            continue
        tag = f"[{i}/{len(bases)}] {base}"
        try:
            state["done"][base] = _collect_one(
                api, base, state["bases"][base], out, spec, as_of, policy, log, tag
            )
        except ModelUnavailable as exc:
            log(f"{tag}: skipped: {exc.reason}")
            state["done"][base] = {"skipped": exc.reason}
        except HubError as exc:
            log(f"{tag}: failed: {exc}")
            failures.append(str(exc))
            continue
        write_json(state_path, state)
    if failures:
        raise HubError(
            f"{len(failures)} of {len(bases)} base model(s) failed; the others are written and "
            f"the same command retries only these: {summary(failures)}"
        )
    state_path.unlink()
    result = FinetuneResult(as_of=as_of)
    for base, done in state["done"].items():
        if "skipped" in done:
            result.skipped[base] = done["skipped"]
        else:
            result.counted[base] = done["count"]
            result.files.add(Path(done["file"]))
    return result


def is_organisation_name(name: str) -> bool:
    """Whether ``name`` can be a Hub namespace to list: not blank, no ``/``.

    The Hub ignores an empty author filter and would list every model it holds.
    """
    return bool(name.strip()) and "/" not in name


def _date_directory(out: Path, as_of: pd.Timestamp) -> None:
    """Record in ``out/finetune/AS_OF`` the latest collection time, which dates the data."""
    marker = out / FINETUNE_DIR / AS_OF_FILE
    with locked(marker.parent / LOCK_NAME):
        old = read_as_of(marker) if marker.exists() else as_of
        write_text(marker, max(old, as_of).isoformat() + "\n")


def _resolve_bases(
    api: HfApi, models: list[str], orgs: list[str], policy: RetryPolicy, log: Log
) -> dict[str, str | None]:
    """Base model id → its ``createdAt`` when a listing already gave it (else ``None``)."""
    bases: dict[str, str | None] = dict.fromkeys(models)
    for org in orgs:
        found = listing(
            partial(api.list_models, author=org, expand=["createdAt"]),
            model=org,
            what="models",
            policy=policy,
            log=log,
        )
        if not found:
            raise HubError(f"the Hub lists no models by {org!r}: check the organisation's name")
        log(f"{org}: {len(found):,} models")
        for model_id, info in found.items():
            bases[model_id] = None if info.created_at is None else info.created_at.isoformat()
    return bases


def _collect_one(
    api: HfApi,
    base: str,
    created: str | None,
    out: Path,
    spec: dict,
    as_of: pd.Timestamp,
    policy: RetryPolicy,
    log: Log,
    tag: str,
) -> dict:
    """Count one base model's children into the file that holds it; what to checkpoint."""
    relations = spec["relations"]
    if created is None:
        info = model_info(api, base, ["createdAt"], policy=policy, log=log)
        if info.created_at is None:
            raise HubError("the Hub gave no createdAt", model=base)
        created = info.created_at
    created = to_utc(created)
    if created < CREATED_AT_FLOOR and not spec["include_censored"]:
        log(f"{tag}: skipped: createdAt {created.date()} is the Hub's floor (real date unknown)")
        return {"skipped": "createdAt on the Hub's 2022-03-02 floor"}
    if created > as_of:
        log(f"{tag}: skipped: created after {as_of}")
        return {"skipped": "created after the collection time"}
    log(f"{tag}: created {created}; listing {', '.join(_PLURAL[r] for r in relations)}")
    children = {}
    for relation in relations:
        children |= listing(
            partial(api.list_models, filter=f"base_model:{relation}:{base}", expand=["createdAt"]),
            model=base,
            what=_PLURAL[relation],
            policy=policy,
            log=log,
        )
    undated = [m for m, info in children.items() if info.created_at is None]
    if undated:
        raise HubError(f"the listing gave no createdAt for {undated[0]}", model=base)
    times = [info.created_at for info in children.values()]
    counts = monthly_counts(created, times, as_of)
    early = sum(to_utc(t) <= created for t in times)
    if early:
        log(f"  {base}: {early} model(s) dated before their base model: counted from month 1")
    directory = out / FINETUNE_DIR
    with locked(directory / LOCK_NAME):
        path = model_file(directory, base)
        _replace_finetune_row(path, base, counts, created)
    log(f"{tag}: {len(times):,} listed, {counts[-1]:,} by month {len(counts) - 1} -> {path}")
    return {"count": counts[-1], "file": str(path)}


def _replace_finetune_row(path: Path, model: str, counts: list[int], created: pd.Timestamp) -> None:
    header, rows = read_table(path)
    months = max([int(m.group(1)) + 1 for c in header if (m := MONTH_COLUMN.match(c))], default=0)
    extras = [c for c in header if not MONTH_COLUMN.match(c) and c not in ("model", "created_at")]
    row = {f"{k}-month": str(v) for k, v in enumerate(counts)}
    row |= {"model": model, "created_at": created.isoformat(sep=" ")}
    _put_row(rows, row)
    months = max(months, len(counts))
    header = ["model", *(f"{k}-month" for k in range(months)), *extras, "created_at"]
    write_table(path, header, rows)


def _put_row(rows: list[Row], row: Row) -> None:
    """Replace the counts and creation time of the same model's row in place, or append the row.

    The old row's other cells (the snapshot's paper estimates, company, …) are kept.
    """
    old = find_row(rows, row["model"])
    if old is None:
        rows.append(row)
        return
    others = {c: v for c, v in old.items() if c not in row and not MONTH_COLUMN.match(c)}
    old.clear()
    old.update(row | others)
