"""Device hardening read from the audited configurations (MLPS 2.0 8.1.4 安全计算环境,
8.1.3.5 / 8.1.5.4 audit and time).

Input: the gateways the firewall audit loaded (their parsed ruleset and its source file).

* ``device.login-failure`` (8.1.4.1 b) — vendor configurations: lock-out after failed logins
  and the idle timeout are not switched off (Huawei VRP/USG keep both on by default:
  ``undo lock-authentication enable``, ``undo local-aaa-user wrong-password`` or
  ``idle-timeout 0 0`` switch them off); where the vendor's default is off the statement must
  be there (Cisco IOS ``login block-for``, ASA ``aaa local authentication attempts
  max-fail``, H3C ``password-control login-attempt``);
* ``device.log-forwarding`` (8.1.3.5 c, 8.1.4.3 c, 8.1.5.4 d) — a log host is configured
  (``info-center loghost``, ``logging host``);
* ``device.ntp`` (8.1.3.5 b, 8.1.4.3 b) — an NTP server is configured (``ntp-service
  unicast-server``, ``ntp server``);
* ``device.settings-unverified`` (info, fail closed) — a netfilter ruleset (nftables,
  iptables) does not hold the host's sshd, syslog and time settings: the clauses above stay
  需人工核查 for it;
* ``firewall.cleartext-management`` (8.1.4.1 c) — telnet, http, ftp or tftp to the device
  itself is accepted from anywhere (the management hooks, or zone ``local``).

Statements are matched per line after stripping indentation; a configuration that does not
read is the firewall audit's business (it fails before this runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from egovops.audit.firewall import (
    IGNORED_HOOKS,
    MGMT_HOOK_SUFFIXES,
    GatewayRuleset,
    is_management_hook,
    service_matches,
)
from egovops.audit.registry import finding, finding_of, phrase
from egovops.firewall.analysis import decide
from egovops.firewall.model import Action, ConnState, Match
from egovops.model.findings import Finding, ParamValue, Phrase
from egovops.model.inventory import Service

NETFILTER_FORMATS = frozenset({"nftables", "nftables-json", "iptables"})


@dataclass(frozen=True)
class Rule:
    """A statement a configuration must have (``required``) or must not have (``forbidden``),
    by regular expression on one stripped line."""

    pattern: str
    statement: str
    """The statement as the finding names it."""


@dataclass(frozen=True)
class Dialect:
    """What each setting looks like in one configuration format."""

    ntp: Rule
    loghost: Rule
    cleartext: tuple[tuple[str, Rule, str], ...] = ()
    """(service, statement enabling it in cleartext, what to configure instead)."""
    lockout_required: Rule | None = None
    lockout_forbidden: tuple[Rule, ...] = ()
    idle_forbidden: Rule | None = None


_HUAWEI = Dialect(
    ntp=Rule(r"ntp-service unicast-server \S+", "ntp-service unicast-server"),
    loghost=Rule(r"info-center loghost (ipv6 )?\S+", "info-center loghost"),
    lockout_forbidden=(Rule(r"undo lock-authentication enable", "undo lock-authentication enable"),
                       Rule(r"undo local-aaa-user wrong-password",
                            "undo local-aaa-user wrong-password")),
    idle_forbidden=Rule(r"idle-timeout 0( 0)?", "idle-timeout 0 0"),
    cleartext=(("telnet", Rule(r"telnet (ipv6 )?server enable", "telnet server enable"),
                "undo telnet server enable"),
               ("telnet", Rule(r"protocol inbound (telnet|all)", "protocol inbound telnet"),
                "protocol inbound ssh"),
               ("http", Rule(r"http server enable", "http server enable"),
                "undo http server enable")),
)
DIALECTS: dict[str, Dialect] = {
    "huawei": _HUAWEI,
    "h3c": Dialect(
        ntp=Rule(r"ntp-service unicast-server \S+", "ntp-service unicast-server"),
        loghost=Rule(r"info-center loghost \S+", "info-center loghost"),
        lockout_required=Rule(r"password-control login-attempt \d+", "password-control "
                              "login-attempt"),
        idle_forbidden=Rule(r"idle-timeout 0( 0)?", "idle-timeout 0 0"),
        cleartext=(("telnet", Rule(r"telnet server enable", "telnet server enable"),
                    "undo telnet server enable"),
                   ("telnet", Rule(r"protocol inbound (telnet|all)", "protocol inbound telnet"),
                    "protocol inbound ssh"),
                   ("http", Rule(r"ip http enable", "ip http enable"), "undo ip http enable")),
    ),
    "cisco-ios": Dialect(
        ntp=Rule(r"ntp server \S+", "ntp server"),
        loghost=Rule(r"logging (host )?\d[\d.:a-fA-F]*\S*", "logging host"),
        lockout_required=Rule(r"login block-for \d+", "login block-for"),
        idle_forbidden=Rule(r"exec-timeout 0( 0)?", "exec-timeout 0 0"),
        cleartext=(("telnet", Rule(r"transport input .*\b(telnet|all)\b", "transport input "
                                   "telnet"), "transport input ssh"),
                   ("http", Rule(r"ip http server", "ip http server"), "no ip http server")),
    ),
    "cisco-asa": Dialect(
        ntp=Rule(r"ntp server \S+", "ntp server"),
        loghost=Rule(r"logging host \S+ \S+", "logging host"),
        lockout_required=Rule(r"aaa local authentication attempts max-fail \d+",
                              "aaa local authentication attempts max-fail"),
    ),
}
"""Per firewall format (``Ruleset.format``)."""

CLEARTEXT_MANAGEMENT: tuple[tuple[str, Service], ...] = (
    ("telnet", Service(proto="tcp", ports=(23,))),
    ("http", Service(proto="tcp", ports=(80,))),
    ("ftp", Service(proto="tcp", ports=(21,))),
    ("tftp", Service(proto="udp", ports=(69,))),
)
"""Management services that carry credentials in cleartext."""


def _lines(gw: GatewayRuleset) -> list[str]:
    try:
        text = Path(gw.ruleset.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # read by the parser a moment ago; a vanished file has no statements
    return [line.strip() for line in text.splitlines()]


def _first(lines: list[str], rule: Rule) -> int | None:
    """1-based line of the first line ``rule`` matches."""
    pattern = re.compile(rule.pattern)
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), None)


def _settings(gw: GatewayRuleset, dialect: Dialect) -> Iterator[Finding]:
    lines = _lines(gw)
    dev = gw.device
    source = gw.ruleset.source
    common: dict[str, ParamValue] = {"device": dev.id, "file": source,
                                     "platform": gw.ruleset.format}
    origin = str(dev.origin or "")
    for check, rule in (("device.ntp", dialect.ntp),
                        ("device.log-forwarding", dialect.loghost)):
        if _first(lines, rule) is None:
            yield finding_of(check, {**common, "statement": rule.statement,
                                         "fix": rule.statement},
                             subject=f"{dev.id}:{check.rpartition('.')[2]}", origin=source,
                             zones=(dev.zone,))
    found: list[tuple[str, Phrase, Phrase, str]] = []  # (what, why, fix, origin)
    if dialect.lockout_required is not None and _first(lines, dialect.lockout_required) is None:
        statement = dialect.lockout_required.statement
        found.append(("login-lockout", phrase("statement-absent", statement=statement),
                      phrase("configure-statement", statement=statement), origin or source))
    off = [("login-lockout", rule) for rule in dialect.lockout_forbidden]
    if dialect.idle_forbidden is not None:
        off.append(("login-idle", dialect.idle_forbidden))
    for what, rule in off:
        line = _first(lines, rule)
        if line is not None:
            found.append((what, phrase("statement-off", statement=rule.statement, line=line),
                          phrase("remove-statement", statement=rule.statement),
                          f"{source}:{line}"))
    for service, rule, instead in dialect.cleartext:
        line = _first(lines, rule)
        if line is not None:
            yield finding("device.cleartext-management", subject=f"{dev.id}:{service}:config",
                          origin=f"{source}:{line}", zones=(dev.zone,), device=dev.id,
                          service=service, statement=lines[line - 1], fix=instead)
    for what, why, fix, where in found:
        yield finding_of("device.login-failure",
                         {**common, "missing": phrase(what), "why": why, "fix": fix},
                         subject=f"{dev.id}:{what}", origin=where, zones=(dev.zone,))


def _cleartext(gw: GatewayRuleset) -> Iterator[Finding]:
    local = gw.space.from_match(Match(dst_zones=("local",)))
    new = gw.space.from_match(Match(states=frozenset({ConnState.NEW})))
    not_loopback = new - gw.space.from_match(Match(in_interfaces=("lo",)))
    for hook, chains in gw.hooks(lambda h: h not in IGNORED_HOOKS).items():
        if hook.endswith(MGMT_HOOK_SUFFIXES):
            continue  # a VTY line ACL filters addresses; the line's protocols are config
        if is_management_hook(hook):
            accepted = gw.accepted(chains) & not_loopback
        elif "local" in gw.space.zones.literals:
            accepted = gw.accepted(chains) & not_loopback & local
        else:
            continue
        for name, service in CLEARTEXT_MANAGEMENT:
            wanted = gw.space.empty
            for m in service_matches([service]):
                wanted = wanted | gw.space.from_match(m)
            hit = accepted & wanted
            if hit.is_empty:
                continue
            example = hit.example()
            rule, _ = decide(chains[0], example) if example else (None, Action.ACCEPT)
            yield finding(
                "firewall.cleartext-management", subject=f"{gw.device.id}:{hook}:{name}",
                origin=str(rule.source) if rule else str(gw.device.origin or ""),
                device=gw.device.id, service=name, hook=hook, packets=hit.describe(),
                example=str(example),
                decided=phrase("decided-by", rule=rule) if rule else phrase("by-default-policy"))


def device_settings(gateways: Iterable[GatewayRuleset]) -> list[Finding]:
    """Every finding of the checks of this module for ``gateways``."""
    found: list[Finding] = []
    for gw in gateways:
        fmt = gw.ruleset.format
        dialect = DIALECTS.get(fmt)
        if dialect is not None:
            found.extend(_settings(gw, dialect))
        elif fmt in NETFILTER_FORMATS or fmt not in DIALECTS:
            found.append(finding(
                "device.settings-unverified", subject=f"{gw.device.id}:settings",
                origin=gw.ruleset.source, zones=(gw.device.zone,), device=gw.device.id,
                file=gw.ruleset.source, format=fmt))
        found.extend(_cleartext(gw))
    return found


CHECKS = ("device.login-failure", "device.log-forwarding", "device.ntp",
          "device.cleartext-management",
          "device.settings-unverified", "firewall.cleartext-management")
"""The checks of this module (for ``AuditResult.checks``)."""
