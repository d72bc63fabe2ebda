"""Reporters: render an :class:`~egovops.model.findings.AuditResult`; they never compute."""

from egovops.report.jsonreport import result_json

__all__ = ["result_json"]
