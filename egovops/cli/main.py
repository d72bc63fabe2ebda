"""Root of the ``egovops`` command: global options, sub-apps, and exception → exit code mapping."""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer
from typer.main import get_command

from egovops import __version__
from egovops.cli.errors import EXIT_INPUT, EXIT_INTERRUPTED, report_error
from egovops.cli.inventory import app as inventory_app
from egovops.cli.state import reset_state, state
from egovops.i18n import LANGS

app = typer.Typer(
    name="egovops",
    help="Operations toolkit for e-government networks (政务内网/政务外网): inventory, "
    "topology, isolation audit, PKI, metrics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(inventory_app, name="inventory")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"egovops {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="language of human output: zh or en (default: from the locale)",
            envvar="EGOVOPS_LANG",
            click_type=click.Choice(LANGS),
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="show tracebacks of internal errors", envvar="EGOVOPS_DEBUG")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """egovops — 政务网络运维工具."""
    reset_state(lang, debug)  # type: ignore[arg-type]  # click.Choice guarantees zh|en


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    command = get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args, prog_name="egovops", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        st = state()
        if st.debug or "--debug" in args:
            raise
        return report_error(exc, st)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
