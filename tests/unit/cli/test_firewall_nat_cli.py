"""check-packet on a NAT gateway: the forward filter judges the translated packet (#12)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]

RULES = """\
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 198.51.100.10/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.30.1.5:8443
-A POSTROUTING -o wan0 -j MASQUERADE
COMMIT
*filter
:FORWARD DROP [0:0]
-A FORWARD -m set --match-set web src -d 10.30.1.5/32 -p tcp -m tcp --dport 8443 -j ACCEPT
-A FORWARD -d 198.51.100.10/32 -j REJECT
COMMIT
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.v4"
    path.write_text(RULES, encoding="utf-8")
    (tmp_path / "rules.v4.ipset").write_text(
        "create web hash:net family inet\nadd web 203.0.113.0/24\n", encoding="utf-8")
    return path


def test_dnat_happens_before_the_forward_filter(run: Run, rules: Path) -> None:
    code, out, _ = run("firewall", "check-packet", str(rules), "--src", "203.0.113.7",
                       "--dst", "198.51.100.10", "--dport", "443", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "accept"
    assert data["rule"]["source"].endswith("rules.v4:9")
    assert data["filtered"].startswith("tcp 203.0.113.7:40000 -> 10.30.1.5:8443")
    (nat,) = data["nat"]
    assert (nat["hook"], nat["translation"]) == ("prerouting", "dnat to 10.30.1.5:8443")


def test_without_translation_the_published_address_is_rejected(run: Run, rules: Path) -> None:
    code, out, _ = run("firewall", "check-packet", str(rules), "--src", "203.0.113.7",
                       "--dst", "198.51.100.10", "--dport", "80")
    assert code == 0
    assert "reject: decided by" in out and "rules.v4:10" in out


def test_ipset_members_come_from_the_companion_file(run: Run, rules: Path) -> None:
    code, out, _ = run("firewall", "check-packet", str(rules), "--src", "192.0.2.7",
                       "--dst", "198.51.100.10", "--dport", "443", "--format", "json")
    assert code == 0
    assert json.loads(out)["verdict"] == "drop"  # not in @web: the FORWARD policy
