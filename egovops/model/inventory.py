"""The inventory model: inert, frozen, typed data describing one site's networks.

Produced by :mod:`egovops.load` (which resolves defaults and groups and checks references) and
consumed by every later stage. Nothing here touches the network or the filesystem.

Entities refer to each other by id. :class:`Inventory` offers look-ups by id; the loader
guarantees that every reference resolves, so look-ups on a loaded inventory never fail.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    IPvAnyNetwork,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from egovops.model.addresses import InterfaceAddress
from egovops.model.platforms import PLATFORMS, Platform
from egovops.model.quantities import Rate

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", min_length=1, max_length=80),
]
"""An identifier: letters, digits, ``_``, ``.`` and ``-``; unique per entity kind in a site."""


class Frozen(BaseModel):
    """Base of every model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Origin(Frozen):
    """Where an entity was declared: set by the loader, used in findings and messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


OriginField = SkipJsonSchema[Origin | None]


class ZoneKind(StrEnum):
    """What a zone is for; the kind sets the default isolation requirement."""

    INNER = "inner"
    OUTER = "outer"
    INTERNET = "internet"
    DMZ = "dmz"
    MANAGEMENT = "management"
    CUSTOM = "custom"


class Isolation(StrEnum):
    """The isolation a zone requires from every other zone."""

    PHYSICAL = "physical"
    """No link, shared device, circuit or wireless path to any other zone (政务内网, 物理隔离).
    A declared one-way data diode is the only exception."""
    LOGICAL = "logical"
    """Every path to another zone crosses a declared gateway whose policy is default-deny."""
    NONE = "none"
    """No requirement (the internet itself)."""


DEFAULT_ISOLATION: dict[ZoneKind, Isolation] = {
    ZoneKind.INNER: Isolation.PHYSICAL,
    ZoneKind.OUTER: Isolation.LOGICAL,
    ZoneKind.DMZ: Isolation.LOGICAL,
    ZoneKind.MANAGEMENT: Isolation.LOGICAL,
    ZoneKind.INTERNET: Isolation.NONE,
}


class Zone(Frozen):
    """A security zone: inner network, outer network, internet, DMZ, management, or a site's own."""

    id: Id
    kind: ZoneKind
    name: str = ""
    isolation: Isolation = Field(
        default=None,  # type: ignore[assignment]  # resolved from kind below
        description="defaults by kind: inner=physical, outer/dmz/management=logical, internet=none",
    )
    gateways: tuple[Id, ...] = Field(
        default=(), description="devices through which this zone may reach other zones"
    )
    prefixes: tuple[IPvAnyNetwork, ...] = ()
    description: str = ""
    origin: OriginField = None

    @model_validator(mode="before")
    @classmethod
    def _default_isolation(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("isolation") is None:
            kind = data.get("kind")
            if kind == ZoneKind.CUSTOM.value:
                raise ValueError("a zone of kind 'custom' must state its isolation")
            try:
                default = DEFAULT_ISOLATION[ZoneKind(str(kind))]
            except ValueError:
                return data  # the kind itself is reported as invalid
            data = {**data, "isolation": default.value}
        return data


class LocationLevel(IntEnum):
    """Administrative levels, outermost first."""

    PROVINCE = 1
    CITY = 2
    DISTRICT = 3
    TOWN = 4


LocationLevelName = Literal["province", "city", "district", "county", "town", "street", "village"]
_LEVEL_RANK: dict[str, LocationLevel] = {
    "province": LocationLevel.PROVINCE,
    "city": LocationLevel.CITY,
    "district": LocationLevel.DISTRICT,
    "county": LocationLevel.DISTRICT,
    "town": LocationLevel.TOWN,
    "street": LocationLevel.TOWN,
    "village": LocationLevel.TOWN,
}


class Location(Frozen):
    """A place in the location tree: province > city > district/county > town/street."""

    id: Id
    name: str
    level: LocationLevelName
    parent: Id | None = None
    origin: OriginField = None

    @property
    def rank(self) -> LocationLevel:
        """Numeric depth of the level (province 1 … town 4)."""
        return _LEVEL_RANK[self.level]


class Tier(IntEnum):
    """Backbone tiers: 1 core (网络中心), 2 aggregation (二级节点), 3 access (三级节点)."""

    CORE = 1
    AGGREGATION = 2
    ACCESS = 3


TIER_ROLE: dict[Tier, str] = {
    Tier.CORE: "core",
    Tier.AGGREGATION: "aggregation",
    Tier.ACCESS: "access",
}


class Node(Frozen):
    """A backbone node (a machine room on the fibre ring), at one tier."""

    id: Id
    name: str
    tier: Tier
    role: Literal["core", "aggregation", "access"] | None = Field(
        default=None, description="optional; when given it must match the tier"
    )
    location: Id | None = None
    address: str = ""
    origin: OriginField = None

    @field_validator("role")
    @classmethod
    def _role_matches_tier(cls, role: str | None, info: ValidationInfo) -> str | None:
        tier = info.data.get("tier")
        if role is not None and tier is not None and role != TIER_ROLE[tier]:
            raise ValueError(
                f"node is tier {int(tier)} ({TIER_ROLE[tier]}) but claims to be {role}"
            )
        return role


class UnitKind(StrEnum):
    """Kinds of attached units (局、镇、街道 …)."""

    DEPARTMENT = "department"
    TOWN = "town"
    STREET = "street"
    COMMITTEE = "committee"
    OTHER = "other"


class Unit(Frozen):
    """A department, town or street office attached to a backbone node."""

    id: Id
    name: str
    kind: UnitKind
    node: Id
    networks: tuple[Id, ...] = Field(min_length=1, description="zones the unit is present in")
    bandwidth: Rate = Field(description="access bandwidth of the unit, e.g. 100M or 10M")
    location: Id | None = None
    contact: str = ""
    origin: OriginField = None


class SecretRef(Frozen):
    """A reference to a secret: an environment variable or a file. Never the value itself."""

    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    file: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_literals(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(
                "secrets must be references, not values: write {env: VAR} or {file: PATH}"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference needs exactly one of 'env' or 'file'")
        return self

    def __str__(self) -> str:
        return f"env:{self.env}" if self.env is not None else f"file:{self.file}"


class Credentials(Frozen):
    """How to log in to a device. Only the username may be written literally."""

    username: str | SecretRef | None = None
    password: SecretRef | None = None
    enable: SecretRef | None = None
    ssh_key: SecretRef | None = Field(default=None, description="file holding a private key")
    ssh_config: str | None = Field(default=None, description="ssh_config file (jump hosts)")
    port: int = Field(default=22, ge=1, le=65535)


class DeviceRole(StrEnum):
    """What a device does."""

    ROUTER = "router"
    SWITCH = "switch"
    FIREWALL = "firewall"
    VPN_GATEWAY = "vpn-gateway"
    DATA_DIODE = "data-diode"
    SERVER = "server"
    HOST = "host"


class InterfaceKind(StrEnum):
    """Physical or logical kind of an interface; ``wireless`` matters for physical isolation."""

    ETHERNET = "ethernet"
    FIBRE = "fibre"
    SERIAL = "serial"
    WIRELESS = "wireless"
    CELLULAR = "cellular"
    LOOPBACK = "loopback"
    VLAN = "vlan"
    TUNNEL = "tunnel"


class Interface(Frozen):
    """An interface of a device; its zone defaults to the device's zone."""

    name: str = Field(min_length=1)
    kind: InterfaceKind = InterfaceKind.ETHERNET
    zone: Id | None = None
    addresses: tuple[InterfaceAddress, ...] = ()
    speed: Rate | None = None
    enabled: bool = True
    description: str = ""


class OneWayTransfer(Frozen):
    """The direction a data diode (单向导入) lets data through."""

    source: Id = Field(description="zone data leaves")
    target: Id = Field(description="zone data enters")


class Device(Frozen):
    """A managed or declared device, in one home zone, optionally at a backbone node."""

    id: Id
    name: str = ""
    role: DeviceRole
    platform: str = Field(description=f"one of: {', '.join(PLATFORMS)}")
    zone: Id
    node: Id | None = None
    unit: Id | None = None
    mgmt: IPvAnyAddress | None = Field(default=None, description="management address")
    credentials: Credentials | None = None
    napalm_driver: str | None = Field(default=None, description="overrides the platform's")
    netmiko_device_type: str | None = Field(default=None, description="overrides the platform's")
    vendor: str = ""
    model: str = ""
    serial: str = ""
    config: str | None = Field(
        default=None, description="saved configuration file, relative to the site folder"
    )
    firewall_zones: dict[str, Id] = Field(
        default_factory=dict,
        description="zone names used in the device's own configuration (USG/H3C security zones"
        " such as trust, untrust, dmz) → inventory zones; 'local' (the device itself) needs none",
    )
    transfer: OneWayTransfer | None = Field(
        default=None, description="data diodes only: the one direction data may cross"
    )
    tags: tuple[str, ...] = ()
    groups: tuple[Id, ...] = Field(
        default=(), description="inventory groups whose settings this device takes, in order"
    )
    interfaces: tuple[Interface, ...] = ()
    origin: OriginField = None

    @field_validator("interfaces")
    @classmethod
    def _unique_interfaces(cls, interfaces: tuple[Interface, ...]) -> tuple[Interface, ...]:
        seen: set[str] = set()
        dupes: set[str] = set()
        for iface in interfaces:
            (dupes if iface.name in seen else seen).add(iface.name)
        if dupes:
            raise ValueError(f"interface declared twice: {', '.join(sorted(dupes))}")
        return interfaces

    @property
    def platform_info(self) -> Platform:
        """The platform table entry of this device."""
        return PLATFORMS[self.platform]

    @property
    def napalm(self) -> str | None:
        """napalm driver name: the device override or the platform default."""
        return self.napalm_driver or self.platform_info.napalm_driver

    @property
    def netmiko(self) -> str | None:
        """netmiko device_type: the device override or the platform default."""
        return self.netmiko_device_type or self.platform_info.netmiko_device_type

    def interface(self, name: str) -> Interface | None:
        """The interface called ``name``, or ``None``."""
        for iface in self.interfaces:
            if iface.name == name:
                return iface
        return None

    def interface_zone(self, name: str) -> str:
        """Zone of an interface (its own, or the device's)."""
        iface = self.interface(name)
        return (iface.zone if iface is not None and iface.zone else None) or self.zone


class Endpoint(Frozen):
    """One end of a link or circuit: a device and one of its interfaces."""

    device: Id
    interface: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        if isinstance(data, str):
            device, sep, interface = data.partition(":")
            if not sep or not device or not interface:
                raise ValueError(f"endpoint {data!r} must be 'device:interface'")
            return {"device": device, "interface": interface}
        return data

    def __str__(self) -> str:
        return f"{self.device}:{self.interface}"


class Media(StrEnum):
    """Transmission media of a link."""

    FIBRE = "fibre"
    COPPER = "copper"
    LEASED_LINE = "leased-line"
    MICROWAVE = "microwave"
    SATELLITE = "satellite"
    WIRELESS = "wireless"


WIRELESS_MEDIA = frozenset({Media.MICROWAVE, Media.SATELLITE, Media.WIRELESS})


class Link(Frozen):
    """A physical link between two device interfaces."""

    id: Id | None = Field(default=None, description="defaults to 'deviceA:ifA--deviceB:ifB'")
    a: Endpoint
    b: Endpoint
    media: Media = Media.FIBRE
    cores: int | None = Field(default=None, ge=1, description="fibre cores in the cable")
    length_km: float | None = Field(default=None, ge=0)
    bandwidth: Rate
    tier_exception: str | None = Field(
        default=None, description="reason this link may break the tier rules (declared exception)"
    )
    description: str = ""
    origin: OriginField = None

    @property
    def key(self) -> str:
        """The link id, or one derived from its endpoints."""
        return self.id or f"{self.a}--{self.b}"

    @property
    def fibre_core_km(self) -> float:
        """Cores × length for fibre links with both figures, else 0."""
        if self.media is Media.FIBRE and self.cores and self.length_km:
            return self.cores * self.length_km
        return 0.0


class CircuitPeer(StrEnum):
    """Where a leased circuit goes."""

    PROVINCE = "province"
    CITY = "city"
    ISP = "isp"
    OTHER = "other"


class Circuit(Frozen):
    """A circuit leased from a carrier: to the province/city network or to an ISP."""

    id: Id
    provider: str
    circuit_id: str = Field(min_length=1, description="the carrier's circuit number")
    rate: Rate = Field(description="committed rate")
    endpoint: Endpoint
    peer: CircuitPeer
    media: Media = Media.LEASED_LINE
    description: str = ""
    origin: OriginField = None


ProtocolName = Annotated[str, StringConstraints(pattern=r"^(tcp|udp|icmp|icmpv6|any|\d{1,3})$")]


class PortSpan(Frozen):
    """A port or an inclusive range written ``23`` or ``"1024-65535"``."""

    lo: int = Field(ge=0, le=65535)
    hi: int = Field(ge=0, le=65535)


def _span(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"lo": value, "hi": value}
    if isinstance(value, str):
        lo, sep, hi = value.partition("-")
        if lo.strip().isdigit() and (not sep or hi.strip().isdigit()):
            return {"lo": int(lo), "hi": int(hi if sep else lo)}
        raise ValueError(f"not a port or port range: {value!r} (write 23 or '1024-65535')")
    return value


class Service(Frozen):
    """A protocol with optional destination ports."""

    proto: ProtocolName
    ports: tuple[PortSpan, ...] = ()

    @field_validator("ports", mode="before")
    @classmethod
    def _ports(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_span(v) for v in value)
        return value

    def __str__(self) -> str:
        if not self.ports:
            return self.proto
        spans = ",".join(str(p.lo) if p.lo == p.hi else f"{p.lo}-{p.hi}" for p in self.ports)
        return f"{self.proto}/{spans}"


def not_empty(value: tuple[Service, ...]) -> tuple[Service, ...]:
    if not value:
        raise ValueError("name at least one service")
    return value


class Flow(Frozen):
    """A flow between zones: required (must be allowed) or declared (may be allowed)."""

    name: str
    source: Id = Field(description="source zone")
    target: Id = Field(description="destination zone")
    services: tuple[Service, ...]
    src: tuple[IPvAnyNetwork, ...] = Field(default=(), description="narrower than the zone")
    dst: tuple[IPvAnyNetwork, ...] = Field(default=(), description="narrower than the zone")
    required: bool = False
    """A required flow that is blocked is a finding; any flow allowed but not declared is too."""
    via: tuple[Id, ...] = Field(
        default=(), description="gateways the flow crosses (default: every gateway joining the "
        "two zones)")
    origin: OriginField = None

    _services = field_validator("services")(not_empty)


class Waiver(Frozen):
    """An accepted finding: who accepted it, why, and until when (the expiry day included)."""

    finding: str = Field(min_length=1, description="stable finding id, e.g. "
                         "firewall.deny-logging-756a1def")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date
    origin: OriginField = None


class SiteSettings(Frozen):
    """Site-wide analysis settings."""

    oversubscription_limit: float = Field(
        default=2.0, gt=0, description="uplinks above this ratio of demand to capacity are flagged"
    )


class Site(Frozen):
    """The site a folder describes: a district or county network office."""

    id: Id
    name: str
    location: Id | None = None
    office: str = ""
    settings: SiteSettings = SiteSettings()
    origin: OriginField = None


class Inventory(Frozen):
    """A whole site, loaded and checked. Look-ups by id never fail on a loaded inventory."""

    site: Site
    zones: tuple[Zone, ...] = ()
    locations: tuple[Location, ...] = ()
    nodes: tuple[Node, ...] = ()
    units: tuple[Unit, ...] = ()
    devices: tuple[Device, ...] = ()
    links: tuple[Link, ...] = ()
    circuits: tuple[Circuit, ...] = ()
    flows: tuple[Flow, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    root: SkipJsonSchema[str] = Field(default="", description="folder the site was loaded from")

    @cached_property
    def zone_by_id(self) -> dict[str, Zone]:
        """Zones by id."""
        return {z.id: z for z in self.zones}

    @cached_property
    def node_by_id(self) -> dict[str, Node]:
        """Backbone nodes by id."""
        return {n.id: n for n in self.nodes}

    @cached_property
    def unit_by_id(self) -> dict[str, Unit]:
        """Units by id."""
        return {u.id: u for u in self.units}

    @cached_property
    def device_by_id(self) -> dict[str, Device]:
        """Devices by id."""
        return {d.id: d for d in self.devices}

    @cached_property
    def location_by_id(self) -> dict[str, Location]:
        """Locations by id."""
        return {loc.id: loc for loc in self.locations}

    def zone_of_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        """The zone whose most specific prefix contains ``address``, if any."""
        best: tuple[int, str] | None = None
        for zone in self.zones:
            for prefix in zone.prefixes:
                if address.version == prefix.version and address in prefix and (
                    best is None or prefix.prefixlen > best[0]
                ):
                    best = (prefix.prefixlen, zone.id)
        return best[1] if best else None
