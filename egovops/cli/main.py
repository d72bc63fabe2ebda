"""Root of the ``egovops`` command: global options, sub-apps, and exception → exit code mapping."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from egovops import __version__
from egovops.cli.audit import app as audit_app
from egovops.cli.collect import collect as collect_command
from egovops.cli.config import app as config_app
from egovops.cli.daemon import daemon as daemon_command
from egovops.cli.errors import EXIT_INTERRUPTED, report_error
from egovops.cli.firewall import app as firewall_app
from egovops.cli.inventory import app as inventory_app
from egovops.cli.lab import app as lab_app
from egovops.cli.metrics import app as metrics_app
from egovops.cli.pki import app as pki_app
from egovops.cli.plan import app as plan_app
from egovops.cli.playbook import app as playbook_app
from egovops.cli.probe import probe_command
from egovops.cli.state import reset_state, state


class LangChoice(StrEnum):
    """Languages of human output."""

    ZH = "zh"
    EN = "en"


app = typer.Typer(
    name="egovops",
    help="Operations toolkit for e-government networks (政务内网/政务外网): inventory, "
    "topology, isolation audit, PKI, metrics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(inventory_app, name="inventory")
app.add_typer(audit_app, name="audit")
audit_app.command("probe")(probe_command)
app.add_typer(firewall_app, name="firewall")
app.add_typer(pki_app, name="pki")
app.add_typer(lab_app, name="lab")
app.add_typer(metrics_app, name="metrics")
app.add_typer(plan_app, name="plan")
app.command("collect")(collect_command)
app.command("daemon")(daemon_command)
app.add_typer(playbook_app, name="playbook")
app.add_typer(config_app, name="config")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"egovops {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    lang: Annotated[
        LangChoice | None,
        typer.Option(
            "--lang",
            help="language of human output: zh or en (default: from the locale)",
            envvar="EGOVOPS_LANG",
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="show tracebacks of internal errors", envvar="EGOVOPS_DEBUG"),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """egovops — 政务网络运维工具."""
    reset_state("zh" if lang is LangChoice.ZH else "en" if lang is LangChoice.EN else None, debug)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code.

    Typer/click handle usage errors themselves (exit 2 with the usage text); every other
    exception is turned into a message and an exit code here, with no traceback unless
    ``--debug``.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="egovops")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        st = state()
        if st.debug or "--debug" in args:
            raise
        return report_error(exc, st)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
