"""Command-line interface: ``bayesgrowth --help``. Each sub-module registers its commands."""

from __future__ import annotations

import signal
import sys

import typer

from bayesgrowth.errors import BayesGrowthError

INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (SIGINT), as a shell reports one: 128 + 2."""
TERMINATED = 128 + signal.SIGTERM
"""The exit status of a command stopped by SIGTERM (``kill``, ``timeout``): 143."""

app = typer.Typer(
    help="Forecast fine-tune and download growth of open-weight models on Hugging Face.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # a docstring's paragraphs reflow to the terminal's width
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
    expected errors into one clear line and exit code 1, and Ctrl-C into one line and exit code
    :data:`INTERRUPTED` (SIGTERM likewise, exit code :data:`TERMINATED`).

    Parameters
    ----------
    commands
        The app to run on ``sys.argv``.
    """
    terminated = []

    def stop(signum: int, frame: object) -> None:
        # SIGTERM stops a command as Ctrl-C does, so that the temporary file being written is
        # removed and a sampler's partial draws are not saved; by default it ends Python at once.
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        # Out of standalone mode Typer returns exit codes instead of raising them: a typer.Exit's,
        # and INTERRUPTED for Ctrl-C (it catches the KeyboardInterrupt itself).
        code = commands(standalone_mode=False)
    except BayesGrowthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
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
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code == INTERRUPTED:
        print(
            f"{'terminated' if terminated else 'interrupted'}: each file written before it is "
            "complete (a file is written whole or not at all); run the same command again to "
            "finish",
            file=sys.stderr,
        )
        code = TERMINATED if terminated else code
    if isinstance(code, int) and code:
        sys.exit(code)
