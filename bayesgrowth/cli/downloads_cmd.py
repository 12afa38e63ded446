"""``bayesgrowth deepseek``: the paper's DeepSeek-R1 download forecast, tested (issue 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth.cli.options import DataOption, load_reported, naming_completed, note_fewer_draws
from bayesgrowth.defaults import FORECAST_SAMPLES, SHORT_HISTORY_DRAWS, SHORT_HISTORY_TUNE
from bayesgrowth.store import (
    check_result_files,
    prepare_directory,
    write_csv,
    write_figure,
    write_text,
)

STUDY_RESULTS = ("table.csv", "diagnostics.txt", "claim.png", "largest.png", "prior.png")
"""The files ``deepseek`` writes beside its fit ``fit.nc``."""


def deepseek(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the table, figures and diagnostics.")
    ] = Path("results/deepseek"),
    data: DataOption = None,
    organization: Annotated[
        str, typer.Option("--organization", help="Whose models go into the table.")
    ] = "DeepSeek",
    day: Annotated[
        list[int] | None,
        typer.Option("--day", help="Day to report (repeatable; the claim's day 75 is always in)."),
    ] = None,
    draws: Annotated[int, typer.Option(help="Kept draws per chain.")] = SHORT_HISTORY_DRAWS,
    tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = SHORT_HISTORY_TUNE,
    chains: Annotated[int, typer.Option(help="Chains (run in parallel).")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed (sampler and forecasts).")] = 0,
    samples: Annotated[
        int,
        typer.Option(
            min=1, help="Posterior draws used by the forecasts, at most the fit's chains × draws."
        ),
    ] = FORECAST_SAMPLES,
) -> None:
    """Fit every download series' first 20 days; forecast the organisation's models to day 75.

    Writes table.csv (median and 90% band beside the actual count and the paper's curve fit),
    claim.png (DeepSeek-R1 like the paper's Fig. 10, when it is among the organisation's models),
    largest.png, prior.png (the prior predictive check of the download priors against the counts
    at the cut), diagnostics.txt and fit.nc. What an earlier study wrote there is removed once
    the fit is done.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    from bayesgrowth.claims import format_table, report_days, study_claim, study_figures
    from bayesgrowth.fitfile import check_save_path
    from bayesgrowth.fitting import SamplerSettings
    from bayesgrowth.plots import plot_fit_prior_predictive

    # Output, days and sampler settings are checked before any data are read.
    fit_path = check_save_path(prepare_directory(out) / "fit.nc")
    check_result_files(out, STUDY_RESULTS)
    days = report_days(day or (29, 75))
    SamplerSettings(draws=draws, tune=tune, chains=chains, seed=seed)
    panel = load_reported(data, metrics=("downloads",))
    study = study_claim(
        panel,
        organization=organization,
        days=days,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        n_samples=samples,
    )
    # An earlier study's files go before the new fit is saved, so none is left beside it: not
    # the claim figure a study without the claimed model does not draw, nor any file a study
    # interrupted from here on would not reach.
    for name in STUDY_RESULTS:
        (out / name).unlink(missing_ok=True)
    # a failure from here on names what is complete, as run does: the fit takes long
    with naming_completed(out, [out / name for name in STUDY_RESULTS]) as written:
        written.append(study.fit.save(fit_path))
        # a fit of fewer draws than --samples (--draws 300 --chains 1) is forecast from all it holds
        note_fewer_draws(study.fit, samples, "the fit")
        write_csv(out / "table.csv", study.table)
        diagnostics = study.fit.diagnostics().lines()
        write_text(out / "diagnostics.txt", "\n".join(diagnostics) + "\n")
        prior, _ = plot_fit_prior_predictive(study.fit, study.first_days)
        figures = {**study_figures(study), "prior.png": prior}
        if "claim.png" not in figures:
            print(
                f"no claim.png: {study.claim.model} is not among the {organization} models studied"
            )
        for name, figure in figures.items():
            write_figure(out / name, figure, dpi=130)
            plt.close(figure)
    print(f'claim: "{study.claim.quote}"')
    print(format_table(study.table))
    print("diagnostics:")
    for line in diagnostics:
        print(f"  {line}")
    print(f"wrote table.csv, {', '.join(figures)}, diagnostics.txt and fit.nc to {out}/")


def register(app: typer.Typer) -> None:
    """Attach ``deepseek`` to the top-level app."""
    app.command("deepseek")(deepseek)
