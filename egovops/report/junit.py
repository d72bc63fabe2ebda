"""JUnit XML for cron and CI: one test suite per check, one failing test case per finding.

A check without findings is one passing test case, so dashboards see what was proven too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from egovops.audit.registry import localize
from egovops.model.findings import AuditResult, Finding
from egovops.report.base import ReportContext


@dataclass(frozen=True)
class JUnitReporter:
    """``--format junit``."""

    name: str = "junit"

    def render(self, result: AuditResult, ctx: ReportContext) -> str:
        by_check: dict[str, list[Finding]] = {c: [] for c in result.checks}
        for finding in result.findings:
            by_check.setdefault(finding.check, []).append(finding)
        root = ET.Element("testsuites", {
            "name": f"egovops audit {ctx.site_id}",
            "tests": str(sum(max(1, len(f)) for f in by_check.values())),
            "failures": str(len(result.findings)),
            "errors": "0",
            "timestamp": ctx.generated.isoformat(timespec="seconds"),
        })
        for check, findings in by_check.items():
            suite = ET.SubElement(root, "testsuite", {
                "name": check,
                "tests": str(max(1, len(findings))),
                "failures": str(len(findings)),
                "errors": "0",
                "skipped": "0",
                "timestamp": ctx.generated.isoformat(timespec="seconds"),
            })
            if not findings:
                ET.SubElement(suite, "testcase", {"classname": check, "name": "no findings"})
                continue
            for f in findings:
                text = localize(f, ctx.lang)
                case = ET.SubElement(suite, "testcase", {
                    "classname": check, "name": f"{f.subject} [{f.id}]",
                    **({"file": f.origin.rsplit(":", 1)[0]} if f.origin else {}),
                })
                failure = ET.SubElement(case, "failure", {
                    "type": f.severity.label, "message": text.title,
                })
                failure.text = "\n".join(line for line in (
                    text.evidence,
                    f"remediation: {text.remediation}",
                    f"origin: {f.origin}" if f.origin else "",
                    f"mlps: {text.mlps}" if text.mlps else "",
                ) if line)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
