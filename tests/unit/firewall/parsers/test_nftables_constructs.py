"""nftables text and JSON: nat chains, concatenations, maps, define/include, families and
uncertain constructs (#12), each in nft's own syntax with file:line on its parse warnings."""

from __future__ import annotations

import ipaddress
import json
import textwrap
from pathlib import Path

import pytest

from egovops.errors import ConfigError
from egovops.firewall.model import Action, Bound, NatKind, PortRange, Ruleset
from egovops.firewall.parsers import PARSERS


def parse(text: str, file: str = "gw.nft") -> Ruleset:
    return PARSERS["nftables"].parse(textwrap.dedent(text), file)


NAT = """\
    table ip nat {
        chain prerouting {
            type nat hook prerouting priority dstnat; policy accept;
            ip daddr 198.51.100.10 tcp dport 443 dnat to 10.30.1.5:8443
            tcp dport 80 redirect to :3128
        }
        chain postrouting {
            type nat hook postrouting priority srcnat; policy accept;
            oifname "wan0" masquerade random
            ip saddr 10.21.0.0/16 snat to 198.51.100.2-198.51.100.4
        }
    }
    """


def test_nat_chains_carry_translations() -> None:
    ruleset = parse(NAT)
    assert ruleset.chains == ()
    pre, post = ruleset.nat_chains
    assert (pre.hook, pre.priority, post.priority) == ("prerouting", -100, 100)
    dnat, redirect = pre.rules
    assert dnat.action is Action.ACCEPT and dnat.nat is not None
    assert (dnat.nat.kind, dnat.nat.address, dnat.nat.port) == (
        NatKind.DNAT, ipaddress.ip_address("10.30.1.5"), 8443)
    assert redirect.nat is not None and (redirect.nat.kind, redirect.nat.port) == (
        NatKind.REDIRECT, 3128)
    masquerade, snat = post.rules
    assert masquerade.nat is not None and masquerade.nat.kind is NatKind.MASQUERADE
    assert snat.nat is not None and snat.nat.ranged
    (ranged,) = ruleset.skipped
    assert (ranged.source.line, ranged.bound) == (10, Bound.BOTH)


def test_concatenations_and_verdict_maps_expand_into_exact_rules() -> None:
    ruleset = parse("""\
        table inet f {
            set svc {
                type ipv4_addr . inet_service
                elements = { 10.0.0.1 . 22, 10.0.0.2 . 443 }
            }
            map ports {
                type inet_service : verdict
                elements = { 22 : accept, 23 : drop }
            }
            chain web {
                accept
            }
            chain forward {
                type filter hook forward priority 0; policy drop;
                ip daddr . tcp dport @svc accept
                tcp dport vmap @ports
                udp dport vmap { 53 : accept, 161 : jump web }
            }
        }
        """)
    forward = ruleset.chain("forward")
    assert forward is not None
    first, second, ssh, telnet, dns, snmp = forward.rules
    assert (first.match.dst, first.match.dports) == (
        (ipaddress.ip_network("10.0.0.1/32"),), (PortRange(22, 22),))
    assert (second.match.dst, second.match.dports) == (
        (ipaddress.ip_network("10.0.0.2/32"),), (PortRange(443, 443),))
    assert {r.source.line for r in (first, second)} == {15}
    assert (ssh.action, telnet.action) == (Action.ACCEPT, Action.DROP)
    assert (dns.action, snmp.action, snmp.target) == (Action.ACCEPT, Action.JUMP, "web")
    assert snmp.match.protocols == (17,) and not ruleset.skipped


def test_define_and_one_line_blocks() -> None:
    ruleset = parse("""\
        define LAN = 10.20.0.0/16
        define WEB = { 80, 443 }
        table inet f {
            chain input { type filter hook input priority 0; policy drop; }
            chain forward {
                type filter hook forward priority 0; policy drop;
                ip saddr $LAN tcp dport $WEB accept
            }
        }
        """)
    chain_input, forward = ruleset.chains
    assert (chain_input.hook, chain_input.policy) == ("input", Action.DROP)
    (rule,) = forward.rules
    assert rule.match.src == (ipaddress.ip_network("10.20.0.0/16"),)
    assert rule.match.dports == (PortRange(80, 80), PortRange(443, 443))
    assert rule.source.line == 7


def test_include_is_read_relative_to_the_file_and_a_missing_one_is_a_warning(
        tmp_path: Path) -> None:
    (tmp_path / "rules.d").mkdir()
    (tmp_path / "rules.d" / "ssh.nft").write_text(
        "table inet f {\n\tchain forward {\n\t\ttype filter hook forward priority 0;\n"
        "\t\ttcp dport 22 accept\n\t}\n}\n")
    main = tmp_path / "main.nft"
    main.write_text('include "rules.d/*.nft"\ninclude "missing.nft"\n')
    ruleset = PARSERS["nftables"].parse(main.read_text(), str(main))
    (forward,) = ruleset.chains
    assert forward.rules[0].source.file == str(tmp_path / "rules.d" / "ssh.nft")
    assert forward.rules[0].source.line == 4
    (missing,) = ruleset.skipped
    assert (missing.source.line, missing.bound) == (2, Bound.BOTH)
    assert "missing.nft" in missing.reason


def test_uncertain_matches_keep_the_rule_with_its_bound() -> None:
    ruleset = parse("""\
        table inet f {
            chain forward {
                type filter hook forward priority 0; policy drop;
                tcp dport 22 limit rate 5/minute accept
                meta mark 0x1 drop
                tcp flags syn / syn,ack,rst,fin tcp dport 80 accept
                fib daddr type local drop
                meta mark set 0x2 counter
                ct mark set meta mark
                queue num 1
            }
        }
        """)
    forward = ruleset.chains[0]
    limited, marked, syn, fib, mark_set, ct_set = forward.rules  # queue is left out
    assert limited.match.dports == (PortRange(22, 22),) and "rate limit" in limited.uncertain
    assert marked.action is Action.DROP and "mark" in marked.uncertain
    assert syn.match.dports == (PortRange(80, 80),) and "TCP flags" in syn.uncertain
    assert fib.uncertain and not mark_set.uncertain and not ct_set.uncertain
    bounds = {(s.source.line, s.bound) for s in ruleset.skipped}
    assert bounds == {(4, Bound.LOWER), (5, Bound.UPPER), (6, Bound.LOWER), (7, Bound.UPPER),
                      (8, Bound.NONE), (9, Bound.NONE), (10, Bound.BOTH)}


def test_families_netdev_devices_bridge_and_arp() -> None:
    ruleset = parse("""\
        table netdev edge {
            chain ingress {
                type filter hook ingress device "eth0" priority -500; policy accept;
                ip saddr 192.0.2.0/24 drop
            }
        }
        table bridge br {
            chain forward {
                type filter hook forward priority 0; policy accept;
            }
        }
        table arp a {
            chain input {
                type filter hook input priority 0; policy accept;
            }
        }
        """)
    ingress, bridge = ruleset.chains
    assert (ingress.hook, ingress.devices) == ("ingress", ("eth0",))
    assert bridge.family == "bridge"
    (arp,) = ruleset.skipped
    assert (arp.source.line, arp.bound) == (12, Bound.NONE)


def test_json_nat_concatenation_and_vmap() -> None:
    doc = {"nftables": [
        {"table": {"family": "ip", "name": "nat"}},
        {"chain": {"family": "ip", "table": "nat", "name": "pre", "type": "nat",
                   "hook": "prerouting", "prio": -100, "policy": "accept"}},
        {"rule": {"family": "ip", "table": "nat", "chain": "pre", "handle": 3, "expr": [
            {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                       "right": 443}},
            {"dnat": {"addr": "10.30.1.5", "port": 8443}}]}},
        {"table": {"family": "inet", "name": "f"}},
        {"chain": {"family": "inet", "table": "f", "name": "fwd", "type": "filter",
                   "hook": "forward", "prio": 0, "policy": "drop"}},
        {"rule": {"family": "inet", "table": "f", "chain": "fwd", "handle": 4, "expr": [
            {"match": {"op": "==", "left": {"concat": [
                {"payload": {"protocol": "ip", "field": "daddr"}},
                {"payload": {"protocol": "tcp", "field": "dport"}}]},
                "right": {"set": [{"concat": ["10.0.0.1", 22]}]}}},
            {"accept": None}]}},
        {"rule": {"family": "inet", "table": "f", "chain": "fwd", "handle": 5, "expr": [
            {"vmap": {"key": {"payload": {"protocol": "udp", "field": "dport"}},
                      "data": {"set": [[53, {"accept": None}], [69, {"drop": None}]]}}}]}},
        {"rule": {"family": "inet", "table": "f", "chain": "fwd", "handle": 6, "expr": [
            {"limit": {"rate": 5, "per": "second"}}, {"accept": None}]}},
    ]}
    ruleset = PARSERS["nftables-json"].parse(json.dumps(doc), "gw.json")
    (pre,) = ruleset.nat_chains
    assert pre.rules[0].nat is not None and pre.rules[0].nat.port == 8443
    concat, dns, tftp, limited = ruleset.chains[0].rules
    assert concat.match.dports == (PortRange(22, 22),)
    assert (dns.action, tftp.action) == (Action.ACCEPT, Action.DROP)
    assert limited.uncertain and ruleset.skipped[0].bound is Bound.LOWER


def test_grammar_damage_is_still_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse("""\
            table inet f {
                chain c {
                    ip saddr 10.0.0.1 acept
                }
            }
            """)
    (problem,) = caught.value.problems
    assert (problem.line, problem.code) == (3, "syntax")
