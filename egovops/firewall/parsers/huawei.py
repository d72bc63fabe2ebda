"""Parser for Huawei VRP / USG ``display current-configuration``.

Read:

* ACLs ``acl number 2000-3999`` and ``acl name NAME [basic|advance|NUMBER]`` with ``rule``
  lines (see :mod:`egovops.firewall.parsers.vrp_acl`), ordered by rule ID; ``match-order
  auto`` (depth-first order) is reported;
* IPv6 ACLs ``acl ipv6 number N`` / ``acl ipv6 name NAME`` (rules with ``2001:db8::/32``
  prefixes, protocol ``ipv6``, ``icmpv6``): IPv6 and IPv4 ACLs are numbered apart, so an IPv6
  ACL becomes the chain ``ipv6 N`` (a name no IPv4 ACL can have), every rule of family 6;
* where they apply: ``traffic-filter inbound|outbound acl N|name X`` under an interface (hook
  ``N:in``; a packet no rule matches is permitted, the VRP default), ``traffic-filter
  inbound|outbound ipv6 acl N`` (hook ``ipv6 N:in``), and ``acl [ipv6] N inbound`` under
  ``user-interface vty`` (hook ``N:vty-in`` / ``ipv6 N:vty-in``; no match = denied);
* the USG ``security-policy``: ``rule name X`` blocks with ``source-zone``/
  ``destination-zone``, ``source-address``/``destination-address`` (``A LEN``, ``A mask M``,
  ``A WILDCARD``, ``range A B``, ``address-set X``; IPv6 ``A LEN`` or ``A/LEN``: one policy
  holds both families, a rule with IPv6 addresses only matches IPv6 packets and a rule without
  addresses matches both), ``service`` (predefined names such as
  ``http``, ``ssh``, ``dns``; ``ip service-set`` objects; inline ``service protocol …``),
  ``action permit|deny``, ``policy logging``/``session logging``; ``disable``d rules are left
  out. It becomes the base chain ``security-policy`` whose policy is ``default action``
  (``deny`` when not configured). ``profile`` (content inspection), ``long-link`` and aging
  settings do not change the verdict and are not modelled;
* ``ip address-set NAME type object|group`` and ``ip service-set NAME type object|group``.

Conditions the model cannot express (``application``, ``user``, ``time-range``, excluded
addresses…), ``traffic-filter vlan``, MAC ACLs and the old USG ``firewall interzone`` packet
filters are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from egovops.firewall.model import (
    Action,
    Chain,
    IcmpMatch,
    IPNetwork,
    Match,
    PortRange,
    Rule,
    Ruleset,
    SourceRef,
)
from egovops.firewall.parsers import addresses, ports
from egovops.firewall.parsers.acl_chains import (
    AclDraft,
    Attachment,
    build_chains,
    vty_attachment,
)
from egovops.firewall.parsers.cisco_acl import Group, Words, describe
from egovops.firewall.parsers.config_tree import Node, parse_tree
from egovops.firewall.parsers.problems import ProblemLog, Unreadable
from egovops.firewall.parsers.services import PREDEFINED_SERVICES, Service, service_matches
from egovops.firewall.parsers.vrp_acl import H3C_MARKERS, HUAWEI_MARKERS, read_acl_block

FORMAT = "huawei"

POLICY_ACTIONS = {"permit": Action.ACCEPT, "deny": Action.DROP}
UNSUPPORTED_CONDITIONS = frozenset({
    "application", "category", "user", "user-group", "access-authentication", "time-range",
    "source-address-exclude", "destination-address-exclude", "source-region",
    "destination-region", "url-category", "vpn-instance", "terminal-type", "source-mac",
    "destination-mac", "hrp",
})
IGNORED_SETTINGS = frozenset({
    "description", "profile", "long-link", "session", "enable", "traffic-policy", "counting",
})
"""Rule settings that do not change which packets a rule permits or denies."""


def _kind_of_number(number: int) -> str | None:
    if 2000 <= number <= 2999:
        return "basic"
    if 3000 <= number <= 3999:
        return "advanced"
    return None


@dataclass
class HuaweiObjects:
    """``ip address-set`` and ``ip service-set`` objects of one file."""

    address_sets: dict[str, list[IPNetwork]] = field(default_factory=dict)
    address_groups: dict[str, list[str]] = field(default_factory=dict)
    service_sets: dict[str, list[Service]] = field(default_factory=dict)
    service_groups: dict[str, list[str]] = field(default_factory=dict)

    def addresses_of(self, name: str, seen: tuple[str, ...] = ()) -> list[IPNetwork]:
        """Prefixes of address set ``name`` (groups resolved)."""
        if name in seen:
            raise Unreadable(f"address-set {name} includes itself", "invalid-value")
        found = list(self.address_sets.get(name, []))
        for member in self.address_groups.get(name, []):
            found += self.addresses_of(member, (*seen, name))
        if name not in self.address_sets and name not in self.address_groups:
            raise Unreadable(f"address-set {name!r} is not defined", "unknown-reference")
        return found

    def services_of(self, name: str, seen: tuple[str, ...] = ()) -> list[Service]:
        """Services of service set ``name``, else the predefined service of that name."""
        if name in seen:
            raise Unreadable(f"service-set {name} includes itself", "invalid-value")
        if name in self.service_sets or name in self.service_groups:
            found = list(self.service_sets.get(name, []))
            for member in self.service_groups.get(name, []):
                found += self.services_of(member, (*seen, name))
            return found
        if name.lower() in PREDEFINED_SERVICES:
            return list(PREDEFINED_SERVICES[name.lower()])
        raise Unreadable(f"service {name!r} is neither predefined nor an ip service-set",
                         "unknown-reference")


def policy_address(cursor: Words, objects: HuaweiObjects) -> list[IPNetwork]:
    """``A LEN``, ``A/LEN``, ``A mask M``, ``A WILDCARD``, ``range A B``, ``address-set X``,
    ``any``; IPv4 or IPv6 (``2001:db8:: 64``)."""
    word = cursor.take("an address")
    text = word.text.lower()
    try:
        if text == "any":
            return []
        if text == "address-set":
            name = cursor.take("an address-set name")
            try:
                return objects.addresses_of(name.text)
            except Unreadable as error:
                raise Unreadable(error.message, error.code, name.column) from None
        if text == "range":
            return list(addresses.address_range(cursor.take("a first address").text,
                                                cursor.take("a last address").text))
        if text in ("domain-set", "geo-location", "geo-location-set"):
            raise Unreadable(f"{text} addresses are not supported", "unsupported", word.column)
        if "/" in text:  # 2001:db8::/64, 10.0.0.0/8
            return [addresses.network(word.text)]
        host = addresses.address(word.text)
        if cursor.at_end():
            return [addresses.network(host.compressed)]
        mask = cursor.take("a mask")
        if mask.text.lower() == "mask":
            mask = cursor.take("a netmask")
            return [addresses.masked(word.text, mask.text)]
        if mask.text.isdigit():
            return [addresses.network(f"{host.compressed}/{mask.text}")]
        return list(addresses.wildcard(word.text, mask.text))
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None


def _port_values(cursor: Words) -> list[str]:
    """``80``, ``80 to 90``, ``80 443`` … until the next keyword."""
    values: list[str] = []
    while (nxt := cursor.peek()) is not None and (nxt.isdigit() or nxt == "to"):
        word = cursor.take("a port").text
        if word == "to":
            if not values:
                raise Unreadable("'to' needs a first port", "syntax")
            values[-1] += f"-{cursor.take('a last port').text}"
        else:
            values.append(word)
    if not values:
        raise Unreadable("a port is missing", "syntax", cursor.column)
    return values


def inline_service(cursor: Words) -> Service:
    """``protocol tcp|udp [source-port P [to Q]] [destination-port P [to Q]]`` / ``protocol
    icmp [icmp-type …]`` / ``protocol icmpv6 [icmpv6-type …]``."""
    keyword = cursor.take("'protocol'")
    if keyword.text.lower() != "protocol":
        raise Unreadable(f"{keyword.text!r} is not 'protocol'", "syntax", keyword.column)
    word = cursor.take("a protocol")
    try:
        protocol = ports.protocol_number(word.text)
    except ValueError as error:
        raise Unreadable(str(error), "invalid-value", word.column) from None
    ranges: dict[str, tuple[PortRange, ...]] = {}
    icmp: tuple[IcmpMatch, ...] = ()
    while not cursor.at_end():
        option = cursor.take("source-port, destination-port or icmp-type")
        name = option.text.lower()
        if name in ("source-port", "destination-port") and protocol in (6, 17, 132):
            try:
                ranges[name] = tuple(sorted({ports.port_range(*v.split("-", 1))
                                             for v in _port_values(cursor)}))
            except ValueError as error:
                raise Unreadable(str(error), "invalid-value", option.column) from None
        elif (name, protocol) in (("icmp-type", 1), ("icmpv6-type", 58)):
            type_word = cursor.take("an ICMP type")
            code = cursor.take("an ICMP code").text if type_word.text.isdigit() and \
                (cursor.peek() or "").isdigit() else None
            try:
                icmp = (ports.icmp_match(type_word.text, 4 if protocol == 1 else 6, code),)
            except ValueError as error:
                raise Unreadable(str(error), "invalid-value", type_word.column) from None
        else:
            raise Unreadable(f"{option.text!r} is not understood in a service", "syntax",
                             option.column)
    sports = ranges.get("source-port", ())
    dports = ranges.get("destination-port", ())
    if sports == (ports.port_range("0", "65535"),):
        sports = ()
    return Service(protocol, sports=sports, dports=dports, icmp=icmp)


class HuaweiParser:
    """Huawei VRP ACLs and USG security policies; see the module docstring."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has Huawei ACLs, traffic filters or a security policy."""
        return HUAWEI_MARKERS.search(text) is not None and H3C_MARKERS.search(text) is None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read objects, ACLs, attachments and the security policy; all problems at once."""
        log = ProblemLog(file, FORMAT)
        tree = parse_tree(text, "#!")
        objects = HuaweiObjects()
        for node in tree:
            if node.keywords[:1] == ["ip"] and len(node.keywords) > 1 and \
                    node.keywords[1] in ("address-set", "service-set"):
                self._object(node, objects, log)
        acls: dict[str, AclDraft] = {}
        numbers: dict[str, str] = {}
        attachments: list[Attachment] = []
        policy: Chain | None = None
        for node in tree:
            words = node.keywords
            try:
                if words[0] == "acl":
                    self._acl(node, acls, numbers, file, log)
                elif words[0] in ("interface", "user-interface"):
                    attachments += self._attachments(node, log)
                elif words[:2] == ["firewall", "interzone"]:
                    for child in node.children:
                        if child.keywords[:1] == ["packet-filter"]:
                            log.add(child.line, "interzone packet filters are not supported "
                                    "(use security-policy)", "unsupported",
                                    child.words[0].column)
                elif words == ["security-policy"]:
                    if policy is not None:
                        raise Unreadable("a second security-policy block", "duplicate")
                    policy = self._security_policy(node, objects, file, log)
            except Unreadable as error:
                log.add_error(node.line, error)
        resolved = [
            Attachment(numbers.get(a.acl, a.acl), a.direction, a.where, a.line, a.column,
                       a.policy)
            for a in attachments
        ]
        chains, hooks = build_chains(acls, resolved, file, log)
        if policy is not None:
            chains.append(policy)
        log.raise_if_any()
        shown: dict[str, tuple[str, ...]] = {
            f"address-set {n}": tuple(str(p) for p in nets)
            for n, nets in objects.address_sets.items()
        }
        shown |= {f"service-set {n}": describe(Group("service", 0, services=services))
                  for n, services in objects.service_sets.items()}
        return Ruleset(tuple(chains), FORMAT, file, {**shown, **hooks}, skipped=tuple(log.skipped))

    # -- objects --------------------------------------------------------------------------

    @staticmethod
    def _object(node: Node, objects: HuaweiObjects, log: ProblemLog) -> None:
        words = node.keywords
        if len(node.words) < 3:
            log.add(node.line, f"'{node.text}' needs a name", "syntax")
            return
        kind, name = words[1], node.words[2].text
        group = "type" in words and words[words.index("type") + 1:][:1] == ["group"]
        if name in objects.address_sets or name in objects.address_groups or \
                name in objects.service_sets or name in objects.service_groups:
            log.add(node.line, f"{kind} {name} is defined twice", "duplicate")
            return
        names: list[str] = []
        networks: list[IPNetwork] = []
        services: list[Service] = []
        for child in node.children:
            cursor = Words(child.words)
            keyword = cursor.take("an entry").text.lower()
            if keyword == "description":
                continue
            if (first := cursor.peek()) is not None and first.isdigit():
                cursor.take("an entry number")
            try:
                if group and keyword == kind:
                    names.append(cursor.take("a set name").text)
                elif kind == "address-set" and keyword == "address" and not group:
                    networks += policy_address(cursor, objects)
                elif kind == "service-set" and keyword == "service" and not group:
                    services.append(inline_service(cursor))
                else:
                    raise Unreadable(f"{child.words[0].text!r} is not understood in "
                                     f"ip {kind}", "syntax", child.words[0].column)
                cursor.expect_end()
            except Unreadable as error:
                log.add_error(child.line, error)
        if group:
            (objects.address_groups if kind == "address-set" else objects.service_groups)[
                name] = names
        elif kind == "address-set":
            objects.address_sets[name] = networks
        else:
            objects.service_sets[name] = services

    # -- ACLs -----------------------------------------------------------------------------

    @staticmethod
    def _acl(node: Node, acls: dict[str, AclDraft], numbers: dict[str, str], file: str,
             log: ProblemLog) -> None:
        """``acl number N``, ``acl name X [basic|advance|N]``, and the same after ``acl ipv6``
        (an IPv6 ACL is kept as ``ipv6 NAME``: the two families number their ACLs apart)."""
        ipv6 = node.keywords[1:2] == ["ipv6"]
        words_at = [node.words[0], *node.words[2:]] if ipv6 else node.words
        words = [w.text.lower() for w in words_at]
        if len(words) >= 2 and words[1].isdigit():  # acl ipv6 3000 (number keyword left out)
            words.insert(1, "number")
            words_at = [words_at[0], words_at[0], *words_at[1:]]
        if len(words) < 3:
            raise Unreadable(f"'{node.text}' needs a number or name", "syntax")
        if words[1] == "mac":
            raise Unreadable("acl mac is not supported (only IPv4 and IPv6 ACLs are read)",
                             "unsupported", words_at[1].column)
        if "match-order" in words and words[words.index("match-order") + 1:][:1] == ["auto"]:
            raise Unreadable("match-order auto (depth-first rule order) is not supported; use "
                             "match-order config", "unsupported",
                             words_at[words.index("match-order")].column)
        number: str | None = None
        if words[1] == "number":
            number = name = words_at[2].text
            kind = _kind_of_number(int(number)) if number.isdigit() else None
        elif words[1] == "name":
            name = words_at[2].text
            rest = words[3:5]
            if rest[:1] == ["number"]:
                rest = rest[1:]
            if rest[:1] in (["basic"], ["advance"]):
                kind = "basic" if rest == ["basic"] else "advanced"
            elif rest and rest[0].isdigit():
                number = rest[0]
                kind = _kind_of_number(int(number))
            else:
                kind = "advanced"
        else:
            raise Unreadable(f"'{node.text}' is not 'acl [ipv6] number N' or "
                             "'acl [ipv6] name X'", "syntax")
        if kind is None:
            raise Unreadable(f"ACL {name}: only basic (2000-2999) and advanced (3000-3999) "
                             "ACLs are supported", "unsupported", words_at[2].column)
        key = f"ipv6 {name}" if ipv6 else name
        if key in acls:
            raise Unreadable(f"ACL {key} is defined twice", "duplicate", words_at[2].column)
        acl = acls[key] = AclDraft(key, node.line, family="ip6" if ipv6 else "ip", step=5)
        if number is not None:
            numbers[f"ipv6 {number}" if ipv6 else number] = key
        read_acl_block(node, acl, kind == "advanced", file, log)

    @staticmethod
    def _attachments(node: Node, log: ProblemLog) -> list[Attachment]:
        """``traffic-filter inbound|outbound [ipv6] acl [ipv6] N|name X`` under an interface,
        ``acl [ipv6] N|name X inbound|outbound`` under ``user-interface vty``."""
        found = []
        vty = node.keywords[0] == "user-interface"
        for child in node.children:
            words = child.keywords
            if vty and words[:1] == ["acl"]:
                ipv6 = words[1:2] == ["ipv6"]
                at = 2 if ipv6 else 1
                if words[at:at + 1] == ["name"]:
                    at += 1
                if len(words) != at + 2 or words[at + 1] not in ("inbound", "outbound"):
                    log.add(child.line, f"'{child.text}' is not 'acl [ipv6] N|name X "
                            "inbound|outbound'", "syntax")
                    continue
                found.append(vty_attachment(node, child, at, ipv6))
            elif not vty and words[:1] == ["traffic-filter"]:
                rest = [w for w in words[1:] if w != "ipv6"]
                ipv6 = len(rest) < len(words) - 1
                if words[1:2] == ["vlan"]:
                    log.add(child.line, "traffic-filter vlan is not supported", "unsupported",
                            child.words[1].column)
                    continue
                if len(rest) < 3 or rest[0] not in ("inbound", "outbound") or \
                        rest[1] != "acl" or (rest[2] == "name" and len(rest) < 4):
                    log.add(child.line, f"'{child.text}' is not 'traffic-filter inbound|outbound"
                            " [ipv6] acl N|name X'", "unsupported", child.words[0].column)
                    continue
                acl_word = child.words[-1]
                if len(rest) != (4 if rest[2] == "name" else 3):
                    log.add(child.line, f"'{child.text}': words after the ACL are not "
                            "understood", "syntax", acl_word.column)
                    continue
                found.append(Attachment(f"ipv6 {acl_word.text}" if ipv6 else acl_word.text,
                                        "in" if rest[0] == "inbound" else "out",
                                        node.text, child.line, acl_word.column,
                                        Action.ACCEPT))
        return found

    # -- security policy ------------------------------------------------------------------

    def _security_policy(self, node: Node, objects: HuaweiObjects, file: str,
                         log: ProblemLog) -> Chain:
        default = Action.DROP
        rules: list[Rule] = []
        for child in node.children:
            words = child.keywords
            try:
                if words[:2] == ["default", "action"] and len(words) == 3 and \
                        words[2] in POLICY_ACTIONS:
                    default = POLICY_ACTIONS[words[2]]
                elif words[:1] == ["default"]:
                    continue  # default logging/session settings
                elif words[:2] == ["rule", "name"] and len(child.words) >= 3:
                    rules += self._policy_rule(child, objects, file, log)
                else:
                    raise Unreadable(f"{child.text!r} is not understood in security-policy",
                                     "syntax", child.words[0].column)
            except Unreadable as error:
                log.add_error(child.line, error)
        # one policy for IPv4 and IPv6: its default action decides packets of both families
        return Chain(name="security-policy", rules=tuple(rules), hook="security-policy",
                     policy=default, family="inet", source=SourceRef(file, node.line))

    @staticmethod
    def _policy_rule(node: Node, objects: HuaweiObjects, file: str,
                     log: ProblemLog) -> list[Rule]:
        name = node.rest(2)
        zones: dict[str, list[str]] = {"source-zone": [], "destination-zone": []}
        nets: dict[str, list[IPNetwork]] = {"source-address": [], "destination-address": []}
        services: list[Service] = []
        action: Action | None = None
        logged = disabled = False
        comment = ""
        problems = len(log)
        for child in node.children:
            cursor = Words(child.words)
            keyword = cursor.take("a setting")
            word = keyword.text.lower()
            try:
                if word in zones:
                    while not cursor.at_end():
                        zones[word].append(cursor.take("a zone").text)
                elif word in nets:
                    nets[word] += policy_address(cursor, objects)
                elif word == "service":
                    if cursor.peek() == "protocol":
                        services.append(inline_service(cursor))
                    while not cursor.at_end():
                        service = cursor.take("a service name")
                        try:
                            services += objects.services_of(service.text)
                        except Unreadable as error:
                            raise Unreadable(error.message, error.code, service.column) \
                                from None
                elif word == "action":
                    verdict = cursor.take("permit or deny")
                    if verdict.text.lower() not in POLICY_ACTIONS:
                        raise Unreadable(f"action {verdict.text!r} is not permit or deny",
                                         "syntax", verdict.column)
                    action = POLICY_ACTIONS[verdict.text.lower()]
                elif word in ("policy", "session") and cursor.peek() == "logging":
                    logged = True
                    cursor.index = len(cursor.words)
                elif word == "disable":
                    disabled = True
                elif word == "description":
                    comment = child.rest(1)
                    cursor.index = len(cursor.words)
                elif word in IGNORED_SETTINGS:
                    cursor.index = len(cursor.words)
                elif word in UNSUPPORTED_CONDITIONS:
                    raise Unreadable(f"rule {name}: condition {keyword.text!r} is not "
                                     "supported", "unsupported", keyword.column)
                else:
                    raise Unreadable(f"rule {name}: {keyword.text!r} is not understood",
                                     "syntax", keyword.column)
                cursor.expect_end()
            except Unreadable as error:
                log.add_error(child.line, error)
        if action is None and len(log) == problems:
            log.add(node.line, f"rule {name} has no action", "syntax")
        if disabled or action is None or len(log) > problems:
            return []
        base = Match(src=tuple(nets["source-address"]), dst=tuple(nets["destination-address"]),
                     src_zones=tuple(zones["source-zone"]),
                     dst_zones=tuple(zones["destination-zone"]))
        return [Rule(match=match, action=action, log=logged, comment=comment, name=name,
                     source=SourceRef(file, node.line), text=node.text)
                for match in service_matches(base, services)]
