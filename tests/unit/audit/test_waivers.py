from __future__ import annotations

from datetime import date

from egovops.audit.engine import apply_waivers
from egovops.model.findings import AuditResult, Finding, Severity
from egovops.model.inventory import Origin, Waiver

TELNET = Finding(check="firewall.risky-service", severity=Severity.HIGH, title="telnet",
                 subject="fw:telnet", evidence="e", remediation="r")
RESULT = AuditResult(findings=(TELNET,), checks=("firewall.risky-service", "isolation.x"))


def _waiver(finding: str, expires: str) -> Waiver:
    return Waiver(finding=finding, reason="accepted by the office", owner="网络组",
                  expires=date.fromisoformat(expires), origin=Origin(file="w.yaml", line=3))


def test_current_waiver_moves_the_finding_aside() -> None:
    out = apply_waivers(RESULT, [_waiver(TELNET.id, "2026-12-31")], date(2026, 12, 31))
    assert out.findings == ()
    assert out.waived == (TELNET,)


def test_expired_waiver_stops_waiving_and_is_reported() -> None:
    out = apply_waivers(RESULT, [_waiver(TELNET.id, "2026-12-31")], date(2027, 1, 1))
    assert out.waived == ()
    checks = [f.check for f in out.findings]
    assert checks == ["firewall.risky-service", "audit.waiver-expired"]
    expired = out.findings[1]
    assert expired.severity is Severity.MEDIUM
    assert expired.origin == "w.yaml:3"
    assert "2026-12-31" in expired.title


def test_unused_waiver_is_info_and_other_checks_are_left_alone() -> None:
    waivers = [_waiver("firewall.risky-service-00000000", "2030-01-01"),
               _waiver("pki.expiring-12345678", "2020-01-01")]  # pki did not run: ignored
    out = apply_waivers(RESULT, waivers, date(2026, 11, 22))
    assert [(f.check, f.severity) for f in out.findings] == [
        ("firewall.risky-service", Severity.HIGH), ("audit.waiver-unused", Severity.INFO)]
