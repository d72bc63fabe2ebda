"""YAML → plain Python data that remembers where every mapping, key and list item came from.

The parser is PyYAML's (libyaml's C parser when available); construction is ours: one pass over
the composed node tree that records 1-based line numbers beside the data and rejects duplicate
keys, which PyYAML would silently overwrite. The loader uses the recorded lines to put
``file:line`` on every problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from egovops.errors import Problem

try:  # libyaml; the pure-Python parser is the fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class LocatedDict(dict[str, Any]):
    """A mapping read from YAML: ``line`` of the mapping and ``key_lines`` of each key."""

    __slots__ = ("file", "key_lines", "line")

    def __init__(self, file: str, line: int) -> None:
        # no dict.__init__ call: a new dict is already empty (this runs once per YAML mapping)
        self.file = file
        self.line = line
        self.key_lines: dict[str, int] = {}


class LocatedList(list[Any]):
    """A sequence read from YAML: ``line`` of the sequence and ``item_lines`` of each item."""

    __slots__ = ("file", "item_lines", "line")

    def __init__(self, file: str, line: int) -> None:
        self.file = file
        self.line = line
        self.item_lines: list[int] = []


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _MemoLoader(_Loader):
    """libyaml's parser with a memo in front of PyYAML's implicit tag resolution.

    libyaml's composer asks the (pure-Python) resolver for the tag of every plain scalar;
    inventories repeat the same words (``switch``, ``outer``, ``1000M`` …) thousands of times.
    Without path resolvers the answer depends only on the text, so it is computed once per
    file and remembered; with path resolvers every call goes to PyYAML as before.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[str, str] = {}
        self._memo = not self.yaml_path_resolvers

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if self._memo and kind is ScalarNode and implicit[0]:
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = _Loader.resolve(self, kind, value, implicit)
            return tag
        return _Loader.resolve(self, kind, value, implicit)


class _Builder:
    """Turns a composed YAML node tree into Located* containers and scalars.

    This runs once per YAML node of the whole site, so the common cases (string scalars,
    plain string keys) take the shortest path; everything else goes through ``build``.
    """

    def __init__(self, loader: Any, file: str, problems: list[Problem]) -> None:
        self._loader = loader
        self._file = file
        self._problems = problems

    def build(self, node: yaml.Node) -> Any:
        cls = node.__class__
        if cls is ScalarNode or isinstance(node, ScalarNode):
            if node.tag == _STR_TAG:
                return node.value
            return self._loader.construct_object(node, deep=True)
        if cls is MappingNode or isinstance(node, MappingNode):
            return self._mapping(node)  # type: ignore[arg-type]
        if cls is SequenceNode or isinstance(node, SequenceNode):
            return self._sequence(node)  # type: ignore[arg-type]
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def _sequence(self, node: yaml.SequenceNode) -> LocatedList:
        seq = LocatedList(self._file, node.start_mark.line + 1)
        items: list[yaml.Node] = node.value
        seq.item_lines = [item.start_mark.line + 1 for item in items]
        build = self.build
        mapping = self._mapping
        construct = self._loader.construct_object
        for item in items:
            cls = item.__class__
            if cls is ScalarNode:
                seq.append(item.value if item.tag == _STR_TAG else construct(item, deep=True))
            elif cls is MappingNode:
                seq.append(mapping(item))  # type: ignore[arg-type]
            else:
                seq.append(build(item))
        return seq

    def _mapping(self, node: yaml.MappingNode) -> LocatedDict:
        mapping = LocatedDict(self._file, node.start_mark.line + 1)
        key_lines = mapping.key_lines
        build = self.build
        construct = self._loader.construct_object
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag == _STR_TAG:
                # the common case: a plain string key
                key = key_node.value
                if key not in key_lines:
                    key_lines[key] = key_node.start_mark.line + 1
                    if value_node.__class__ is ScalarNode:
                        mapping[key] = (
                            value_node.value if value_node.tag == _STR_TAG
                            else construct(value_node, deep=True)
                        )
                    else:
                        mapping[key] = build(value_node)
                    continue
            self._slow_entry(mapping, key_node, value_node)
        return mapping

    def _slow_entry(
        self, mapping: LocatedDict, key_node: yaml.Node, value_node: yaml.Node
    ) -> None:
        """A mapping entry whose key is not a new plain string: report or convert it."""
        line = key_node.start_mark.line + 1
        if key_node.tag == "tag:yaml.org,2002:merge":
            self._problems.append(
                Problem(self._file, line, key_node.start_mark.column + 1,
                        "YAML merge keys ('<<') are not supported; use defaults or groups",
                        "yaml")
            )
            return
        if not isinstance(key_node, ScalarNode):
            self._problems.append(
                Problem(self._file, line, key_node.start_mark.column + 1,
                        "mapping keys must be plain strings", "yaml")
            )
            return
        key = key_node.value if key_node.tag == _STR_TAG else str(self.build(key_node))
        if key in mapping:
            self._problems.append(
                Problem(self._file, line, key_node.start_mark.column + 1,
                        f"duplicate key {key!r} (first at line {mapping.key_lines[key]})",
                        "duplicate-key")
            )
            return
        mapping.key_lines[key] = line
        mapping[key] = self.build(value_node)


def parse_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; return its located data and any problems.

    A syntax error yields ``(None, [problem])`` with the line libyaml reports.
    """
    problems: list[Problem] = []
    loader = _MemoLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, problems
        return _Builder(loader, file, problems).build(node), problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        column = mark.column + 1 if mark is not None else 0
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [Problem(file, line, column, f"YAML syntax: {message}", "yaml")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 0, 0, f"YAML: {exc}", "yaml")]
    finally:
        loader.dispose()


def read_yaml_file(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Read and parse ``path``; unreadable or non-UTF-8 files become problems, not exceptions."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 0, 0, f"not UTF-8 text: {exc.reason}", "encoding")]
    except OSError as exc:
        return None, [Problem(display, 0, 0, f"cannot read: {exc.strerror}", "io")]
    return parse_yaml(text, display)


def line_of(data: Any, loc: tuple[int | str, ...]) -> int:
    """The best line for a path into located data: the deepest element that has a line."""
    line = getattr(data, "line", 0)
    current = data
    for part in loc:
        if isinstance(current, LocatedDict) and isinstance(part, str):
            if part not in current:
                break
            line = current.key_lines.get(part, line)
            current = current[part]
        elif isinstance(current, LocatedList) and isinstance(part, int):
            if not 0 <= part < len(current):
                break
            line = current.item_lines[part]
            current = current[part]
        else:
            continue  # a union branch name or a validator label: not part of the data
    return line
