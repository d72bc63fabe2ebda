"""``policies/emergency-plan.yaml`` → :class:`~egovops.metrics.plan.Plan`.

Sections: ``plan`` (who it belongs to, once), ``levels``, ``categories``, ``owners`` and
``conditions`` (lists). Every problem is reported with ``file:line``, all at once, like the
inventory and policy loaders: schema errors, the four levels I–IV each exactly once with their
fixed colours, unknown level/category/owner references, duplicate ids, and a plan without a
leadership owner (level I and II alerts must reach someone).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from egovops.errors import InputError, Problem, display_path
from egovops.load.checks import Validated
from egovops.load.inventory import validate_items
from egovops.load.yamlsource import LocatedDict, LocatedList, read_yaml_file
from egovops.metrics.plan import (
    LEVEL_COLOR,
    LEVEL_ORDER,
    Category,
    Condition,
    Level,
    Owner,
    Plan,
    PlanInfo,
)

SECTIONS = ("plan", "levels", "categories", "owners", "conditions")


class PlanError(InputError):
    """Raised when the emergency plan file has problems; each is listed with ``file:line``.
    Fix the file and rerun."""


def load_plan(path: Path | str) -> Plan:
    """Load and cross-check the plan; raise :class:`PlanError` listing every problem."""
    file = Path(path)
    display = display_path(file)
    if not file.is_file():
        raise PlanError(f"emergency plan not found: {display}")
    data, problems = read_yaml_file(file, display)
    if problems:
        raise PlanError(f"{display}: cannot read the emergency plan", problems)
    if not isinstance(data, LocatedDict):
        raise PlanError(f"{display}: invalid emergency plan",
                        [Problem(display, 1, 0, "expected a mapping of sections", "schema")])
    lists: dict[str, list[LocatedDict]] = {k: [] for k in SECTIONS[1:]}
    info_raw: LocatedDict | None = None
    for key, value in data.items():
        line = data.key_lines[key]
        if key not in SECTIONS:
            problems.append(Problem(display, line, 0, f"unknown section {key!r}; expected one "
                                    f"of {', '.join(SECTIONS)}", "unknown-section"))
        elif key == "plan" and isinstance(value, LocatedDict):
            info_raw = value
        elif key in lists and isinstance(value, LocatedList):
            for index, item in enumerate(value):
                if isinstance(item, LocatedDict):
                    lists[key].append(item)
                else:
                    problems.append(Problem(display, value.item_lines[index], 0,
                                            f"{key}: each entry must be a mapping", "schema"))
        else:
            problems.append(Problem(display, line, 0, f"'{key}' has the wrong shape", "schema"))
    for key in SECTIONS:
        if key not in data:
            problems.append(Problem(display, 0, 0, f"missing section {key!r}", "schema"))
    infos = validate_items("plan", PlanInfo, [info_raw] if info_raw is not None else [],
                           problems)
    levels = validate_items("levels", Level, lists["levels"], problems)
    categories = validate_items("categories", Category, lists["categories"], problems)
    owners = validate_items("owners", Owner, lists["owners"], problems)
    conditions = validate_items("conditions", Condition, lists["conditions"], problems)
    _cross_check(display, lists, levels, owners, conditions, problems)
    if problems or not infos:
        raise PlanError(f"{display}: {len(problems)} problem(s) in the emergency plan", problems)
    return Plan(info=infos[0].model, levels=tuple(sorted(
        (v.model for v in levels), key=lambda lv: LEVEL_ORDER.index(lv.id))),
        categories=tuple(v.model for v in categories), owners=tuple(v.model for v in owners),
        conditions=tuple(v.model for v in conditions), source=display)


def _line(raw: LocatedDict, key: str) -> int:
    return raw.key_lines.get(key, raw.line)


def _unique(kind: str, raws: Iterable[LocatedDict], problems: list[Problem]) -> set[str]:
    """Ids declared (valid or not, so one bad entry does not cascade), duplicates reported."""
    seen: dict[str, LocatedDict] = {}
    for raw in raws:
        ident = raw.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            first = seen[ident]
            problems.append(Problem(raw.file, _line(raw, "id"), 0,
                                    f"{kind} {ident!r} declared twice (first at {first.file}:"
                                    f"{first.line})", "duplicate-id"))
        else:
            seen[ident] = raw
    return set(seen)


def _cross_check(display: str, raw: dict[str, list[LocatedDict]],
                 levels: list[Validated[Level]], owners: list[Validated[Owner]],
                 conditions: list[Validated[Condition]], problems: list[Problem]) -> None:
    level_ids = _unique("level", raw["levels"], problems)
    category_ids = _unique("category", raw["categories"], problems)
    owner_ids = _unique("owner", raw["owners"], problems)
    _unique("condition", raw["conditions"], problems)
    missing = [lv for lv in LEVEL_ORDER if lv not in level_ids]
    if missing:
        problems.append(Problem(display, 0, 0, f"the plan must define the four levels I, II, "
                                f"III and IV; missing: {', '.join(missing)}", "schema"))
    for v in levels:
        if v.model.color != LEVEL_COLOR[v.model.id]:
            problems.append(Problem(v.raw.file, _line(v.raw, "color"), 0,
                                    f"level {v.model.id} is {LEVEL_COLOR[v.model.id]} by the "
                                    f"national classification, not {v.model.color}", "schema"))
        if v.model.owner not in owner_ids:
            problems.append(Problem(v.raw.file, _line(v.raw, "owner"), 0,
                                    f"level {v.model.id}: unknown owner {v.model.owner!r}",
                                    "dangling-reference"))
    if owners and not any(v.model.leadership for v in owners):
        problems.append(Problem(owners[0].raw.file, owners[0].raw.line, 0,
                                "no owner has leadership: true; level I and II alerts need "
                                "the leadership group (领导小组)", "schema"))
    for c in conditions:
        cond = c.model
        for key, value, known in (("level", cond.level, level_ids),
                                  ("category", cond.category, category_ids),
                                  ("owner", cond.owner, owner_ids)):
            if value not in known:
                problems.append(Problem(c.raw.file, _line(c.raw, key), 0,
                                        f"condition {cond.id}: unknown {key} {value!r}",
                                        "dangling-reference"))
