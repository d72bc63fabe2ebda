"""The metric catalog: every metric egovops exports, with its type, help text and labels.

This table is the only place metric names are written. The collectors
(:mod:`egovops.metrics.collectors`), the emergency-plan signals
(:mod:`egovops.metrics.signals`) and the generated dashboard refer to the entries here, so a
renamed metric cannot leave a rule or a panel behind. Names follow the Prometheus rules:
``egovops_`` prefix, base units (seconds, bytes), ``_total`` for counters, ``_info`` for
metadata whose value is always 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["gauge", "counter"]


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric family."""

    name: str
    """Full sample name; counters end in ``_total``."""
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """Family name as prometheus_client wants it (counters without ``_total``)."""
        return self.name.removesuffix("_total") if self.kind == "counter" else self.name


def _g(name: str, help_text: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, "gauge", help_text, labels)


def _c(name: str, help_text: str, *labels: str) -> MetricSpec:
    return MetricSpec(name, "counter", help_text, labels)


BUILD_INFO = _g("egovops_build_info", "egovops build metadata; always 1.",
                "version", "python_version")
SITE_INFO = _g("egovops_site_info", "The site egovops describes; always 1.", "site", "name")
ZONE_INFO = _g("egovops_zone_info", "Security zones of the site and their isolation "
               "requirement; always 1.", "zone", "kind", "isolation", "name")
BACKBONE_NODES = _g("egovops_backbone_nodes", "Backbone nodes per tier (1 core, "
                    "2 aggregation, 3 access).", "tier")
DEVICE_INFO = _g("egovops_device_info", "Devices of the inventory; always 1.",
                 "device", "zone", "role", "platform", "node", "tier", "vendor", "model")
DEVICE_UP = _g("egovops_device_up", "1 when the device was collected in the latest snapshot, "
               "0 when it failed.", "device", "zone", "tier")
DEVICE_LAST_SUCCESS = _g("egovops_device_last_collection_success_timestamp_seconds",
                         "Unix time of the last snapshot that collected the device.", "device")
INTERFACE_UP = _g("egovops_interface_up", "Operational state of an interface in the latest "
                  "snapshot (1 up, 0 down).", "device", "interface")
INTERFACE_SPEED = _g("egovops_interface_speed_bytes", "Interface speed reported by the device, "
                     "in bytes per second.", "device", "interface")
LINK_INFO = _g("egovops_link_info", "Declared links between device interfaces; always 1.",
               "link", "a_device", "a_interface", "b_device", "b_interface", "media", "zone")
LINK_UP = _g("egovops_link_up", "1 when both ends of a link are up in the latest snapshot.",
             "link", "zone")
LINK_SPEED = _g("egovops_link_speed_bytes", "Declared link bandwidth, in bytes per second.",
                "link", "zone")
CIRCUIT_UP = _g("egovops_circuit_up", "1 when the interface a leased circuit ends on is up in "
                "the latest snapshot.", "circuit", "peer", "provider")
CIRCUIT_RATE = _g("egovops_circuit_rate_bytes", "Committed rate of a leased circuit, in bytes "
                  "per second.", "circuit", "peer")
SPOF = _g("egovops_backbone_single_points_of_failure", "Devices and links whose loss alone cuts "
          "backbone nodes off from the core, per zone.", "zone", "kind")
ISOLATION_VIOLATIONS = _g("egovops_isolation_violations", "Isolation findings of the latest "
                          "audit by zone pair (zone: the zone whose isolation is broken; peer: "
                          "the other side, 'external' when the finding names one zone).",
                          "zone", "peer")
AUDIT_FINDINGS = _g("egovops_audit_findings", "Findings of the latest audit by check and "
                    "severity.", "check", "severity")
AUDIT_LAST_RUN = _g("egovops_audit_last_run_timestamp_seconds",
                    "Unix time the latest audit finished.")
CERTIFICATES = _g("egovops_certificates", "Certificates in the PKI ledger by profile, unit "
                  "and status (valid, expired, revoked).", "profile", "unit", "status")
CERT_NOT_AFTER = _g("egovops_certificate_not_after_timestamp_seconds", "Earliest notAfter (Unix "
                    "time) of the valid, unexpired certificates per profile and unit.",
                    "profile", "unit")
CRL_NEXT_UPDATE = _g("egovops_crl_next_update_timestamp_seconds",
                     "nextUpdate of the published CRL (Unix time).")
CRL_THIS_UPDATE = _g("egovops_crl_this_update_timestamp_seconds",
                     "thisUpdate of the published CRL (Unix time).")
CRL_NUMBER = _g("egovops_crl_number", "CRL number of the published CRL.")
CRL_REVOKED = _g("egovops_crl_revoked_certificates", "Entries in the published CRL.")
COLLECTION_DURATION = _g("egovops_collection_duration_seconds",
                         "Wall time of the collection run of the latest snapshot.")
COLLECTION_TIME = _g("egovops_collection_timestamp_seconds",
                     "Unix time the collection run of the latest snapshot finished.")
COLLECTION_DEVICES = _g("egovops_collection_devices", "Devices of the latest snapshot by "
                        "result (ok, failed).", "result")
COLLECTION_ERRORS = _g("egovops_collection_errors", "Devices that failed in the latest "
                       "snapshot, by error kind.", "kind")
EMERGENCY_LEVEL = _g("egovops_emergency_level", "Candidate emergency level from egovops' own "
                     "evaluation of the plan: 0 none, 1 IV (一般, blue), 2 III (较大, yellow), "
                     "3 II (重大, orange), 4 I (特别重大, red).")
EMERGENCY_CONDITION = _g("egovops_emergency_condition_active", "1 when a condition of the "
                         "emergency plan holds, 0 when it does not (absent when egovops cannot "
                         "evaluate it).", "condition", "incident_level", "incident_category")
JOB_RUNS = _c("egovops_job_runs_total", "Daemon job runs started.", "job")
JOB_FAILURES = _c("egovops_job_failures_total", "Daemon job runs that raised.", "job")
JOB_SKIPPED = _c("egovops_job_skipped_total", "Daemon job runs skipped because the previous run "
                 "of the same job was still going.", "job")
JOB_DURATION = _g("egovops_job_duration_seconds", "Wall time of the last finished run.", "job")
JOB_LAST_SUCCESS = _g("egovops_job_last_success_timestamp_seconds",
                      "Unix time the last successful run finished.", "job")
JOB_RUNNING = _g("egovops_job_running", "1 while a run of the job is in progress.", "job")
CRL_REISSUES = _c("egovops_crl_reissues_total", "CRLs the daemon re-issued before nextUpdate.")

CATALOG: tuple[MetricSpec, ...] = (
    BUILD_INFO, SITE_INFO, ZONE_INFO, BACKBONE_NODES, DEVICE_INFO, DEVICE_UP,
    DEVICE_LAST_SUCCESS, INTERFACE_UP, INTERFACE_SPEED, LINK_INFO, LINK_UP, LINK_SPEED,
    CIRCUIT_UP, CIRCUIT_RATE, SPOF, ISOLATION_VIOLATIONS, AUDIT_FINDINGS, AUDIT_LAST_RUN,
    CERTIFICATES, CERT_NOT_AFTER, CRL_NEXT_UPDATE, CRL_THIS_UPDATE, CRL_NUMBER, CRL_REVOKED,
    COLLECTION_DURATION, COLLECTION_TIME, COLLECTION_DEVICES, COLLECTION_ERRORS,
    EMERGENCY_LEVEL, EMERGENCY_CONDITION, JOB_RUNS, JOB_FAILURES, JOB_SKIPPED, JOB_DURATION,
    JOB_LAST_SUCCESS, JOB_RUNNING, CRL_REISSUES,
)
"""Every metric, in exposition order."""
