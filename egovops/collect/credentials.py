"""Credential references → values, at the last moment, and never into logs or results.

The inventory holds references (``{env: VAR}``, ``{file: PATH}``); this module turns them into
a :class:`Login` just before a session opens. Relative file paths are relative to the site
folder, ``~`` is expanded. Every resolved secret is remembered by a :class:`Redactor` so that
error messages can be scrubbed before they are stored or shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from egovops.errors import EgovopsError
from egovops.model.inventory import Credentials, SecretRef


class CredentialError(EgovopsError):
    """Raised when a credential reference cannot be resolved (variable unset, file unreadable).

    Set the variable or fix the file named in the message (the value is never shown).
    """


@dataclass(frozen=True)
class Login:
    """Resolved login of one device. ``repr`` never shows the secrets."""

    username: str
    password: str | None = field(default=None, repr=False)
    enable: str | None = field(default=None, repr=False)
    key_file: str | None = None
    ssh_config: str | None = None
    port: int = 22


class Redactor:
    """Replaces every secret it was told about with ``***`` (thread-safe enough: append-only)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (values shorter than 3 characters would mangle text: ignored)."""
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def resolve_path(root: Path, name: str) -> Path:
    """``name`` with ``~`` expanded, relative to ``root`` unless absolute."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else root / path


def resolve_secret(ref: SecretRef, root: Path, environ: Mapping[str, str]) -> str:
    """The value behind ``ref``; raises :class:`CredentialError` naming the reference only."""
    if ref.env is not None:
        value = environ.get(ref.env)
        if value is None or value == "":
            raise CredentialError(f"environment variable {ref.env} is not set")
        return value
    assert ref.file is not None  # SecretRef guarantees exactly one
    path = resolve_path(root, ref.file)
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CredentialError(f"cannot read secret file {path}: {exc.strerror}") from None


def resolve_login(
    creds: Credentials | None,
    root: Path,
    environ: Mapping[str, str],
    redactor: Redactor | None = None,
) -> Login:
    """A :class:`Login` from the device's credential references.

    A password or key that cannot be resolved is left out when the other one is usable (a lab
    without ``EGOVOPS_LAB_PASSWORD`` still logs in with its key); with neither usable, the first
    problem is raised as :class:`CredentialError`.
    """
    if creds is None:
        raise CredentialError("no credentials in the inventory")
    username: str
    if isinstance(creds.username, SecretRef):
        username = resolve_secret(creds.username, root, environ)
    else:
        username = creds.username or ""
    if not username:
        raise CredentialError("no username in the credentials")
    problems: list[str] = []
    password = None
    if creds.password is not None:
        try:
            password = resolve_secret(creds.password, root, environ)
        except CredentialError as exc:
            problems.append(f"password: {exc}")
    key_file = None
    if creds.ssh_key is not None:
        if creds.ssh_key.file is None:
            problems.append("ssh_key must be a file reference")
        else:
            path = resolve_path(root, creds.ssh_key.file)
            if path.is_file() and os.access(path, os.R_OK):
                key_file = str(path)
            else:
                problems.append(f"ssh_key: cannot read {path}")
    if password is None and key_file is None:
        raise CredentialError("; ".join(problems) or "no password or ssh_key in the credentials")
    enable = None
    if creds.enable is not None:
        enable = resolve_secret(creds.enable, root, environ)
    if redactor is not None:
        redactor.add(password)
        redactor.add(enable)
    return Login(
        username=username,
        password=password,
        enable=enable,
        key_file=key_file,
        ssh_config=str(resolve_path(root, creds.ssh_config)) if creds.ssh_config else None,
        port=creds.port,
    )
