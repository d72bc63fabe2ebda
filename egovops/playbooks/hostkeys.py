"""Which known_hosts a playbook run trusts: host keys are always checked.

Resolution (the rule ``egovops collect`` follows too): ``--known-hosts PATH`` > the inventory's
``site.known_hosts`` (relative to the site folder) > ``<site folder>/known_hosts``; for a lab
site without one, the host keys that ``egovops lab up`` generated (``<site>/.lab``) are used.
No known_hosts at all is an error: egovops never connects to a host whose key it cannot check.
"""

# TODO(merge): use egovops.collect.hostkeys (issue #16) once it lands; same resolution rule.

from __future__ import annotations

from pathlib import Path

from egovops.errors import InputError, Problem
from egovops.fsio import write_atomic
from egovops.model.inventory import Inventory


def lab_known_hosts(inv: Inventory, target: Path) -> Path | None:
    """known_hosts built from the public host keys of the site's lab nodes (``.lab/nodes/*``);
    ``None`` when the site has no lab state."""
    nodes = Path(inv.root) / ".lab" / "nodes"
    lines = []
    for device in inv.devices:
        pub = nodes / device.id / "ssh_host_ed25519_key.pub"
        if device.mgmt is None or not pub.is_file():
            continue
        port = device.credentials.port if device.credentials is not None else 22
        host = str(device.mgmt) if port == 22 else f"[{device.mgmt}]:{port}"
        kind, key = pub.read_text(encoding="utf-8").split()[:2]
        lines.append(f"{host} {kind} {key}")
    if not lines:
        return None
    write_atomic(target, "\n".join(lines) + "\n", mode=0o600)
    return target


def resolve_known_hosts(inv: Inventory, explicit: Path | None, scratch: Path) -> Path:
    """The known_hosts file of the run (``scratch``: where a lab's file may be built)."""
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"--known-hosts: no such file: {explicit}")
        return explicit
    root = Path(inv.root)
    declared = getattr(inv.site, "known_hosts", None)  # site.known_hosts arrives with #16
    if declared:
        path = root / str(declared)
        if not path.is_file():
            origin = inv.site.origin
            raise InputError("site.known_hosts: no such file", [Problem(
                origin.file if origin else str(root), origin.line if origin else 0, 0,
                f"known_hosts {path} does not exist", "io")])
        return path
    if (root / "known_hosts").is_file():
        return root / "known_hosts"
    built = lab_known_hosts(inv, scratch / "known_hosts")
    if built is not None:
        return built
    raise InputError(
        f"{root}: no known_hosts; host keys are always checked. Give --known-hosts PATH, "
        "set site.known_hosts, or write <site>/known_hosts (ssh-keyscan, or `egovops lab up`)")
