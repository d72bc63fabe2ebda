"""A hook judges only the packets it sees (zone-pair policies, interface ACLs).

Before, every forwarding hook was asked about every flow: a zone-pair firewall's Trust->Untrust
policy "blocked" the Trust->DMZ flow with its final drop, so each required flow came out
blocked by every other pair's policy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from egovops.audit.engine import audit_firewall
from egovops.load import load_inventory

SITE = Path(__file__).resolve().parents[2] / "data" / "inventories" / "zone-pair"
POLICIES = Path(__file__).resolve().parents[3] / "policies"


def _required(site: Path) -> list[tuple[str, str]]:
    inv = load_inventory(site)
    result = audit_firewall(inv, POLICIES)
    return sorted((f.subject, f.title) for f in result.findings
                  if f.check == "firewall.required-flow")


def test_zone_pair_policies_do_not_block_other_pairs_flows() -> None:
    assert _required(SITE) == []


def test_a_flow_blocked_by_its_own_pair_is_reported_once(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    config = site / "configs" / "fw-h3c.cfg"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(
        " rule 0 pass source-ip UNITS destination-ip WEB service https",
        " rule 0 pass source-ip UNITS destination-ip WEB service ssh"), encoding="utf-8")
    found = _required(site)
    assert [subject for subject, _ in found] == [
        "fw-h3c:Trust-DMZ:Trust->DMZ:units use the website group"]


def test_a_required_flow_between_zones_without_a_zone_pair_is_blocked(tmp_path: Path) -> None:
    """Untrust -> Trust has no zone-pair policy: the firewall drops it, whatever the other
    pairs' policies say (none of them sees it)."""
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    with (site / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("  - name: the public reaches a unit server\n"
                "    source: internet\n"
                "    target: outer\n"
                "    dst: [10.20.0.11/32]\n"
                "    services: [{proto: tcp, ports: [443]}]\n"
                "    required: true\n")
    found = _required(site)
    assert found == [("fw-h3c:zone-pair:the public reaches a unit server",
                      "fw-h3c: required flow 'the public reaches a unit server' is blocked "
                      "(no zone-pair policy)")]
