"""Passphrases and PINs: from an environment variable or a file, never from argv.

The CLI adds a terminal prompt when neither gives one; library code never prompts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from egovops.pki.errors import SecretMissingError

CA_PASSPHRASE_ENV = "EGOVOPS_CA_PASSPHRASE"
TOKEN_PIN_ENV = "EGOVOPS_TOKEN_PIN"


def read_secret(env_var: str, file: Path | None,
                environ: Mapping[str, str] | None = None) -> str | None:
    """The secret from ``file`` (first line) or ``env_var``; ``None`` when neither has one."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretMissingError(f"cannot read secret file {file}: {exc.strerror}") from None
        value = text.splitlines()[0] if text else ""
        if not value:
            raise SecretMissingError(f"secret file {file} is empty")
        return value
    env = os.environ if environ is None else environ
    return env.get(env_var) or None


def require_secret(value: str | None, what: str, env_var: str, file_option: str) -> str:
    """``value`` or a :class:`SecretMissingError` telling where to put it."""
    if not value:
        raise SecretMissingError(f"{what} needed: set {env_var}, pass {file_option} FILE, "
                            "or run on a terminal to be prompted")
    return value
