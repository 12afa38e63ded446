"""Command-line interface: ``bayesgrowth --help``. Each sub-module registers its commands."""

from __future__ import annotations

import sys

import typer

from bayesgrowth.errors import BayesGrowthError

app = typer.Typer(
    help="Forecast fine-tune and download growth of open-weight models on Hugging Face.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

from bayesgrowth.cli import data_cmd, model_cmd  # noqa: E402  (modules register commands on `app`)

data_cmd.register(app)
model_cmd.register(app)

from bayesgrowth.cli import collect_cmd  # noqa: E402

collect_cmd.register(app)

from bayesgrowth.cli import backtest_cmd  # noqa: E402

backtest_cmd.register(app)

from bayesgrowth.cli import downloads_cmd  # noqa: E402

downloads_cmd.register(app)


def main() -> None:
    """Entry point: run the app, turning expected errors into one clear line and exit code 1."""
    run_app(app)


def run_app(commands: typer.Typer) -> None:
    """Run a Typer app (``bayesgrowth`` or another entry point such as the benchmarks), turning
    expected errors into one clear line and exit code 1.

    Parameters
    ----------
    commands
        The app to run on ``sys.argv``.
    """
    try:
        commands(standalone_mode=False)
    except BayesGrowthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        # typer 0.29 vendors click (typer._click): its usage errors derive from TyperException, not
        # click.ClickException
        usage = (click.ClickException, getattr(typer, "TyperException", click.ClickException))
        if isinstance(exc, usage) and hasattr(exc, "show"):
            exc.show()
            sys.exit(exc.exit_code)
        raise
