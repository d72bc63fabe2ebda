"""ACL rules in the Huawei VRP / H3C Comware syntax, shared by the ``huawei`` and ``h3c``
parsers.

Both vendors write ``rule [ID] {permit|deny} [PROTOCOL] [source {ADDR WILDCARD | any}]
[destination …] [source-port OP PORT] [destination-port OP PORT] [icmp-type TYPE] [logging]``
with options in any order; basic ACLs (2000-2999) have no protocol and only ``source``.
A wildcard of ``0`` means one host. ``logging`` sets the log flag, ``counting`` (H3C) only
counts, ``established`` (H3C) is modelled as connection state ``established``. ``time-range``,
``vpn-instance``, ``fragment``, DSCP/precedence/ToS and TCP-flag conditions are reported:
they narrow the match in ways the model cannot express.

``rule ID description|comment TEXT`` lines give the comment of rule ``ID``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from egovops.firewall.model import (
    Action,
    ConnState,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    SourceRef,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.acl_chains import AclDraft, Entry
from egovops.firewall.parsers.cisco_acl import PORT_OPERATORS, Words, port_words
from egovops.firewall.parsers.config_tree import Node
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

HUAWEI_MARKERS = re.compile(
    r"^(acl (number|name) \S+|security-policy\s*$|\s*traffic-filter (inbound|outbound) acl |"
    r"ip (address|service)-set \S+ type |user-interface vty |firewall (zone|interzone) |"
    r"!Software Version V)", re.MULTILINE)
"""Lines found in Huawei configurations (some also in old H3C ones: see ``H3C_MARKERS``)."""

H3C_MARKERS = re.compile(
    r"^(acl (advanced|basic) |object-policy ip |zone-pair security |security-zone name |"
    r"\s+\d+ network (host|subnet|range|group-object) |\s+\d+ service (tcp|udp|icmp) |"
    r"\s*version \d+\.\d+(\.\d+)?, "
    r"(Release|ESS|Feature) )", re.MULTILINE)
"""Lines only H3C Comware configurations have. An old (Comware 5) configuration without its
``version`` line reads like Huawei VRP; name the format explicitly then."""

ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP}
UNSUPPORTED = frozenset({
    "time-range", "vpn-instance", "fragment", "fragment-type", "dscp", "precedence", "tos",
    "tcp-flag", "ttl-expired", "source-mac", "destination-mac", "vlan", "ttl",
    "source-pool", "destination-pool", "igmp-type",
})


@dataclass
class VrpRule:
    """One ``rule`` line read: number (``None`` if not written) and its rule."""

    number: int | None
    rule: Rule


def acl_address(cursor: Words) -> tuple[IPNetwork, ...]:
    """``ADDR WILDCARD`` (``0`` = host) or ``any`` after ``source``/``destination``."""
    word = cursor.take("an address")
    if word.text.lower() == "any":
        return ()
    try:
        addresses.ipv4(word.text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    mask = cursor.take("a wildcard (0 for one host)")
    try:
        return addresses.wildcard(word.text, mask.text)
    except ValueError as error:
        code = "wildcard" if "wildcard" in str(error) else "invalid-value"
        raise Unreadable(str(error), code, mask.column) from None


def read_rule(node: Node, advanced: bool, file: str) -> VrpRule | tuple[int, str]:
    """A ``rule`` line: the rule, or ``(number, text)`` for a ``description``/``comment``."""
    cursor = Words(node.words)
    cursor.take("rule")
    number: int | None = None
    if (first := cursor.peek()) is not None and first.isdigit():
        number = int(cursor.take("a rule number").text)
    keyword = cursor.take("permit or deny")
    word = keyword.text.lower()
    if word in ("description", "comment", "remark") and number is not None:
        return number, node.rest(cursor.index)
    action = ACTIONS.get(word)
    if action is None:
        raise Unreadable(f"{keyword.text!r} is not permit or deny", "syntax", keyword.column)
    protocol: int | None = None
    if advanced:
        proto_word = cursor.take("a protocol")
        text = proto_word.text.lower()
        if text != "ip":
            try:
                protocol = ports.protocol_number(text)
            except ValueError as error:
                raise Unreadable(str(error), "invalid-value", proto_word.column) from None
    seen: set[str] = set()
    src: tuple[IPNetwork, ...] = ()
    dst: tuple[IPNetwork, ...] = ()
    sports: tuple[tuple[PortRange, ...], bool] = ((), False)
    dports: tuple[tuple[PortRange, ...], bool] = ((), False)
    icmp: tuple[IcmpMatch, ...] = ()
    established = log = False
    while not cursor.at_end():
        option = cursor.take("an option")
        name = option.text.lower()
        if name in seen:
            raise Unreadable(f"{name!r} is given twice", "syntax", option.column)
        seen.add(name)
        if name == "source":
            src = acl_address(cursor)
        elif name == "destination" and advanced:
            dst = acl_address(cursor)
        elif advanced and name in ("source-port", "destination-port"):
            if protocol not in (6, 17):
                raise Unreadable(f"{name} needs protocol tcp or udp", "syntax", option.column)
            operator = cursor.take("a port operator")
            if operator.text.lower() not in PORT_OPERATORS:
                raise Unreadable(f"{operator.text!r} is not a port operator", "syntax",
                                 operator.column)
            if name == "source-port":
                sports = port_words(cursor, operator.text.lower())
            else:
                dports = port_words(cursor, operator.text.lower())
        elif advanced and name == "icmp-type":
            if protocol != 1:
                raise Unreadable("icmp-type needs protocol icmp", "syntax", option.column)
            icmp = _icmp(cursor)
        elif name == "logging":
            log = True
        elif name == "counting":
            pass
        elif name == "established" and protocol == 6:
            established = True
        elif name in UNSUPPORTED:
            raise Unreadable(f"option {option.text!r} is not supported", "unsupported",
                             option.column)
        else:
            raise Unreadable(f"option {option.text!r} is not understood", "syntax",
                             option.column)
    match = Match(
        src=src, dst=dst,
        protocols=() if protocol is None else (protocol,),
        sports=sports[0], sports_negated=sports[1],
        dports=dports[0], dports_negated=dports[1],
        icmp=icmp,
        states=frozenset({ConnState.ESTABLISHED}) if established else frozenset(),
        family=4,
    )
    return VrpRule(number, Rule(match=match, action=action, log=log,
                                source=SourceRef(file, node.line), text=node.text))


def _icmp(cursor: Words) -> tuple[IcmpMatch, ...]:
    word = cursor.take("an ICMP type")
    code = None
    if word.text.isdigit():
        code_word = cursor.take("an ICMP code")
        code = code_word.text
    try:
        return (ports.icmp_match(word.text, 4, code),)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None


def read_acl_block(node: Node, acl: AclDraft, advanced: bool, file: str,
                   log: ProblemLog) -> None:
    """The ``rule``/``description``/``step`` lines under an ``acl`` line, into ``acl``."""
    comments: dict[int, str] = {}
    for child in node.children:
        keyword = child.keywords[0]
        try:
            if keyword in ("description", "undo"):
                continue
            if keyword == "step":
                step = child.words[1].text if len(child.words) > 1 else ""
                if not step.isdigit():
                    raise Unreadable("'step' needs a number", "syntax", child.words[0].column)
                acl.step = int(step)
                continue
            if keyword != "rule":
                raise Unreadable(f"{child.words[0].text!r} is not understood in an ACL",
                                 "syntax", child.words[0].column)
            result = read_rule(child, advanced, file)
        except Unreadable as error:
            log.add_error(child.line, error)
            continue
        if isinstance(result, tuple):
            comments[result[0]] = result[1]
        else:
            acl.entries.append(Entry(result.number, child.line, [result.rule]))
    for entry in acl.entries:
        if entry.number in comments:
            entry.rules = [dataclasses.replace(r, comment=comments[entry.number])
                           for r in entry.rules]
