"""Small inventories built directly from model objects, for the topology tests.

``site(...)`` takes compact specs: nodes as ``{id: tier}``, devices as ``(id, zone, node)``,
links as ``(a_device, b_device)`` or dicts with extra link fields. Interfaces are made up per
device (``p1``, ``p2`` …); a link dict may give ``a_zone``/``b_zone`` for its interfaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from egovops.model import (
    Circuit,
    Device,
    Endpoint,
    Interface,
    Inventory,
    Link,
    Node,
    Site,
    SiteSettings,
    Unit,
    Zone,
)

ZONE_KINDS = {"inner": "inner", "outer": "outer", "internet": "internet", "dmz": "dmz"}

DeviceSpec = tuple[str, str, str | None] | Mapping[str, Any]
LinkSpec = tuple[str, str] | Mapping[str, Any]


def site(
    nodes: Mapping[str, int] | None = None,
    devices: Sequence[DeviceSpec] = (),
    links: Sequence[LinkSpec] = (),
    units: Sequence[Mapping[str, Any]] = (),
    circuits: Sequence[Mapping[str, Any]] = (),
    zones: Sequence[str] = ("inner", "outer", "management"),
    limit: float = 2.0,
) -> Inventory:
    """An :class:`Inventory` from compact specs (validated by the models, not the loader)."""
    iface_zones: dict[str, list[str | None]] = {}
    link_models: list[Link] = []
    for spec in links:
        if isinstance(spec, Mapping):
            extra = dict(spec)
            a_dev, b_dev = extra.pop("a"), extra.pop("b")
        else:
            extra = {}
            a_dev, b_dev = spec
        ends = []
        a_zone, b_zone = extra.pop("a_zone", None), extra.pop("b_zone", None)
        for device, zone in ((a_dev, a_zone), (b_dev, b_zone)):
            used = iface_zones.setdefault(device, [])
            used.append(zone)
            ends.append(Endpoint(device=device, interface=f"p{len(used)}"))
        extra.setdefault("bandwidth", "1G")
        link_models.append(Link(a=ends[0], b=ends[1], **extra))
    device_models = []
    for spec in devices:
        fields = (
            dict(spec)
            if isinstance(spec, Mapping)
            else {"id": spec[0], "zone": spec[1], "node": spec[2]}
        )
        fields.setdefault("role", "switch")
        fields.setdefault("platform", "linux")
        fields["interfaces"] = tuple(
            Interface(name=f"p{i}", zone=zone)
            for i, zone in enumerate(iface_zones.get(fields["id"], []), start=1)
        )
        device_models.append(Device(**fields))
    return Inventory(
        site=Site(id="t", name="test", settings=SiteSettings(oversubscription_limit=limit)),
        zones=tuple(
            Zone(id=z, kind=ZONE_KINDS.get(z, "management")) for z in zones
        ),
        nodes=tuple(
            Node(id=n, name=n, tier=t) for n, t in (nodes or {}).items()
        ),
        units=tuple(
            Unit(**{"name": u["id"], "kind": "department", "networks": ("outer",),
                    "bandwidth": "100M", **u})
            for u in units
        ),
        devices=tuple(device_models),
        links=tuple(link_models),
        circuits=tuple(Circuit(**c) for c in circuits),
    )
