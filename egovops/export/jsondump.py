"""The loaded, resolved inventory as JSON-ready data (defaults and groups already applied)."""

from __future__ import annotations

from typing import Any

from egovops.model.inventory import Inventory


def inventory_json(inv: Inventory, *, origins: bool = False) -> dict[str, Any]:
    """``inv`` as plain JSON data; ``origins`` adds each entity's ``file:line``."""
    data = inv.model_dump(mode="json", exclude={"root"}, exclude_none=True)
    if not origins:
        for section in data.values():
            if isinstance(section, list):
                for item in section:
                    item.pop("origin", None)
            elif isinstance(section, dict):
                section.pop("origin", None)
    return data
