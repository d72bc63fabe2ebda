"""``egovops metrics …``: the Prometheus exposition of what egovops knows, once.

``egovops metrics dump SITE`` prints (or atomically writes, for node_exporter's textfile
collector) the same metrics ``egovops daemon`` serves, read from the inventory, the latest
snapshot, the PKI ledger and the emergency plan. Exit 0, or 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from prometheus_client.exposition import generate_latest

from egovops.cli.state import state
from egovops.load.policy import default_policy_dir
from egovops.metrics.collectors import build_registry
from egovops.metrics.planfile import load_plan
from egovops.metrics.sources import read_site_state

DEFAULT_PLAN = Path("policies/emergency-plan.yaml")

app = typer.Typer(help="Prometheus metrics: what egovops exports.", no_args_is_help=True)

SnapshotDir = Annotated[Path, typer.Option(
    "--snapshot-dir", "-d", help="parent folder of the snapshots", envvar="EGOVOPS_SNAPSHOT_DIR")]
CaDirOpt = Annotated[Path | None, typer.Option(
    "--ca-dir", envvar="EGOVOPS_PKI_DIR", help="CA directory (certificates and CRL metrics)")]
PlanOpt = Annotated[Path | None, typer.Option(
    "--plan", envvar="EGOVOPS_PLAN",
    help=f"emergency plan (default: {DEFAULT_PLAN} when it exists)")]


def plan_path(option: Path | None, required: bool = False) -> Path | None:
    """The plan file: the option, else the default when it exists (or when ``required``)."""
    if option is not None:
        return option
    return DEFAULT_PLAN if required or DEFAULT_PLAN.is_file() else None


@app.command()
def dump(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory", show_default=False)],
    snapshot_dir: SnapshotDir = Path("snapshots"),
    ca_dir: CaDirOpt = None,
    plan: PlanOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="write the exposition to this file atomically (node_exporter "
        "textfile collector) instead of stdout")] = None,
) -> None:
    """Print the Prometheus exposition once (for debugging and cron)."""
    st = state()
    plan_file = plan_path(plan)
    site_state = read_site_state(path, snapshot_dir=snapshot_dir, ca_dir=ca_dir,
                                 policy_dir=default_policy_dir(),
                                 plan=load_plan(plan_file) if plan_file else None)
    text = generate_latest(build_registry(site_state))
    st.emit(text, output)
