"""SARIF 2.1.0 for configuration repositories in code scanning: one rule per check, one result
per finding located at its ``file:line``, with the stable finding id as a fingerprint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from egovops.audit.registry import localize, registry
from egovops.model.findings import AuditResult, Finding, Severity
from egovops.report.base import ReportContext

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {  # GitHub code scanning reads this property (0.0-10.0)
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _location(finding: Finding) -> list[dict[str, Any]]:
    if not finding.origin:
        return []
    file, _, line = finding.origin.rpartition(":")
    if not file or not line.isdigit():
        file, line = finding.origin, "0"
    physical: dict[str, Any] = {"artifactLocation": {"uri": file}}
    if int(line) > 0:
        physical["region"] = {"startLine": int(line)}
    return [{"physicalLocation": physical}]


@dataclass(frozen=True)
class SarifReporter:
    """``--format sarif``."""

    name: str = "sarif"

    def render(self, result: AuditResult, ctx: ReportContext) -> str:
        checks = list(dict.fromkeys([*result.checks, *(f.check for f in result.findings)]))
        first: dict[str, Finding] = {}
        for f in result.findings:
            first.setdefault(f.check, f)
        rules = []
        reg = registry()
        for check in checks:
            declared = reg.get(check)
            rule: dict[str, Any] = {"id": check, "name": check.replace(".", "/"),
                                    "shortDescription": {"text": declared.about[ctx.lang]
                                                         if declared else check}}
            sample = first.get(check)
            if sample is not None:
                text = localize(sample, ctx.lang)
                rule["fullDescription"] = {"text": text.title}
                rule["help"] = {"text": text.remediation}
                rule["properties"] = {"tags": ["security", "egovops"], "mlps": text.mlps}
            rules.append(rule)
        index = {check: i for i, check in enumerate(checks)}
        texts = [localize(f, ctx.lang) for f in result.findings]
        results = [
            {
                "ruleId": f.check,
                "ruleIndex": index[f.check],
                "level": LEVELS[f.severity],
                "message": {"text": f"{texts[i].title}: {texts[i].evidence}"},
                "locations": _location(f),
                "partialFingerprints": {"egovopsFindingId/v1": f.id},
                "properties": {
                    "severity": f.severity.label,
                    "security-severity": SECURITY_SEVERITY[f.severity],
                    "subject": f.subject,
                    "remediation": texts[i].remediation,
                    "mlps": texts[i].mlps,
                    "zones": list(f.zones),
                    **({"unproven": f.unproven} if f.unproven else {}),
                },
            }
            for i, f in enumerate(result.findings)
        ]
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "egovops",
                    "version": ctx.version,
                    "rules": rules,
                }},
                "invocations": [{
                    "executionSuccessful": True,
                    "endTimeUtc": ctx.generated.isoformat(timespec="seconds")
                    .replace("+00:00", "Z"),
                }],
                "automationDetails": {"id": f"egovops/{ctx.site_id}/"},
                "results": results,
            }],
        }
        return json.dumps(log, ensure_ascii=False, indent=2) + "\n"
