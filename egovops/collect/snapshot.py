"""Snapshots: one folder per collection run, written atomically, read back for audits.

Layout of ``<parent>/<site>-<YYYYmmddTHHMMSSZ>/``::

    manifest.json          site, times, options, one entry per device (ok, collector, error)
    facts/<device>.json    DeviceFacts of each collected device
    configs/<device>/<n>   raw configurations (running, nftables, nftables.json, iptables)
    errors.json            the failed devices, with kind and (redacted) message

The folder is built under a hidden temporary name in the same parent and renamed into place,
so a reader sees a whole snapshot or none.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from egovops.collect.facts import DeviceFacts
from egovops.collect.runner import RunResult
from egovops.errors import InputError

MANIFEST = "manifest.json"
FORMAT = 1


def write_snapshot(run: RunResult, parent: Path, now: datetime | None = None) -> Path:
    """Write ``run`` into a new timestamped folder below ``parent``; returns its path."""
    when = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / f"{run.site}-{when}"
    suffix = 1
    while final.exists():
        suffix += 1
        final = parent / f"{run.site}-{when}-{suffix}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=parent))
    try:
        (tmp / "facts").mkdir()
        (tmp / "configs").mkdir()
        devices = {}
        for r in run.results:
            devices[r.device] = {"ok": r.ok, "collector": r.collector,
                                 "seconds": round(r.seconds, 3), "attempts": r.attempts,
                                 "error": r.error, "error_kind": r.error_kind}
            if r.facts is None:
                continue
            _write(tmp / "facts" / f"{r.device}.json",
                   r.facts.model_dump_json(indent=2) + "\n")
            for name, text in r.facts.configs.items():
                _write(tmp / "configs" / r.device / name, text if text.endswith("\n")
                       else text + "\n")
        manifest = {
            "format": FORMAT,
            "site": run.site,
            "started": run.started,
            "finished": run.finished,
            "options": {"workers": run.options.workers,
                        "timeouts": asdict(run.options.timeouts),
                        "retries": run.options.retries},
            "devices": devices,
        }
        _write(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        errors = [{"device": r.device, "kind": r.error_kind, "error": r.error}
                  for r in run.failed]
        _write(tmp / "errors.json", json.dumps(errors, ensure_ascii=False, indent=2) + "\n")
        tmp.chmod(0o755)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


class Snapshot:
    """A snapshot folder read back: manifest, facts per device, raw configs."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            raise InputError(f"{self.path}: not a snapshot (no {MANIFEST})")
        try:
            self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{manifest}: unreadable snapshot manifest: {exc}") from None
        self.site: str = self.manifest.get("site", "")
        self.facts: dict[str, DeviceFacts] = {}
        for file in sorted((self.path / "facts").glob("*.json")):
            try:
                self.facts[file.stem] = DeviceFacts.model_validate_json(
                    file.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise InputError(f"{file}: bad facts file: {exc}") from None

    @property
    def devices(self) -> dict[str, dict[str, object]]:
        """Manifest entry per device (ok, collector, error …)."""
        result: dict[str, dict[str, object]] = self.manifest.get("devices", {})
        return result

    def config(self, device: str, name: str) -> str | None:
        """Raw configuration ``name`` of ``device``, if collected."""
        path = self.path / "configs" / device / name
        return path.read_text(encoding="utf-8") if path.is_file() else None


def config_path(snapshot: Path, device: str, name: str) -> Path:
    """Where raw configuration ``name`` of ``device`` is stored in a snapshot folder."""
    return Path(snapshot) / "configs" / device / name


def newest_snapshot(folder: Path, site: str) -> Path:
    """``folder`` itself when it is a snapshot, else its newest snapshot of ``site``.

    Newest means the latest ``finished`` time in the manifest (then the folder name). Hidden
    folders (snapshots still being written) are skipped. Raises :class:`InputError` when
    ``folder`` is neither a snapshot nor holds one of ``site``.
    """
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        return folder
    if not folder.is_dir():
        raise InputError(f"{folder}: no such snapshot folder")
    found: list[tuple[str, str, Path]] = []
    for child in folder.iterdir():
        if child.name.startswith(".") or not (child / MANIFEST).is_file():
            continue
        try:
            manifest = json.loads((child / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # reported when chosen explicitly; here it is just not a candidate
        if isinstance(manifest, dict) and manifest.get("site") == site:
            found.append((str(manifest.get("finished") or manifest.get("started") or ""),
                          child.name, child))
    if not found:
        raise InputError(f"{folder}: not a snapshot (no {MANIFEST}) and holds no snapshot of "
                         f"site {site!r}")
    return max(found)[2]
