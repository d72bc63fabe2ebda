"""Firewall and isolation policy (``policies/*.yaml``): the baseline audits check against.

The shipped baseline follows MLPS 2.0 level 3 (GB/T 22239-2019, 8.1.3 安全区域边界): default
deny at boundaries, no over-broad rules, no cleartext or risky services from untrusted zones,
management plane only from the management zone, denies that log, and every flow between zones
declared. Sites may add their own files beside it (e.g. their required flows).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, StringConstraints, field_validator

from egovops.model.findings import Severity
from egovops.model.inventory import Frozen, Id, OriginField

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


def _not_empty(value: tuple[Service, ...]) -> tuple[Service, ...]:
    if not value:
        raise ValueError("name at least one service")
    return value


class RiskyService(Frozen):
    """A cleartext or dangerous service that must not be reachable from untrusted zones."""

    name: str
    services: tuple[Service, ...]
    severity: Literal["info", "low", "medium", "high", "critical"] = "high"
    reason: str = ""
    origin: OriginField = None

    _services = field_validator("services")(_not_empty)

    @property
    def level(self) -> Severity:
        """Severity as the enum."""
        return Severity.parse(self.severity)


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
    origin: OriginField = None

    _services = field_validator("services")(_not_empty)


class OverBroad(Frozen):
    """When a permit rule counts as over-broad."""

    min_source_prefix: int = Field(default=16, ge=0, le=32,
                                   description="IPv4 source shorter than this from untrusted zones")
    min_destination_prefix: int = Field(default=24, ge=0, le=32)
    any_service: bool = Field(default=True, description="a permit for any protocol/port")


class FirewallPolicy(Frozen):
    """The policy one site's gateways are audited against."""

    untrusted_zones: tuple[Id, ...] = ("internet",)
    management_zone: Id = "management"
    management_services: tuple[Service, ...] = ()
    """Services of a device's own management plane (ssh, https, snmp, telnet …)."""
    require_default_deny: bool = True
    require_deny_logging: bool = True
    over_broad: OverBroad = OverBroad()
    risky_services: tuple[RiskyService, ...] = ()
    flows: tuple[Flow, ...] = ()
    mlps: dict[str, str] = Field(
        default_factory=dict, description="check name → MLPS 2.0 clause it maps to"
    )
