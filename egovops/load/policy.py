"""Policy files (``policies/firewall*.yaml``) → :class:`FirewallPolicy`.

Sections: ``policy`` (the settings, once), ``risky_services`` (a list, joined across files) and
``mlps`` (check → MLPS 2.0 clause ids, merged: overrides of the check registry's clauses;
an unknown check id or clause id is a problem at its ``file:line``). Every problem is reported
with ``file:line``, all at once, as the inventory loader does. The baseline is shared by every
site: zones it names that a site does not have (say, no separate management zone) simply have
nothing to check. A site's declared
flows are inventory data (its ``flows`` section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from egovops.errors import InventoryError, Problem, display_path
from egovops.load.inventory import validate_items
from egovops.load.yamlsource import LocatedDict, LocatedList, line_of, read_yaml_file
from egovops.model.inventory import Inventory
from egovops.model.policy import FirewallPolicy, RiskyService

POLICY_GLOBS = ("firewall*.yaml", "firewall*.yml")
SECTIONS = ("policy", "risky_services", "mlps")


class PolicyError(InventoryError):
    """Raised when policy files have problems; each is listed with ``file:line``."""


DEFAULT_POLICY_DIR = Path("policies")


def default_policy_dir() -> Path | None:
    """``policies/`` in the working directory when it holds firewall policy files."""
    if DEFAULT_POLICY_DIR.is_dir() and policy_files(DEFAULT_POLICY_DIR):
        return DEFAULT_POLICY_DIR
    return None


def policy_files(path: Path) -> list[Path]:
    """The firewall policy files of a policies folder (or the one file given)."""
    if path.is_file():
        return [path]
    return sorted({p for pattern in POLICY_GLOBS for p in path.glob(pattern)})


def _mlps_map(data: LocatedDict, display: str,
              problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """``check: clause`` or ``check: [clause, …]`` entries, each validated against the check
    registry and the clause table."""
    from egovops.audit.clauses import clause_table  # noqa: PLC0415 - load must not import audit
    from egovops.audit.registry import registry  # noqa: PLC0415 - at module import time

    checks, clauses = registry(), clause_table()
    found: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        line = data.key_lines.get(key, data.line)
        check = str(key)
        if check not in checks:
            problems.append(Problem(display, line, 0, f"mlps: unknown check {check!r} (not in "
                                    "the check registry)", "dangling-reference"))
            continue
        items = value if isinstance(value, list) else [value]
        ids = tuple(str(v).strip() for v in items if v is not None)
        bad = [c for c in ids if c not in clauses]
        for clause in bad:
            problems.append(Problem(display, line, 0, f"mlps: {check}: "
                                    f"{clauses.unknown_message(clause)}", "dangling-reference"))
        if not ids:
            problems.append(Problem(display, line, 0, f"mlps: {check}: no clause given",
                                    "schema"))
        if not bad and ids:
            found[check] = ids
    return found


def load_policy(path: Path | str, inventory: Inventory | None = None) -> FirewallPolicy:
    """Load the firewall policy from a folder or file; raise :class:`PolicyError` on problems."""
    root = Path(path)
    if not root.exists():
        raise PolicyError(f"policy not found: {root}")
    files = policy_files(root)
    if not files:
        raise PolicyError(f"no firewall*.yaml policy files in {root}")
    problems: list[Problem] = []
    settings: list[LocatedDict] = []
    lists: dict[str, list[LocatedDict]] = {"risky_services": []}
    mlps: dict[str, tuple[str, ...]] = {}
    for file in files:
        display = display_path(file)
        data, parse_problems = read_yaml_file(file, display)
        problems.extend(parse_problems)
        if data is None:
            continue
        if not isinstance(data, LocatedDict):
            problems.append(Problem(display, 1, 0, "expected a mapping of sections", "schema"))
            continue
        for key, value in data.items():
            line = data.key_lines[key]
            if key not in SECTIONS:
                problems.append(Problem(display, line, 0, f"unknown section {key!r}; expected "
                                        f"one of {', '.join(SECTIONS)}", "unknown-section"))
            elif key == "policy" and isinstance(value, LocatedDict):
                settings.append(value)
            elif key == "mlps" and isinstance(value, LocatedDict):
                mlps.update(_mlps_map(value, display, problems))
            elif key in lists and isinstance(value, LocatedList):
                lists[key].extend(v for v in value if isinstance(v, LocatedDict))
            elif value is not None:
                problems.append(Problem(display, line, 0, f"'{key}' has the wrong shape",
                                        "schema"))
    if len(settings) > 1:
        for extra in settings[1:]:
            problems.append(Problem(extra.file, extra.line, 0,
                                    f"'policy' given twice (first at {settings[0].file}:"
                                    f"{settings[0].line})", "duplicate-id"))
    risky = validate_items("risky_services", RiskyService, lists["risky_services"], problems)
    base: dict[str, Any] = dict(settings[0]) if settings else {}
    base.pop("origin", None)
    policy: FirewallPolicy | None = None
    try:
        policy = FirewallPolicy.model_validate({
            **base,
            "risky_services": [v.model for v in risky if not v.partial],
            "mlps": mlps,
        })
    except ValidationError as exc:
        where = settings[0] if settings else None
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line = line_of(where, loc) if where is not None else 0
            problems.append(Problem(where.file if where else display_path(root), line, 0,
                                    f"policy: {'.'.join(map(str, loc))}: {err['msg']}",
                                    "schema"))
    if problems or policy is None:
        raise PolicyError(f"{display_path(root)}: {len(problems)} problem(s) in the policy",
                          problems)
    return policy
