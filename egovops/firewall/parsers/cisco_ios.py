"""Parser for Cisco IOS / IOS-XE (and NX-OS) access lists in ``show running-config``.

Read:

* named ACLs ``ip access-list extended|standard NAME`` (NX-OS ``ip access-list NAME``) and
  ``ipv6 access-list NAME``, entries with or without sequence numbers, ``remark`` (kept as the
  comment of the next entry);
* numbered ACLs ``access-list 1-99|1300-1999`` (standard) and ``100-199|2000-2699``
  (extended);
* addresses ``any``, ``host A``, ``A WILDCARD`` (a non-contiguous wildcard is expanded into
  host prefixes when that stays small, reported otherwise), ``A/len``, ``object-group NAME`` /
  ``addrgroup NAME``; ports ``eq``/``neq``/``lt``/``gt``/``range`` with names (``www``,
  ``domain``…) or numbers, ``portgroup NAME``; a service ``object-group`` in the protocol
  position; ``established``, ``log``/``log-input``, ICMP types;
* ``object-group network|service NAME`` (IOS) and ``object-group ip address|port NAME``
  (NX-OS), nested with ``group-object``;
* where ACLs apply: ``ip access-group NAME in|out`` / ``ipv6 traffic-filter NAME in|out``
  under ``interface X`` (hook ``NAME:in``), ``access-class NAME in`` under ``line vty``
  (hook ``NAME:vty-in``); implicit deny at the end.

Everything outside ACLs and their attachments (routing, AAA…) is not a filtering construct and
is not read. MAC access groups are reported: they filter, but not by IP.
"""

from __future__ import annotations

import re

from egovops.firewall.model import (
    Action,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    Ruleset,
    SourceRef,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.acl_chains import AclDraft, Attachment, Entry, build_chains
from egovops.firewall.parsers.cisco_acl import (
    PORT_OPERATORS,
    AceReader,
    CiscoObjects,
    Group,
    Words,
    describe,
    host_address,
    port_words,
    rules_for,
)
from egovops.firewall.parsers.config_tree import Node, parse_tree
from egovops.firewall.parsers.problems import ProblemLog, Unreadable
from egovops.firewall.parsers.services import Service

FORMAT = "cisco-ios"

ACL_OPTIONS = frozenset({
    "logging", "log-update", "resequence", "persistent", "match-local-traffic", "fqdn",
})
"""``ip access-list …`` global settings that define no ACL."""

ASA_MARKERS = re.compile(
    r"^(ASA Version|access-list \S+ (extended|standard|webtype|ethertype) |"
    r"access-group \S+ (in|out) interface |object network )", re.MULTILINE)
IOS_MARKERS = re.compile(
    r"^(ip access-list |ipv6 access-list |access-list \d+ (permit|deny|remark) |"
    r"\s+ip access-group \S+ (in|out))", re.MULTILINE)


def _standard_kind(number: int) -> str | None:
    if 1 <= number <= 99 or 1300 <= number <= 1999:
        return "standard"
    if 100 <= number <= 199 or 2000 <= number <= 2699:
        return "extended"
    return None


class _IosReader(AceReader):
    """Extended entries with IOS addresses: wildcards, prefixes, object groups."""

    def __init__(self, objects: CiscoObjects, family: int) -> None:
        super().__init__(objects, self.read_address, family, family)

    def read_address(self, cursor: Words) -> tuple[tuple[IPNetwork, ...], int | None]:
        word = cursor.take("an address")
        text = word.text.lower()
        if text == "any":
            return (), None
        if text == "host":
            return host_address(cursor)
        if text in ("object-group", "addrgroup"):
            name = cursor.take(f"a group name after {text!r}")
            try:
                return self.objects.networks(name.text), None
            except Unreadable as error:
                raise Unreadable(error.message, error.code, name.column) from None
        try:
            if "/" in text:
                network = addresses.network(text)
                return (network,), network.version
            mask = cursor.take("a wildcard mask")
            try:
                return addresses.wildcard(word.text, mask.text), 4
            except ValueError as error:
                code = "wildcard" if "wildcard" in str(error) else "invalid-value"
                raise Unreadable(str(error), code, mask.column) from None
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", word.column) from None


def _standard(cursor: Words, family: int) -> tuple[Action, Match, bool]:
    """``{permit|deny} {any | host A | A [WILDCARD]} [log]``."""
    action_word = cursor.take("permit or deny")
    action = {"permit": Action.ACCEPT, "deny": Action.DROP}.get(action_word.text.lower())
    if action is None:
        raise Unreadable(f"{action_word.text!r} is not permit, deny or remark", "syntax",
                         action_word.column)
    word = cursor.take("a source address")
    text = word.text.lower()
    try:
        if text == "any":
            src: tuple[IPNetwork, ...] = ()
        elif text == "host":
            src, _ = host_address(cursor)
        elif (mask := cursor.peek()) is not None and re.fullmatch(r"[\d.]+", mask):
            mask_word = cursor.take("a wildcard mask")
            try:
                src = addresses.wildcard(word.text, mask_word.text)
            except ValueError as error:
                raise Unreadable(str(error), "wildcard", mask_word.column) from None
        else:
            src = (addresses.network(addresses.ipv4(word.text).compressed),)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    log = False
    while not cursor.at_end():
        option = cursor.take("an option")
        if option.text.lower() in ("log", "log-input"):
            log = True
        else:
            raise Unreadable(f"option {option.text!r} is not understood in a standard ACL",
                             "syntax", option.column)
    return action, Match(src=src, family=family), log


class CiscoIosParser:
    """Cisco IOS / IOS-XE / NX-OS access lists; see the module docstring."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has IOS-style ACLs or access groups (and no ASA markers)."""
        return IOS_MARKERS.search(text) is not None and ASA_MARKERS.search(text) is None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read ACLs, object groups and attachments; raises ``ConfigError`` with all problems."""
        log = ProblemLog(file, FORMAT)
        tree = parse_tree(text, "!")
        objects = CiscoObjects()
        for node in tree:
            if node.keywords[:1] == ["object-group"]:
                self._object_group(node, objects, log)
        acls: dict[str, AclDraft] = {}
        remarks: dict[str, str] = {}
        attachments: list[Attachment] = []
        for node in tree:
            words = node.keywords
            try:
                if words[:2] in (["ip", "access-list"], ["ipv6", "access-list"]):
                    self._named_acl(node, acls, objects, file, log)
                elif words[:1] == ["access-list"]:
                    self._numbered_entry(node, acls, remarks, objects, file)
                elif words[0] in ("interface", "line"):
                    attachments += self._attachments(node, log)
            except Unreadable as error:
                log.add_error(node.line, error)
        chains, hooks = build_chains(acls, attachments, file, log)
        log.raise_if_any()
        shown = {name: describe(group) for name, group in objects.groups.items()}
        return Ruleset(tuple(chains), FORMAT, file, {**shown, **hooks}, skipped=tuple(log.skipped))

    # -- object groups -----------------------------------------------------------------------------

    @staticmethod
    def _object_group(node: Node, objects: CiscoObjects, log: ProblemLog) -> None:
        words = node.keywords
        if len(words) < 3:
            log.add(node.line, "object-group without a type and name", "syntax")
            return
        kind = " ".join(words[1:3]) if words[1] == "ip" else words[1]
        name_index = 3 if words[1] == "ip" else 2
        if len(node.words) <= name_index:
            log.add(node.line, f"object-group {kind} without a name", "syntax")
            return
        name = node.words[name_index].text
        if kind not in ("network", "service", "ip address", "ip port"):
            objects.unreadable[name] = f"object-group {kind} is not supported"
            return
        if name in objects.groups:
            log.add(node.line, f"object-group {name} is defined twice", "duplicate",
                    node.words[name_index].column)
            return
        group = Group({"network": "network", "ip address": "network", "service": "service",
                       "ip port": "port"}[kind], node.line)
        if kind == "ip port":
            group.port_protocols = (6, 17)
        for child in node.children:
            cursor = Words(child.words)
            if (first := cursor.peek()) is not None and first.isdigit():
                cursor.take("a sequence number")  # NX-OS numbers its group entries
            try:
                _group_entry(group, cursor, wildcards=kind == "ip address")
            except Unreadable as error:
                log.add_error(child.line, error)
        objects.groups[name] = group

    # -- ACLs --------------------------------------------------------------------------------------

    def _named_acl(self, node: Node, acls: dict[str, AclDraft], objects: CiscoObjects,
                   file: str, log: ProblemLog) -> None:
        """``ip access-list [extended|standard] NAME`` / ``ipv6 access-list NAME`` and entries."""
        words = node.keywords
        family = 6 if words[0] == "ipv6" else 4
        if len(words) < 3 or (family == 4 and words[2] in ACL_OPTIONS):
            return
        if family == 4 and words[2] in ("extended", "standard"):
            kind, name_index = words[2], 3
        elif family == 4 and words[2] in ("role-based", "mac", "dynamic"):
            raise Unreadable(f"ip access-list {words[2]} is not supported", "unsupported",
                             node.words[2].column)
        else:
            kind, name_index = "extended", 2
        if len(node.words) <= name_index:
            raise Unreadable("access list without a name", "syntax")
        name = node.words[name_index].text
        if name in acls:
            raise Unreadable(f"ACL {name} is defined twice", "duplicate",
                             node.words[name_index].column)
        acl = acls[name] = AclDraft(name, node.line, "ip6" if family == 6 else "ip")
        remark = ""
        for child in node.children:
            cursor = Words(child.words)
            number: int | None = None
            first = cursor.peek()
            if first == "sequence" and family == 6:
                cursor.take("sequence")
                first = cursor.peek()
            if first is not None and first.isdigit():
                number = int(cursor.take("a sequence number").text)
            keyword = cursor.peek()
            if keyword == "remark":
                remark = child.rest(cursor.index + 1)
                continue
            if keyword == "statistics":
                continue
            try:
                if keyword not in ("permit", "deny"):
                    word = cursor.take("permit or deny")
                    raise Unreadable(f"{word.text!r} is not understood in an access list",
                                     "syntax", word.column)
                self._entry(acl, kind, family, cursor, child, number, remark, objects, file)
            except Unreadable as error:
                log.add_error(child.line, error)
            remark = ""

    def _numbered_entry(self, node: Node, acls: dict[str, AclDraft], remarks: dict[str, str],
                        objects: CiscoObjects, file: str) -> None:
        """``access-list N …``: entries of one numbered ACL, numbered implicitly."""
        words = node.words
        if len(words) < 3 or not words[1].text.isdigit():
            raise Unreadable("'access-list' needs a number and an entry", "syntax")
        name = words[1].text
        kind = _standard_kind(int(name))
        if kind is None:
            raise Unreadable(f"access-list {name}: only IP standard (1-99, 1300-1999) and "
                             "extended (100-199, 2000-2699) lists are supported", "unsupported",
                             words[1].column)
        acl = acls.setdefault(name, AclDraft(name, node.line))
        cursor = Words(words[2:])
        if cursor.peek() == "remark":
            remarks[name] = node.rest(3)
            return
        if cursor.peek() == "dynamic":
            raise Unreadable("dynamic access lists are not supported", "unsupported",
                             words[2].column)
        remark = remarks.pop(name, "")
        self._entry(acl, kind, 4, cursor, node, None, remark, objects, file)

    def _entry(self, acl: AclDraft, kind: str, family: int, cursor: Words, node: Node,
               number: int | None, remark: str, objects: CiscoObjects, file: str) -> None:
        if kind == "standard":
            action, match, logged = _standard(cursor, family)
            rules = [Rule(match=match, action=action, log=logged, comment=remark,
                          source=SourceRef(file, node.line), text=node.text)]
        else:
            ace = _IosReader(objects, family).extended(cursor)
            rules = rules_for(ace, node.line, file, "", node.text, remark)
        acl.entries.append(Entry(number, node.line, rules))

    # -- attachments -------------------------------------------------------------------------------

    @staticmethod
    def _attachments(node: Node, log: ProblemLog) -> list[Attachment]:
        """``ip access-group`` / ``ipv6 traffic-filter`` (interfaces), ``access-class`` (lines)."""
        line_mode = node.keywords[0] == "line"
        found = []
        for child in node.children:
            words = child.keywords
            if words[:1] == ["mac"]:
                log.add(child.line, "MAC access groups are not supported (only IP ACLs are "
                        "modelled)", "unsupported", child.words[0].column)
                continue
            if line_mode:
                start = 1 if words[:1] == ["ipv6"] else 0
                if words[start:start + 1] != ["access-class"]:
                    continue
                acl_index = start + 1
                prefix = f"{node.keywords[1]}-" if len(node.keywords) > 1 else "line-"
            elif words[:2] in (["ip", "access-group"], ["ipv6", "traffic-filter"]):
                acl_index, prefix = 2, ""
            elif words[:3] == ["ip", "port", "access-group"]:
                acl_index, prefix = 3, ""
            else:
                continue
            if len(words) <= acl_index + 1:
                log.add(child.line, f"'{child.text}' needs an ACL name and in|out", "syntax")
                continue
            direction = words[acl_index + 1]
            if direction not in ("in", "out"):
                log.add(child.line, f"direction {direction!r} is not in or out", "syntax",
                        child.words[acl_index + 1].column)
                continue
            acl_word = child.words[acl_index]
            found.append(Attachment(acl_word.text, prefix + direction, node.text, child.line,
                                    acl_word.column, Action.DROP))
        return found


def _group_entry(group: Group, cursor: Words, wildcards: bool) -> None:
    """One line of an object group (IOS: netmasks; NX-OS ``ip address``: wildcards)."""
    first = cursor.peek()
    if first is None:
        return
    if first == "description":
        return
    if first == "group-object":
        cursor.take("group-object")
        group.includes.append(cursor.take("a group name").text)
        return
    if group.kind == "network":
        word = cursor.take("an address")
        try:
            if first == "host":
                group.networks += host_address(cursor)[0]
            elif first == "any":
                group.networks += [addresses.network("0.0.0.0/0")]
            elif first == "range":
                group.networks += addresses.address_range(cursor.take("a first address").text,
                                                          cursor.take("a last address").text)
            elif "/" in word.text:
                group.networks.append(addresses.network(word.text))
            else:
                mask = cursor.take("a mask")
                if wildcards:
                    group.networks += addresses.wildcard(word.text, mask.text)
                else:
                    group.networks.append(addresses.masked(word.text, mask.text.lstrip("/")))
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", word.column) from None
    elif group.kind == "port":
        operator = cursor.take("a port operator")
        if operator.text.lower() not in PORT_OPERATORS:
            raise Unreadable(f"{operator.text!r} is not a port operator", "syntax",
                             operator.column)
        ranges, negated = port_words(cursor, operator.text.lower())
        if negated:
            raise Unreadable("'neq' in a port group is not supported", "unsupported",
                             operator.column)
        group.ports += ranges
    else:
        group.services += _service_entry(cursor)
    cursor.expect_end()


def _service_entry(cursor: Words) -> list[Service]:
    """``tcp|udp|tcp-udp [source OP P] [OP P]``, ``icmp [TYPE]``, a protocol name or number."""
    word = cursor.take("a protocol")
    text = word.text.lower()
    if text == "tcp-udp":
        protocols = [6, 17]
    elif text == "ip":
        return [Service(None)]
    else:
        try:
            protocols = [ports.protocol_number(text)]
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", word.column) from None
    if protocols == [1]:
        if cursor.at_end():
            return [Service(1)]
        icmp_word = cursor.take("an ICMP type")
        try:
            return [Service(1, icmp=(ports.icmp_match(icmp_word.text),))]
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", icmp_word.column) from None
    sports: tuple[PortRange, ...] = ()
    sneg = False
    if cursor.peek() == "source":
        cursor.take("source")
        operator = cursor.take("a port operator").text.lower()
        sports, sneg = port_words(cursor, operator)
    dports: tuple[PortRange, ...] = ()
    dneg = False
    if cursor.peek() in PORT_OPERATORS:
        operator = cursor.take("a port operator").text.lower()
        dports, dneg = port_words(cursor, operator)
    if (sports or dports) and any(p not in (6, 17, 132) for p in protocols):
        raise Unreadable("ports need tcp, udp or tcp-udp", "syntax", word.column)
    return [Service(p, sports=sports, dports=dports, sports_negated=sneg, dports_negated=dneg)
            for p in protocols]
