"""Zone reach composed across firewalls in series and in parallel, checked exactly and against
packets evaluated one by one with ``decide`` through each firewall on the path."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import random
import shutil
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from egovops.audit.firewall import (
    GatewayRuleset,
    gateway_ruleset,
    is_forwarding_hook,
    load_gateway_rulesets,
)
from egovops.audit.reach import (
    HopContext,
    ReachComposer,
    composed_reach,
    composed_zone_reach,
    firewall_paths,
    hook_applies,
    pin_match,
    segments,
)
from egovops.cli.main import main
from egovops.firewall.analysis import decide
from egovops.firewall.model import Action, ConnState, Match, PortRange
from egovops.firewall.packetset import Packet, PacketSet, matches
from egovops.firewall.ruleset_file import read_ruleset
from egovops.load import load_inventory
from egovops.model.findings import AuditResult
from egovops.model.inventory import Inventory
from egovops.report import REPORTERS, ReportContext, result_json
from tests.conftest import DATA, EXAMPLE, MINI, REPO

SERIES = DATA / "inventories" / "fw-series"
TCP = 6

PARALLEL_DEVICES = """
# a second border firewall beside fw-border: outer reaches the transit segment both ways
devices:
  - id: fw-alt
    role: firewall
    platform: linux
    zone: outer
    config: configs/fw-alt.nft
    interfaces:
      - {name: eth0, zone: outer, addresses: [10.20.1.2/30]}
      - {name: eth1, zone: transit, addresses: [10.50.0.3/24]}
  - id: sw-outer-2
    role: switch
    platform: linux
    zone: outer
    interfaces: [{name: eth0}, {name: eth1}]
links:
  - {a: sw-outer:eth1, b: sw-outer-2:eth0}
  - {a: sw-outer-2:eth1, b: fw-alt:eth0}
  - {a: fw-alt:eth1, b: sw-transit:eth2}
"""

FW_ALT = """
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "eth0" oifname "eth1" ip saddr 10.20.0.0/16 tcp dport { 22, 8443 } accept
		log prefix "alt-drop " drop
	}
}
"""


def _load(root: Path) -> tuple[Inventory, tuple[GatewayRuleset, ...]]:
    inv = load_inventory(root)
    return inv, load_gateway_rulesets(inv)


@pytest.fixture
def parallel(tmp_path: Path) -> Path:
    root = tmp_path / "fw-parallel"
    shutil.copytree(SERIES, root)
    (root / "devices-alt.yaml").write_text(textwrap.dedent(PARALLEL_DEVICES), encoding="utf-8")
    (root / "configs" / "fw-alt.nft").write_text(FW_ALT, encoding="utf-8")
    return root


def _tcp(composer: ReachComposer, src: str, dport: int | tuple[int, int],
         dst: str = "10.40.0.0/16") -> PacketSet:
    lo, hi = (dport, dport) if isinstance(dport, int) else dport
    return composer.space.from_match(Match(
        src=(ipaddress.ip_network(src),), dst=(ipaddress.ip_network(dst),), protocols=(TCP,),
        dports=(PortRange(lo, hi),), states=frozenset({ConnState.NEW})))


# -- brute force: one packet at a time, through each firewall with decide --------------------


Crossing = tuple[str, str, str]
"""(firewall, entry interface, exit interface)."""


def _forwards(gw: GatewayRuleset, iif: str, oif: str, packet: Packet) -> bool:
    """Every base chain of every forwarding hook accepts the packet (the test ruleset's
    firewalls have only ``forward``)."""
    crossing = dataclasses.replace(packet, iif=iif, oif=oif)
    return all(decide(chain, crossing)[1] is Action.ACCEPT
               for chains in gw.hooks(is_forwarding_hook).values() for chain in chains)


def _brute(inv: Inventory, gateways: Sequence[GatewayRuleset],
           paths: Sequence[Sequence[Crossing]], source: str, target: str,
           packet: Packet) -> bool:
    by_id = {g.device.id: g for g in gateways}
    zones = inv.zone_by_id
    inside = (packet.state is ConnState.NEW  # flows are the connections they open
              and any(packet.src in p for p in zones[source].prefixes)
              and any(packet.dst in p for p in zones[target].prefixes))
    return inside and any(all(_forwards(by_id[fw], i, o, packet) for fw, i, o in path)
                          for path in paths)


def _random_packets(seed: int, count: int) -> list[Packet]:
    rng = random.Random(seed)
    sources = ["10.20.5.7", "10.20.6.9", "10.20.9.1", "10.20.200.3", "10.50.0.8", "198.51.100.4"]
    targets = ["10.40.0.11", "10.40.3.3", "10.20.1.1", "203.0.113.9"]
    out = []
    for _ in range(count):
        src = rng.choice(sources) if rng.random() < 0.8 else str(
            ipaddress.IPv4Address(rng.getrandbits(32)))
        dst = rng.choice(targets) if rng.random() < 0.8 else str(
            ipaddress.IPv4Address(rng.getrandbits(32)))
        proto = rng.choice([TCP, TCP, TCP, 17])
        dport = rng.choice([22, 80, 443, 8443, 23, rng.randrange(65536)])
        state = rng.choice([ConnState.NEW, ConnState.NEW, ConnState.ESTABLISHED])
        out.append(Packet(family=4, src=ipaddress.ip_address(src), dst=ipaddress.ip_address(dst),
                          proto=proto, sport=rng.randrange(1024, 65536), dport=dport,
                          state=state))
    return out


# -- series ---------------------------------------------------------------------------------


def test_series_reach_is_exactly_the_intersection() -> None:
    inv, gateways = _load(SERIES)
    (found,) = [r for r in composed_reach(inv, gateways) if (r.source, r.target) == (
        "outer", "dmz")]
    assert found.via == (("fw-border", "fw-dmz"),)
    composer = ReachComposer(inv, gateways)
    # fw-border: 22,80,443 from outer; fw-dmz: 443 except from 10.20.6.0/24 (returned to the
    # drop policy), 22 only from 10.20.5.0/24, 8443 only from 10.20.9.0/24 (border blocks it)
    expected = ((_tcp(composer, "10.20.0.0/16", 443) - _tcp(composer, "10.20.6.0/24", 443))
                | _tcp(composer, "10.20.5.0/24", 22))
    by_key = {(r.source, r.target, r.via): r.packets for r in composer.compose()}
    assert by_key[("outer", "dmz", (("fw-border", "fw-dmz"),))] == expected  # one space
    assert found.packets.describe() == expected.describe()
    assert found.packets.size() == expected.size()


def test_series_reach_against_brute_force() -> None:
    inv, gateways = _load(SERIES)
    reach = {(r.source, r.target): r for r in composed_reach(inv, gateways)}
    path = [("fw-border", "eth0", "eth1"), ("fw-dmz", "eth0", "eth1")]
    from_internet = [("fw-border", "eth2", "eth1"), ("fw-dmz", "eth0", "eth1")]
    accepted = 0
    for packet in _random_packets(7, 3000):
        composed = packet in reach[("outer", "dmz")].packets
        assert composed == _brute(inv, gateways, [path], "outer", "dmz", packet), packet
        accepted += composed
        internet = packet in reach[("internet", "dmz")].packets
        from_outside = not any(packet.src in p for z in inv.zones for p in z.prefixes)
        expected = (from_outside and packet.state is ConnState.NEW
                    and packet.dst == ipaddress.ip_address("10.40.0.11")
                    and all(_forwards(g, i, o, packet) for fw, i, o in from_internet
                            for g in gateways if g.device.id == fw))
        assert internet == expected, packet
    assert accepted > 20  # the sample does hit the accepted set (49 of 3000 with seed 7)


def test_cli_shows_the_composed_reach(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "firewall", str(SERIES), "--policy", str(REPO / "policies"),
                 "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0  # only undeclared flows (medium)
    composed = [r for r in data["reach"] if r["paths"]]
    by_pair = {(r["source"], r["target"]): r for r in composed}
    assert set(by_pair) == {("outer", "dmz"), ("internet", "dmz")}
    outer = by_pair[("outer", "dmz")]
    assert outer["paths"] == [["fw-border", "fw-dmz"]] and outer["device"] == "fw-border,fw-dmz"
    assert outer["packets"].startswith("tcp/22 from 10.20.5.0/24 to 10.40.0.0/16")
    assert "8443" not in outer["packets"] and "80" not in outer["packets"].split()[0]
    # the single hops are still reported per gateway hook
    single = {(r["source"], r["target"], r["device"], r["hook"]) for r in data["reach"]
              if not r["paths"]}
    assert ("outer", "transit", "fw-border", "forward") in single
    assert ("transit", "dmz", "fw-dmz", "forward") in single
    code = main(["--lang", "en", "audit", "firewall", str(SERIES), "--policy",
                 str(REPO / "policies")])
    text = capsys.readouterr().out
    assert "state new via fw-border,fw-dmz\n" in text


# -- parallel -------------------------------------------------------------------------------


def test_parallel_paths_are_united(parallel: Path) -> None:
    inv, gateways = _load(parallel)
    found = [r for r in composed_reach(inv, gateways) if (r.source, r.target) == ("outer",
                                                                                   "dmz")]
    vias = [r.via for r in found]
    assert vias == [(("fw-alt", "fw-dmz"),), (("fw-border", "fw-dmz"),),
                    (("fw-alt", "fw-dmz"), ("fw-border", "fw-dmz"))]
    composer = ReachComposer(inv, gateways)
    by_via = {r.via: r.packets for r in composer.compose() if (r.source, r.target) == (
        "outer", "dmz")}
    via_alt = by_via[(("fw-alt", "fw-dmz"),)]
    via_border = by_via[(("fw-border", "fw-dmz"),)]
    assert via_alt == (_tcp(composer, "10.20.5.0/24", 22) | _tcp(composer, "10.20.9.0/24", 8443))
    union = found[2].packets
    assert union.size() == (via_alt | via_border).size()
    assert "tcp/8443 from 10.20.9.0/24" in union.describe()
    paths = [[("fw-border", "eth0", "eth1"), ("fw-dmz", "eth0", "eth1")],
             [("fw-alt", "eth0", "eth1"), ("fw-dmz", "eth0", "eth1")]]
    hits = 0
    for packet in _random_packets(11, 3000):
        inside = packet in union
        assert inside == _brute(inv, gateways, paths, "outer", "dmz", packet), packet
        hits += inside and packet.dport == 8443
    assert hits > 0  # a packet only the parallel path lets through was drawn


def test_one_firewall_composes_nothing() -> None:
    inv, gateways = _load(REPO / "inventories" / "example-lab")
    assert gateways and composed_reach(inv, gateways) == []


# -- the example district: a VPN user's packet through the SSL-VPN gateway, then the USG ------


def test_example_district_paths_through_the_vpn_gateway_and_the_border_firewall() -> None:
    inv = load_inventory(EXAMPLE)
    gateways = load_gateway_rulesets(inv, EXAMPLE / "configs-clean")
    found = {(r.source, r.target, r.via): r.packets for r in composed_reach(inv, gateways)}
    path = ("outer", "dmz", (("px-sslvpn", "px-fw-outer"),))
    assert path in found
    # vpns0 -> eth0 at the VPN gateway (its rule names no exit interface), then trust -> dmz
    # at the USG (vendor zones from firewall_zones)
    crossing = [("px-sslvpn", "vpns0", "eth0"),
                ("px-fw-outer", "GigabitEthernet1/0/0", "GigabitEthernet1/0/2")]
    by_id = {g.device.id: g for g in gateways}
    zones = {"GigabitEthernet1/0/0": "trust", "GigabitEthernet1/0/2": "dmz"}
    vpn_user = Packet(4, ipaddress.ip_address("10.20.250.9"),
                      ipaddress.ip_address("10.40.0.13"), TCP, 40000, 443)
    for packet in [*_random_packets(3, 400), vpn_user]:
        ok = (packet.state is ConnState.NEW
              and packet.src in ipaddress.ip_network("10.20.0.0/15")
              and packet.dst in ipaddress.ip_network("10.40.0.0/16"))
        for fw, i, o in crossing:
            crossed = dataclasses.replace(packet, iif=i, oif=o, src_zone=zones.get(i),
                                          dst_zone=zones.get(o))
            ok = ok and all(decide(c, crossed)[1] is Action.ACCEPT
                            for chains in by_id[fw].hooks().values() for c in chains)
        assert (packet in found[path]) == ok, packet
    assert vpn_user in found[path]
    assert found[path].describe().startswith("tcp/443 from 10.20.250.0/24 to 10.40.0.13/32")


# -- pieces -------------------------------------------------------------------------------


def test_pinning_agrees_with_matching_a_packet() -> None:
    rng = random.Random(5)
    names = ["eth0", "eth1", "vpns0", "vpns1", None]
    patterns = ["eth0", "eth+", "vpns*", "ppp0"]
    vendor = ["trust", "untrust", "dmz", None]
    base = Packet(4, ipaddress.ip_address("10.20.1.1"), ipaddress.ip_address("10.40.0.1"), TCP,
                  1234, 443)
    for _ in range(2000):
        match = Match(
            in_interfaces=tuple(rng.sample(patterns, rng.randrange(3))),
            out_interfaces=tuple(rng.sample(patterns, rng.randrange(3))),
            in_interfaces_negated=rng.random() < 0.3, out_interfaces_negated=rng.random() < 0.3,
            src_zones=tuple(z for z in rng.sample(vendor[:3], rng.randrange(3))),
            dst_zones=tuple(z for z in rng.sample(vendor[:3], rng.randrange(2))),
            dports=(PortRange(443, 443),) if rng.random() < 0.5 else (),
        )
        ctx = HopContext(rng.choice(names), rng.choice(names), rng.choice(vendor),
                         rng.choice(vendor))
        packet = dataclasses.replace(base, iif=ctx.iif, oif=ctx.oif, src_zone=ctx.src_zone,
                                     dst_zone=ctx.dst_zone)
        pinned = pin_match(match, ctx)
        assert matches(match, packet) == (pinned is not None and matches(pinned, base)), (
            match, ctx)


def test_segments_stubs_and_firewall_to_firewall_links(parallel: Path) -> None:
    inv, gateways = _load(parallel)
    segs = {s.id: s for s in segments(inv, [g.device.id for g in gateways])}
    transit = segs["seg:sw-transit"]
    assert transit.zones == ("transit",)
    assert {(p.device, p.interface) for p in transit.ports} == {
        ("fw-border", "eth1"), ("fw-dmz", "eth0"), ("fw-alt", "eth1")}
    assert segs["seg:sw-outer"].zones == ("outer",)
    # a direct link between two firewalls is a segment; an interface without a link a stub
    text = (SERIES / "devices.yaml").read_text(encoding="utf-8")
    direct = parallel.parent / "direct"
    shutil.copytree(SERIES, direct)
    text = text.replace("  - {a: fw-border:eth1, b: sw-transit:eth0}\n",
                        "  - {a: fw-border:eth1, b: fw-dmz:eth0}\n")
    text = text.replace("  - {a: sw-transit:eth1, b: fw-dmz:eth0}\n", "")
    (direct / "devices.yaml").write_text(text, encoding="utf-8")
    inv2, gateways2 = _load(direct)
    segs2 = {s.id: s for s in segments(inv2, ["fw-border", "fw-dmz"])}
    link = next(s for s in segs2.values() if s.id.startswith("link:"))
    assert link.zones == ("transit",) and len(link.ports) == 2
    paths = {p.via for p in firewall_paths(tuple(segs2.values()))}
    assert ("fw-border", "fw-dmz") in paths and ("fw-dmz", "fw-border") in paths
    reach = {(r.source, r.target): r for r in composed_reach(inv2, gateways2)}
    assert reach[("outer", "dmz")].via == (("fw-border", "fw-dmz"),)


def _vendor_gateway(config: Path) -> GatewayRuleset:
    inv = load_inventory(MINI)
    return gateway_ruleset(inv, inv.device_by_id["fw1"], read_ruleset(config))


def test_interface_acls_and_zone_pairs_apply_where_they_are_bound() -> None:
    ios = _vendor_gateway(DATA / "firewall" / "cisco-ios" / "edge-router" / "running-config.txt")
    entering = HopContext("GigabitEthernet0/0/0", "GigabitEthernet0/0/1", None, None)
    leaving = HopContext("GigabitEthernet0/0/1", "GigabitEthernet0/0/0", None, None)
    assert hook_applies(ios, "INTERNET_IN:in", entering)
    assert not hook_applies(ios, "INTERNET_IN:in", leaving)
    assert hook_applies(ios, "TOWN_GW_OUT:out", entering)
    assert not hook_applies(ios, "TOWN_GW_OUT:out", leaving)
    assert hook_applies(ios, "110:in", leaving)
    h3c = _vendor_gateway(DATA / "firewall" / "h3c" / "secpath-gateway" /
                          "current-configuration.txt")
    trust_dmz = HopContext("GigabitEthernet1/0/0", "GigabitEthernet1/0/2", "Trust", "DMZ")
    assert hook_applies(h3c, "Trust-DMZ:Trust->DMZ", trust_dmz)
    assert not hook_applies(h3c, "Untrust-DMZ:Untrust->DMZ", trust_dmz)
    assert not hook_applies(h3c, "3000:in", trust_dmz)  # bound to GigabitEthernet1/0/1
    composer = ReachComposer(load_inventory(MINI), [h3c])
    assert not composer.hop_context_set(h3c, trust_dmz).is_empty
    # no zone pair from DMZ to Trust: the SecPath denies between zones without a policy
    back = HopContext("GigabitEthernet1/0/2", "GigabitEthernet1/0/0", "DMZ", "Trust")
    assert composer.hop_context_set(h3c, back).is_empty


def test_composed_reach_in_the_reports() -> None:
    inv, gateways = _load(SERIES)
    reach = tuple(composed_zone_reach(inv, gateways))
    result = AuditResult(findings=(), checks=(), reach=reach)
    outer = next(r for r in reach if r.source == "outer")
    assert str(outer).endswith("state new via fw-border,fw-dmz")
    assert outer.paths == (("fw-border", "fw-dmz"),) and outer.hook == ""
    assert result_json(result)["reach"][0]["paths"] == [["fw-border", "fw-dmz"]]
    ctx = ReportContext(site_id="fwseries", site_name="串联", version="0", lang="en",
                        generated=datetime(2026, 11, 22, tzinfo=UTC), zones=("outer", "dmz"))
    assert "<td>fw-border,fw-dmz</td>" in REPORTERS["html"].render(result, ctx)
