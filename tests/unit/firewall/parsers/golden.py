"""Golden files for the firewall parsers: a small, stable JSON rendering of parsed rulesets.

Fixtures live in ``tests/data/firewall/<format>/<case>/``: one configuration file in the
vendor's real syntax plus ``expected.json``. Cases whose name starts with ``broken`` must fail;
their ``expected.json`` lists every problem reported.

After a deliberate parser change, regenerate and review the diff by eye before committing::

    .venv/bin/python -m tests.unit.firewall.parsers.golden            # every format
    .venv/bin/python -m tests.unit.firewall.parsers.golden iptables   # one format

The tests never write these files; they only compare.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egovops.errors import ConfigError
from egovops.firewall.model import Chain, Match, Rule, Ruleset
from egovops.firewall.parsers import parse_config

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "data" / "firewall"
EXPECTED = "expected.json"


@dataclass(frozen=True)
class Case:
    """One fixture: the format, the case folder and its configuration file."""

    format: str
    name: str
    config: Path

    @property
    def expected(self) -> Path:
        """The golden file beside the configuration."""
        return self.config.parent / EXPECTED

    @property
    def broken(self) -> bool:
        """Whether the case must fail with a :class:`ConfigError`."""
        return self.name.startswith("broken")

    @property
    def file(self) -> str:
        """The configuration's path as given to the parser (repository-relative, stable)."""
        return self.config.relative_to(REPO).as_posix()

    def __str__(self) -> str:
        return f"{self.format}/{self.name}"


def cases(formats: tuple[str, ...] = ()) -> list[Case]:
    """Every fixture case (of ``formats`` when given), sorted."""
    found = []
    for format_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        if format_dir.name == "recording" or (formats and format_dir.name not in formats):
            continue
        for case_dir in sorted(p for p in format_dir.iterdir() if p.is_dir()):
            configs = [p for p in case_dir.iterdir() if p.is_file() and p.name != EXPECTED]
            if len(configs) != 1:
                raise ValueError(f"{case_dir}: expected one configuration file, found "
                                 f"{[p.name for p in configs]}")
            found.append(Case(format_dir.name, case_dir.name, configs[0]))
    return found


def render_match(match: Match) -> dict[str, Any]:
    """The fields of ``match`` that differ from "any", as JSON values."""
    out: dict[str, Any] = {}
    for name in ("src", "dst"):
        networks = getattr(match, name)
        if networks:
            out[name] = [str(n) for n in networks]
        if getattr(match, f"{name}_negated"):
            out[f"{name}_negated"] = True
    if match.protocols:
        out["protocols"] = list(match.protocols)
    if match.protocols_negated:
        out["protocols_negated"] = True
    for name in ("sports", "dports"):
        ranges = getattr(match, name)
        if ranges:
            out[name] = [str(r) for r in ranges]
        if getattr(match, f"{name}_negated"):
            out[f"{name}_negated"] = True
    if match.icmp:
        out["icmp"] = [
            f"v{i.version}:{i.type}" + ("" if i.code is None else f"/{i.code}")
            for i in match.icmp
        ]
    for name in ("in_interfaces", "out_interfaces"):
        if getattr(match, name):
            out[name] = list(getattr(match, name))
        if getattr(match, f"{name}_negated"):
            out[f"{name}_negated"] = True
    for name in ("src_zones", "dst_zones"):
        if getattr(match, name):
            out[name] = list(getattr(match, name))
    if match.states:
        out["states"] = sorted(s.value for s in match.states)
    if match.family is not None:
        out["family"] = match.family
    return out


def render_rule(rule: Rule) -> dict[str, Any]:
    """One rule: line, name, action and match (and target, log, comment, counters if set)."""
    out: dict[str, Any] = {"line": rule.source.line, "name": rule.name,
                           "action": rule.action.value}
    if rule.target is not None:
        out["target"] = rule.target
    if rule.log:
        out["log"] = True
    if rule.comment:
        out["comment"] = rule.comment
    if rule.counters is not None:
        out["counters"] = list(rule.counters)
    out["match"] = render_match(rule.match)
    if rule.uncertain:
        out["uncertain"] = rule.uncertain
    if rule.nat is not None:
        out["nat"] = str(rule.nat)
    return out


def render_chain(chain: Chain) -> dict[str, Any]:
    """One chain with its rules."""
    out: dict[str, Any] = {"name": chain.name, "line": chain.source.line}
    for name in ("table", "family"):
        if getattr(chain, name):
            out[name] = getattr(chain, name)
    if chain.hook is not None:
        out["hook"] = chain.hook
    if chain.policy is not None:
        out["policy"] = chain.policy.value
    if chain.priority is not None:
        out["priority"] = chain.priority
    if chain.devices:
        out["devices"] = list(chain.devices)
    out["rules"] = [render_rule(r) for r in chain.rules]
    return out


def render(ruleset: Ruleset) -> dict[str, Any]:
    """A parsed ruleset as stable JSON data."""
    out: dict[str, Any] = {"format": ruleset.format,
                           "chains": [render_chain(c) for c in ruleset.chains]}
    if ruleset.objects:
        out["objects"] = {k: list(v) for k, v in sorted(ruleset.objects.items())}
    if ruleset.nat_chains:
        out["nat_chains"] = [render_chain(c) for c in ruleset.nat_chains]
    if ruleset.skipped:
        out["skipped"] = [{"line": s.source.line, "construct": s.construct, "bound": s.bound.value,
                           "reason": s.reason} for s in ruleset.skipped]
    return out


def render_error(error: ConfigError) -> dict[str, Any]:
    """A parse failure: every problem with its location, code and message."""
    return {"problems": [
        {"file": p.file, "line": p.line, "column": p.column, "code": p.code,
         "message": p.message}
        for p in error.problems
    ]}


def outcome(case: Case) -> dict[str, Any]:
    """What parsing ``case`` gives now, rendered (ruleset or problems)."""
    text = case.config.read_text(encoding="utf-8")
    try:
        ruleset = parse_config(text, case.file, case.format)
    except ConfigError as error:
        return render_error(error)
    return render(ruleset)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump(data: dict[str, Any]) -> str:
    """The golden-file text for ``data``: valid JSON, one rule or problem per line."""
    lines = ["{"]
    entries: list[str] = []
    for key, value in data.items():
        if key == "chains":
            chains = []
            for chain in value:
                head = {k: v for k, v in chain.items() if k != "rules"}
                rules = ",\n".join(f"        {_compact(r)}" for r in chain["rules"])
                body = f"[\n{rules}\n      ]" if rules else "[]"
                chains.append(f"    {_compact(head)[:-1]}, \"rules\": {body}}}")
            entries.append('  "chains": [\n' + ",\n".join(chains) + "\n  ]")
        elif key in ("problems", "objects") and value:
            items = (value.items() if isinstance(value, dict)
                     else [(None, v) for v in value])
            rows = [f"    {_compact(k) + ': ' if k is not None else ''}{_compact(v)}"
                    for k, v in items]
            opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
            entries.append(f'  "{key}": {opening}\n' + ",\n".join(rows) + f"\n  {closing}")
        else:
            entries.append(f"  {_compact(key)}: {_compact(value)}")
    lines.append(",\n".join(entries))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    if json.loads(text) != data:
        raise AssertionError("golden rendering does not round-trip")
    return text


def regenerate(formats: tuple[str, ...] = ()) -> list[Path]:
    """Rewrite ``expected.json`` of every case (of ``formats``); returns the files changed."""
    changed = []
    for case in cases(formats):
        text = dump(outcome(case))
        if not case.expected.exists() or case.expected.read_text(encoding="utf-8") != text:
            case.expected.write_text(text, encoding="utf-8")
            changed.append(case.expected)
    return changed


if __name__ == "__main__":
    for path in regenerate(tuple(sys.argv[1:])):
        sys.stdout.write(f"rewrote {path.relative_to(REPO)}\n")
