"""Inventory folder → :class:`~egovops.model.Inventory`, with ``file:line`` on every problem.

A site folder holds any number of YAML files (searched recursively, hidden files skipped). Each
file is a mapping of sections: ``site``, ``defaults``, ``groups``, ``zones``, ``locations``,
``nodes``, ``units``, ``devices``, ``links``, ``circuits``. List sections from every file are
concatenated. ``defaults`` (per entity kind) and ``groups`` (named device settings) are resolved
here, once, before validation. Then the schema is validated and every cross-reference checked;
all problems from all files are collected and raised together as one
:class:`~egovops.errors.InventoryError`. Loading never touches the network.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from egovops.errors import InventoryError, Problem, display_path
from egovops.load.checks import Validated, check_inventory
from egovops.load.yamlsource import LocatedDict, LocatedList, line_of, read_yaml_file
from egovops.model.inventory import (
    Circuit,
    Device,
    Flow,
    Inventory,
    Link,
    Location,
    Node,
    Origin,
    Site,
    Unit,
    Waiver,
    Zone,
)

LIST_SECTIONS: dict[str, type[BaseModel]] = {
    "zones": Zone,
    "locations": Location,
    "nodes": Node,
    "units": Unit,
    "devices": Device,
    "links": Link,
    "circuits": Circuit,
    "flows": Flow,
    "waivers": Waiver,
}
"""List sections and the model each item becomes."""

DEFAULTS_KINDS = ("device", "interface", "link", "unit", "circuit")
"""Entity kinds a ``defaults`` section may give default values for."""

SECTIONS = frozenset({"site", "defaults", "groups", *LIST_SECTIONS})

KIND_NAMES = {
    "site": "site",
    "zones": "zone",
    "locations": "location",
    "nodes": "node",
    "units": "unit",
    "devices": "device",
    "links": "link",
    "circuits": "circuit",
    "flows": "flow",
    "waivers": "waiver",
}

M = TypeVar("M", bound=BaseModel)


@dataclass
class RawSite:
    """Everything read from a folder before validation."""

    site: list[LocatedDict] = field(default_factory=list)
    defaults: dict[str, tuple[LocatedDict, LocatedDict]] = field(default_factory=dict)
    groups: dict[str, LocatedDict] = field(default_factory=dict)
    items: dict[str, list[LocatedDict]] = field(
        default_factory=lambda: {name: [] for name in LIST_SECTIONS}
    )


def yaml_files(root: Path) -> list[Path]:
    """The YAML files of a site folder, sorted, hidden files and folders skipped."""
    files = [
        p
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files)


def load_inventory(path: Path | str) -> Inventory:
    """Load and check the site folder (or single YAML file) at ``path``.

    Raises :class:`InventoryError` listing every problem found, each with ``file:line``.
    """
    with _gc_paused():
        return _load(Path(path))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of a load.

    A site allocates millions of small containers (YAML nodes, located mappings, models) that
    stay alive until the load ends and hold no reference cycles. The collector would scan them
    again and again while freeing nothing: at 50,000 devices that doubled the load time. It is
    switched back on afterwards if it was on, and collects anything left over then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(root: Path) -> Inventory:
    if not root.exists():
        raise InventoryError(f"inventory not found: {root}")
    files = [root] if root.is_file() else yaml_files(root)
    base = root.parent if root.is_file() else root
    if not files:
        raise InventoryError(f"no YAML files in {root}")
    problems: list[Problem] = []
    raw = RawSite()
    for file in files:
        display = display_path(file)
        data, parse_problems = read_yaml_file(file, display)
        problems.extend(parse_problems)
        if data is None:
            if not parse_problems:
                problems.append(Problem(display, 1, 0, "empty file", "empty"))
            continue
        _collect_sections(data, display, raw, problems)

    inventory_parts = _validate(raw, problems)
    if inventory_parts is not None:
        problems.extend(check_inventory(*inventory_parts))
    if problems or inventory_parts is None:
        raise InventoryError(
            f"{display_path(root)}: {len(problems)} problem(s) in the inventory", problems
        )
    site, parts = inventory_parts[0], inventory_parts[1]
    return Inventory(
        site=site.model,
        root=str(base),
        **{name: tuple(v.model for v in parts[name]) for name in LIST_SECTIONS},
    )


def _collect_sections(data: Any, file: str, raw: RawSite, problems: list[Problem]) -> None:
    if not isinstance(data, LocatedDict):
        problems.append(
            Problem(file, getattr(data, "line", 1), 0,
                    f"expected a mapping of sections ({', '.join(sorted(SECTIONS))})", "schema")
        )
        return
    for key, value in data.items():
        line = data.key_lines[key]
        if key not in SECTIONS:
            problems.append(
                Problem(file, line, 0,
                        f"unknown section {key!r}; expected one of {', '.join(sorted(SECTIONS))}",
                        "unknown-section")
            )
        elif key == "site":
            if isinstance(value, LocatedDict):
                raw.site.append(value)
            else:
                problems.append(Problem(file, line, 0, "'site' must be a mapping", "schema"))
        elif key == "defaults":
            _collect_defaults(value, file, line, raw, problems)
        elif key == "groups":
            _collect_groups(value, file, line, raw, problems)
        elif isinstance(value, LocatedList):
            for index, item in enumerate(value):
                if isinstance(item, LocatedDict):
                    raw.items[key].append(item)
                else:
                    problems.append(
                        Problem(file, value.item_lines[index], 0,
                                f"each item of '{key}' must be a mapping", "schema")
                    )
        elif value is not None:
            problems.append(Problem(file, line, 0, f"'{key}' must be a list", "schema"))


def _collect_defaults(
    value: Any, file: str, line: int, raw: RawSite, problems: list[Problem]
) -> None:
    if not isinstance(value, LocatedDict):
        problems.append(Problem(file, line, 0, "'defaults' must be a mapping", "schema"))
        return
    for kind, values in value.items():
        kline = value.key_lines[kind]
        if kind not in DEFAULTS_KINDS:
            problems.append(
                Problem(file, kline, 0,
                        f"unknown defaults kind {kind!r}; expected one of "
                        f"{', '.join(DEFAULTS_KINDS)}", "schema")
            )
        elif not isinstance(values, LocatedDict):
            problems.append(Problem(file, kline, 0, f"defaults.{kind} must be a mapping", "schema"))
        elif kind in raw.defaults:
            first = raw.defaults[kind][0]
            problems.append(
                Problem(file, kline, 0,
                        f"defaults for {kind} given twice (first at {first.file}:"
                        f"{first.key_lines[kind]})", "duplicate-id")
            )
        else:
            raw.defaults[kind] = (value, values)


def _collect_groups(
    value: Any, file: str, line: int, raw: RawSite, problems: list[Problem]
) -> None:
    if not isinstance(value, LocatedDict):
        problems.append(Problem(file, line, 0, "'groups' must be a mapping of name → settings",
                                "schema"))
        return
    for name, settings in value.items():
        gline = value.key_lines[name]
        if not isinstance(settings, LocatedDict):
            problems.append(Problem(file, gline, 0, f"group {name!r} must be a mapping", "schema"))
        elif name in raw.groups:
            first = raw.groups[name]
            problems.append(
                Problem(file, gline, 0,
                        f"group {name!r} defined twice (first at {first.file}:{first.line})",
                        "duplicate-id")
            )
        elif "groups" in settings:
            problems.append(
                Problem(file, settings.key_lines["groups"], 0,
                        "groups cannot include other groups", "schema")
            )
        else:
            raw.groups[name] = settings


def _merged(base: LocatedDict | None, overlay: LocatedDict) -> LocatedDict:
    """``overlay`` on top of ``base``; nested mappings (credentials …) merge key by key.

    The result keeps the overlay's file and lines; keys that came from ``base`` point at the
    overlay mapping's first line.
    """
    if base is None:
        return overlay
    out = LocatedDict(overlay.file, overlay.line)
    out.update(base)
    key_lines = out.key_lines = dict.fromkeys(base, overlay.line)
    overlay_lines = overlay.key_lines
    for key, value in overlay.items():
        old = out.get(key) if isinstance(value, LocatedDict) else None
        out[key] = _merged(old, value) if isinstance(old, LocatedDict) else value
        key_lines[key] = overlay_lines[key]
    return out


def _resolve_devices(raw: RawSite, problems: list[Problem]) -> list[LocatedDict]:
    device_defaults = raw.defaults.get("device", (None, None))[1]
    iface_defaults = raw.defaults.get("interface", (None, None))[1]
    resolved: list[LocatedDict] = []
    for device in raw.items["devices"]:
        layered: LocatedDict | None = device_defaults
        names = device.get("groups", [])
        if isinstance(names, LocatedList):
            for index, name in enumerate(names):
                group = raw.groups.get(name) if isinstance(name, str) else None
                if group is None:
                    problems.append(
                        Problem(device.file, names.item_lines[index], 0,
                                f"device {device.get('id', '?')}: unknown group {name!r}",
                                "dangling-reference")
                    )
                    continue
                rebased = LocatedDict(device.file, device.key_lines["groups"])
                rebased.update(group)
                rebased.key_lines = dict.fromkeys(group, device.key_lines["groups"])
                layered = _merged(layered, rebased)
        result = _merged(layered, device) if layered is not None else device
        if iface_defaults is not None and isinstance(result.get("interfaces"), LocatedList):
            ifaces = result["interfaces"]
            merged_ifaces = LocatedList(ifaces.file, ifaces.line)
            merged_ifaces.item_lines = list(ifaces.item_lines)
            merged_ifaces.extend(
                _merged(iface_defaults, i) if isinstance(i, LocatedDict) else i for i in ifaces
            )
            if result is device:
                result = _merged(LocatedDict(device.file, device.line), device)
            result["interfaces"] = merged_ifaces
        resolved.append(result)
    return resolved


def _with_defaults(kind: str, items: list[LocatedDict], raw: RawSite) -> list[LocatedDict]:
    defaults = raw.defaults.get(kind, (None, None))[1]
    if defaults is None:
        return items
    return [_merged(defaults, item) for item in items]


def _describe(kind: str, item: Any) -> str:
    ident = item.get("id", item.get("name")) if isinstance(item, dict) else None
    if kind == "links" and ident is None and isinstance(item, dict):
        ident = f"{item.get('a', '?')}--{item.get('b', '?')}"
    noun = KIND_NAMES.get(kind, kind.removesuffix("s").replace("_", " "))
    return f"{noun} {ident}" if ident is not None else noun


def _error_problems(
    kind: str, items: list[LocatedDict], error: ValidationError, offset: int
) -> Iterator[tuple[int, Problem]]:
    for err in error.errors(include_url=False):
        loc = err["loc"]
        index = loc[0] if loc and isinstance(loc[0], int) else 0
        index += offset
        item = items[index]
        path = loc[1:] if loc and isinstance(loc[0], int) else loc
        line = line_of(item, tuple(path))
        field_path = ".".join(
            f"[{p}]" if isinstance(p, int) else str(p)
            for p in path
            if isinstance(p, int) or p in _keys_along(item, path)
        ).replace(".[", "[")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown key {path[-1]!r}" if path else "unknown key"
            field_path = ".".join(str(p) for p in path[:-1])
        elif err["type"] == "missing":
            message = f"missing required key {path[-1]!r}" if path else "missing key"
            field_path = ".".join(str(p) for p in path[:-1])
        where = f"{_describe(kind, item)}: {field_path}: " if field_path else (
            f"{_describe(kind, item)}: "
        )
        yield index, Problem(item.file, line, 0, where + message, "schema")


def _keys_along(data: Any, path: tuple[Any, ...]) -> set[str]:
    keys: set[str] = set()
    current = data
    for part in path:
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            keys.add(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
    return keys


def validate_items(
    kind: str, model: type[M], items: list[LocatedDict], problems: list[Problem]
) -> list[Validated[M]]:
    for item in items:
        if "origin" in item:
            problems.append(Problem(item.file, item.key_lines["origin"], 0,
                                    f"{_describe(kind, item)}: unknown key 'origin'", "schema"))
        item["origin"] = Origin(file=item.file, line=item.line)
    adapter: TypeAdapter[list[M]] = _adapter(model)
    try:
        models = adapter.validate_python(items)
        return [Validated(m, r) for m, r in zip(models, items, strict=True)]
    except ValidationError as exc:
        error = exc
    bad: set[int] = set()
    for index, problem in _error_problems(kind, items, error, 0):
        bad.add(index)
        problems.append(problem)
    good = [i for i in range(len(items)) if i not in bad]
    models = adapter.validate_python([items[i] for i in good]) if good else []
    result = [Validated(m, items[i]) for m, i in zip(models, good, strict=True)]
    # Best effort for the invalid ones: without the keys that failed, an item may still
    # validate, so its references get checked in this same run (the problems above already
    # guarantee that no inventory is returned).
    # First drop only the innermost failing keys (one bad address keeps the interface), then,
    # if that is not enough, the failing top-level keys. Such entities are marked partial so
    # that checks do not report what was stripped as missing.
    paths: dict[int, list[tuple[Any, ...]]] = {}
    for err in error.errors(include_url=False):
        loc = err["loc"]
        if len(loc) >= 2 and isinstance(loc[0], int) and isinstance(loc[1], str):
            paths.setdefault(loc[0], []).append(tuple(loc[1:]))
    for index, item_paths in sorted(paths.items()):
        item = items[index]
        deep = item
        for path in item_paths:
            deep = _without(deep, path)
        shallow = _without_keys(item, {p[0] for p in item_paths})
        for candidate in (deep, shallow):
            try:
                result.append(Validated(model.model_validate(candidate), candidate, partial=True))
                break
            except ValidationError:
                continue
    return result


def _without(data: Any, path: tuple[Any, ...]) -> Any:
    """Copy of located ``data`` without the deepest existing mapping key along ``path``."""
    if not path:
        return data
    head, rest = path[0], path[1:]
    if isinstance(data, LocatedDict) and isinstance(head, str) and head in data:
        deeper = _without(data[head], rest) if rest else None
        if deeper is data[head] or not rest or not isinstance(data[head], (dict, list)):
            return _without_keys(data, {head})
        copy = _without_keys(data, set())
        copy[head] = deeper
        return copy
    if isinstance(data, LocatedList) and isinstance(head, int) and 0 <= head < len(data):
        deeper = _without(data[head], rest)
        if deeper is data[head]:
            return data
        copy_list = LocatedList(data.file, data.line)
        copy_list.extend(data)
        copy_list.item_lines = data.item_lines
        copy_list[head] = deeper
        return copy_list
    return data


def _without_keys(item: LocatedDict, keys: set[str]) -> LocatedDict:
    stripped = LocatedDict(item.file, item.line)
    stripped.update((k, v) for k, v in item.items() if k not in keys)
    stripped.key_lines = item.key_lines
    return stripped


_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _adapter(model: type[M]) -> TypeAdapter[list[M]]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


def _validate(
    raw: RawSite, problems: list[Problem]
) -> tuple[Validated[Site], dict[str, list[Validated[Any]]], dict[str, set[str]]] | None:
    sites = validate_items("site", Site, raw.site, problems) if raw.site else []
    if len(raw.site) > 1:
        for extra in raw.site[1:]:
            problems.append(Problem(extra.file, extra.line, 0,
                                    f"'site' given more than once (first at {raw.site[0].file}:"
                                    f"{raw.site[0].line})", "duplicate-id"))
    if not raw.site:
        problems.append(Problem("(inventory)", 0, 0,
                                "no 'site' section: one file must say which site this is",
                                "schema"))
    resolved = {
        "devices": _resolve_devices(raw, problems),
        "links": _with_defaults("link", raw.items["links"], raw),
        "units": _with_defaults("unit", raw.items["units"], raw),
        "circuits": _with_defaults("circuit", raw.items["circuits"], raw),
    }
    parts: dict[str, list[Validated[Any]]] = {}
    declared_ids: dict[str, set[str]] = {}
    for name, model in LIST_SECTIONS.items():
        items = resolved.get(name, raw.items[name])
        declared_ids[name] = {i["id"] for i in items if isinstance(i.get("id"), str)}
        parts[name] = validate_items(name, model, items, problems)
    if not sites:
        return None
    return sites[0], parts, declared_ids
