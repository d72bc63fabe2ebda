from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.errors import InventoryError
from egovops.load import load_inventory
from egovops.model import Isolation, SecretRef, Tier
from tests.conftest import MINI

BASE = {
    "site.yaml": """
        site: {id: s, name: 测试区}
        zones:
          - {id: inner, kind: inner, prefixes: [10.10.0.0/16]}
          - {id: outer, kind: outer, prefixes: [10.20.0.0/16]}
        nodes:
          - {id: core, name: 网络中心, tier: 1}
    """,
}


def _problems(root: Path) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load_inventory(root)
    return [str(p) for p in info.value.problems]


def test_mini_site_loads_with_resolved_defaults_and_groups() -> None:
    inv = load_inventory(MINI)
    core = inv.device_by_id["core-sw"]
    assert core.platform == "huawei_vrp"  # from group 'huawei'
    assert core.vendor == "Huawei"
    assert core.groups == ("huawei",)
    assert core.credentials is not None
    assert core.credentials.username == "admin"  # from defaults.device
    assert core.credentials.password == SecretRef(env="EGOV_PW")
    assert inv.zone_by_id["inner"].isolation is Isolation.PHYSICAL
    assert inv.zone_by_id["outer"].isolation is Isolation.LOGICAL
    assert inv.node_by_id["core"].tier is Tier.CORE
    assert inv.links[0].bandwidth == 1_000_000_000
    assert inv.links[0].fibre_core_km == pytest.approx(66.0)
    assert core.origin is not None
    assert core.origin.file.endswith("net.yaml")
    assert core.origin.line == 7


def test_device_own_values_override_group_and_defaults(
    write_site: Callable[..., Path],
) -> None:
    root = write_site({
        **BASE,
        "devices.yaml": """
            defaults:
              device: {vendor: Generic, credentials: {username: a, port: 2222}}
            groups:
              h3c: {platform: h3c_comware, vendor: H3C, credentials: {username: b}}
            devices:
              - {id: d1, role: switch, zone: outer, groups: [h3c], credentials: {username: c}}
              - {id: d2, role: switch, zone: outer, groups: [h3c]}
              - {id: d3, role: host, zone: outer, platform: linux}
        """,
    })
    inv = load_inventory(root)
    d1, d2, d3 = (inv.device_by_id[i] for i in ("d1", "d2", "d3"))
    assert (d1.vendor, d1.credentials.username, d1.credentials.port) == ("H3C", "c", 2222)  # type: ignore[union-attr]
    assert (d2.vendor, d2.credentials.username) == ("H3C", "b")  # type: ignore[union-attr]
    assert (d3.vendor, d3.credentials.username) == ("Generic", "a")  # type: ignore[union-attr]


def test_interface_defaults_apply_to_every_interface(write_site: Callable[..., Path]) -> None:
    root = write_site({
        **BASE,
        "devices.yaml": """
            defaults:
              interface: {speed: 1G}
            devices:
              - id: d1
                role: switch
                platform: huawei_vrp
                zone: outer
                interfaces:
                  - {name: GE0/0/1}
                  - {name: GE0/0/2, speed: 100M}
        """,
    })
    inv = load_inventory(root)
    speeds = [i.speed for i in inv.device_by_id["d1"].interfaces]
    assert speeds == [1_000_000_000, 100_000_000]


def test_all_problems_across_files_in_one_run(write_site: Callable[..., Path]) -> None:
    root = write_site({
        **BASE,
        "a.yaml": """
            devices:
              - {id: d1, role: host, platform: linux, zone: mars}
              - {id: d2, role: host, platform: linux, zone: outer, colour: red}
        """,
        "b.yaml": """
            units:
              - {id: u1, name: x, kind: town, node: nowhere, networks: [outer], bandwidth: 10M}
            links:
              - {a: d1:eth0, b: d9:eth0, bandwidth: 1G}
        """,
    })
    problems = _problems(root)
    assert any(p.endswith("a.yaml:2: device d1: unknown zone 'mars'") for p in problems)
    assert any(p.endswith("a.yaml:3: device d2: unknown key 'colour'") for p in problems)
    assert any(p.endswith("b.yaml:2: unit u1: unknown node 'nowhere'") for p in problems)
    assert any("b.yaml:4: link d1:eth0--d9:eth0: device d1 has no interface 'eth0'" in p
               for p in problems)
    assert any("b.yaml:4: link d1:eth0--d9:eth0: unknown device 'd9'" in p for p in problems)


def test_missing_site_section_is_reported(write_site: Callable[..., Path]) -> None:
    root = write_site({"z.yaml": "zones:\n  - {id: inner, kind: inner}\n"})
    assert any("no 'site' section" in p for p in _problems(root))


def test_custom_zone_must_state_isolation(write_site: Callable[..., Path]) -> None:
    root = write_site({
        "site.yaml": """
            site: {id: s, name: x}
            zones:
              - {id: video, kind: custom}
              - {id: iot, kind: custom, isolation: logical}
        """,
    })
    problems = _problems(root)
    assert len(problems) == 1
    assert "site.yaml:3" in problems[0]
    assert "must state its isolation" in problems[0]


def test_group_errors(write_site: Callable[..., Path]) -> None:
    root = write_site({
        **BASE,
        "d.yaml": """
            groups:
              g1: {platform: linux, groups: [g2]}
            devices:
              - {id: d1, role: host, zone: outer, platform: linux, groups: [nope]}
        """,
    })
    problems = _problems(root)
    assert any("d.yaml:2: groups cannot include other groups" in p for p in problems)
    assert any("d.yaml:4: device d1: unknown group 'nope'" in p for p in problems)


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="not found"):
        load_inventory(tmp_path / "missing")
    with pytest.raises(InventoryError, match="no YAML files"):
        load_inventory(tmp_path)


def test_hidden_files_are_ignored(write_site: Callable[..., Path]) -> None:
    root = write_site({**BASE, ".draft/x.yaml": "this: [is, not, loaded\n"})
    assert load_inventory(root).site.id == "s"


def test_non_utf8_file_is_a_problem(write_site: Callable[..., Path]) -> None:
    root = write_site(BASE)
    (root / "gbk.yaml").write_bytes("site: {name: 番禺}".encode("gbk"))
    problems = _problems(root)
    assert any("gbk.yaml: not UTF-8" in p for p in problems)


def test_flows_and_waivers_are_checked(write_site: Callable[..., Path]) -> None:
    root = write_site({
        **BASE,
        "policy.yaml": """
            flows:
              - {name: web, source: internet, target: outer, services: [{proto: tcp, ports: [443]}]}
              - {name: ok, source: outer, target: inner, via: [fw9], services: [{proto: udp}]}
              - {name: ok, source: outer, target: inner, services: []}
            waivers:
              - {finding: firewall.x-1234abcd, reason: accepted, expires: 2026-13-01}
              - {finding: firewall.x-1234abcd, reason: accepted, owner: 王工, expires: 2027-01-01}
        """,
    })
    problems = _problems(root)
    assert any("policy.yaml:2: flow web: unknown zone 'internet'" in p for p in problems)
    assert any("policy.yaml:3: flow ok: unknown device 'fw9'" in p for p in problems)
    assert any("policy.yaml:4: flow ok: services: name at least one service" in p
               for p in problems)
    assert any("policy.yaml:6: waiver: missing required key 'owner'" in p for p in problems)
    assert any("policy.yaml:6: waiver: expires:" in p for p in problems)
    assert len(problems) == 5, problems
