"""``egovops plan …``: the emergency response plan (应急预案).

``plan status SITE`` evaluates every condition on what egovops holds and shows the candidate
level and why (exit 1 when it is at or above ``--fail-on``); ``plan render`` writes the alert
rules, their promtool tests, the Alertmanager example and the Grafana dashboard into
``deploy/`` (``--check`` only compares, exit 1 when stale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from egovops.cli.errors import EXIT_FINDINGS
from egovops.cli.metrics import CaDirOpt, PlanOpt, SnapshotDir, plan_path
from egovops.cli.state import OutputFormat, state
from egovops.errors import UsageError, display_path
from egovops.fsio import write_atomic
from egovops.load.policy import default_policy_dir
from egovops.metrics.plan import LEVEL_ORDER, LEVEL_RANK
from egovops.metrics.planfile import load_plan
from egovops.metrics.render import render_all
from egovops.metrics.sources import read_site_state

app = typer.Typer(help="Emergency response plan (应急预案): status, rules, dashboard.",
                  no_args_is_help=True)

STATE_STYLE = {"active": "bold red", "clear": "green", "unknown": "dim"}


def _fail_on(text: str) -> str:
    level = text.strip().upper()
    if level not in LEVEL_ORDER and level != "NONE":
        raise UsageError(f"unknown level {text!r}; choose one of I, II, III, IV, none")
    return level


@app.command()
def status(
    path: Annotated[Path, typer.Argument(help="site folder of the inventory", show_default=False)],
    plan: PlanOpt = None,
    snapshot_dir: SnapshotDir = Path("snapshots"),
    ca_dir: CaDirOpt = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="output format",
                                              case_sensitive=False)] = OutputFormat.TABLE,
    fail_on: Annotated[str, typer.Option(help="exit 1 when the candidate level is this or "
                                         "more severe (I, II, III, IV, none)")] = "IV",
) -> None:
    """Show the current candidate emergency level and the conditions behind it."""
    st = state()
    threshold = _fail_on(fail_on)
    plan_file = plan_path(plan, required=True)
    assert plan_file is not None
    the_plan = load_plan(plan_file)
    site_state = read_site_state(path, snapshot_dir=snapshot_dir, ca_dir=ca_dir,
                                 policy_dir=default_policy_dir(), plan=the_plan)
    evaluation = site_state.plan
    assert evaluation is not None
    level = the_plan.level(evaluation.level) if evaluation.level else None
    if fmt is OutputFormat.JSON:
        st.print_json({
            "level": evaluation.level,
            "color": level.color if level else None,
            "name": level.name if level else None,
            "conditions": [{"id": c.condition, "level": c.level, "category": c.category,
                            "active": c.active, "reason": c.reason}
                           for c in evaluation.conditions],
        })
    else:
        t = st.t
        if level is not None:
            owner = the_plan.owner(level.owner)
            st.out.print(t("plan.level", level=level.id, name=level.name, color=level.color),
                         highlight=False, markup=False)
            st.out.print(t("plan.deadline", response=level.response, report=level.report,
                           report_to=level.report_to, owner=owner.name),
                         highlight=False, markup=False)
        else:
            st.out.print(t("plan.none"), highlight=False, markup=False)
        table = Table(title=t("plan.conditions", count=len(evaluation.conditions)),
                      title_justify="left")
        for col in ("condition", "level", "state", "reason"):
            table.add_column(t(f"plan.col.{col}"), overflow="fold")
        for c in evaluation.conditions:
            word = "unknown" if c.active is None else "active" if c.active else "clear"
            table.add_row(c.condition, c.level,
                          f"[{STATE_STYLE[word]}]{escape(t(f'plan.state.{word}'))}[/]",
                          escape(c.reason))
        st.out.print(table)
    if (level is not None and threshold != "NONE"
            and LEVEL_RANK[level.id] >= LEVEL_RANK[threshold]):
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def render(
    plan: PlanOpt = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="deploy folder to write into")] =
    Path("deploy"),
    check: Annotated[bool, typer.Option("--check", help="only compare with the files in "
                                        "--out-dir; exit 1 when any differs")] = False,
) -> None:
    """Generate the Prometheus rules (+ promtool tests), Alertmanager example and Grafana
    dashboard from the plan."""
    st = state()
    plan_file = plan_path(plan, required=True)
    assert plan_file is not None
    files = render_all(load_plan(plan_file))
    stale = []
    for rel, text in files.items():
        target = out_dir / rel
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            continue
        stale.append(target)
        if not check:
            write_atomic(target, text)
    if check:
        for target in stale:
            st.err.print(st.t("plan.stale", path=display_path(target)), highlight=False,
                         markup=False, soft_wrap=True)
        if stale:
            raise typer.Exit(EXIT_FINDINGS)
        return
    st.out.print(st.t("plan.rendered", count=len(files), changed=len(stale),
                      path=display_path(out_dir)), highlight=False, markup=False)
