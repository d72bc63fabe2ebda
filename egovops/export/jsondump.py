"""The loaded, resolved inventory as JSON-ready data (defaults and groups already applied)."""

from __future__ import annotations

from typing import Any

from egovops.model.inventory import Inventory


def inventory_json(inv: Inventory, *, origins: bool = False) -> dict[str, Any]:
    """``inv`` as plain JSON data; ``origins`` adds each entity's ``file:line``.

    Group settings are already applied to the devices, so ``groups`` lists each group name with
    empty settings: the export is itself a valid single-file inventory.
    """
    data = inv.model_dump(mode="json", exclude={"root"}, exclude_none=True)
    names = sorted({name for device in inv.devices for name in device.groups})
    data["groups"] = {name: {} for name in names}
    if not origins:
        for section in data.values():
            if isinstance(section, list):
                for item in section:
                    item.pop("origin", None)
            elif isinstance(section, dict):
                section.pop("origin", None)
    return data
