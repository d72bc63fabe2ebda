from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from egovops.load import load_inventory
from egovops.metrics import catalog
from egovops.metrics.collectors import build_registry, isolation_pairs, probe_registry
from egovops.metrics.sources import (
    audit_inventory,
    last_successes,
    latest_snapshot,
    read_site_state,
    snapshot_folders,
)
from egovops.metrics.state import SiteState, StateStore
from egovops.topology import analyze_resilience
from tests.conftest import EXAMPLE, MINI
from tests.unit.metrics.helpers import NOW, breach_site, write_mini_snapshot

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: bytes) -> Samples:
    out: Samples = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_example_site_exports_inventory_audit_and_topology() -> None:
    inv = load_inventory(EXAMPLE)
    state = SiteState(inventory=inv, audit=audit_inventory(inv, 1000.0),
                      resilience=analyze_resilience(inv))
    found = samples(generate_latest(build_registry(state)))
    assert value(found, "egovops_backbone_nodes", tier="1") == 1
    assert value(found, "egovops_backbone_nodes", tier="2") == 23
    assert value(found, "egovops_backbone_nodes", tier="3") == 56
    assert value(found, "egovops_isolation_violations", zone="inner", peer="outer") == 0
    assert value(found, "egovops_audit_last_run_timestamp_seconds") == 1000.0
    assert value(found, "egovops_circuit_rate_bytes", circuit="gd-province-e1",
                 peer="province") == 2_000_000 / 8
    assert value(found, "egovops_backbone_single_points_of_failure", zone="outer",
                 kind="device") > 0
    names = {name for name, _ in found}
    assert all(n.startswith("egovops_") for n in names)
    assert len([n for n, _ in found if n == "egovops_device_info"]) == len(inv.devices)


def test_snapshot_state_devices_interfaces_links(tmp_path: Path) -> None:
    snaps = tmp_path / "snaps"
    write_mini_snapshot(snaps, NOW - timedelta(hours=1), agg_ok=True)
    write_mini_snapshot(snaps, NOW, core_if_up=False)
    assert len(snapshot_folders(snaps, "mini")) == 2
    state = read_site_state(MINI, snapshot_dir=snaps)
    found = samples(generate_latest(build_registry(state)))
    assert value(found, "egovops_device_up", device="core-sw", zone="outer", tier="1") == 1
    assert value(found, "egovops_device_up", device="agg-sw", zone="outer", tier="2") == 0
    # agg-sw failed now, but the older snapshot collected it
    assert value(found, "egovops_device_last_collection_success_timestamp_seconds",
                 device="agg-sw") == (NOW - timedelta(hours=1)).timestamp()
    assert value(found, "egovops_interface_up", device="core-sw", interface="GE0/0/1") == 0
    assert value(found, "egovops_interface_speed_bytes", device="fw1",
                 interface="eth0") == 100e6 / 8
    link = "core-sw:GE0/0/1--agg-sw:GE0/0/1"
    assert value(found, "egovops_link_up", link=link, zone="outer") == 0
    assert value(found, "egovops_link_speed_bytes", link=link, zone="outer") == 1e9 / 8
    assert value(found, "egovops_collection_duration_seconds") == 4
    assert value(found, "egovops_collection_devices", result="failed") == 1
    assert value(found, "egovops_collection_errors", kind="timeout") == 1


def test_isolation_violation_by_zone_pair(tmp_path: Path) -> None:
    state = read_site_state(breach_site(tmp_path / "site"))
    found = samples(generate_latest(build_registry(state)))
    assert value(found, "egovops_isolation_violations", zone="inner", peer="outer") >= 1
    assert value(found, "egovops_audit_findings", check="isolation.physical-link",
                 severity="critical") == 1
    assert value(found, "egovops_audit_findings", check="isolation.wireless",
                 severity="critical") == 0


def test_isolation_pair_orders_by_strictest_zone() -> None:
    inv = load_inventory(MINI)
    assert isolation_pairs(inv, ("outer", "inner")) == ("inner", "outer")
    assert isolation_pairs(inv, ("inner",)) == ("inner", "external")
    assert isolation_pairs(inv, ("outer", "internet")) == ("outer", "internet")


def test_collect_on_scrape_reads_the_current_state(tmp_path: Path) -> None:
    store = StateStore()
    registry = build_registry(store.get, jobs=True)
    assert b"egovops_site_info{" not in generate_latest(registry)
    store.update(inventory=load_inventory(MINI))
    assert b'egovops_site_info{name="' in generate_latest(registry)


def test_registries_are_fresh_and_never_global() -> None:
    from prometheus_client import REGISTRY

    before = set(REGISTRY._names_to_collectors)
    one, two = build_registry(SiteState()), build_registry(SiteState())
    assert one is not two and one is not REGISTRY
    assert set(REGISTRY._names_to_collectors) == before


def test_describe_lists_every_catalog_name_once() -> None:
    registry = build_registry(SiteState(), jobs=True)
    names = set(registry._names_to_collectors)
    for spec in catalog.CATALOG:
        assert spec.name in names, spec.name
    assert len({s.name for s in catalog.CATALOG}) == len(catalog.CATALOG)


def test_probe_registry_one_device(tmp_path: Path) -> None:
    write_mini_snapshot(tmp_path, NOW)
    state = SiteState(inventory=load_inventory(MINI), snapshot=latest_snapshot(tmp_path, "mini"),
                      last_success=last_successes(tmp_path, "mini"))
    found = samples(generate_latest(probe_registry(lambda: state, "core-sw")))
    assert value(found, "egovops_device_up", device="core-sw", zone="outer", tier="1") == 1
    assert {dict(labels).get("device") for _, labels in found} == {"core-sw"}
