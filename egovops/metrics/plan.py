"""The emergency response plan (应急预案) model: levels, categories, owners, conditions.

Inert, frozen data loaded from ``policies/emergency-plan.yaml`` by :mod:`egovops.metrics.planfile`.
The four levels are fixed by the national classification of network and information security
incidents: I 特别重大 (red), II 重大 (orange), III 较大 (yellow), IV 一般 (blue). A condition
names the signal that raises a candidate level (see :mod:`egovops.metrics.signals`, which turns
signals into PromQL and evaluates them against what egovops holds).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from egovops.model.findings import Severity
from egovops.model.inventory import CircuitPeer, DeviceRole, Frozen, Id, OriginField

LevelId = Literal["I", "II", "III", "IV"]
LEVEL_ORDER: tuple[LevelId, ...] = ("I", "II", "III", "IV")
"""Most severe first."""
LEVEL_RANK: dict[str, int] = {"I": 4, "II": 3, "III": 2, "IV": 1}
"""The value of ``egovops_emergency_level`` for each level (0: none)."""
LEVEL_COLOR: dict[str, str] = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}

Duration = Annotated[str, StringConstraints(pattern=r"^[0-9]+[smhd]$")]
"""A Prometheus duration with one unit: ``30s``, ``15m``, ``2h``, ``14d``."""

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int:
    """``"15m"`` → 900."""
    match = re.fullmatch(r"([0-9]+)([smhd])", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (write e.g. 30s, 15m, 2h, 14d)")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


class PlanInfo(Frozen):
    """Who the plan belongs to."""

    name: str
    office: str = ""
    site: Id | None = Field(default=None, description="inventory site id, when site-specific")
    runbook_url: str = Field(default="", description="base URL of the procedures, if published")
    origin: OriginField = None


class Level(Frozen):
    """One incident level with its deadlines and who leads the response."""

    id: LevelId
    name: str = Field(description="Chinese name: 特别重大, 重大, 较大, 一般")
    name_en: str = ""
    color: Literal["red", "orange", "yellow", "blue"]
    severity: Literal["critical", "warning", "info"] = Field(
        description="the `severity` label of the alerts of this level")
    response: Duration = Field(description="time to start the response (响应时限)")
    report: Duration = Field(description="time to report to the authorities (报告时限)")
    report_to: str = Field(description="whom the report goes to")
    owner: Id = Field(description="owner leading the response")
    origin: OriginField = None

    @property
    def rank(self) -> int:
        """4 for I … 1 for IV."""
        return LEVEL_RANK[self.id]


class Category(Frozen):
    """An incident category (事件分类)."""

    id: Id
    name: str
    name_en: str = ""
    origin: OriginField = None


class Owner(Frozen):
    """A person, team or body responsible under the plan; contacts are role addresses."""

    id: Id
    name: str
    leadership: bool = Field(default=False, description="part of the leadership group "
                             "(领导小组): receives level I and II alerts")
    email: str = ""
    phone: str = ""
    origin: OriginField = None


class IsolationSignal(Frozen):
    """The audit finds an isolation violation of ``zone`` (e.g. the inner network)."""

    kind: Literal["isolation"]
    zone: Id


class DeviceDownSignal(Frozen):
    """Devices matching every selector given are not collected (down)."""

    kind: Literal["device-down"]
    tier: Literal[1, 2, 3] | None = None
    zone: Id | None = None
    device: Id | None = None
    role: DeviceRole | None = None


class CircuitDownSignal(Frozen):
    """A leased circuit to ``peer`` (province, city, isp) is down."""

    kind: Literal["circuit-down"]
    peer: CircuitPeer


class FindingSignal(Frozen):
    """The audit reports findings of ``check`` at or above ``min_severity``."""

    kind: Literal["finding"]
    check: str = Field(min_length=1)
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "high"

    def severities(self) -> tuple[str, ...]:
        """Severity labels at or above the minimum."""
        floor = Severity.parse(self.min_severity)
        return tuple(s.label for s in Severity if s >= floor)


class CertExpiringSignal(Frozen):
    """A valid certificate of ``profile`` expires within ``within``."""

    kind: Literal["cert-expiring"]
    profile: str = Field(min_length=1)
    within: Duration


class CrlExpiringSignal(Frozen):
    """The published CRL's nextUpdate is less than ``within`` away (or passed)."""

    kind: Literal["crl-expiring"]
    within: Duration


class ProbeFailedSignal(Frozen):
    """A blackbox_exporter probe job fails (e.g. the government website is unreachable)."""

    kind: Literal["probe-failed"]
    job: str = Field(min_length=1)


class ProbeSucceedsSignal(Frozen):
    """A blackbox_exporter probe that must fail succeeds (e.g. a USB-KEY back-end answers a
    client without a certificate)."""

    kind: Literal["probe-succeeds"]
    job: str = Field(min_length=1)


Signal = Annotated[
    IsolationSignal | DeviceDownSignal | CircuitDownSignal | FindingSignal | CertExpiringSignal
    | CrlExpiringSignal | ProbeFailedSignal | ProbeSucceedsSignal,
    Field(discriminator="kind"),
]


class Condition(Frozen):
    """A condition that raises a candidate level, with its owner and procedure."""

    id: Id
    name: str
    name_en: str = ""
    level: LevelId
    category: Id
    network: str = Field(min_length=1, description="network the incident concerns "
                         "(inner, outer, dmz, internet, management, all)")
    signal: Signal
    for_: Duration = Field(default="0m", alias="for",
                           description="how long the signal must hold before the level applies")
    owner: Id
    procedure: str = Field(min_length=1, description="first steps of the response (处置流程)")
    origin: OriginField = None

    @property
    def alert_name(self) -> str:
        """Alert name of the generated rule: ``inner-isolation-breach`` →
        ``EgovopsInnerIsolationBreach``."""
        parts = re.split(r"[^A-Za-z0-9]+", self.id)
        return "Egovops" + "".join(p[:1].upper() + p[1:] for p in parts if p)


class Plan(Frozen):
    """The whole plan, loaded and cross-checked."""

    info: PlanInfo
    levels: tuple[Level, ...]
    categories: tuple[Category, ...]
    owners: tuple[Owner, ...]
    conditions: tuple[Condition, ...]
    source: str = ""

    def level(self, level_id: str) -> Level:
        """The level called ``level_id`` (the loader guarantees all four exist)."""
        return next(lv for lv in self.levels if lv.id == level_id)

    def owner(self, owner_id: str) -> Owner:
        """The owner called ``owner_id``."""
        return next(o for o in self.owners if o.id == owner_id)

    def category(self, category_id: str) -> Category:
        """The category called ``category_id``."""
        return next(c for c in self.categories if c.id == category_id)
