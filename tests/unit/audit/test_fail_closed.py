"""Audits fail closed (#12): no boundary device is passed without being read.

On ``tests/data/inventories/fw-series`` (fw-border then fw-dmz in series), through the CLI
with exit codes: an emptied border configuration, a gateway without ``config:``, a router
touching two zones, grammar damage in one of two gateways, an unsupported construct in one of
two gateways (the audit goes on, the other is still proved), and ``--strict``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from egovops.audit.firewall import gateway_ruleset, zone_reach
from egovops.cli.main import main
from egovops.firewall.model import Action, Rule
from egovops.firewall.parsers import parse_config
from egovops.load import load_inventory

FW_SERIES = Path(__file__).resolve().parents[2] / "data" / "inventories" / "fw-series"
POLICIES = str(Path(__file__).resolve().parents[3] / "policies")
SKIPPED_LINE = '\t\tinclude "/nonexistent/egovops-extra.nft"\n'
"""A construct whose rules are unknown (a missing include): it taints the whole chain."""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    shutil.copytree(FW_SERIES, folder)
    return folder


def audit(capsys: pytest.CaptureFixture[str], site: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--lang", "en", "audit", "firewall", str(site), "--policy", POLICIES,
                 "-f", "json", *args])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out else {"err": out.err}


def by_check(data: dict, check: str) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in data["findings"] if f["check"] == check]


def test_the_unchanged_site_has_no_fail_closed_finding(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, data = audit(capsys, site)
    assert not [f for f in data["findings"] if f["check"].startswith("firewall.config-")
                or f["check"] == "firewall.parse-unsupported"]
    assert data["reach"] and not any("unproven" in r for r in data["reach"])


def test_emptied_border_config_is_critical_and_the_other_firewall_is_still_audited(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / "configs" / "fw-border.nft").write_text("", encoding="utf-8")
    code, data = audit(capsys, site)
    assert code == 1
    (empty,) = by_check(data, "firewall.config-empty")
    assert (empty["subject"], empty["severity"]) == ("fw-border:config", "critical")
    assert empty["origin"].endswith("configs/fw-border.nft")
    assert {r["device"] for r in data["reach"] if r["hook"]} == {"fw-dmz"}
    # a ruleset without rules and without a denying policy is empty too
    (site / "configs" / "fw-border.nft").write_text(
        "table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority "
        "filter; policy accept;\n\t}\n}\n", encoding="utf-8")
    code, data = audit(capsys, site)
    assert code == 1 and [f["subject"] for f in by_check(data, "firewall.config-empty")] == [
        "fw-border:config"]


def test_gateway_without_config_is_config_missing(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    devices = site / "devices.yaml"
    devices.write_text(devices.read_text(encoding="utf-8").replace(
        "    config: configs/fw-dmz.nft\n", ""), encoding="utf-8")
    code, data = audit(capsys, site, "--fail-on", "high")
    assert code == 1
    (missing,) = by_check(data, "firewall.config-missing")
    assert (missing["subject"], missing["severity"]) == ("fw-dmz:config", "high")
    assert missing["origin"].endswith("devices.yaml:32")  # fw-dmz's entry


def test_a_router_in_two_zones_is_a_boundary_device(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    devices = site / "devices.yaml"
    devices.write_text(devices.read_text(encoding="utf-8").replace(
        "      - {name: eth0, addresses: [203.0.113.1/30]}\n",
        "      - {name: eth0, addresses: [203.0.113.1/30]}\n"
        "      - {name: eth1, zone: outer, addresses: [10.20.9.1/30]}\n"), encoding="utf-8")
    _, data = audit(capsys, site)
    (missing,) = by_check(data, "firewall.config-missing")
    assert (missing["subject"], missing["severity"]) == ("isp-rt:config", "critical")


def test_grammar_damage_fails_only_that_device(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site / "configs" / "fw-dmz.nft").write_text("table inet filter {\n\tchain forward {\n",
                                                  encoding="utf-8")
    code, data = audit(capsys, site)
    assert code == 1
    (bad,) = by_check(data, "firewall.config-unreadable")
    assert bad["subject"] == "fw-dmz:config" and "fw-dmz.nft" in bad["evidence"]
    assert {r["device"] for r in data["reach"] if r["hook"]} == {"fw-border"}
    code, data = audit(capsys, site, "--strict")
    assert code == 2 and "fw-dmz.nft" in data["err"] and "Traceback" not in data["err"]


def test_unsupported_construct_in_one_of_two_gateways_warns_and_goes_on(
        site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dmz = site / "configs" / "fw-dmz.nft"
    lines = dmz.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "policy" in line) + 1
    lines.insert(at, SKIPPED_LINE)
    dmz.write_text("".join(lines), encoding="utf-8")
    code, data = audit(capsys, site, "--fail-on", "critical")
    (skip,) = by_check(data, "firewall.parse-unsupported")
    assert skip["origin"].endswith(f"fw-dmz.nft:{at + 1}")
    assert "egovops-extra.nft" in skip["evidence"] and "unproven" in skip["evidence"]
    assert skip["severity"] == "high"  # taints fw-dmz (transit/dmz boundary)
    assert code == (1 if any(f["severity"] == "critical" for f in data["findings"]) else 0)
    border = [r for r in data["reach"] if r["device"] == "fw-border" and r["hook"]]
    dmz_reach = [r for r in data["reach"] if r["device"] == "fw-dmz" and r["hook"]]
    assert border and not any("unproven" in r for r in border)  # still proved
    assert dmz_reach and all("unproven" in r for r in dmz_reach)
    composed = [r for r in data["reach"] if "fw-dmz" in {d for p in r["paths"] for d in p}]
    assert composed and all("unproven" in r for r in composed)
    # --strict: all or nothing, every construct listed
    code, data = audit(capsys, site, "--strict")
    assert code == 2 and f"fw-dmz.nft:{at + 1}" in data["err"]


def test_an_uncertain_rule_makes_only_its_reach_unproven() -> None:
    inv = load_inventory(FW_SERIES)
    device = inv.device_by_id["fw-border"]
    text = (FW_SERIES / "configs" / "fw-border.nft").read_text(encoding="utf-8")
    ruleset = parse_config(text, "fw-border.nft", "nftables")
    (forward,) = ruleset.chains

    def limited(r: Rule) -> Rule:
        if r.action is Action.ACCEPT and r.match.out_interfaces == ("eth2",):
            return replace(r, uncertain="-m limit --limit 5/s")
        return r

    changed = replace(ruleset, chains=(replace(forward, rules=tuple(
        limited(r) for r in forward.rules)),))
    exact = {(r.source, r.target): r for r in zone_reach([gateway_ruleset(inv, device,
                                                                          ruleset)])}
    bounded = {(r.source, r.target): r
               for r in zone_reach([gateway_ruleset(inv, device, changed)])}
    assert set(bounded) == set(exact)
    assert bounded[("outer", "internet")].unproven  # the limited rule's reach
    assert "proved: nothing" in bounded[("outer", "internet")].unproven
    assert bounded[("outer", "internet")].description == exact[("outer",
                                                                 "internet")].description
    assert not bounded[("outer", "transit")].unproven  # another rule: still proved
    assert all(not r.unproven for r in exact.values())
