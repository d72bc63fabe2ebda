"""The lab: a small government network of Linux network namespaces, built from an inventory."""

from egovops.lab.build import LabStatus, NodeStatus, lab_down, lab_status, lab_up
from egovops.lab.plan import LabError, LabPlan, NodePlan, Veth, ns_prefix, plan_lab
from egovops.lab.system import System

__all__ = [
    "LabError",
    "LabPlan",
    "LabStatus",
    "NodePlan",
    "NodeStatus",
    "System",
    "Veth",
    "lab_down",
    "lab_status",
    "lab_up",
    "ns_prefix",
    "plan_lab",
]
