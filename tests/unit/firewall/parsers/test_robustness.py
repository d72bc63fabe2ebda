"""Damaged input never escapes a parser as anything but ConfigError (no traceback for users)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from egovops.errors import ConfigError
from egovops.firewall.parsers import PARSERS
from tests.unit.firewall.parsers.golden import FIXTURES, Case, cases

TEXT_CASES = [c for c in cases() if c.format != "nftables-json"]
WORDS = [
    "", "{", "}", ";", ",", '"', "!", "-", "/", "0", "99999", "any", "host", "eq", "range",
    "lt", "neq", "rule", "source", "destination", "destination-port", "mask", "object-group",
    "object", "group-object", "tcp", "icmp", "ip", "permit", "deny", "pass", "-p", "-s",
    "--dport", "-m", "-j", "-g", "jump", "@x", "10.0.0.0/8", "0.0.0.255", "ct", "meta",
    "counter", "packets", "priority", "policy", "in", "inbound", "acl", "name", "service",
    "protocol", "to", "action", "established", "icmp-type", "1-2", "x/y", "line",
]


def parse_or_config_error(format_name: str, text: str) -> None:
    try:
        PARSERS[format_name].parse(text, "damaged")
    except ConfigError as error:
        assert error.problems
        assert all(p.file == "damaged" for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(TEXT_CASES), data=st.data())
def test_damaged_configurations_fail_cleanly(case: Case, data: st.DataObject) -> None:
    lines = case.config.read_text().splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    words = lines[index].split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(words)))
        words.insert(position, data.draw(st.sampled_from(WORDS)))
    lines[index] = " ".join(words)
    if data.draw(st.booleans()):
        del lines[data.draw(st.integers(0, len(lines) - 1))]
    parse_or_config_error(case.format, "\n".join(lines))


JSON_VALUES = st.sampled_from([
    None, 5, -1, "x", "@nope", [], {}, {"a": 1}, [1, "y"], True, 1.5,
    {"prefix": {"addr": "x", "len": "y"}}, {"range": [1]}, {"set": 3},
])


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


GATEWAY_JSON = json.loads((FIXTURES / "nftables-json" / "gateway" / "ruleset.json").read_text())
PATHS = _paths(GATEWAY_JSON)


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_json_of_the_wrong_shape_fails_cleanly(path: tuple[object, ...], value: object) -> None:
    document = json.loads(json.dumps(GATEWAY_JSON))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    parse_or_config_error("nftables-json", json.dumps(document))
