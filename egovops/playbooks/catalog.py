"""The shipped playbooks: where they are and what each one says about itself.

The playbooks live in ``playbooks/`` at the repository root; the package reaches them as
``egovops/playbooks/shipped`` (package data, a link to that folder in a checkout), so
``egovops playbook list`` finds them from any working directory. Each playbook starts with a
comment header the catalogue reads::

    # description: the running configuration of every device into git, one commit per run
    # targets: all managed devices
    # changes: no
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from egovops.errors import InputError, Problem

SHIPPED = Path(__file__).resolve().parent / "shipped"
"""Folder of the shipped playbooks (package data)."""


@dataclass(frozen=True)
class Playbook:
    """One playbook of the catalogue."""

    name: str
    path: Path
    description: str
    targets: str
    changes: bool
    """Whether a run (outside ``--check``) may change the devices."""
    patterns: tuple[str, ...] = ("all",)
    """The ``hosts:`` of its plays."""


def _header(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("#").strip().partition(":")
        if sep and key.strip() in ("description", "targets", "changes"):
            fields[key.strip()] = value.strip()
    return fields


def read_playbook(path: Path) -> Playbook:
    """The catalogue entry of ``path``; raises :class:`InputError` on a missing header."""
    fields = _header(path)
    missing = [k for k in ("description", "targets", "changes") if k not in fields]
    if missing:
        raise InputError(f"{path}: playbook header incomplete", [
            Problem(str(path), 1, 0, f"header lacks '# {k}: …'", "schema") for k in missing])
    try:
        plays = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"{path}: not YAML", [Problem(
            str(path), mark.line + 1 if mark else 0, 0, str(exc), "yaml")]) from None
    patterns = tuple(str(p.get("hosts", "all")) for p in plays if isinstance(p, dict)
                     and "hosts" in p) or ("all",)
    return Playbook(path.stem, path, fields["description"], fields["targets"],
                    fields["changes"].lower() in ("yes", "true"), patterns)


def list_playbooks(folder: Path = SHIPPED) -> list[Playbook]:
    """Every playbook in ``folder`` (``*.yml``), by name."""
    return [read_playbook(p) for p in sorted(folder.glob("*.yml"))]


def find_playbook(name: str, folder: Path = SHIPPED) -> Playbook:
    """The playbook called ``name`` (or at the path ``name``); :class:`InputError` if none."""
    candidate = Path(name)
    if candidate.suffix in (".yml", ".yaml") and candidate.is_file():
        return read_playbook(candidate)
    path = folder / f"{name}.yml"
    if not path.is_file():
        known = ", ".join(p.name for p in list_playbooks(folder)) or "none"
        raise InputError(f"no playbook {name!r}; shipped: {known}")
    return read_playbook(path)
