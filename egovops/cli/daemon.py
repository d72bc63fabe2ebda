"""``egovops daemon SITE``: scheduled collection, audit and PKI scan, served to Prometheus.

Runs in the foreground (systemd ``Type=notify``), logs JSON lines on stderr, exits 0 after
SIGTERM once the running jobs finished, 2 on bad input (configuration, listen address).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from egovops.daemon.logs import setup_json_logging
from egovops.daemon.service import Daemon
from egovops.metrics.render import DEFAULT_LISTEN


def daemon(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory", show_default=False)],
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", envvar="EGOVOPS_DAEMON_CONFIG",
        help="daemon configuration (YAML); defaults apply without one")] = None,
    listen: Annotated[str | None, typer.Option(
        "--listen", envvar="EGOVOPS_LISTEN",
        help=f"HOST:PORT to serve /metrics on (default {DEFAULT_LISTEN})")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logs")] = False,
) -> None:
    """Run the metrics daemon: scheduled jobs and /metrics, /probe, /-/healthy, /-/ready."""
    setup_json_logging(logging.DEBUG if verbose else logging.INFO)
    service = Daemon(path, config, listen)
    service.install_signal_handlers()
    service.run()
