"""Per-invocation CLI state: language, debug flag and the two consoles."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console

from egovops.errors import display_path
from egovops.fsio import write_atomic
from egovops.i18n import Lang, Messages, detect_lang


class OutputFormat(StrEnum):
    """Output formats of read commands."""

    TABLE = "table"
    JSON = "json"


@dataclass
class State:
    """What every command needs to render: messages in one language and the consoles."""

    lang: Lang = field(default_factory=detect_lang)
    debug: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=False))
    err: Console = field(default_factory=lambda: Console(stderr=True))

    @property
    def t(self) -> Messages:
        """The message catalog in this invocation's language."""
        return Messages(self.lang)

    def print_json(self, data: Any) -> None:
        """JSON on stdout, untouched by rich (machine-readable)."""
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))
        sys.stdout.write("\n")
        sys.stdout.flush()

    def emit(self, text: str | bytes, output: Path | None) -> None:
        """A rendered artefact: on stdout, or written atomically to ``output`` (and said so
        on stderr)."""
        if output is None:
            if isinstance(text, bytes):
                sys.stdout.buffer.write(text)
            else:
                sys.stdout.write(text)
            sys.stdout.flush()
            return
        write_atomic(output, text)
        self.err.print(self.t("written", path=display_path(output)), highlight=False,
                       markup=False)


STATE = State()
"""Reset by the root callback at the start of every invocation (see :func:`reset_state`)."""


def reset_state(lang: Lang | None, debug: bool) -> State:
    """Start a fresh state for one invocation."""
    global STATE  # noqa: PLW0603 - one invocation, one state; tests invoke the app repeatedly
    STATE = State(lang=lang or detect_lang(), debug=debug)
    return STATE


def state() -> State:
    """The current invocation's state."""
    return STATE
