"""Parser for Cisco ASA access lists in ``show running-config``.

Read:

* ``access-list NAME extended {permit|deny} …`` entries in file order (named ``1``, ``2``…
  as ``show access-list`` numbers them), ``access-list NAME remark …`` (comment of the next
  entry), ``access-list NAME standard …`` (destination prefixes, as used by split tunnels);
  entries marked ``inactive`` have no effect and are left out;
* addresses ``any``/``any4``/``any6``, ``host A``, ``A MASK``, ``A/len`` (IPv6),
  ``object NAME``, ``object-group NAME``; ports ``eq``/``neq``/``lt``/``gt``/``range`` or a
  ``tcp``/``udp`` service group after either address; a service ``object``/``object-group`` or
  protocol group in the protocol position; ICMP types; ``log`` with its level and interval
  (``log disable`` turns logging off);
* ``object network`` (``host``, ``subnet``, ``range``), ``object service``,
  ``object-group network|service|protocol|icmp-type`` with ``group-object`` nesting;
* ``access-group NAME in|out interface IF`` (hook ``NAME:in``) and ``access-group NAME global``
  (hook ``NAME:global``), with the ASA's implicit deny.

``interface IF`` as an address, ``time-range``, user and security groups, ``fqdn`` objects and
``webtype``/``ethertype`` ACLs are reported.
"""

from __future__ import annotations

import re

from egovops.firewall.model import Action, IPNetwork, Match, PortRange, Rule, Ruleset, SourceRef
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

FORMAT = "cisco-asa"

ASA_MARKERS = re.compile(
    r"^(ASA Version |access-list \S+ (line \d+ )?(extended|standard|webtype|ethertype) |"
    r"access-group \S+ (in|out) interface |access-group \S+ global)", re.MULTILINE)

LOG_LEVELS = frozenset({
    "emergencies", "alerts", "critical", "errors", "warnings", "notifications",
    "informational", "debugging",
})
TYPED_GROUPS = {"tcp": (6,), "udp": (17,), "tcp-udp": (6, 17)}


class _AsaReader(AceReader):
    """Extended entries with ASA addresses: netmasks, objects, ``any4``/``any6``."""

    def __init__(self, objects: CiscoObjects) -> None:
        super().__init__(objects, self.read_address, None)

    def read_address(self, cursor: Words) -> tuple[tuple[IPNetwork, ...], int | None]:
        return asa_address(cursor, self.objects)

    def log_arguments(self, cursor: Words) -> bool:
        """``log [LEVEL] [interval SECS]``, ``log disable``, ``log default``."""
        nxt = cursor.peek()
        if nxt == "disable":
            cursor.take("disable")
            return False
        if nxt == "default":
            cursor.take("default")
            return True
        if nxt is not None and (nxt.isdigit() or nxt in LOG_LEVELS):
            cursor.take("a log level")
        if cursor.peek() == "interval":
            cursor.take("interval")
            cursor.take("the log interval")
        return True


def asa_address(cursor: Words, objects: CiscoObjects) -> tuple[tuple[IPNetwork, ...], int | None]:
    """One ASA address argument: prefixes (empty = any) and the family it implies."""
    word = cursor.take("an address")
    text = word.text.lower()
    if text in ("any", "any4", "any6"):
        return (), {"any": None, "any4": 4, "any6": 6}[text]
    if text == "host":
        return host_address(cursor)
    if text in ("object", "object-group"):
        name = cursor.take(f"a name after {text!r}")
        try:
            return objects.networks(name.text), None
        except Unreadable as error:
            raise Unreadable(error.message, error.code, name.column) from None
    if text == "interface":
        raise Unreadable("'interface NAME' as an address is not supported (the address "
                         "depends on the interface)", "unsupported", word.column)
    try:
        if "/" in text:
            network = addresses.network(text)
            return (network,), network.version
        addresses.ipv4(word.text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    mask = cursor.take("a netmask")
    try:
        return (addresses.masked(word.text, mask.text),), 4
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", mask.column) from None


def _ports_spec(cursor: Words) -> tuple[tuple[PortRange, ...], bool]:
    operator = cursor.take("a port operator")
    if operator.text.lower() not in PORT_OPERATORS:
        raise Unreadable(f"{operator.text!r} is not a port operator", "syntax", operator.column)
    return port_words(cursor, operator.text.lower())


def _service(cursor: Words, objects: CiscoObjects) -> list[Service]:
    """``PROTO [source OP P] [destination OP P]`` / ``icmp [TYPE]`` / ``object NAME``."""
    word = cursor.take("a protocol")
    text = word.text.lower()
    if text == "object":
        name = cursor.take("a service object name")
        try:
            return list(objects.services(name.text))
        except Unreadable as error:
            raise Unreadable(error.message, error.code, name.column) from None
    if text in ("ip", "ipv6"):
        return [Service(None)]
    try:
        protocols = list(TYPED_GROUPS.get(text, ())) or [ports.protocol_number(text)]
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    if protocols in ([1], [58]):
        if cursor.at_end():
            return [Service(protocols[0])]
        icmp_word = cursor.take("an ICMP type")
        try:
            icmp = ports.icmp_match(icmp_word.text, 4 if protocols == [1] else 6)
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", icmp_word.column) from None
        return [Service(protocols[0], icmp=(icmp,))]
    sports: tuple[PortRange, ...] = ()
    dports: tuple[PortRange, ...] = ()
    sneg = dneg = False
    while not cursor.at_end():
        side = cursor.take("source or destination")
        if side.text.lower() == "source":
            sports, sneg = _ports_spec(cursor)
        elif side.text.lower() == "destination":
            dports, dneg = _ports_spec(cursor)
        else:
            raise Unreadable(f"{side.text!r} is not 'source' or 'destination'", "syntax",
                             side.column)
    return [Service(p, sports=sports, dports=dports, sports_negated=sneg, dports_negated=dneg)
            for p in protocols]


def _read_object(node: Node, objects: CiscoObjects, log: ProblemLog) -> None:
    """``object network|service NAME`` and ``object-group TYPE NAME [tcp|udp|tcp-udp]``."""
    words = node.keywords
    if len(node.words) < 3:
        log.add(node.line, f"'{node.text}' needs a type and a name", "syntax")
        return
    kind, name = words[1], node.words[2].text
    if name in objects.groups:
        log.add(node.line, f"object {name} is defined twice", "duplicate", node.words[2].column)
        return
    if (words[0] == "object" and kind not in ("network", "service")) or (words[0] == \
            "object-group" and kind not in ("network", "service", "protocol", "icmp-type")):
        objects.unreadable[name] = f"{words[0]} {kind} is not supported"
        return
    typed = TYPED_GROUPS.get(words[3]) if len(words) > 3 else None
    group = Group("port" if typed else ("network" if kind == "network" else "service"),
                  node.line, port_protocols=typed or ())
    for child in node.children:
        cursor = Words(child.words)
        try:
            _object_entry(words[0], kind, group, cursor, objects)
            cursor.expect_end()
        except Unreadable as error:
            if error.code == "unsupported" and kind == "network" and words[0] == "object":
                objects.unreadable[name] = error.message
            log.add_error(child.line, error)
    if name not in objects.unreadable:
        objects.groups[name] = group


def _object_entry(declared: str, kind: str, group: Group, cursor: Words,
                  objects: CiscoObjects) -> None:
    keyword = cursor.take("an entry")
    word = keyword.text.lower()
    if word == "description":
        cursor.index = len(cursor.words)
    elif word == "group-object" and declared == "object-group":
        group.includes.append(cursor.take("a group name").text)
    elif declared == "object" and kind == "network":
        if word == "nat":  # address translation of the object: no effect on filtering
            cursor.index = len(cursor.words)
        elif word == "host":
            group.networks += host_address(cursor)[0]
        elif word == "subnet":
            group.networks += asa_address(cursor, objects)[0]
        elif word == "range":
            first, last = cursor.take("a first address"), cursor.take("a last address")
            try:
                group.networks += addresses.address_range(first.text, last.text)
            except ValueError as error:
                raise Unreadable(str(error), "invalid-value", first.column) from None
        elif word == "fqdn":
            raise Unreadable("fqdn objects are not supported (addresses resolve at run time)",
                             "unsupported", keyword.column)
        else:
            raise Unreadable(f"{keyword.text!r} is not understood in object network", "syntax",
                             keyword.column)
    elif declared == "object" and word == "service":
        group.services += _service(cursor, objects)
    elif word == "network-object":
        group.networks += asa_address(cursor, objects)[0]
    elif word == "port-object" and group.kind == "port":
        ranges, negated = _ports_spec(cursor)
        if negated:
            raise Unreadable("'neq' in a port group is not supported", "unsupported",
                             keyword.column)
        group.ports += ranges
    elif word in ("service-object", "protocol-object"):
        group.services += _service(cursor, objects)
    elif word == "icmp-object":
        icmp_word = cursor.take("an ICMP type")
        try:
            group.services.append(Service(1, icmp=(ports.icmp_match(icmp_word.text),)))
        except ValueError as error:
            raise Unreadable(str(error), "invalid-value", icmp_word.column) from None
    else:
        raise Unreadable(f"{keyword.text!r} is not understood in {declared} {kind}", "syntax",
                         keyword.column)


class CiscoAsaParser:
    """Cisco ASA access lists; see the module docstring."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has ASA-only syntax (``extended`` lists, ``access-group`` lines)."""
        return ASA_MARKERS.search(text) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read objects, access lists and access groups; raises ``ConfigError`` (all problems)."""
        log = ProblemLog(file, FORMAT)
        tree = parse_tree(text, "!:")
        objects = CiscoObjects()
        for node in tree:
            if node.keywords[0] in ("object", "object-group"):
                _read_object(node, objects, log)
        acls: dict[str, AclDraft] = {}
        remarks: dict[str, str] = {}
        attachments: list[Attachment] = []
        for node in tree:
            try:
                if node.keywords[0] == "access-list":
                    self._entry(node, acls, remarks, objects, file)
                elif node.keywords[0] == "access-group":
                    attachments.append(self._attachment(node))
            except Unreadable as error:
                log.add_error(node.line, error)
        chains, hooks = build_chains(acls, attachments, file, log)
        log.raise_if_any()
        shown = {name: describe(group) for name, group in objects.groups.items()}
        return Ruleset(tuple(chains), FORMAT, file, {**shown, **hooks}, skipped=tuple(log.skipped))

    @staticmethod
    def _entry(node: Node, acls: dict[str, AclDraft], remarks: dict[str, str],
               objects: CiscoObjects, file: str) -> None:
        words = node.words
        if len(words) < 3:
            raise Unreadable("'access-list' needs a name and an entry", "syntax")
        name = words[1].text
        cursor = Words(words[2:])
        if cursor.peek() == "line":
            cursor.take("line")
            cursor.take("a line number")
        kind_word = cursor.take("extended, standard or remark")
        kind = kind_word.text.lower()
        if kind == "remark":
            remarks[name] = node.rest(cursor.index + 2)
            acls.setdefault(name, AclDraft(name, node.line, "inet", step=1))
            return
        if kind not in ("extended", "standard"):
            raise Unreadable(f"{kind} access lists are not supported", "unsupported",
                             kind_word.column)
        acl = acls.setdefault(name, AclDraft(name, node.line, "inet", step=1))
        remark = remarks.pop(name, "")
        if cursor.words and cursor.words[-1].text.lower() == "inactive":
            acl.entries.append(Entry(None, node.line, []))  # keeps its line number, no effect
            return
        if kind == "standard":
            action_word = cursor.take("permit or deny")
            action = {"permit": Action.ACCEPT, "deny": Action.DROP}.get(action_word.text.lower())
            if action is None:
                raise Unreadable(f"{action_word.text!r} is not permit or deny", "syntax",
                                 action_word.column)
            dst, family = asa_address(cursor, objects)
            cursor.expect_end()
            rules = [Rule(match=Match(dst=dst, family=family), action=action, comment=remark,
                          source=SourceRef(file, node.line), text=node.text)]
        else:
            ace = _AsaReader(objects).extended(cursor)
            rules = rules_for(ace, node.line, file, "", node.text, remark)
        acl.entries.append(Entry(None, node.line, rules))

    @staticmethod
    def _attachment(node: Node) -> Attachment:
        words = node.keywords
        if len(words) == 3 and words[2] == "global":
            return Attachment(node.words[1].text, "global", "global", node.line,
                              node.words[1].column, Action.DROP)
        if len(words) >= 5 and words[2] in ("in", "out") and words[3] == "interface":
            return Attachment(node.words[1].text, words[2], node.words[4].text, node.line,
                              node.words[1].column, Action.DROP)
        raise Unreadable(f"'{node.text}' is not 'access-group NAME in|out interface IF' or "
                         "'access-group NAME global'", "syntax")
