"""Audits: checks over the model (and, as they land, parsed device configs) → findings.

Audits never print; reporters and the CLI render :class:`~egovops.model.findings.AuditResult`.
"""

from egovops.audit.engine import run_checks
from egovops.audit.isolation import ISOLATION_CHECKS

__all__ = ["ISOLATION_CHECKS", "run_checks"]
