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
