"""The event-stream builder gives exactly what building from PyYAML's composed node tree gives.

``parse_yaml`` builds located data straight from libyaml's events (the fast path); the node-tree
builder is the reference. Both must agree on data, lines, problems and errors, including the
order in which errors win (a syntax error after an unknown tag is the one reported).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from egovops.errors import Problem
from egovops.load.yamlsource import (
    LocatedConstruction,
    LocatedDict,
    LocatedList,
    _Builder,
    _MemoLoader,
    _Streamer,
)


def _canon(value: Any) -> Any:
    if isinstance(value, LocatedDict):
        return ("map", value.file, value.line, sorted(value.key_lines.items()),
                [(k, _canon(v)) for k, v in value.items()])
    if isinstance(value, LocatedList):
        return ("seq", value.file, value.line, list(value.item_lines), [_canon(v) for v in value])
    return ("scalar", type(value).__name__, repr(value))


class _Reference(LocatedConstruction, yaml.CSafeLoader):  # type: ignore[misc]
    """PyYAML's own composer and constructor, with egovops' located construction errors."""


def _outcome(text: str, streamed: bool) -> Any:
    problems: list[Problem] = []
    loader = _MemoLoader(text) if streamed else _Reference(text)
    try:
        if streamed:
            data = _Streamer(loader, "f.yaml", problems).document()  # type: ignore[arg-type]
        else:
            node = loader.get_single_node()
            data = None if node is None else _Builder(loader, "f.yaml", problems).build(node)
    except RecursionError:
        return "recursion"
    except Exception as exc:  # the outcome under test
        mark = getattr(exc, "problem_mark", None)
        return (type(exc).__name__, str(exc).split("\n")[0],
                None if mark is None else (mark.line, mark.column))
    finally:
        loader.dispose()
    return _canon(data), problems


CASES = [
    "",
    "# only a comment\n",
    "---\n",
    "--- !!str\n",
    "~",
    "a: 1\nb: [x, 'y', \"z\", 1.5, true, null, 2001-12-14]\nc: {d: e}\n",
    "devices:\n  - id: a\n    interfaces: [{name: e0, addresses: [10.0.0.1/24]}]\n  - id: b\n",
    "a: 1\na: 2\n",
    "a: 1\na: !custom 2\n",
    "<<: {a: 1}\nb: 2\n",
    "? [a]\n: 1\nb: 2\n",
    "!!int 5: a\n1: b\ntrue: c\n",
    "a: &x {k: 1, k: 2}\nb: *x\nc: *x\n",
    "a: 1\na: &z {q: 1}\nb: *z\n",
    "- &i 1\n- *i\n- &m {x: 1}\n- *m\n",
    "&r {a: 1}",
    "&k key: v\nother: *k\n",
    "a: &x 1\nb: &x 2\n",
    "a: [1, *u]\n",
    "a: !!int x\nb: [\n",
    "a: !!int x\n---\nb: 1\n",
    "a: !custom x\nb: *nope\n",
    "a: !custom x\nb: 1\n",
    "? !custom k\n: v\n",
    "a: {b: !custom 1, c: [\n",
    "a: 2001-12-14\nb: !!timestamp bad\n",
    "a: ! 12\nb: !!str 12\nc: '12'\nd: 12\n",
    "a: |\n  literal\n  text\nb: >\n  folded\n",
    "x: &a [*a]\n",
    "a:\n  - x\n - y\n",
    "a: \"\\xZZ\"\n",
    "a: b\n\x07\n",
]


@pytest.mark.parametrize("text", CASES)
def test_stream_matches_node_tree(text: str) -> None:
    assert _outcome(text, streamed=True) == _outcome(text, streamed=False)


def _random_node(rng: random.Random, depth: int, anchors: list[str]) -> str:
    scalars = ["a", "id", "'q'", '"dq"', "1", "0x1f", "1.5", "~", "", "yes", "on", "<<", "=",
               "2001-12-14", "!!str 5", "!!int x", "!custom v", "10.1.2.3/24", "GE0/0/1", "中文"]
    roll = rng.random()
    if roll < 0.08 and anchors:
        return "*" + rng.choice([*anchors, "missing"])
    prefix = ""
    if rng.random() < 0.1:
        anchors.append(rng.choice(["a1", "a2"]))
        prefix = f"&{anchors[-1]} "
    if depth > 3 or roll < 0.5:
        return prefix + rng.choice(scalars)
    if roll < 0.75:
        keys = ["a", "b", "a", "<<", "1", "? [x]", "&k a", "*a1", "!!str k"]
        pairs = [f"{rng.choice(keys)}: {_random_node(rng, depth + 1, anchors)}"
                 for _ in range(rng.randrange(4))]
        return prefix + "{" + ", ".join(pairs) + "}"
    items = [_random_node(rng, depth + 1, anchors) for _ in range(rng.randrange(4))]
    return prefix + "[" + ", ".join(items) + "]"


def test_stream_matches_node_tree_on_random_documents() -> None:
    rng = random.Random(20261122)
    for _ in range(1500):
        anchors: list[str] = []
        lines = [f"k{i}: {_random_node(rng, 0, anchors)}" for i in range(rng.randrange(1, 4))]
        text = "\n".join(lines)
        if rng.random() < 0.05:
            text += "\n---\nmore: 1"
        assert _outcome(text, streamed=True) == _outcome(text, streamed=False), text
