"""TextFSM parsing of CLI output, with templates named explicitly (no index guessing).

A template is named ``<platform>_<command>.textfsm`` and looked up first among egovops's own
(``egovops/collect/templates/``, written where ntc-templates has none) and then among
ntc-templates'. The file is chosen by name, not through ntc-templates' command index, because
the index matches command prefixes: ``display lldp neighbor brief`` would be parsed with the
template of the detailed ``display lldp neighbor``.

Rows come back as dicts with lower-case keys; a template that reaches its ``Error`` state, or a
missing template, raises :class:`~egovops.collect.base.ParseError`.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import textfsm

from egovops.collect.base import ParseError

OWN_TEMPLATES = Path(__file__).resolve().parent / "templates"
"""egovops's own TextFSM templates (only where ntc-templates lacks one)."""


@cache
def _ntc_dir() -> Path | None:
    try:
        import ntc_templates  # noqa: PLC0415 - optional until a CLI device is parsed
    except ImportError:
        return None
    return Path(ntc_templates.__file__).resolve().parent / "templates"


def template_path(name: str) -> Path:
    """The file of template ``name`` (without ``.textfsm``): egovops's own, else ntc's."""
    own = OWN_TEMPLATES / f"{name}.textfsm"
    if own.is_file():
        return own
    ntc = _ntc_dir()
    if ntc is not None and (ntc / f"{name}.textfsm").is_file():
        return ntc / f"{name}.textfsm"
    raise ParseError(f"no TextFSM template {name!r} (egovops or ntc-templates)")


@cache
def _template_text(name: str) -> str:
    return template_path(name).read_text(encoding="utf-8")


def parse_table(template: str, text: str) -> list[dict[str, Any]]:
    """Rows of ``text`` parsed with ``template``; values are ``str`` (``list`` for List values)."""
    try:
        fsm = textfsm.TextFSM(io.StringIO(_template_text(template)))
        rows = fsm.ParseText(text if text.endswith("\n") else text + "\n")
    except textfsm.TextFSMTemplateError as exc:
        raise ParseError(f"template {template}: {exc}") from None
    except textfsm.TextFSMError as exc:
        line = " ".join(str(exc).split())
        raise ParseError(f"unexpected output for template {template}: {line[:200]}") from None
    keys = [key.lower() for key in fsm.header]
    return [dict(zip(keys, row, strict=True)) for row in rows]
