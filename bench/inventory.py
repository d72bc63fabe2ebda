"""Inventory benchmark: load+validate against a bare YAML parse, fast against naive resilience.

Run from the repository root::

    .venv/bin/python bench/inventory.py [--devices 50000] [--links 100000] [--quick]

It generates (seeded, deterministic, cached in ``bench/.generated/``) a province-scale site folder
in the inventory schema: 1 province, 20 cities, 150 districts, tiered backbone nodes, about
50,000 devices and 100,000 links split into one nodes, devices and links file per city. Then,
in this one process, it times

1. a bare ``yaml.load(f, Loader=yaml.CSafeLoader)`` of every file (the floor any loader pays),
2. ``load_inventory(folder)``: parse, defaults and groups, schema, every cross-reference check,
3. ``analyze_resilience`` (one DFS) against ``naive_resilience`` (remove each device, recount)
   on a one-city subsample inventory, and ``analyze_resilience`` on the full inventory,

and prints a table with PASS/MISS per target. It always exits 0: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import ipaddress
import itertools
import json
import os
import platform
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from egovops.errors import InventoryError
from egovops.load import load_inventory, yaml_files
from egovops.model import Inventory

GENERATOR_VERSION = 1
"""Bump when the generated folder changes shape, so cached folders are rebuilt."""

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".generated"

CITY_NAMES = (
    "广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名",
    "惠州", "梅州", "汕尾", "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳",
    "云浮",
)
UNIT_NAMES = (
    "财政局", "教育局", "公安分局", "卫生健康局", "人力资源和社会保障局", "自然资源局",
    "住房和城乡建设局", "交通运输局", "市场监督管理局", "应急管理局", "街道办事处", "镇人民政府",
)
PROVIDERS = ("中国电信", "中国联通", "中国移动")

# Address plan: every zone owns disjoint prefixes; the generator hands out addresses inside them.
OUTER_V4 = ipaddress.IPv4Network("10.0.0.0/10")  # access subnets from 10.0/…, p2p from 10.32/…
OUTER_P2P = ipaddress.IPv4Network("10.32.0.0/11")
OUTER_V6 = ipaddress.IPv6Network("2408:8000::/32")
INNER_V4 = ipaddress.IPv4Network("172.16.0.0/12")
DMZ_V4 = ipaddress.IPv4Network("10.200.0.0/16")
MGMT_V4 = ipaddress.IPv4Network("10.250.0.0/16")
PUBLIC_V4 = ipaddress.IPv4Network("202.96.0.0/16")  # carrier side, outside every zone


# --------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """What to generate; the same spec and seed always give byte-identical files."""

    devices: int = 50_000
    links: int = 100_000
    cities: int = 20
    districts: int = 150
    access_nodes_per_district: int = 10
    seed: int = 20261122

    def key(self) -> str:
        blob = json.dumps({**asdict(self), "v": GENERATOR_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class Iface:
    name: str
    kind: str | None = None
    zone: str | None = None
    addresses: list[str] = field(default_factory=list)
    enabled: bool = True


@dataclass
class Dev:
    id: str
    role: str
    zone: str
    node: str | None = None
    name: str = ""
    groups: tuple[str, ...] = ()
    platform: str | None = None
    unit: str | None = None
    mgmt: str | None = None
    transfer: tuple[str, str] | None = None
    tags: tuple[str, ...] = ()
    interfaces: list[Iface] = field(default_factory=list)
    _ports: dict[str, int] = field(default_factory=dict)

    def port(self, prefix: str, kind: str | None = None, zone: str | None = None,
             addresses: list[str] | None = None) -> str:
        """A new interface named ``prefix`` + next number; returns its name."""
        n = self._ports.get(prefix, 0) + 1
        self._ports[prefix] = n
        name = f"{prefix}{n}"
        self.interfaces.append(Iface(name, kind, zone, addresses or []))
        return name


@dataclass
class AccessNode:
    id: str
    units: list[str]
    switches: list[Dev] = field(default_factory=list)


@dataclass
class CityFiles:
    nodes: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    devices: list[Dev] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    circuits: list[str] = field(default_factory=list)


@dataclass
class City:
    files: CityFiles
    id: str
    access_nodes: list[AccessNode]
    inner_switches: list[tuple[Dev, int]]


class Pool:
    """Hands out consecutive addresses (or blocks) of one network."""

    def __init__(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> None:
        self.network = network
        self.next = int(network.network_address)

    def block(self, prefixlen: int) -> int:
        size = 1 << (self.network.max_prefixlen - prefixlen)
        start = -(-self.next // size) * size
        self.next = start + size
        if self.next > int(self.network.broadcast_address) + 1:
            raise RuntimeError(f"address pool {self.network} exhausted")
        return start


def v4(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


class Generator:
    """Builds a province: backbone tiers, access switches, hosts and servers, and their links."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.p2p = Pool(OUTER_P2P)
        self.access_pool = Pool(OUTER_V4)
        self.inner_pool = Pool(INNER_V4)
        self.dmz_pool = Pool(DMZ_V4)
        self.mgmt_pool = Pool(MGMT_V4)
        self.public_pool = Pool(PUBLIC_V4)
        self.mgmt_pool.block(24)  # first /24 of management is for the jump hosts and PKI
        self.link_count = 0
        self.device_count = 0
        self.gateways: dict[str, list[str]] = {"outer": [], "dmz": [], "management": []}
        self._agg_of: dict[str, list[list[Dev]]] = {}  # access node → its district's tier 2
        self._subnet: dict[str, list[int]] = {}  # access node → [subnet, next free offset]
        self._cities: list[City] = []
        self._inner_used: dict[str, int] = {}  # inner switch → last host offset

    # helpers ----------------------------------------------------------------------------------
    def mgmt(self) -> str:
        return v4(self.mgmt_pool.block(32))

    def add(self, files: CityFiles, dev: Dev) -> Dev:
        files.devices.append(dev)
        self.device_count += 1
        return dev

    def link(self, files: CityFiles, a: Dev, a_if: str, b: Dev, b_if: str, *,
             ident: str | None = None, extra: str = "") -> None:
        head = f"id: {ident}, " if ident else ""
        files.links.append(f"  - {{{head}a: {a.id}:{a_if}, b: {b.id}:{b_if}{extra}}}")
        self.link_count += 1

    def fibre(self, files: CityFiles, a: Dev, b: Dev, *, rate: str = "10G",
              km: tuple[float, float] = (0.5, 30.0), prefix: str = "XGE1/0/",
              b_prefix: str | None = None, ident: str | None = None) -> None:
        """A routed fibre link: a /30 from the p2p pool, one address on each end."""
        base = self.p2p.block(30)
        a_if = a.port(prefix, "fibre", addresses=[f"{v4(base + 1)}/30"])
        b_if = b.port(b_prefix or prefix, "fibre", addresses=[f"{v4(base + 2)}/30"])
        cores = self.rng.choice((12, 24, 48))
        length = round(self.rng.uniform(*km), 1)
        self.link(files, a, a_if, b, b_if, ident=ident,
                  extra=f", bandwidth: {rate}, cores: {cores}, length_km: {length}")

    def patch(self, files: CityFiles, a: Dev, b: Dev, *, prefix: str = "GE1/0/",
              rate: str | None = None) -> None:
        """A layer-2 patch between switches (no addresses), default bandwidth."""
        a_if = a.port(prefix)
        b_if = b.port(prefix)
        extra = f", bandwidth: {rate}" if rate else ""
        self.link(files, a, a_if, b, b_if, extra=extra)

    # province ---------------------------------------------------------------------------------
    def province(self) -> tuple[CityFiles, list[Dev]]:
        files = CityFiles()
        files.nodes.append("  - {id: p-core, name: 省电子政务外网网络中心, tier: 1, "
                           "role: core, location: prov, address: 省政务服务数据管理局机房}")
        r = [self.add(files, Dev(f"p-core-r{i}", "router", "outer", "p-core",
                                 f"省核心路由器{i}", ("huawei-core", "netops"), mgmt=self.mgmt(),
                                 tags=("backbone", "province")))
             for i in (1, 2)]
        self.fibre(files, r[0], r[1], rate="100G", km=(0.0, 0.1), ident="p-core-r1-r2-a")
        self.fibre(files, r[0], r[1], rate="100G", km=(0.0, 0.1), ident="p-core-r1-r2-b")
        isp = self.add(files, Dev("p-isp", "router", "internet", "p-core", "运营商互联网出口",
                                  platform="other", tags=("carrier",)))
        vpn = self.add(files, Dev("p-vpn", "vpn-gateway", "dmz", "p-core", "SSL-VPN网关",
                                  ("linux-server",), mgmt=self.mgmt()))
        fw = self.add(files, Dev("p-mgmt-fw", "firewall", "management", "p-core", "管理区防火墙",
                                 ("huawei-fw", "netops"), mgmt=self.mgmt()))
        sw = self.add(files, Dev("p-mgmt-sw", "switch", "management", "p-core", "管理区交换机",
                                 ("h3c-access", "netops"), mgmt=self.mgmt()))
        self.gateways["management"].append(fw.id)
        self.gateways["dmz"].append(vpn.id)
        for core in r:
            self.fibre(files, fw, core, rate="10G", km=(0.0, 0.1), prefix="GE1/0/")
        self.fibre(files, vpn, r[0], rate="1G", km=(0.0, 0.1), prefix="eth", b_prefix="GE2/0/")
        pub = self.public_pool.block(30)
        vpn_out = vpn.port("eth", zone="internet", addresses=[f"{v4(pub + 1)}/30"])
        isp_in = isp.port("GE0/0/", addresses=[f"{v4(pub + 2)}/30"])
        self.link(files, vpn, vpn_out, isp, isp_in, extra=", media: leased-line, bandwidth: 1G")
        self.patch(files, fw, sw)
        host_base = int(MGMT_V4.network_address)
        for i, (ident, role) in enumerate((("p-jump1", "host"), ("p-jump2", "host"),
                                           ("p-pki", "server"))):
            dev = self.add(files, Dev(ident, role, "management", "p-core", "",
                                      ("linux-server",), tags=("management",)))
            nic = dev.port("eth", addresses=[f"{v4(host_base + 10 + i)}/24"])
            self.link(files, dev, nic, sw, sw.port("GE1/0/"))
        spare = r[0].port("GE0/0/", "serial")
        files.circuits.append(
            f"  - {{id: p-national, provider: {PROVIDERS[0]}, circuit_id: GZ-NAT-0001, "
            f"rate: 155M, endpoint: {r[0].id}:{spare}, peer: other, "
            f"description: 国家电子政务外网上联}}"
        )
        return files, r

    # a city -----------------------------------------------------------------------------------
    def city(self, c: int, districts: int, prov_core: list[Dev]) -> tuple[CityFiles, list[str]]:
        """One city: core ring, DMZ, inner network, districts with aggregation and access nodes.

        Access switches and leaves come later (:meth:`access` and :meth:`leaves`), once the
        backbone is counted and the rest of the device and link budget is known.
        """
        rng = self.rng
        files = CityFiles()
        cid = f"c{c:02d}"
        city_name = CITY_NAMES[(c - 1) % len(CITY_NAMES)]
        locations = [f"  - {{id: {cid}, name: {city_name}市, level: city, parent: prov}}"]

        # tier 1: two or three core nodes in a ring, the first dual-homed to the province
        n_core = 2 + c % 2
        cores: list[list[Dev]] = []
        for k in range(1, n_core + 1):
            nid = f"{cid}-core{k}"
            files.nodes.append(f"  - {{id: {nid}, name: {city_name}市网络中心{k}, tier: 1, "
                               f"location: {cid}}}")
            pair = [self.add(files, Dev(f"{nid}-r{i}", "router", "outer", nid,
                                        f"{city_name}核心路由器{k}-{i}", ("huawei-core", "netops"),
                                        mgmt=self.mgmt(), tags=("backbone",)))
                    for i in (1, 2)]
            self.fibre(files, pair[0], pair[1], rate="40G", km=(0.0, 0.1))
            cores.append(pair)
        for k in range(n_core if n_core > 2 else 1):
            nxt = cores[(k + 1) % n_core]
            self.fibre(files, cores[k][0], nxt[0], rate="40G", km=(3.0, 40.0))
            self.fibre(files, cores[k][1], nxt[1], rate="40G", km=(3.0, 40.0))
        self.fibre(files, cores[0][0], prov_core[0], rate="10G", km=(20.0, 300.0))
        self.fibre(files, cores[0][1], prov_core[1], rate="10G", km=(20.0, 300.0))
        all_core = [r for pair in cores for r in pair]

        # internet edge: two firewalls (the outer zone's gateways), a carrier router, a DMZ
        isp = self.add(files, Dev(f"{cid}-isp", "router", "internet", f"{cid}-core1",
                                  f"{city_name}运营商出口", platform="other", tags=("carrier",)))
        dmz_net = self.dmz_pool.block(24)
        dmz_sw = self.add(files, Dev(f"{cid}-dmz-sw", "switch", "dmz", f"{cid}-core1",
                                     f"{city_name}DMZ交换机", ("h3c-access", "netops"),
                                     mgmt=self.mgmt()))
        dmz_sw.port("Vlanif", "vlan", addresses=[f"{v4(dmz_net + 1)}/24"])
        fws = []
        for i in (1, 2):
            fw = self.add(files, Dev(f"{cid}-fw{i}", "firewall", "outer", f"{cid}-core1",
                                     f"{city_name}外网边界防火墙{i}", ("huawei-fw", "netops"),
                                     mgmt=self.mgmt(), tags=("boundary",)))
            fws.append(fw)
            self.fibre(files, fw, cores[0][i - 1], rate="10G", km=(0.0, 0.1), prefix="GE1/0/")
            pub = self.public_pool.block(30)
            up = fw.port("GE2/0/", zone="internet", addresses=[f"{v4(pub + 1)}/30"])
            down = isp.port("GE0/0/", addresses=[f"{v4(pub + 2)}/30"])
            self.link(files, fw, up, isp, down, extra=", media: leased-line, bandwidth: 1G")
            dmz_if = fw.port("GE3/0/", zone="dmz", addresses=[f"{v4(dmz_net + 1 + i)}/24"])
            self.link(files, fw, dmz_if, dmz_sw, dmz_sw.port("GE1/0/"))
            self.gateways["outer"].append(fw.id)
            self.gateways["dmz"].append(fw.id)
        spare = fws[0].port("GE4/0/", "serial")
        files.circuits.append(
            f"  - {{id: {cid}-internet, provider: {PROVIDERS[c % 3]}, "
            f"circuit_id: {cid.upper()}-INET-{c:04d}, rate: 100M, "
            f"endpoint: {fws[0].id}:{spare}, peer: isp}}"
        )
        for i in range(1, 5):
            web = self.add(files, Dev(f"{cid}-web{i}", "server", "dmz", f"{cid}-core1",
                                      f"{city_name}政府网站群{i}", ("linux-server",),
                                      tags=("website",)))
            nic = web.port("eth", addresses=[f"{v4(dmz_net + 10 + i)}/24"])
            self.link(files, web, nic, dmz_sw, dmz_sw.port("GE1/0/"))

        # inner network (政务内网): its own two core switches, physically apart from the rest
        inner = [self.add(files, Dev(f"{cid}-in-core{i}", "switch", "inner", f"{cid}-core1",
                                     f"{city_name}内网核心{i}", ("huawei-agg", "netops"),
                                     mgmt=self.mgmt(), tags=("inner",)))
                 for i in (1, 2)]
        self.inner_link(files, inner[0], inner[1])
        diode = self.add(files, Dev(f"{cid}-diode", "data-diode", "inner", f"{cid}-core1",
                                    f"{city_name}单向导入装置", platform="data_diode",
                                    transfer=("outer", "inner")))
        base = self.p2p.block(30)
        out_if = diode.port("out", zone="outer", addresses=[f"{v4(base + 1)}/30"])
        core_if = cores[0][0].port("GE3/0/", addresses=[f"{v4(base + 2)}/30"])
        self.link(files, diode, out_if, cores[0][0], core_if)
        ibase = self.inner_pool.block(30)
        in_if = diode.port("in", addresses=[f"{v4(ibase + 1)}/30"])
        icore_if = inner[0].port("GE3/0/", addresses=[f"{v4(ibase + 2)}/30"])
        self.link(files, diode, in_if, inner[0], icore_if)

        # districts
        access_nodes: list[AccessNode] = []
        inner_switches: list[tuple[Dev, int]] = []
        for d in range(1, districts + 1):
            did = f"{cid}-d{d:02d}"
            locations.append(f"  - {{id: {did}, name: {city_name}第{d}区, level: district, "
                             f"parent: {cid}}}")
            # tier 2: aggregation nodes, each a switch pair dual-homed to two core routers
            aggs: list[list[Dev]] = []
            for g in range(1, rng.choice((2, 3, 3, 4)) + 1):
                nid = f"{did}-g{g}"
                files.nodes.append(f"  - {{id: {nid}, name: {city_name}{d}区二级节点{g}, "
                                   f"tier: 2, role: aggregation, location: {did}}}")
                files.units.append(f"  - {{id: {nid}-town, name: {city_name}{d}区第{g}镇人民政府, "
                                   f"kind: town, node: {nid}, networks: [outer], "
                                   f"bandwidth: 10M, location: {did}}}")
                pair = [self.add(files, Dev(f"{nid}-sw{i}", "switch", "outer", nid, "",
                                            ("huawei-agg", "netops"), mgmt=self.mgmt(),
                                            tags=("backbone",)))
                        for i in (1, 2)]
                self.patch(files, pair[0], pair[1], prefix="XGE0/0/", rate="10G")
                core_pair = rng.sample(all_core, 2)
                self.fibre(files, pair[0], core_pair[0], rate="10G", km=(2.0, 60.0))
                self.fibre(files, pair[1], core_pair[1], rate="10G", km=(2.0, 60.0))
                aggs.append(pair)
            if len(aggs) > 2 and rng.random() < 0.5:  # some districts close a tier-2 ring
                for k, pair in enumerate(aggs):
                    self.fibre(files, pair[1], aggs[(k + 1) % len(aggs)][0], rate="10G",
                               km=(1.0, 15.0))
            # inner network in the district: one switch, dual-homed to the inner cores
            isw = self.add(files, Dev(f"{did}-in-sw", "switch", "inner", aggs[0][0].node, "",
                                      ("huawei-agg", "netops"), mgmt=self.mgmt(),
                                      tags=("inner",)))
            self.inner_link(files, isw, inner[0])
            self.inner_link(files, isw, inner[1])
            isub = self.inner_pool.block(24)
            isw.port("Vlanif", "vlan", addresses=[f"{v4(isub + 1)}/24"])
            inner_switches.append((isw, isub))
            # tier 3: access nodes with their units
            for a in range(1, self.spec.access_nodes_per_district + 1):
                nid = f"{did}-a{a:02d}"
                files.nodes.append(f"  - {{id: {nid}, name: {city_name}{d}区三级节点{a}, "
                                   f"tier: 3, location: {did}}}")
                units = []
                for u in range(1, rng.choice((1, 2, 2, 3)) + 1):
                    uid = f"{nid}-u{u}"
                    units.append(uid)
                    uname = rng.choice(UNIT_NAMES)
                    nets = "[inner, outer]" if u == 1 else "[outer]"
                    bw = "" if u > 1 else ", bandwidth: 1000M"
                    files.units.append(f"  - {{id: {uid}, name: {city_name}{d}区{uname}{a}-{u}, "
                                       f"kind: department, node: {nid}, networks: {nets}, "
                                       f"location: {did}{bw}}}")
                access_nodes.append(AccessNode(nid, units))
                self._agg_of[nid] = aggs
        self._cities.append(City(files, cid, access_nodes, inner_switches))
        return files, locations

    def inner_link(self, files: CityFiles, a: Dev, b: Dev) -> None:
        base = self.inner_pool.block(30)
        a_if = a.port("XGE1/0/", "fibre", addresses=[f"{v4(base + 1)}/30"])
        b_if = b.port("XGE1/0/", "fibre", addresses=[f"{v4(base + 2)}/30"])
        length = round(self.rng.uniform(1.0, 40.0), 1)
        self.link(files, a, a_if, b, b_if,
                  extra=f", bandwidth: 10G, cores: 12, length_km: {length}")

    def access_uplinks(self, files: CityFiles, nid: str, switches: list[Dev]) -> None:
        """Head switch single- (70 %) or dual-homed (30 %); the rest hang off it, some in a ring."""
        rng = self.rng
        aggs = self._agg_of[nid]
        head = switches[0]
        if rng.random() < 0.3:
            first, second = rng.sample([sw for pair in aggs for sw in pair], 2)
            self.fibre(files, head, first, rate="1G", km=(0.5, 20.0), prefix="GE0/1/",
                       b_prefix="GE2/0/")
            self.fibre(files, head, second, rate="1G", km=(0.5, 20.0), prefix="GE0/1/",
                       b_prefix="GE2/0/")
        else:
            up = rng.choice(rng.choice(aggs))
            self.fibre(files, head, up, rate="1G", km=(0.5, 20.0), prefix="GE0/1/",
                       b_prefix="GE2/0/")
        for prev, sw in itertools.pairwise(switches):
            parent = prev if rng.random() < 0.5 else head  # chains and stars
            self.patch(files, sw, parent, prefix="GE0/1/")
        if len(switches) > 2 and rng.random() < 0.25:
            self.patch(files, switches[-1], head, prefix="GE0/1/")

    def access(self, switches: int) -> None:
        """Spread ``switches`` access switches over every access node and cable their uplinks."""
        rng = self.rng
        nodes = [node for city in self._cities for node in city.access_nodes]
        per_node = [1] * len(nodes)
        for _ in range(switches - len(nodes)):
            per_node[rng.randrange(len(nodes))] += 1
        for city in self._cities:
            for node in city.access_nodes:
                count = per_node.pop(0)
                sub = self.access_pool.block(23)
                self._subnet[node.id] = [sub, 16]
                for s in range(1, count + 1):
                    sw = self.add(city.files, Dev(f"{node.id}-sw{s}", "switch", "outer", node.id,
                                                  "", ("h3c-access", "netops"), mgmt=self.mgmt()))
                    sw.port("Vlanif", "vlan", addresses=[f"{v4(sub + s)}/23"])
                    node.switches.append(sw)
                self.access_uplinks(city.files, node.id, node.switches)

    def leaves(self, count: int, leaf_links: int) -> None:
        """``count`` hosts (mostly single-homed) and servers (dual-homed, some with four NICs).

        4 % sit in the inner network on their district's inner switch; the others are homed on
        the access switches of a random access node (weighted by its switch count). The mix of
        one-, two- and four-link leaves is chosen so the leaves bring ``leaf_links`` links.
        """
        rng = self.rng
        weights = [sum(len(n.switches) for n in city.access_nodes) for city in self._cities]
        per_city = [count * w // sum(weights) for w in weights]
        for i in range(count - sum(per_city)):
            per_city[i % len(per_city)] += 1
        inner_counts = [max(1, round(n * 0.04)) for n in per_city]
        outer_total = count - sum(inner_counts)
        extra = max(0, leaf_links - sum(inner_counts) - outer_total)
        n4 = max(int(0.15 * outer_total), -(-(extra - outer_total) // 2))
        n4 = max(0, min(n4, extra // 3, outer_total))
        n2 = max(0, min(outer_total - n4, extra - 3 * n4))
        degrees = [4] * n4 + [2] * n2 + [1] * (outer_total - n4 - n2)
        rng.shuffle(degrees)
        it = iter(degrees)
        for city, n_city, n_inner in zip(self._cities, per_city, inner_counts, strict=True):
            for i in range(n_inner):
                isw, sub = city.inner_switches[i % len(city.inner_switches)]
                offset = self._inner_used.get(isw.id, 10) + 1
                self._inner_used[isw.id] = offset
                host = self.add(city.files, Dev(f"{isw.id}-h{offset:03d}", "host", "inner",
                                                isw.node, groups=("desktop",)))
                nic = host.port("eth", addresses=[f"{v4(sub + offset)}/24"])
                self.link(city.files, host, nic, isw, isw.port("GE1/0/"),
                          extra=", media: copper")
            nodes = city.access_nodes
            homes = rng.choices(range(len(nodes)), weights=[len(n.switches) for n in nodes],
                                k=n_city - n_inner)
            for k in homes:
                self.leaf(city.files, nodes[k], next(it))

    def leaf(self, files: CityFiles, node: AccessNode, degree: int) -> None:
        rng = self.rng
        nid, switches, units = node.id, node.switches, node.units
        sub, used = self._subnet[nid]
        server = degree > 1
        n_ifaces = min(4, degree + (1 if rng.random() < 0.3 else 0))
        number = used - 15
        ident = f"{nid}-{'s' if server else 'h'}{number:03d}"
        dev = self.add(files, Dev(
            ident, "server" if server else "host", "outer", nid,
            groups=("linux-server",) if server else ("desktop",),
            unit=rng.choice(units) if rng.random() < 0.8 else None,
        ))
        names = []
        for i in range(n_ifaces):
            addrs = [f"{v4(sub + used)}/23"]
            used += 1
            if i == 0 and server and rng.random() < 0.2:
                ip = sub + used
                addrs.append(f"2408:8000:{ip >> 16:x}:{ip & 0xFFFF:x}::1/64")
            names.append(dev.port("eth", addresses=addrs))
        if used > 510:
            raise RuntimeError(f"access subnet of {nid} exhausted")
        self._subnet[nid][1] = used
        if n_ifaces > degree:
            dev.interfaces[-1].enabled = False
        if len(switches) == 1 or degree == 1:
            targets = [rng.choice(switches)] * degree
        else:
            a, b = rng.sample(switches, 2)
            targets = [a, b] * (degree // 2)
        for nic, sw in zip(names, targets, strict=False):
            extra = ", media: copper" if rng.random() < 0.7 else ""
            self.link(files, dev, nic, sw, sw.port("GE1/0/"), extra=extra)

    # whole province ---------------------------------------------------------------------------
    def build(self) -> dict[str, CityFiles | list[str]]:
        spec = self.spec
        prov, prov_core = self.province()
        per_city = [spec.districts // spec.cities] * spec.cities
        for i in range(spec.districts - sum(per_city)):
            per_city[i] += 1
        cities: dict[str, CityFiles | list[str]] = {"province": prov}
        locations = ["  - {id: prov, name: 广东省, level: province}"]
        for c, districts in enumerate(per_city, start=1):
            files, locs = self.city(c, districts, prov_core)
            cities[f"c{c:02d}"] = files
            locations.extend(locs)
        # the rest of the budget: about one access switch for every eight leaves
        n_nodes = sum(len(city.access_nodes) for city in self._cities)
        rest = spec.devices - self.device_count
        self.access(max(n_nodes, round(rest / 9)))
        self.leaves(max(len(self._cities), spec.devices - self.device_count),
                    spec.links - self.link_count)
        cities["locations"] = locations
        return cities


def _device_yaml(dev: Dev) -> str:
    out = [f"  - id: {dev.id}"]
    if dev.name:
        out.append(f"    name: {dev.name}")
    out.append(f"    role: {dev.role}")
    if dev.platform:
        out.append(f"    platform: {dev.platform}")
    if dev.groups:
        out.append(f"    groups: [{', '.join(dev.groups)}]")
    out.append(f"    zone: {dev.zone}")
    if dev.node:
        out.append(f"    node: {dev.node}")
    if dev.unit:
        out.append(f"    unit: {dev.unit}")
    if dev.mgmt:
        out.append(f"    mgmt: {dev.mgmt}")
    if dev.transfer:
        out.append(f"    transfer: {{source: {dev.transfer[0]}, target: {dev.transfer[1]}}}")
    if dev.tags:
        out.append(f"    tags: [{', '.join(dev.tags)}]")
    if dev.interfaces:
        out.append("    interfaces:")
        for i in dev.interfaces:
            parts = [f"name: {i.name}"]
            if i.kind:
                parts.append(f"kind: {i.kind}")
            if i.zone:
                parts.append(f"zone: {i.zone}")
            if i.addresses:
                parts.append(f"addresses: [{', '.join(i.addresses)}]")
            if not i.enabled:
                parts.append("enabled: false")
            out.append(f"      - {{{', '.join(parts)}}}")
    return "\n".join(out)


SITE_HEADER = """\
# Generated by bench/inventory.py (seed {seed}): a province-scale e-government outer network.
site:
  id: gd-province
  name: 广东省电子政务外网
  location: prov
  office: 省政务服务数据管理局
  settings: {{oversubscription_limit: 4}}

defaults:
  device:
    credentials:
      username: {{env: EGOV_USER}}
      password: {{env: EGOV_PW}}
      ssh_config: ssh/jump.conf
  link:
    media: fibre
    bandwidth: 1000M
  unit:
    bandwidth: 100M

groups:
  netops:
    credentials: {{username: netops, enable: {{env: EGOV_ENABLE}}}}
  huawei-core: {{platform: huawei_vrp, vendor: Huawei, model: NE40E-X8}}
  huawei-agg: {{platform: huawei_vrp, vendor: Huawei, model: S12708}}
  huawei-fw: {{platform: huawei_usg, vendor: Huawei, model: USG6650E}}
  h3c-access: {{platform: h3c_comware, vendor: H3C, model: S5130S-52S-EI}}
  linux-server:
    platform: linux
    credentials: {{username: ops, password: null, ssh_key: {{file: keys/ops_ed25519}}}}
  desktop: {{platform: other}}

zones:
  - id: inner
    kind: inner
    name: 政务内网
    prefixes: [{inner}]
  - id: outer
    kind: outer
    name: 政务外网
    prefixes: [{outer}, {outer6}]
    gateways: [{outer_gw}]
  - id: dmz
    kind: dmz
    name: 政府网站群
    prefixes: [{dmz}]
    gateways: [{dmz_gw}]
  - id: management
    kind: management
    name: 运维管理区
    prefixes: [{mgmt}]
    gateways: [{mgmt_gw}]
  - id: internet
    kind: internet
    name: 互联网

locations:
"""


def generate(spec: Spec, folder: Path) -> None:
    """Write the site folder for ``spec`` into ``folder`` (which must not exist yet)."""
    gen = Generator(spec)
    parts = gen.build()
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    header = SITE_HEADER.format(
        seed=spec.seed, inner=INNER_V4, outer=OUTER_V4, outer6=OUTER_V6, dmz=DMZ_V4,
        mgmt=MGMT_V4, outer_gw=", ".join(gen.gateways["outer"]),
        dmz_gw=", ".join(gen.gateways["dmz"]), mgmt_gw=", ".join(gen.gateways["management"]),
    )
    locations = parts.pop("locations")
    assert isinstance(locations, list)
    (tmp / "site.yaml").write_text(header + "\n".join(locations) + "\n", encoding="utf-8")
    for name, files in parts.items():
        assert isinstance(files, CityFiles)
        where = tmp if name == "province" else tmp / "cities" / name
        where.mkdir(parents=True, exist_ok=True)
        nodes = ["nodes:", *files.nodes]
        if files.units:
            nodes += ["", "units:", *files.units]
        (where / ("province-nodes.yaml" if name == "province" else "nodes.yaml")).write_text(
            "\n".join(nodes) + "\n", encoding="utf-8")
        devices = "devices:\n" + "\n".join(_device_yaml(d) for d in files.devices) + "\n"
        (where / ("province-devices.yaml" if name == "province" else "devices.yaml")).write_text(
            devices, encoding="utf-8")
        links = ["links:", *files.links]
        if files.circuits:
            links += ["", "circuits:", *files.circuits]
        (where / ("province-links.yaml" if name == "province" else "links.yaml")).write_text(
            "\n".join(links) + "\n", encoding="utf-8")
    (tmp / "counts.json").write_text(json.dumps(
        {"devices": gen.device_count, "links": gen.link_count, "spec": asdict(spec)}, indent=1))
    tmp.rename(folder)


def site_folder(spec: Spec, *, log: Callable[[str], None]) -> Path:
    """The generated folder for ``spec``, generating it on first use."""
    folder = CACHE / f"site-{spec.key()}"
    if not folder.exists():
        t0 = time.perf_counter()
        generate(spec, folder)
        log(f"generated {folder.relative_to(HERE.parent)} in {time.perf_counter() - t0:.1f} s")
    return folder


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Minimum wall time over ``repeats`` calls (after a full GC each) and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeats):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def bare_parse(files: list[Path]) -> int:
    """What PyYAML alone costs: ``yaml.load`` with libyaml of every file."""
    n = 0
    for path in files:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=yaml.CSafeLoader)
        n += len(data)
    return n


def bare_parse_gc_paused(files: list[Path]) -> int:
    """The same with Python's cyclic GC paused, as ``load_inventory`` runs: the stricter floor."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return bare_parse(files)
    finally:
        if enabled:
            gc.enable()


def load(folder: Path) -> Inventory:
    try:
        return load_inventory(folder)
    except InventoryError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(f"generated inventory {folder} does not load cleanly") from None


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


@dataclass
class Row:
    what: str
    value: str
    target: str = ""
    verdict: str = ""


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")


def resilience_api() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """``(analyze_resilience, naive_resilience)`` if ``egovops.topology`` provides them yet."""
    for name in ("egovops.topology", "egovops.topology.resilience"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        fast = getattr(module, "analyze_resilience", None)
        naive = getattr(module, "naive_resilience", None)
        if fast is not None and naive is not None:
            return fast, naive
    return None


def spof_summary(res: Any) -> str:
    """One zone's resilience result in a line (devices and links whose loss cuts something)."""
    devices = getattr(res, "devices", ())
    links = getattr(res, "links", ())
    units = {u for point in (*devices, *links) for u in getattr(point, "units_cut", ())}
    return (f"{getattr(res, 'zone', '?')}: {len(getattr(res, 'roots', ()))} roots, "
            f"{len(devices)} devices and {len(links)} links are single points of failure, "
            f"cutting off {len(units)} units in all")


def graph_size(inv: Inventory) -> tuple[int, int]:
    return len(inv.devices), len(inv.links)


def machine() -> Iterator[str]:
    yield f"nproc {os.cpu_count()}, {platform.machine()}, {platform.system()} {platform.release()}"
    yield f"python {sys.version.split()[0]} ({platform.python_implementation()})"
    libyaml = getattr(yaml, "__with_libyaml__", False)
    yield f"PyYAML {yaml.__version__}, libyaml {'yes' if libyaml else 'NO (pure Python)'}"
    pydantic = importlib.import_module("pydantic")
    yield f"pydantic {pydantic.VERSION}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=None, help="default 3, 1 with --quick")
    parser.add_argument("--quick", action="store_true", help="one repeat of each timing")
    parser.add_argument("--sample-devices", type=int, default=2_000,
                        help="size of the one-city inventory the naive resilience runs on")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)

    def log(msg: str) -> None:
        print(msg, flush=True)

    log("machine:")
    for line in machine():
        log(f"  {line}")

    spec = Spec(devices=args.devices, links=args.links)
    folder = site_folder(spec, log=log)
    counts = json.loads((folder / "counts.json").read_text())
    files = yaml_files(folder)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    log(f"inventory: {folder.relative_to(HERE.parent)}: {len(files)} files, {size_mb:.1f} MB, "
        f"{counts['devices']} devices, {counts['links']} links (repeats: {repeats})")

    rows: list[Row] = []
    t_parse, _ = best_of(repeats, lambda: bare_parse(files))
    log(f"  bare yaml.load (CSafeLoader):            {fmt_time(t_parse)}")
    t_parse_nogc, _ = best_of(repeats, lambda: bare_parse_gc_paused(files))
    log(f"  bare yaml.load (CSafeLoader), GC paused: {fmt_time(t_parse_nogc)}")
    t_load, inv = best_of(repeats, lambda: load(folder))
    log(f"  load_inventory:                          {fmt_time(t_load)}")
    ratio = t_load / t_parse
    rows.append(Row("bare yaml.load, CSafeLoader, all files", fmt_time(t_parse)))
    rows.append(Row("  same, cyclic GC paused (as the loader runs)", fmt_time(t_parse_nogc)))
    rows.append(Row("load_inventory (parse + validate + checks)", fmt_time(t_load),
                    "<= 10 s", verdict(t_load <= 10)))
    rows.append(Row("load_inventory / bare yaml.load", f"{ratio:.2f}x", "<= 1.5x",
                    verdict(ratio <= 1.5)))
    rows.append(Row("  load_inventory / bare yaml.load, GC paused",
                    f"{t_load / t_parse_nogc:.2f}x", "(<= 1.5x)",
                    verdict(t_load / t_parse_nogc <= 1.5)))
    n_dev, n_link = graph_size(inv)
    rows.append(Row("devices / links / units / nodes loaded",
                    f"{n_dev} / {n_link} / {len(inv.units)} / {len(inv.nodes)}"))

    api = resilience_api()
    if api is None:
        log("  egovops.topology.analyze_resilience / naive_resilience not available: skipped")
        rows.append(Row("resilience (egovops.topology)", "not available yet", "", "-"))
    else:
        analyze, naive = api
        sample_spec = Spec(devices=args.sample_devices, links=2 * args.sample_devices,
                           cities=1, districts=7, seed=spec.seed)
        sample_folder = site_folder(sample_spec, log=log)
        sample = load(sample_folder)
        sv, se = graph_size(sample)
        log(f"  subsample: {sample_folder.relative_to(HERE.parent)}: {sv} devices, {se} links")
        # tens of milliseconds: more repeats than the long timings, or noise decides the ratio
        t_fast_sample, fast_result = best_of(max(5, 5 * repeats), lambda: analyze(sample))
        t_naive, naive_result = best_of(1 if args.quick else min(repeats, 2),
                                        lambda: naive(sample))
        same = tuple(fast_result) == tuple(naive_result)
        log(f"  subsample fast {fmt_time(t_fast_sample)}, naive {fmt_time(t_naive)}, "
            f"results {'identical' if same else 'DIFFER'}")
        t_fast_full, full_result = best_of(repeats, lambda: analyze(inv))
        log(f"  full fast {fmt_time(t_fast_full)}; single points of failure per zone:")
        for res in full_result:
            log(f"    {spof_summary(res)}")
        speedup = t_naive / t_fast_sample
        # naive is O(V * (V + E)): scale the measured subsample time to the full graph
        naive_full_est = t_naive * (n_dev * (n_dev + n_link)) / (sv * (sv + se))
        rows.append(Row(f"naive_resilience, subsample ({sv} dev, {se} links)",
                        fmt_time(t_naive)))
        rows.append(Row("analyze_resilience, same subsample", fmt_time(t_fast_sample)))
        rows.append(Row("naive / fast on the subsample", f"{speedup:.0f}x", ">= 100x",
                        verdict(speedup >= 100)))
        rows.append(Row("fast and naive results identical", "yes" if same else "NO", "yes",
                        verdict(same)))
        rows.append(Row(f"analyze_resilience, full ({n_dev} dev, {n_link} links)",
                        fmt_time(t_fast_full), "<= 2 s", verdict(t_fast_full <= 2)))
        rows.append(Row("naive_resilience, full (extrapolated V*(V+E))",
                        f"~{fmt_time(naive_full_est)} (est.)"))

    width = max(len(r.what) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    log("")
    log(f"{'measure':<{width}}  {'value':>{vwidth}}  {'target':<8}  result")
    log(f"{'-' * width}  {'-' * vwidth}  {'-' * 8}  ------")
    for r in rows:
        log(f"{r.what:<{width}}  {r.value:>{vwidth}}  {r.target:<8}  {r.verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
