"""DOT output rendered by the real Graphviz ``dot`` (Debian package graphviz)."""

from __future__ import annotations

from pathlib import Path

import pytest

from egovops.cli.main import main
from tests.conftest import EXAMPLE, require_tool


@pytest.mark.parametrize("level", ["devices", "nodes"])
def test_svg_and_png(tmp_path: Path, level: str, capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("dot")
    svg = tmp_path / f"{level}.svg"
    png = tmp_path / f"{level}.png"
    assert main(["inventory", "graph", str(EXAMPLE), "--level", level, "-f", "svg",
                 "-o", str(svg)]) == 0
    assert main(["inventory", "graph", str(EXAMPLE), "--level", level, "-f", "png",
                 "-o", str(png)]) == 0
    capsys.readouterr()
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
