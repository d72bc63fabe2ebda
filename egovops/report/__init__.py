"""Reporters: render an :class:`~egovops.model.findings.AuditResult`; they never compute."""

from egovops.report.base import ReportContext, Reporter
from egovops.report.html import HtmlReporter
from egovops.report.jsonreport import result_json
from egovops.report.junit import JUnitReporter
from egovops.report.sarif import SarifReporter

REPORTERS: dict[str, Reporter] = {
    r.name: r for r in (JUnitReporter(), SarifReporter(), HtmlReporter())
}
"""File reporters by ``--format`` name (table and json are rendered by the CLI)."""

__all__ = ["REPORTERS", "ReportContext", "Reporter", "result_json"]
