"""Root of the ``egovops`` command: global options, sub-apps, and exception → exit code mapping."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated, Any

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
from egovops.i18n import LANGS, Lang, Messages, detect_lang


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


GLOBAL_OPTIONS = ("--lang",)
"""Root options also accepted after the subcommand (``egovops audit all SITE --lang zh``)."""


def hoist_global_options(args: list[str]) -> list[str]:
    """Move ``--lang X`` / ``--lang=X`` given anywhere (also after a subcommand) to the front,
    where the root callback reads them; the last one given wins. Arguments after ``--`` are
    left alone."""
    found: dict[str, list[str]] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            found[name] = [arg] if "=" in arg else args[i:i + 2]
            i += len(found[name])
            continue
        rest.append(arg)
        i += 1
    return [*(a for option in found.values() for a in option), *rest]


def _invocation_lang(args: list[str]) -> Lang:
    """The language of this invocation, read before typer parses (for the help texts)."""
    if args[:1] == ["--lang"] and len(args) > 1 and args[1] in LANGS:
        return "zh" if args[1] == "zh" else "en"
    if args[:1] and args[0].startswith("--lang="):
        return "zh" if args[0].partition("=")[2] == "zh" else "en"
    env = os.environ.get("EGOVOPS_LANG", "")
    return "zh" if env == "zh" else "en" if env == "en" else detect_lang()


_ENGLISH_HELP: dict[int, object] = {}
"""The help each command was declared with (docstring or ``help=``), by object id."""


def _set_help(info: Any, key: str, lang: Lang) -> None:
    t = Messages(lang)
    if not t.has(key):
        return
    original = _ENGLISH_HELP.setdefault(id(info), info.help)
    info.short_help = t(key)
    info.help = t(key) if lang == "zh" else original


def localize_help(typer_app: typer.Typer, lang: Lang, prefix: str = "") -> None:
    """Command help from the catalogue (``help.<command path>``): the short help of every
    command in ``lang``, and in Chinese the full help too (option help stays English)."""
    for command in typer_app.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-")
                                if command.callback else "")
        _set_help(command, f"help.{prefix}{name}", lang)
    for group in typer_app.registered_groups:
        if group.typer_instance is None:
            continue
        _set_help(group, f"help.{prefix}{group.name}", lang)
        localize_help(group.typer_instance, lang, f"{prefix}{group.name} ")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code.

    Typer/click handle usage errors themselves (exit 2 with the usage text); every other
    exception is turned into a message and an exit code here, with no traceback unless
    ``--debug``.
    """
    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    localize_help(app, _invocation_lang(args))
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
