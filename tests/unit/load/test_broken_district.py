"""The inventory loader against whole site folders.

``tests/data/broken-district`` holds one deliberate instance of every operator error class;
each must be reported with its file, line and a recognisable message, all in one run.
``inventories/example-district`` (番禺区) must load with zero problems and keep its figures.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from egovops.errors import InventoryError, Problem
from egovops.load import load_inventory
from egovops.model.inventory import DeviceRole, Inventory, Tier

REPO = Path(__file__).resolve().parents[3]
BROKEN = REPO / "tests" / "data" / "broken-district"
EXAMPLE = REPO / "inventories" / "example-district"
GENERATOR = REPO / "scripts" / "make_example_district.py"

LITERAL_SECRET = "Panyu@2005"
"""The literal password written in broken-district/devices.yaml; it must never be echoed."""

# (error class, file, line, message fragment)
EXPECTED = [
    pytest.param("nodes-streets.yaml", 7, "YAML syntax", id="yaml-syntax-error"),
    pytest.param("devices.yaml", 65, "unknown key 'hostname'", id="unknown-key"),
    pytest.param("links.yaml", 20, "unknown section 'vlans'", id="unknown-section"),
    pytest.param("towns.yaml", 5, "duplicate node id 't2-shawan' (first at ",
                 id="duplicate-id-across-files"),
    pytest.param("units.yaml", 8, "unknown node 't2-shiqiao-jd'", id="unit-unknown-node"),
    pytest.param("devices.yaml", 29, "unknown zone 'outter'", id="device-unknown-zone"),
    pytest.param("devices.yaml", 58, "interface GigabitEthernet1/0/3: unknown zone 'mgmt'",
                 id="interface-unknown-zone", marks=()),
    pytest.param("links.yaml", 6, "unknown device 'px-agg-dashi'", id="link-unknown-device"),
    pytest.param("links.yaml", 9, "device px-agg-shawan has no interface 'GigabitEthernet1/0/2'",
                 id="link-unknown-interface"),
    pytest.param("site.yaml", 33, "unknown gateway device 'px-ssl-vpn'",
                 id="zone-gateway-unknown-device"),
    pytest.param("site.yaml", 18, "unknown parent 'nansha-district'",
                 id="location-parent-unknown"),
    pytest.param("site.yaml", 40, "zone dmz: prefixes[0]: value is not a valid IPv4 or IPv6 "
                 "network", id="bad-zone-prefix"),
    pytest.param("devices.yaml", 24, "interfaces[1].addresses[0]: value is not a valid IPv4 or "
                 "IPv6 interface", id="bad-interface-address"),
    pytest.param("units.yaml", 16, "not a data rate: '百兆'", id="bad-data-rate"),
    pytest.param("links.yaml", 17, "interface px-core-sw:GigabitEthernet1/0/1 is already used",
                 id="interface-used-by-two-links"),
    pytest.param("nodes.yaml", 9, "node is tier 3 (access) but claims to be core",
                 id="tier3-claims-core"),
    pytest.param("devices.yaml", 44, "secrets must be references", id="literal-password"),
    pytest.param("devices.yaml", 84, "duplicate key 'zone' (first at line 81)",
                 id="duplicate-yaml-key"),
    pytest.param("site.yaml", 22, "a province cannot sit inside town 'shawan'",
                 id="location-hierarchy"),
    pytest.param("site.yaml", 45, "prefix 10.21.0.0/24 overlaps 10.20.0.0/15 of zone outer",
                 id="overlapping-zone-prefixes"),
    pytest.param("devices.yaml", 50, "unknown platform 'huawei_usg6000'", id="unknown-platform"),
    pytest.param("devices.yaml", 70, "a data-diode must declare its one-way 'transfer",
                 id="data-diode-without-transfer"),
]


def _problems_of(path: Path) -> tuple[InventoryError, list[Problem]]:
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    return info.value, info.value.problems


@pytest.fixture(scope="module")
def broken() -> tuple[InventoryError, list[Problem]]:
    """One load of the broken district: every expectation is checked against this one run."""
    return _problems_of(BROKEN)


def _describe(problems: list[Problem]) -> str:
    return "\n".join(f"  {Path(p.file).name}:{p.line}: {p.message}" for p in problems)


@pytest.mark.parametrize(("file", "line", "fragment"), EXPECTED)
def test_error_class_reported_with_file_and_line(
    broken: tuple[InventoryError, list[Problem]], file: str, line: int, fragment: str
) -> None:
    _, problems = broken
    hits = [p for p in problems if Path(p.file).name == file and fragment in p.message]
    assert hits, f"no problem in {file} mentions {fragment!r}; got:\n{_describe(problems)}"
    assert line in [p.line for p in hits], (
        f"{fragment!r} reported at {file}:{[p.line for p in hits]}, expected line {line}"
    )


def test_all_error_classes_come_in_one_run(broken: tuple[InventoryError, list[Problem]]) -> None:
    error, problems = broken
    broken_files = {p.name for p in BROKEN.glob("*.yaml")}
    assert {Path(p.file).name for p in problems} == broken_files
    assert len(problems) >= len(EXPECTED)
    assert error.summary.endswith(f"{len(problems)} problem(s) in the inventory")
    rendered = str(error)
    for p in problems:
        assert f"{p.location()}: {p.message}" in rendered


def test_no_cascading_problems(broken: tuple[InventoryError, list[Problem]]) -> None:
    _, problems = broken
    expected = [(p.values[0], p.values[2]) for p in EXPECTED]
    unexpected = [
        p for p in problems
        if not any(Path(p.file).name == f and frag in p.message for f, frag in expected)
    ]
    assert not unexpected, f"problems nobody planted:\n{_describe(unexpected)}"


def test_duplicate_id_names_the_first_declaration(
    broken: tuple[InventoryError, list[Problem]],
) -> None:
    _, problems = broken
    (dup,) = [p for p in problems if p.code == "duplicate-id"]
    assert dup.message.endswith("broken-district/nodes.yaml:5)")


def test_literal_secret_never_echoed(broken: tuple[InventoryError, list[Problem]]) -> None:
    error, problems = broken
    assert LITERAL_SECRET not in str(error)
    assert not any(LITERAL_SECRET in p.message for p in problems)


# ── the same error classes, in shapes the broken district does not cover ──────────────────


def _site(tmp_path: Path, body: str) -> Path:
    (tmp_path / "site.yaml").write_text(
        "site: {id: t, name: 测试区}\n" + textwrap.dedent(body), encoding="utf-8"
    )
    return tmp_path


def test_overlap_behind_a_prefix_of_the_same_zone(tmp_path: Path) -> None:
    _, problems = _problems_of(_site(tmp_path, """\
        zones:
          - {id: outer, kind: outer, prefixes: [10.0.0.0/8, 10.1.0.0/16]}
          - {id: dmz, kind: dmz, prefixes: [10.2.0.0/16]}
        """))
    assert any("overlaps 10.0.0.0/8" in p.message and p.line == 4 for p in problems)


@pytest.mark.parametrize("rate", ["-100", "true"])
def test_nonsense_rate_rejected(tmp_path: Path, rate: str) -> None:
    _, problems = _problems_of(_site(tmp_path, f"""\
        nodes:
          - {{id: n, name: 中心, tier: 1}}
        zones:
          - {{id: outer, kind: outer}}
        units:
          - {{id: u, name: 区财政局, kind: department, node: n, networks: [outer],
             bandwidth: {rate}}}
        """))
    assert any(p.line == 8 and "bandwidth" in p.message for p in problems)


# ── the example district ──────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_inventory(EXAMPLE)  # raises InventoryError listing any problem


def test_example_figures(example: Inventory) -> None:
    tiers = Counter(n.tier for n in example.nodes)
    assert tiers == {Tier.CORE: 1, Tier.AGGREGATION: 23, Tier.ACCESS: 56}
    assert len(example.units) >= 120
    assert 100 <= len(example.devices) <= 200
    core_km = sum(link.fibre_core_km for link in example.links)
    assert 4_000 <= core_km <= 5_000


def test_example_inner_network_crosses_only_at_the_diode(example: Inventory) -> None:
    crossing = []
    for link in example.links:
        zones = {example.device_by_id[ep.device].interface_zone(ep.interface)
                 for ep in (link.a, link.b)}
        if len(zones) > 1:
            crossing.append(link.key)
    assert crossing == []  # the diode's ports carry the zones: links themselves stay in one zone
    straddling = [
        d for d in example.devices
        if "inner" in {d.interface_zone(i.name) for i in d.interfaces} | {d.zone}
        and len({d.interface_zone(i.name) for i in d.interfaces} | {d.zone}) > 1
    ]
    assert [(d.id, d.role) for d in straddling] == [("px-diode", DeviceRole.DATA_DIODE)]
    diode = straddling[0]
    assert diode.transfer is not None
    assert (diode.transfer.source, diode.transfer.target) == ("outer", "inner")


def test_example_is_what_the_generator_makes() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
