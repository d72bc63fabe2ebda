"""``egovops inventory …``: validate, show, stats, analyze, graph, export, schema.

Thin boundary: parse options, call the library, render. Every read command takes
``--format json``.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from egovops.cli.errors import EXIT_INPUT
from egovops.cli.state import OutputFormat, State, state
from egovops.errors import InventoryError, UsageError, display_path
from egovops.export import (
    ansible_inventory,
    inventory_json,
    render_dot,
    render_image,
    site_file_schema,
)
from egovops.load import load_inventory
from egovops.load.warnings import config_warnings
from egovops.model import Inventory, format_rate
from egovops.topology import (
    analyze_resilience,
    build_graph,
    check_tiers,
    inventory_stats,
    oversubscription,
    zone_connectivity,
)

app = typer.Typer(help="Inventory: the network's source of truth (zones, nodes, units, devices, "
                  "links, circuits).", no_args_is_help=True)
export_app = typer.Typer(help="Generate artefacts from the inventory.", no_args_is_help=True)
app.add_typer(export_app, name="export")

PathArg = Annotated[
    Path,
    typer.Argument(help="site folder (or one YAML file) of the inventory", show_default=False),
]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="output format", case_sensitive=False)
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="write to this file (atomically) instead of stdout"),
]
TABLE_LIMIT = 40


class Section(StrEnum):
    """What ``inventory show`` lists."""

    SITE = "site"
    ZONES = "zones"
    LOCATIONS = "locations"
    NODES = "nodes"
    UNITS = "units"
    DEVICES = "devices"
    LINKS = "links"
    CIRCUITS = "circuits"


class GraphFormat(StrEnum):
    """Output formats of ``inventory graph``."""

    DOT = "dot"
    SVG = "svg"
    PNG = "png"
    JSON = "json"


class GraphLevel(StrEnum):
    """Granularity of ``inventory graph``."""

    DEVICES = "devices"
    NODES = "nodes"




@app.command()
def validate(path: PathArg, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Load and check an inventory; print every problem with file:line (exit 2 if any), and
    warnings (a config: file that does not exist) that do not change the exit code."""
    st = state()
    try:
        inv = load_inventory(path)
    except InventoryError as exc:
        if fmt is not OutputFormat.JSON:
            raise
        st.print_json({"valid": False, "path": str(path), "summary": exc.summary,
                       "problems": [asdict(p) for p in exc.problems]})
        raise typer.Exit(EXIT_INPUT) from None
    warnings = config_warnings(inv)
    if fmt is OutputFormat.JSON:
        st.print_json({"valid": True, "path": str(path), "problems": [],
                       "counts": _counts(inv),
                       **({"warnings": [asdict(w.problem) for w in warnings]}
                          if warnings else {})})
        return
    for w in warnings:
        st.err.print(st.t("validate.config_missing", where=w.problem.location(),
                          device=w.device, path=w.path),
                     highlight=False, markup=False, soft_wrap=True)
    st.out.print(st.t("valid", path=display_path(path), **_counts(inv)), highlight=False,
                 markup=False)


def _counts(inv: Inventory) -> dict[str, int]:
    return {
        "zones": len(inv.zones),
        "nodes": len(inv.nodes),
        "units": len(inv.units),
        "devices": len(inv.devices),
        "links": len(inv.links),
        "circuits": len(inv.circuits),
    }


@app.command()
def show(
    path: PathArg,
    what: Annotated[Section, typer.Argument(help="what to list")] = Section.SITE,
    zone: Annotated[str | None, typer.Option(help="only this zone")] = None,
    tier: Annotated[int | None, typer.Option(help="only nodes (and their devices) of this tier",
                                             min=1, max=3)] = None,
    node: Annotated[str | None, typer.Option(help="only this backbone node")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """List one part of the inventory (site overview, zones, nodes, units, devices, …)."""
    st = state()
    inv = load_inventory(path)
    rows = _select(inv, what, zone=zone, tier=tier, node=node)
    if fmt is OutputFormat.JSON:
        st.print_json(rows)
        return
    _render_section(st, inv, what, rows)


def _select(
    inv: Inventory, what: Section, *, zone: str | None, tier: int | None, node: str | None
) -> Any:
    data = inventory_json(inv, origins=True)
    if what is Section.SITE:
        return {"site": data["site"], "counts": _counts(inv),
                "zones": [z["id"] for z in data["zones"]]}
    items: list[dict[str, Any]] = data[what.value]

    def node_ok(node_id: str | None) -> bool:
        if node is not None and node_id != node:
            return False
        return tier is None or (node_id is not None and int(inv.node_by_id[node_id].tier) == tier)

    if what is Section.NODES:
        items = [n for n in items if node_ok(n["id"])]
    elif what is Section.UNITS:
        items = [u for u in items if node_ok(u["node"]) and (zone is None or zone in u["networks"])]
    elif what is Section.DEVICES:
        items = [d for d in items if (zone is None or d["zone"] == zone)
                 and ((node is None and tier is None) or node_ok(d.get("node")))]
    elif what is Section.ZONES and zone is not None:
        items = [z for z in items if z["id"] == zone]
    return items


def _table(st: State, title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left", highlight=False)
    for col in columns:
        table.add_column(st.t(f"col.{col}"), overflow="fold")
    return table


def _render_section(st: State, inv: Inventory, what: Section, rows: Any) -> None:
    t = st.t
    if what is Section.SITE:
        table = _table(st, t("site"), ["figure", "value"])
        site = inv.site
        table.add_row(t("col.id"), site.id)
        table.add_row(t("col.name"), site.name)
        if site.location:
            table.add_row(t("col.location"), inv.location_by_id[site.location].name)
        for key, value in _counts(inv).items():
            table.add_row(t(f"stat.{key}"), str(value))
        st.out.print(table)
        _render_section(st, inv, Section.ZONES, inventory_json(inv)["zones"])
        return
    spec: dict[Section, tuple[list[str], Any]] = {
        Section.ZONES: (["id", "name", "kind", "isolation", "gateways", "prefixes"],
                        lambda r: [r["id"], r.get("name", ""), r["kind"], r["isolation"],
                                   ", ".join(r.get("gateways", [])),
                                   ", ".join(r.get("prefixes", []))]),
        Section.LOCATIONS: (["id", "name", "kind", "location"],
                            lambda r: [r["id"], r["name"], r["level"], r.get("parent", "")]),
        Section.NODES: (["id", "name", "tier", "location"],
                        lambda r: [r["id"], r["name"], str(r["tier"]), r.get("location", "")]),
        Section.UNITS: (["id", "name", "kind", "node", "networks", "bandwidth"],
                        lambda r: [r["id"], r["name"], r["kind"], r["node"],
                                   ", ".join(r["networks"]), r["bandwidth"]]),
        Section.DEVICES: (["id", "role", "platform", "zone", "node", "mgmt"],
                          lambda r: [r["id"], r["role"], r["platform"], r["zone"],
                                     r.get("node", ""), r.get("mgmt", "")]),
        Section.LINKS: (["a", "b", "media", "bandwidth", "cores", "km"],
                        lambda r: [_ep(r["a"]), _ep(r["b"]), r["media"], r["bandwidth"],
                                   str(r.get("cores", "")), str(r.get("length_km", ""))]),
        Section.CIRCUITS: (["id", "provider", "circuit_id", "rate", "endpoint", "peer"],
                           lambda r: [r["id"], r["provider"], r["circuit_id"], r["rate"],
                                      _ep(r["endpoint"]), r["peer"]]),
    }
    columns, row = spec[what]
    table = _table(st, f"{t(what.value)} ({len(rows)})", columns)
    for item in rows:
        table.add_row(*row(item))
    st.out.print(table)


def _ep(ep: dict[str, str]) -> str:
    return f"{ep['device']}:{ep['interface']}"


@app.command()
def stats(path: PathArg, fmt: FormatOpt = OutputFormat.TABLE) -> None:
    """Figures of the site: nodes by tier, units, devices, links, fibre core-km, bandwidths."""
    st = state()
    inv = load_inventory(path)
    figures = inventory_stats(inv)
    if fmt is OutputFormat.JSON:
        st.print_json(figures)
        return
    t = st.t
    table = _table(st, f"{t('site')}: {inv.site.name}", ["figure", "value"])
    for key, value in figures.items():
        if key == "site":
            continue
        label_key = f"stat.{key}"
        table.add_row(t(label_key) if t.has(label_key) else key, _figure(value))
    st.out.print(table)


def _figure(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


@app.command()
def analyze(
    path: PathArg,
    zone: Annotated[str | None, typer.Option(help="only this zone's resilience")] = None,
    fmt: FormatOpt = OutputFormat.TABLE,
) -> None:
    """Topology analysis: tier rules, connectivity per zone, single points of failure
    (with the units each would cut off) and uplink oversubscription."""
    st = state()
    inv = load_inventory(path)
    if zone is not None and zone not in inv.zone_by_id:
        raise UsageError(f"unknown zone {zone!r}; zones: {', '.join(inv.zone_by_id)}")
    graph = build_graph(inv)
    tiers = check_tiers(inv)
    connectivity = zone_connectivity(inv, graph)
    resilience = analyze_resilience(inv, zone)
    uplinks = oversubscription(inv)
    limit = inv.site.settings.oversubscription_limit
    over = [u for u in uplinks if u.over_limit]
    if fmt is OutputFormat.JSON:
        st.print_json({
            "tier_violations": [vars(v) for v in tiers],
            "connectivity": [
                {"zone": c.zone, "devices": c.devices, "connected": c.connected,
                 "components": [list(comp) for comp in c.components]}
                for c in connectivity
            ],
            "resilience": [
                {"zone": r.zone, "roots": list(r.roots), "spof_count": r.spof_count,
                 "devices": [_spof(p) for p in r.devices], "links": [_spof(p) for p in r.links]}
                for r in resilience
            ],
            "oversubscription": {
                "limit": limit,
                "uplinks": [{**vars(u), "ratio": u.ratio if math.isfinite(u.ratio) else None}
                            for u in uplinks],
            },
        })
        return
    t = st.t
    if tiers:
        table = _table(st, t("analyze.tiers"), ["a", "b", "reason", "source"])
        for v in tiers:
            table.add_row(f"{v.a_node} (T{v.a_tier})", f"{v.b_node} (T{v.b_tier})", v.reason,
                          v.origin)
        st.out.print(table)
    else:
        st.out.print(f"{t('analyze.tiers')}: {t('analyze.tiers_ok')}", highlight=False)
    table = _table(st, t("analyze.connectivity"), ["zone", "devices", "connected", "components"])
    for c in connectivity:
        table.add_row(c.zone, str(c.devices), t("yes") if c.connected else t("no"),
                      str(len(c.components)))
    st.out.print(table)
    for r in resilience:
        _render_spofs(st, r.zone, "devices", r.devices)
        _render_spofs(st, r.zone, "links", r.links)
    if over:
        table = _table(st, t("analyze.oversubscription", limit=limit),
                       ["node", "tier", "capacity", "demand", "ratio"])
        for u in over[:TABLE_LIMIT]:
            table.add_row(u.node, str(u.tier), format_rate(u.capacity), format_rate(u.demand),
                          "∞" if not math.isfinite(u.ratio) else f"{u.ratio:.2f}")
        st.out.print(table)
        if len(over) > TABLE_LIMIT:
            st.out.print(t("more", count=len(over) - TABLE_LIMIT))
    else:
        st.out.print(f"{t('analyze.oversubscription', limit=limit)}: "
                     f"{t('analyze.oversubscription_ok')}", highlight=False)
    spofs = sum(r.spof_count for r in resilience)
    st.out.print(t("analyze.summary", spofs=spofs, tiers=len(tiers), over=len(over)),
                 highlight=False)


def _spof(p: Any) -> dict[str, Any]:
    return {"kind": p.kind, "id": p.id, "node": p.node, "zone": p.zone,
            "nodes_cut": list(p.nodes_cut), "units_cut": list(p.units_cut)}


def _render_spofs(st: State, zone: str, kind: str, points: Any) -> None:
    t = st.t
    if not points:
        st.out.print(t("analyze.spof_none", zone=zone), highlight=False)
        return
    ordered = sorted(points, key=lambda p: (-len(p.units_cut), p.id))
    key = "analyze.spof_devices" if kind == "devices" else "analyze.spof_links"
    table = _table(st, t(key, zone=zone) + f" ({len(points)})",
                   ["id", "node", "nodes_cut", "units_cut"])
    for p in ordered[:TABLE_LIMIT]:
        table.add_row(p.id, p.node or "", str(len(p.nodes_cut)), str(len(p.units_cut)))
    st.out.print(table)
    if len(points) > TABLE_LIMIT:
        st.out.print(t("more", count=len(points) - TABLE_LIMIT), highlight=False)


@app.command()
def graph(
    path: PathArg,
    fmt: Annotated[GraphFormat, typer.Option("--format", "-f", help="dot, svg, png or json",
                                             case_sensitive=False)] = GraphFormat.DOT,
    level: Annotated[GraphLevel, typer.Option(help="devices (clustered by node) or backbone "
                                              "nodes only")] = GraphLevel.DEVICES,
    output: OutputOpt = None,
) -> None:
    """Draw the network as Graphviz DOT (or SVG/PNG via Debian's graphviz), coloured by zone
    and tier."""
    st = state()
    inv = load_inventory(path)
    if fmt is GraphFormat.JSON:
        text = json.dumps(_graph_json(inv), ensure_ascii=False, indent=2) + "\n"
        st.emit(text, output)
        return
    if fmt in (GraphFormat.SVG, GraphFormat.PNG) and output is None and sys.stdout.isatty():
        raise UsageError(f"refusing to write {fmt.value} to a terminal; use --output FILE")
    dot_text = render_dot(inv, "nodes" if level is GraphLevel.NODES else "devices")
    if fmt is GraphFormat.DOT:
        st.emit(dot_text, output)
    else:
        st.emit(render_image(dot_text, "svg" if fmt is GraphFormat.SVG else "png"), output)


def _graph_json(inv: Inventory) -> dict[str, Any]:
    g = build_graph(inv)
    return {
        "nodes": [{"id": n, **{k: v for k, v in attrs.items()}} for n, attrs in g.nodes(data=True)],
        "links": [
            {"key": key, "source": a, "target": b, "bandwidth": attrs["bandwidth"],
             "media": str(attrs["media"])}
            for a, b, key, attrs in g.edges(keys=True, data=True)
        ],
    }


@export_app.command("ansible")
def export_ansible(path: PathArg, output: OutputOpt = None) -> None:
    """Ansible inventory (JSON that `ansible-inventory -i FILE --list` accepts): groups per
    zone, tier, role, platform, unit and node; secrets as lookups of their references."""
    st = state()
    inv = load_inventory(path)
    st.emit(json.dumps(ansible_inventory(inv), ensure_ascii=False, indent=2) + "\n", output)


@export_app.command("json")
def export_json(
    path: PathArg,
    origins: Annotated[bool, typer.Option(help="include file:line of each entity")] = False,
    output: OutputOpt = None,
) -> None:
    """The resolved inventory (defaults and groups applied) as JSON."""
    st = state()
    inv = load_inventory(path)
    data = inventory_json(inv, origins=origins)
    st.emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)


@app.command()
def schema(output: OutputOpt = None) -> None:
    """JSON Schema of an inventory file (point your editor's YAML plugin at it)."""
    st = state()
    st.emit(json.dumps(site_file_schema(), ensure_ascii=False, indent=2) + "\n", output)


@app.command()
def drift(
    path: PathArg,
    snapshot: Annotated[Path, typer.Option("--snapshot", "-s", help="snapshot folder written "
                                           "by `egovops collect`", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, junit, sarif or "
                                     "html")] = "table",
    fail_on: Annotated[str, typer.Option(help="exit 1 when a finding is at least this severe")]
    = "high",
    output: OutputOpt = None,
) -> None:
    """Compare declared and discovered topology: undeclared and missing links (LLDP), unknown
    neighbours, interfaces down, speed mismatches, addresses in the wrong zone, and any
    adjacency crossing the inner-network boundary (critical)."""
    from egovops.cli.audit import AuditFormat, _fail_on, _render  # noqa: PLC0415
    from egovops.collect.drift import detect_drift  # noqa: PLC0415
    from egovops.collect.snapshot import Snapshot  # noqa: PLC0415

    st = state()
    try:
        out_format = AuditFormat(fmt.lower())
    except ValueError:
        raise UsageError(f"--format {fmt!r}: choose one of "
                         f"{', '.join(f.value for f in AuditFormat)}") from None
    threshold = _fail_on(fail_on)
    inv = load_inventory(path)
    snap = Snapshot(snapshot)
    if snap.site and snap.site != inv.site.id:
        raise UsageError(f"snapshot {display_path(snapshot)} is of site {snap.site!r}, the "
                         f"inventory of {inv.site.id!r}")
    result = detect_drift(inv, snap)
    _render(st, inv, result, out_format, output)
    if result.at_or_above(threshold):
        raise typer.Exit(1)
