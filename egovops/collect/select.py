"""``--limit zone=outer,tier=2``: choose the devices of a collection run.

Terms inside one ``--limit`` are ANDed, several ``--limit`` options are ORed. Keys: ``zone``,
``tier`` (of the device's node), ``node``, ``role``, ``platform``, ``id`` (glob), ``tag``,
``unit``. Devices without a management address are never selected (nothing to connect to).
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from egovops.errors import UsageError
from egovops.model.inventory import Device, Inventory

KEYS = ("zone", "tier", "node", "role", "platform", "id", "tag", "unit")


def parse_limit(text: str) -> list[tuple[str, str]]:
    """``"zone=outer,tier=2"`` → ``[("zone", "outer"), ("tier", "2")]``."""
    terms = []
    for part in text.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not value or key not in KEYS:
            raise UsageError(f"--limit {text!r}: each term must be KEY=VALUE with KEY one of "
                             f"{', '.join(KEYS)}")
        terms.append((key, value))
    return terms


def _matches(inv: Inventory, dev: Device, key: str, value: str) -> bool:
    if key == "zone":
        return dev.zone == value
    if key == "tier":
        node = inv.node_by_id.get(dev.node) if dev.node else None
        return node is not None and str(int(node.tier)) == value
    if key == "node":
        return dev.node == value
    if key == "role":
        return dev.role.value == value
    if key == "platform":
        return dev.platform == value
    if key == "id":
        return fnmatchcase(dev.id, value)
    if key == "tag":
        return value in dev.tags
    return dev.unit == value


def select_devices(inv: Inventory, limits: Sequence[str]) -> list[Device]:
    """Devices with a management address matching any of ``limits`` (all when none)."""
    parsed = [parse_limit(text) for text in limits]
    chosen = []
    for dev in inv.devices:
        if dev.mgmt is None:
            continue
        if not parsed or any(all(_matches(inv, dev, k, v) for k, v in terms)
                             for terms in parsed):
            chosen.append(dev)
    if parsed and not chosen:
        raise UsageError(f"--limit {' | '.join(limits)} matches no device with a management "
                         "address")
    return chosen
