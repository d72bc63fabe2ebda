from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.load import load_inventory
from egovops.load.policy import PolicyError, load_policy
from egovops.model.findings import Severity
from tests.conftest import EXAMPLE, REPO

POLICIES = REPO / "policies"


def test_baseline_loads_against_the_example() -> None:
    policy = load_policy(POLICIES, load_inventory(EXAMPLE))
    names = {r.name for r in policy.risky_services}
    assert {"telnet", "ftp", "tftp", "snmp-v1-v2c", "smb-netbios", "rdp"} <= names
    telnet = next(r for r in policy.risky_services if r.name == "telnet")
    assert telnet.level is Severity.HIGH
    assert str(telnet.services[0]) == "tcp/23"
    assert policy.require_default_deny
    assert policy.mlps == {}  # the registry names every check's clauses; no overrides


def test_mlps_overrides_are_validated_with_lines(write_site: Callable[..., Path]) -> None:
    root = write_site({"firewall.yaml": """
            mlps:
              firewall.deny-logging: ["8.1.3.5 a)", "8.1.4.3 a)"]
              firewall.default-deny: "8.1.3.2 a)"
              firewall.no-such-check: "8.1.3.2 a)"
              firewall.shadowed: "8.1.3.2 z)"
        """}, name="p")
    with pytest.raises(PolicyError) as info:
        load_policy(root, load_inventory(EXAMPLE))
    rendered = [str(p) for p in info.value.problems]
    assert any("firewall.yaml:4: mlps: unknown check 'firewall.no-such-check'" in p
               for p in rendered), rendered
    assert any("firewall.yaml:5: mlps: firewall.shadowed: unknown MLPS clause '8.1.3.2 z)'"
               in p for p in rendered), rendered
    assert len(rendered) == 2
    good = write_site({"firewall.yaml": """
            mlps:
              firewall.deny-logging: ["8.1.3.5 a)", "8.1.4.3 a)"]
              firewall.default-deny: "8.1.3.2 a)"
        """}, name="q")
    policy = load_policy(good, load_inventory(EXAMPLE))
    assert policy.mlps == {"firewall.deny-logging": ("8.1.3.5 a)", "8.1.4.3 a)"),
                           "firewall.default-deny": ("8.1.3.2 a)",)}


def test_problems_with_lines(write_site: Callable[..., Path]) -> None:
    root = write_site({
        "firewall-a.yaml": """
            policy: {management_zone: mgmt, colour: red}
            risky_services:
              - {name: telnet, services: [{proto: tcp, ports: [70000]}]}
              - {name: x, services: [{proto: carrier-pigeon}]}
        """,
        "firewall-b.yaml": """
            rules: []
        """,
    }, name="policies")
    with pytest.raises(PolicyError) as info:
        load_policy(root, load_inventory(EXAMPLE))
    rendered = [str(p) for p in info.value.problems]
    too_big = "services[0].ports[0]: Input should be less than or equal to 65535"
    assert any(f"firewall-a.yaml:3: risky service telnet: {too_big}" in p
               for p in rendered), rendered
    assert any("firewall-a.yaml:4: risky service x: services[0].proto" in p for p in rendered)
    assert any("firewall-b.yaml:1: unknown section 'rules'" in p for p in rendered)
    assert any("firewall-a.yaml:1: policy: colour" in p for p in rendered)
    assert not any("at least one service" in p for p in rendered)  # no knock-on complaints
    assert len(rendered) == len(set(rendered))


def test_zones_the_site_lacks_are_not_errors(write_site: Callable[..., Path]) -> None:
    # one baseline serves every site; a site without such a zone has nothing to check there
    root = write_site({"firewall.yaml": "policy: {management_zone: mgmt}\n"}, name="p")
    assert load_policy(root, load_inventory(EXAMPLE)).management_zone == "mgmt"
