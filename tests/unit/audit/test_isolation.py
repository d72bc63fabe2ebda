from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from egovops.audit import ISOLATION_CHECKS, run_checks
from egovops.audit.base import AuditContext
from egovops.cli.main import main
from egovops.load import load_inventory
from egovops.model.findings import AuditResult, Severity
from tests.conftest import EXAMPLE

SITE = """
site: {id: t, name: 测试区}
zones:
  - {id: inner, kind: inner, prefixes: [10.10.0.0/16]}
  - {id: outer, kind: outer, prefixes: [10.20.0.0/16], gateways: [fw]}
  - {id: internet, kind: internet}
defaults:
  device: {platform: linux}
devices:
  - {id: in-sw, role: switch, zone: inner, interfaces: [{name: p1}, {name: p2}, {name: p3}]}
  - {id: in-pc, role: host, zone: inner, interfaces: [{name: eth0, addresses: [10.10.1.5/24]}]}
  - {id: out-sw, role: switch, zone: outer, interfaces: [{name: p1}, {name: p2}, {name: p3}]}
  - id: fw
    role: firewall
    zone: outer
    interfaces: [{name: in}, {name: out, zone: internet}]
  - {id: isp, role: router, zone: internet, interfaces: [{name: a}, {name: b}]}
  - id: diode
    role: data-diode
    platform: data_diode
    zone: outer
    transfer: {source: outer, target: inner}
    interfaces: [{name: low}, {name: high, zone: inner}]
links:
  - {a: in-sw:p1, b: in-pc:eth0, bandwidth: 1G}
  - {a: out-sw:p1, b: fw:in, bandwidth: 1G}
  - {a: fw:out, b: isp:a, bandwidth: 1G}
  - {a: out-sw:p2, b: diode:low, bandwidth: 1G}
  - {a: diode:high, b: in-sw:p2, bandwidth: 1G}
"""


def _audit(write_site: Callable[..., Path], extra: str = "") -> AuditResult:
    root = write_site({"site.yaml": SITE, "extra.yaml": extra or "devices: []\n"})
    return run_checks(ISOLATION_CHECKS, AuditContext(load_inventory(root)))


def _checks(result: AuditResult) -> list[str]:
    return sorted(f.check for f in result.findings)


def test_clean_site_with_a_declared_diode_passes(write_site: Callable[..., Path]) -> None:
    result = _audit(write_site)
    assert result.findings == ()
    assert len(result.checks) == len(ISOLATION_CHECKS)


def test_link_from_inner_to_outer_is_critical(write_site: Callable[..., Path]) -> None:
    result = _audit(write_site, "links:\n  - {a: in-sw:p3, b: out-sw:p3, bandwidth: 1G}\n")
    (finding,) = result.findings
    assert finding.check == "isolation.physical-link"
    assert finding.severity is Severity.CRITICAL
    assert finding.origin.endswith("extra.yaml:2")
    assert finding.zones == ("inner", "outer")
    assert "8.1.3.1" in finding.mlps


def test_diode_declared_for_other_zones_does_not_excuse(write_site: Callable[..., Path]) -> None:
    extra = """
zones:
  - {id: dmz, kind: dmz}
devices:
  - id: diode2
    role: data-diode
    platform: data_diode
    zone: outer
    transfer: {source: outer, target: dmz}
    interfaces: [{name: low}, {name: high, zone: inner}]
links:
  - {a: diode2:high, b: in-sw:p3, bandwidth: 1G}
"""
    result = _audit(write_site, extra)
    assert _checks(result) == ["isolation.shared-device"]
    # the link from diode2:high (zone inner) to in-sw (inner) stays inside inner


def test_shared_device_wireless_circuit_and_address(write_site: Callable[..., Path]) -> None:
    extra = """
devices:
  - id: dual-pc
    role: host
    zone: inner
    mgmt: 10.20.9.9
    interfaces:
      - {name: eth0, addresses: [10.10.2.2/24]}
      - {name: eth1, zone: outer}
      - {name: wlan0, kind: wireless}
circuits:
  - {id: c1, provider: 中国电信, circuit_id: GZ-001, rate: 10M, endpoint: dual-pc:eth0, peer: isp}
"""
    result = _audit(write_site, extra)
    assert _checks(result) == [
        "isolation.address-plan",
        "isolation.circuit",
        "isolation.shared-device",
        "isolation.wireless",
    ]
    assert result.findings[0].severity is Severity.CRITICAL  # worst first


def test_bypass_of_the_gateway(write_site: Callable[..., Path]) -> None:
    result = _audit(write_site, "links:\n  - {a: out-sw:p3, b: isp:b, bandwidth: 100M}\n")
    (finding,) = result.findings
    assert finding.check == "isolation.gateway-bypass"
    assert "out-sw -> isp" in finding.evidence
    # stable id across runs
    assert finding.id == _audit(write_site, "links:\n  - {a: out-sw:p3, b: isp:b, "
                                            "bandwidth: 100M}\n").findings[0].id


def test_cli_exit_codes(write_site: Callable[..., Path], capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps table cells at 80 columns otherwise
    root = write_site({"site.yaml": SITE,
                       "extra.yaml": "links:\n  - {a: in-sw:p3, b: out-sw:p3, bandwidth: 1G}\n"})
    assert main(["--lang", "en", "audit", "isolation", str(root)]) == 1
    assert "link joins inner and outer" in capsys.readouterr().out
    assert main(["audit", "isolation", str(root), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["critical"] == 1
    assert main(["audit", "isolation", str(root), "--fail-on", "nonsense"]) == 2
    assert "unknown severity" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["junit", "sarif", "html", "json"])
def test_cli_writes_reports(write_site: Callable[..., Path], tmp_path: Path, fmt: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    root = write_site({"site.yaml": SITE,
                       "extra.yaml": "links:\n  - {a: in-sw:p3, b: out-sw:p3, bandwidth: 1G}\n"})
    target = tmp_path / "reports" / f"audit.{fmt}"
    assert main(["audit", "isolation", str(root), "-f", fmt, "-o", str(target)]) == 1
    assert capsys.readouterr().out == ""
    text = target.read_text(encoding="utf-8")
    assert "isolation.physical-link" in text


def test_example_district_is_isolated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "audit", "isolation", str(EXAMPLE)]) == 0
    assert "no findings" in capsys.readouterr().out
