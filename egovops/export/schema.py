"""JSON Schema of one inventory file, for editors (YAML language servers accept it).

Fields that usually come from ``defaults`` or ``groups`` are not marked required here; the
loader still enforces them after resolving defaults.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from egovops.model.inventory import (
    Circuit,
    Device,
    Frozen,
    Link,
    Location,
    Node,
    Site,
    Unit,
    Zone,
)

_KEEP_REQUIRED = {"Device": {"id"}, "Link": {"a", "b"}, "Unit": {"id"}, "Circuit": {"id"}}


class SiteFile(Frozen):
    """One YAML file of a site folder: any subset of the sections."""

    site: Site | None = None
    defaults: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="default values per entity kind: device, interface, link, unit, circuit",
    )
    groups: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="named device settings, applied via devices[].groups"
    )
    zones: list[Zone] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    circuits: list[Circuit] = Field(default_factory=list)


def site_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a site file."""
    schema = SiteFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "egovops inventory file"
    for name, keep in _KEEP_REQUIRED.items():
        definition = schema.get("$defs", {}).get(name)
        if definition and "required" in definition:
            definition["required"] = [r for r in definition["required"] if r in keep]
    return schema
