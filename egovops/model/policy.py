"""Firewall and isolation policy (``policies/*.yaml``): the baseline audits check against.

The shipped baseline follows MLPS 2.0 level 3 (GB/T 22239-2019, 8.1.3 安全区域边界): default
deny at boundaries, no over-broad rules, no cleartext or risky services from untrusted zones,
management plane only from the management zone, denies that log, and every flow between zones
declared. The flows themselves are site data: the ``flows`` section of the inventory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from egovops.model.findings import Severity
from egovops.model.inventory import Frozen, Id, OriginField, Service, not_empty


class RiskyService(Frozen):
    """A cleartext or dangerous service that must not be reachable from untrusted zones."""

    name: str
    services: tuple[Service, ...]
    severity: Literal["info", "low", "medium", "high", "critical"] = "high"
    reason: str = ""
    origin: OriginField = None

    _services = field_validator("services")(not_empty)

    @property
    def level(self) -> Severity:
        """Severity as the enum."""
        return Severity.parse(self.severity)


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
    mlps: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="check id → the MLPS 2.0 clause ids its findings "
        "evidence, overriding the check registry's (validated when loading)"
    )
