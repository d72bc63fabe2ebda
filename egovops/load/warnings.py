"""Warnings about a loaded inventory: things that do not make it invalid but that an audit will
trip over. ``egovops inventory validate`` prints them and still exits 0.

Today one kind: a device's ``config:`` names a file that does not exist (the firewall audit
reports that device as ``firewall.config-unreadable``). Each warning cites the ``config:`` key's
``file:line`` (found in the device's own entry; the device's line when it is not written there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from egovops.errors import Problem, display_path
from egovops.model.inventory import Device, Inventory

_CONFIG_KEY = re.compile(r"^\s*(?:-\s+)?config\s*:")
_NEXT_ENTRY = re.compile(r"^\s*-\s+id\s*:")


def _config_line(device: Device) -> tuple[str, int]:
    """File and line of the device's ``config:`` key (its entry's line when not found)."""
    if device.origin is None:
        return "", 0
    file, line = device.origin.file, device.origin.line
    try:
        lines = Path(file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return file, line
    for number in range(line, len(lines) + 1):
        text = lines[number - 1]
        if number > line and _NEXT_ENTRY.match(text):
            break
        if _CONFIG_KEY.match(text) or (number == line and "config:" in text):
            return file, number
    return file, line


@dataclass(frozen=True)
class ConfigWarning:
    """A device whose ``config:`` file does not exist."""

    device: str
    path: str
    """The missing file, as displayed."""
    problem: Problem
    """The same as a problem at the ``config:`` key (code ``config-missing``)."""


def config_warnings(inv: Inventory) -> list[ConfigWarning]:
    """One warning per device whose ``config:`` file does not exist, in inventory order."""
    found = []
    for device in inv.devices:
        if device.config is None:
            continue
        path = Path(inv.root) / device.config
        if path.is_file():
            continue
        file, line = _config_line(device)
        shown = display_path(path)
        found.append(ConfigWarning(device.id, shown, Problem(
            file, line, 0, f"device {device.id}: config file {shown} does not exist",
            "config-missing")))
    return found
