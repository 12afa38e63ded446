"""``bayesgrowth fit | forecast | parameters | run``: the hierarchical model from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bayesgrowth import defaults
from bayesgrowth.cli.options import (
    DataOption,
    MetricOption,
    load_reported,
    naming_completed,
    note_fewer_draws,
)
from bayesgrowth.store import (
    check_result_files,
    prepare_directory,
    write_csv,
    write_figure,
    write_text,
)

# PyMC takes seconds to import: the model modules are imported inside the commands that need
# them, so `bayesgrowth data …` and `--help` stay quick.

FitPath = Annotated[
    Path, typer.Option("--fit", help="A saved fit (netCDF, or zarr when it ends in .zarr).")
]


RUN_RESULTS = (
    "forecasts.csv",
    "forecasts.png",
    "prior-predictive.png",
    "parameters.csv",
    "extreme-paper-fits.csv",
    "organisations.csv",
    "diagnostics.txt",
)
"""The files ``run`` writes beside its fit ``fit-METRIC.nc``, each named ``NAME-METRIC.EXT``."""


def _fit(panel, metric, settings):
    """Fit ``panel``'s ``metric`` series with the sampler ``settings`` (a
    :class:`~bayesgrowth.fitting.SamplerSettings`), printing progress and diagnostics."""
    from dataclasses import asdict

    from bayesgrowth.fitting import fit as fit_model

    print(f"fitting {panel.metric(metric).n_series:,} {metric} series from {panel.source}")
    result = fit_model(panel, metric, **asdict(settings))
    print("diagnostics:")
    for line in result.diagnostics().lines():
        print(f"  {line}")
    return panel.metric(metric), result


def _run_figures(panel, result, forecast, files: dict[str, Path], n: int = 6) -> None:
    """``run``'s figures: the forecast bands of the ``n`` series with the largest last count,
    and the prior predictive check of the fit's priors over the longest history."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    from bayesgrowth.plots import plot_fit_prior_predictive, plot_forecasts

    models = panel.series.nlargest(n, "last_value")["model"].tolist()
    figures = {
        "forecasts.png": plot_forecasts(
            panel.observations, forecast, models, metric=result.design.metric
        ),
        "prior-predictive.png": plot_fit_prior_predictive(
            result, max(int(panel.series["last_t"].max()), 1)
        )[0],
    }
    for name, figure in figures.items():
        write_figure(files[name], figure)
        plt.close(figure)


def _write_run(panel, result, horizon: int, files: dict[str, Path]) -> None:
    """``run``'s files beside the saved fit: forecasts, figures, tables and diagnostics."""
    note_fewer_draws(result, defaults.FORECAST_SAMPLES, "the fit")
    forecast = result.forecast(horizon)
    write_csv(files["forecasts.csv"], forecast)
    _run_figures(panel, result, forecast, files)
    parameters = result.parameters()
    write_csv(files["parameters.csv"], parameters)
    if "paper_lambda" in parameters:
        from bayesgrowth.report import extreme_paper_fits

        write_csv(files["extreme-paper-fits.csv"], extreme_paper_fits(parameters))
    write_csv(files["organisations.csv"], result.organisations())
    write_text(files["diagnostics.txt"], "\n".join(result.diagnostics().lines()) + "\n")


def _load_warned(path: Path):
    """Reopen a saved fit, repeating on stderr each sampling problem it was saved with."""
    from bayesgrowth.result import load

    result = load(path)
    for problem in result.diagnostics().problems():
        print(f"WARNING: {path} was sampled with a problem: {problem}", file=sys.stderr)
    return result


def register(app: typer.Typer) -> None:
    """Attach the model commands to the top-level app."""

    @app.command("fit")
    def fit_cmd(
        out: Annotated[Path, typer.Option("--out", help="Where to save the fit (.nc or .zarr).")],
        data: DataOption = None,
        metric: MetricOption = "finetunes",
        org: Annotated[
            list[str] | None, typer.Option("--org", help="Only this organisation (repeatable).")
        ] = None,
        model: Annotated[
            list[str] | None, typer.Option("--model", help="Only this model id (repeatable).")
        ] = None,
        draws: Annotated[int, typer.Option(help="Kept draws per chain.")] = defaults.DRAWS,
        tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = defaults.TUNE,
        chains: Annotated[int, typer.Option(help="Chains (run in parallel).")] = 2,
        seed: Annotated[int, typer.Option(help="Random seed (sampler and forecasts).")] = 0,
        sampler: Annotated[str, typer.Option(help="nutpie, pymc or numpyro.")] = "nutpie",
        target_accept: Annotated[
            float, typer.Option(help="NUTS target acceptance.")
        ] = defaults.TARGET_ACCEPT,
    ) -> None:
        """Fit the hierarchical model and save the posterior; prints a diagnostics summary."""
        from bayesgrowth.fitfile import check_save_path
        from bayesgrowth.fitting import SamplerSettings, require_backend

        # Output, backend and settings are checked before any data are read.
        check_save_path(out)
        require_backend(sampler)
        settings = SamplerSettings(
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            sampler=sampler,
            target_accept=target_accept,
        )
        panel = load_reported(data, metrics=(metric,))
        if org or model:
            panel = panel.select(organizations=org or None, models=model or None)
        _, result = _fit(panel, metric, settings)
        print(f"saved {result.save(out)}")

    @app.command("forecast")
    def forecast_cmd(
        fit: FitPath,
        out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
        horizon: Annotated[
            int,
            typer.Option(
                min=1,
                help="Steps forecast past each series' last complete one (months for a fine-tune "
                "fit, days for a download fit; with --new-model-of, from its release).",
            ),
        ] = 12,
        new_model_of: Annotated[
            str | None,
            typer.Option(
                "--new-model-of",
                help="Forecast a model of this organisation released today, instead.",
            ),
        ] = None,
        release_batch: Annotated[
            int | None,
            typer.Option(
                min=1,
                help="With --new-model-of, on a fine-tune fit: models the organisation releases "
                "this month, this one included (default 1: on its own).",
                show_default=False,
            ),
        ] = None,
        samples: Annotated[
            int, typer.Option(min=1, help="Posterior draws used, at most the fit's chains × draws.")
        ] = defaults.FORECAST_SAMPLES,
    ) -> None:
        """Write forecasts of the cumulative count: mean and 5/25/50/75/95% quantiles per step."""
        from bayesgrowth.fitfile import check_table_path

        if release_batch is not None and new_model_of is None:
            raise typer.BadParameter("goes with --new-model-of", param_hint="--release-batch")
        check_table_path(out)
        result = _load_warned(fit)
        note_fewer_draws(result, samples, str(fit))
        if new_model_of is not None:
            table = result.forecast_new(
                new_model_of, horizon, release_batch=release_batch or 1, n_samples=samples
            )
        else:
            table = result.forecast(horizon, n_samples=samples)
        write_csv(out, table)
        print(f"wrote {len(table):,} rows to {out}")

    @app.command("parameters")
    def parameters_cmd(
        fit: FitPath,
        out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    ) -> None:
        """Write λ, μ, σ posterior medians and 90% intervals per model, beside the paper's values.

        The paper's values are there when the fit's data carry the authors' estimates: the
        snapshot has them for fine-tunes only.
        """
        from bayesgrowth.fitfile import check_table_path

        check_table_path(out)
        table = _load_warned(fit).parameters()
        write_csv(out, table)
        print(f"wrote {len(table):,} rows to {out}")

    @app.command("run")
    def run_cmd(
        out: Annotated[Path, typer.Option("--out", help="Directory for the results.")] = Path(
            "results/latest"
        ),
        data: DataOption = None,
        metric: MetricOption = "finetunes",
        draws: Annotated[int, typer.Option(help="Kept draws per chain.")] = defaults.DRAWS,
        tune: Annotated[int, typer.Option(help="Tuning steps per chain.")] = defaults.TUNE,
        horizon: Annotated[
            int,
            typer.Option(
                min=1, help="Forecast horizon in steps: months for finetunes, days for downloads."
            ),
        ] = 12,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    ) -> None:
        """The main job: fit every series, then write the fit, forecasts, figures and tables.

        Beside the fit: forecasts (table and a figure of the largest series' bands), the prior
        predictive check, parameters, the authors' extreme curve fits beside ours (where the
        data carry their estimates), organisation summaries and diagnostics. What an earlier
        run of the metric wrote there is removed once the fit is done.
        """
        from bayesgrowth.fitfile import check_save_path
        from bayesgrowth.fitting import SamplerSettings
        from bayesgrowth.forecast import check_size

        settings = SamplerSettings(draws=draws, tune=tune, seed=seed)
        fit_path = check_save_path(prepare_directory(out) / f"fit-{metric}.nc")
        names = [name.replace(".", f"-{metric}.", 1) for name in RUN_RESULTS]
        files = dict(zip(RUN_RESULTS, check_result_files(out, names), strict=True))
        panel = load_reported(data, metrics=(metric,))
        # The forecast's size is known before the fit: one too large to hold fails now, not
        # after the sampling.
        check_size(
            panel.metric(metric).n_series,
            horizon,
            min(defaults.FORECAST_SAMPLES, settings.chains * settings.draws),
        )
        panel, result = _fit(panel, metric, settings)
        # An earlier run's results of this metric go before the new fit is saved, so none is
        # left beside it: not the table of extreme paper fits, which data without the
        # authors' estimates do not rewrite, nor any table a run interrupted from here on
        # would not reach.
        for path in files.values():
            path.unlink(missing_ok=True)
        # a failure from here on names what is complete: the fit takes long
        with naming_completed(out, files.values()) as written:
            written.append(result.save(fit_path))
            _write_run(panel, result, horizon, files)
        print(f"results written to {out}/")
