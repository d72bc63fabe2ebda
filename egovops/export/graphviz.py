"""Graphviz drawings of the site: devices coloured by zone inside clusters per backbone node
(tier-coloured), or the backbone node graph alone. SVG/PNG come from Debian's ``dot``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from typing import Literal

from egovops.errors import ToolMissingError
from egovops.model.inventory import WIRELESS_MEDIA, Inventory, ZoneKind
from egovops.model.quantities import format_rate

ZONE_COLOURS: dict[ZoneKind, str] = {
    ZoneKind.INNER: "#f4a6a6",
    ZoneKind.OUTER: "#a6c8f4",
    ZoneKind.INTERNET: "#d0d0d0",
    ZoneKind.DMZ: "#f7c98b",
    ZoneKind.MANAGEMENT: "#b5e3b0",
    ZoneKind.CUSTOM: "#d7b8f0",
}
TIER_COLOURS = {1: "#b30000", 2: "#e69500", 3: "#2b6cb0"}
TIER_SHAPES = {1: "doubleoctagon", 2: "box", 3: "ellipse"}

Level = Literal["devices", "nodes"]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(inv: Inventory, level: Level = "devices") -> str:
    """DOT text of the site at the given level."""
    if level == "nodes":
        return _nodes_dot(inv)
    return _devices_dot(inv)


def _header(inv: Inventory, lines: list[str]) -> None:
    lines.append(f"graph {_q(inv.site.id)} {{")
    lines.append(f"  label={_q(inv.site.name)}; labelloc=t; fontsize=20;")
    lines.append('  graph [rankdir=TB, fontname="Noto Sans CJK SC,sans-serif"];')
    lines.append('  node [style=filled, fontname="Noto Sans CJK SC,sans-serif", fontsize=10];')
    lines.append('  edge [fontname="sans-serif", fontsize=8];')


def _devices_dot(inv: Inventory) -> str:
    lines: list[str] = []
    _header(inv, lines)
    by_node: dict[str | None, list[str]] = {}
    for device in inv.devices:
        by_node.setdefault(device.node, []).append(device.id)
    for node_id, device_ids in sorted(by_node.items(), key=lambda kv: kv[0] or ""):
        indent = "  "
        if node_id is not None:
            node = inv.node_by_id[node_id]
            tier = int(node.tier)
            lines.append(f"  subgraph {_q('cluster_' + node_id)} {{")
            lines.append(
                f"    label={_q(f'{node.name} (T{tier})')}; color={_q(TIER_COLOURS[tier])}; "
                f"penwidth={4 - tier};"
            )
            indent = "    "
        for device_id in device_ids:
            device = inv.device_by_id[device_id]
            zone = inv.zone_by_id[device.zone]
            label = f"{device.id}\n{device.role.value}"
            lines.append(
                f"{indent}{_q(device.id)} [label={_q(label)}, "
                f"fillcolor={_q(ZONE_COLOURS[zone.kind])}, tooltip={_q(device.name or device.id)}];"
            )
        if node_id is not None:
            lines.append("  }")
    for link in inv.links:
        style = "dashed" if link.media in WIRELESS_MEDIA else "solid"
        lines.append(
            f"  {_q(link.a.device)} -- {_q(link.b.device)} "
            f"[label={_q(format_rate(link.bandwidth))}, style={style}];"
        )
    for circuit in inv.circuits:
        peer = f"{circuit.peer.value}: {circuit.provider}"
        lines.append(f"  {_q(peer)} [shape=cloud, fillcolor=\"#eeeeee\"];")
        lines.append(
            f"  {_q(circuit.endpoint.device)} -- {_q(peer)} "
            f"[label={_q(format_rate(circuit.rate))}, style=bold];"
        )
    lines.append(_legend(inv))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes_dot(inv: Inventory) -> str:
    lines: list[str] = []
    _header(inv, lines)
    units = Counter(u.node for u in inv.units)
    for node in inv.nodes:
        tier = int(node.tier)
        label = f"{node.name}\n{node.id} · {units.get(node.id, 0)} units"
        lines.append(
            f"  {_q(node.id)} [label={_q(label)}, "
            f"shape={TIER_SHAPES[tier]}, fillcolor={_q(TIER_COLOURS[tier])}, fontcolor=white];"
        )
    pairs: Counter[tuple[str, str]] = Counter()
    capacity: Counter[tuple[str, str]] = Counter()
    for link in inv.links:
        a = inv.device_by_id[link.a.device].node
        b = inv.device_by_id[link.b.device].node
        if a is None or b is None or a == b:
            continue
        key = (min(a, b), max(a, b))
        pairs[key] += 1
        capacity[key] += link.bandwidth
    for (a, b), count in sorted(pairs.items()):
        label = format_rate(capacity[(a, b)]) + (f" ×{count}" if count > 1 else "")
        lines.append(f"  {_q(a)} -- {_q(b)} [label={_q(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend(inv: Inventory) -> str:
    rows = "".join(
        f'<TR><TD BGCOLOR="{ZONE_COLOURS[z.kind]}">{z.id}</TD><TD>{z.kind.value}</TD></TR>'
        for z in inv.zones
    )
    return (
        '  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" '
        f'CELLSPACING="0"><TR><TD COLSPAN="2"><B>zones</B></TD></TR>{rows}</TABLE>>];'
    )


def render_image(dot_text: str, fmt: Literal["svg", "png"], timeout: float = 120.0) -> bytes:
    """Run Graphviz ``dot`` to turn DOT text into SVG or PNG bytes."""
    dot = shutil.which("dot")
    if dot is None:
        raise ToolMissingError("Graphviz 'dot' is not installed (Debian: apt-get install graphviz)")
    result = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
        timeout=timeout, check=False,
    )
    if result.returncode != 0:
        raise ToolMissingError(
            f"Graphviz dot failed: {result.stderr.decode('utf-8', 'replace').strip()}"
        )
    return result.stdout
