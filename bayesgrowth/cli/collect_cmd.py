"""``bayesgrowth collect …``: fetch live series from the Hugging Face Hub into ``--data`` layouts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from huggingface_hub.utils import HFValidationError, validate_repo_id

from bayesgrowth.collect import RELATIONS, collect_finetunes, is_organisation_name
from bayesgrowth.csvfile import not_utf8
from bayesgrowth.downloads import collect_downloads
from bayesgrowth.errors import OutputError
from bayesgrowth.hub import RetryPolicy, make_api, summary
from bayesgrowth.panel import to_utc
from bayesgrowth.snapshot import CHECKSUMS
from bayesgrowth.store import prepare_directory

collect_app = typer.Typer(
    help="Collect live data from the Hugging Face Hub (token: HF_TOKEN or `hf auth login`).",
    no_args_is_help=True,
)

ModelsOption = Annotated[
    list[str] | None,
    typer.Option("--model", help="Model id ORG/NAME; repeat for several.", show_default=False),
]
FromFileOption = Annotated[
    Path | None,
    typer.Option(
        "--from-file",
        help="File of model ids, one a line ('#' starts a comment).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        help="Hub URL. Default: $HF_ENDPOINT, else https://huggingface.co.",
        show_default=False,
    ),
]
BackoffOption = Annotated[
    float, typer.Option("--backoff-base", hidden=True, help="First retry wait, in seconds.")
]


def _model_ids(models: list[str] | None, from_file: Path | None) -> list[str]:
    """Ids from ``--model`` then ``--from-file``, first occurrence kept, each checked.

    The file is read as UTF-8 with or without a byte-order mark (as a spreadsheet saves it);
    an id that is not valid is named with its line, and so is the first byte of a file that is
    not UTF-8.
    """
    ids = [(model, "--model") for model in models or []]
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise not_utf8(from_file) from None
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append((line, f"--from-file {from_file}, line {number}"))
    for model, where in ids:
        org, _, name = model.partition("/")
        if not org or not name or "/" in name:
            raise typer.BadParameter(
                f"{model!r} is not a model id of the form ORG/NAME", param_hint=where
            )
        try:
            validate_repo_id(model)
        except HFValidationError as exc:
            raise typer.BadParameter(str(exc), param_hint=where) from None
    return list(dict.fromkeys(model for model, _ in ids))


def _store_directory(path: Path) -> Path:
    """The directory a collection writes into, created (see :func:`prepare_directory`).

    A copy of the snapshot with its ``SHA256SUMS`` is refused: the loader checks every file listed
    there, so a count collected into one of them would leave the directory unreadable.
    """
    prepare_directory(path)
    if (path / CHECKSUMS).is_file():
        raise OutputError(
            f"{path} holds {CHECKSUMS}, which the loader checks every file it lists against: "
            "collecting would change those files and leave the directory unreadable; delete "
            f"{path / CHECKSUMS} to make the copy your own store, or collect elsewhere"
        )
    return path


@collect_app.command("finetunes")
def finetunes(
    out: Annotated[
        Path, typer.Option("--out", help="Output directory (then: --data DIR).", show_default=False)
    ],
    model: ModelsOption = None,
    org: Annotated[
        list[str] | None,
        typer.Option(
            "--org",
            help="Take every model of this organisation as a base model.",
            show_default=False,
        ),
    ] = None,
    from_file: FromFileOption = None,
    relations: Annotated[
        str,
        typer.Option(
            "--relations",
            help=f"Which declared relations to count, comma-separated, from {','.join(RELATIONS)}.",
        ),
    ] = "finetune",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Count months ended by this UTC time, YYYY-MM-DD[ HH:MM:SS] (default: now; a "
            "resumed run keeps the first run's). Models deleted since are not counted.",
            show_default=False,
        ),
    ] = None,
    include_censored: Annotated[
        bool,
        typer.Option(
            "--include-censored",
            help="Keep base models whose createdAt is the Hub's 2022-03-02 floor (created earlier, "
            "date unknown); the paper excluded them.",
        ),
    ] = False,
    endpoint: EndpointOption = None,
    backoff_base: BackoffOption = 1.0,
) -> None:
    """Monthly cumulative counts of the models built on each base model, from its creation on.

    Writes OUT/finetune/ORG.csv (complete months only). Stopped or failed, the same command resumes.
    """
    models = _model_ids(model, from_file)
    if not models and not org:
        raise typer.BadParameter("give base models with --model, --org or --from-file")
    for name in org or []:
        if not is_organisation_name(name):
            raise typer.BadParameter(
                f"{name!r} is not an organisation name (the part of a model id before '/')",
                param_hint="--org",
            )
    when = None
    if as_of is not None:
        try:
            when = to_utc(as_of)
        except ValueError:
            raise typer.BadParameter(
                f"{as_of!r} is not a date or time in ISO form (YYYY-MM-DD[ HH:MM:SS])",
                param_hint="--as-of",
            ) from None
        if when > pd.Timestamp.now(tz="UTC"):
            raise typer.BadParameter(f"{as_of} is in the future", param_hint="--as-of")
    chosen = [r.strip() for r in relations.split(",") if r.strip()]
    unknown = sorted(set(chosen) - set(RELATIONS))
    if unknown or not chosen:
        raise typer.BadParameter(
            f"{relations!r}: choose from {', '.join(RELATIONS)}", param_hint="--relations"
        )
    result = collect_finetunes(
        make_api(endpoint),  # first: an unusable Hub setting creates nothing
        _store_directory(out),
        models=models,
        orgs=org or [],
        relations=chosen,
        as_of=when,
        include_censored=include_censored,
        policy=RetryPolicy(base_s=backoff_base),
    )
    skipped = f", skipped {len(result.skipped)}" if result.skipped else ""
    print(f"as of {result.as_of}: counted {len(result.counted)} base model(s){skipped}")
    for reason, bases in _by_reason(result.skipped).items():
        print(f"skipped {len(bases)} ({reason}): {summary(bases, sep=', ')}")
    for path in sorted(result.files):
        print(f"wrote {path}")


def _by_reason(skipped: dict[str, str]) -> dict[str, list[str]]:
    """Reason → the models skipped for it, in the order given."""
    grouped: dict[str, list[str]] = {}
    for model, reason in skipped.items():
        grouped.setdefault(reason, []).append(model)
    return grouped


@collect_app.command("downloads")
def downloads(
    store: Annotated[
        Path,
        typer.Option("--store", help="Store directory (then: --data DIR).", show_default=False),
    ],
    model: ModelsOption = None,
    from_file: FromFileOption = None,
    endpoint: EndpointOption = None,
    day: Annotated[
        str | None, typer.Option("--date", hidden=True, help="Record as this day (tests).")
    ] = None,
    backoff_base: BackoffOption = 1.0,
) -> None:
    """Record each model's all-time downloads for today (UTC) in STORE/download/ORG.csv.

    Run it daily (cron, systemd timer). A second run the same day changes nothing.
    """
    models = _model_ids(model, from_file)
    if not models:
        raise typer.BadParameter("give models with --model or --from-file")
    now = datetime.now(UTC).date()
    try:
        today = date.fromisoformat(day) if day else now
    except ValueError:
        raise typer.BadParameter(f"{day!r} is not YYYY-MM-DD", param_hint="--date") from None
    if today > now:  # the loader refuses a download day after today
        raise typer.BadParameter(f"{day} is in the future", param_hint="--date")
    result = collect_downloads(
        make_api(endpoint),  # first: an unusable Hub setting creates nothing
        _store_directory(store),
        models,
        day=today,
        policy=RetryPolicy(base_s=backoff_base),
    )
    print(
        f"{today}: recorded {len(result.recorded)}, already recorded {len(result.unchanged)}, "
        f"not recorded (count went down) {len(result.inconsistent)}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``collect`` to the top-level app."""
    app.add_typer(collect_app, name="collect")
