"""YAML → plain Python data that remembers where every mapping, key and list item came from.

The parser is PyYAML's (libyaml's C parser when available); construction is ours: one pass that
records 1-based line numbers beside the data and rejects duplicate keys, which PyYAML would
silently overwrite. The loader uses the recorded lines to put ``file:line`` on every problem.
The pass reads libyaml's event stream directly (:class:`_Streamer`) and composes PyYAML nodes
only where YAML needs them (anchors, aliases, odd keys), with the same results and errors as
building from the composed node tree (:class:`_Builder`), at about half the cost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
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
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SEQ_TAG = "tag:yaml.org,2002:seq"


_resolve_tag: Callable[[Any, Any, Any, Any], Any] = _Loader.resolve


class LocatedConstruction:
    """Scalar construction whose errors are located (mixed into the loaders)."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """PyYAML's construction, except that a scalar it cannot build (a timestamp-shaped
        ``2026-13-01``, say) stays its text, so validation reports it at its line instead of
        the loader crashing."""
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, OverflowError) as exc:
            if not isinstance(node, ScalarNode):
                raise
            if node.tag == _TIMESTAMP_TAG:
                return node.value
            # an explicit tag the text does not fit (``!!int x``): a located YAML problem
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}",
                node.start_mark) from exc



class _MemoLoader(LocatedConstruction, _Loader):
    """libyaml's parser with a short cut in front of PyYAML's implicit tag resolution.

    libyaml's composer asks the (pure-Python) resolver for the tag of every plain scalar. With
    no path resolvers registered the answer depends on the text alone: text whose first
    character starts no implicit pattern (``switch``, ``GE0/0/1``, ids …) is a string, and any
    other text (``10.1.2.3/24``, ``1000M``, ``outer`` …) is resolved once per file and
    remembered. With path resolvers every call goes to PyYAML as before.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[str, str] = {}
        resolvers = self.yaml_implicit_resolvers
        self._memo = not self.yaml_path_resolvers
        self._plain_start = None not in resolvers  # no pattern applies to every first char
        self._starts = frozenset(k for k in resolvers if k)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if self._memo and kind is ScalarNode and implicit[0]:
            if self._plain_start and value and value[0] not in self._starts:
                return _STR_TAG
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = _resolve_tag(self, kind, value, implicit)
            return tag
        return _resolve_tag(self, kind, value, implicit)


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
            self.entry(mapping, key_node, value_node)
        return mapping

    def entry(self, mapping: LocatedDict, key_node: yaml.Node, value_node: yaml.Node) -> None:
        """Add one mapping entry, or report why not (merge key, non-string or duplicate key)."""
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


class _Streamer:
    """Builds the located data of one document straight from libyaml's event stream.

    The result, problems and errors are exactly those of composing the whole node tree with
    ``get_single_node`` and handing it to :class:`_Builder`, at about half the cost: a
    province's inventory has millions of YAML nodes, and creating each node (with its resolver
    calls) cost more than the parse itself. The common shapes (mappings and sequences of plain
    scalars, plain string keys) are built as their events arrive. Anything else — anchors,
    aliases, merge keys, keys that are not new plain strings — is composed into nodes the way
    PyYAML's composer does and handed to :class:`_Builder`. Errors keep their precedence: an
    error while building a value (an unknown ``!tag``) is held back until the whole document
    has composed, so a later syntax error is still the one reported, as before.
    """

    def __init__(self, loader: _MemoLoader, file: str, problems: list[Problem]) -> None:
        self._loader = loader
        self._file = file
        self._builder = _Builder(loader, file, problems)
        self._get: Callable[[], Any] = loader.get_event
        self._resolve = loader.resolve
        # the resolver's own short cut, inlined below for untagged scalars: with no pattern for
        # their first character (or quoted), they are strings
        self._plain = loader._plain_start
        self._starts = loader._starts
        self._anchors: dict[str, yaml.Node] = {}
        self._error: Exception | None = None

    def document(self) -> Any:
        """The single document of the stream (``None`` if there is none); as ``get_single_node``."""
        get = self._get
        get()  # StreamStartEvent
        event = get()
        data = None
        if event.__class__ is not StreamEndEvent:
            first = get()  # the DocumentStartEvent was ``event``
            data = self._value(first)
            get()  # DocumentEndEvent
            self._anchors = {}
            event = get()
            if event.__class__ is not StreamEndEvent:
                raise ComposerError("expected a single document in the stream",
                                    first.start_mark, "but found another document",
                                    event.start_mark)
        if self._error is not None:
            raise self._error
        return data

    def _value(self, event: Any) -> Any:
        cls = event.__class__
        if cls is ScalarEvent and event.anchor is None:
            tag = event.tag
            text = event.value
            if tag is None and self._plain and (
                not event.implicit[0] or (text and text[0] not in self._starts)
            ):
                return text
            if tag is None or tag == "!":
                tag = self._resolve(ScalarNode, text, event.implicit)
            if tag == _STR_TAG:
                return text
            return self._deferred(
                self._loader.construct_object,
                ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style),
            )
        if cls is MappingStartEvent and event.anchor is None:
            return self._mapping(event)
        if cls is SequenceStartEvent and event.anchor is None:
            return self._sequence(event)
        return self._deferred(self._builder.build, self._compose(event))

    def _deferred(self, build: Callable[[yaml.Node], Any], node: yaml.Node) -> Any:
        """``build(node)``; an error is kept for the end of the document (see the class)."""
        try:
            return build(node)
        except Exception as exc:  # re-raised once the document has composed
            if self._error is None:
                self._error = exc
            return None

    def _mapping(self, start: Any) -> LocatedDict:
        mapping = LocatedDict(self._file, start.start_mark.line + 1)
        key_lines = mapping.key_lines
        get = self._get
        value = self._value
        plain, starts = self._plain, self._starts
        while True:
            key = get()
            cls = key.__class__
            if cls is MappingEndEvent:
                return mapping
            if cls is ScalarEvent and key.anchor is None:
                tag = key.tag
                name = key.value
                if tag is None and plain and (
                    not key.implicit[0] or (name and name[0] not in starts)
                ):
                    tag = _STR_TAG
                elif tag is None or tag == "!":
                    tag = self._resolve(ScalarNode, name, key.implicit)
                if tag == _STR_TAG and name not in key_lines:
                    key_lines[name] = key.start_mark.line + 1
                    event = get()
                    cls = event.__class__
                    if cls is ScalarEvent and event.tag is None and plain:
                        text = event.value
                        if event.anchor is None and (
                            not event.implicit[0] or (text and text[0] not in starts)
                        ):
                            mapping[name] = text
                            continue
                    elif cls is SequenceStartEvent and event.anchor is None:
                        mapping[name] = self._sequence(event)
                        continue
                    elif cls is MappingStartEvent and event.anchor is None:
                        mapping[name] = self._mapping(event)
                        continue
                    mapping[name] = value(event)
                    continue
                key_node: yaml.Node = ScalarNode(tag, name, key.start_mark, key.end_mark,
                                                 key.style)
            else:
                key_node = self._compose(key)
            value_node = self._compose(get())
            try:
                self._builder.entry(mapping, key_node, value_node)
            except Exception as exc:  # re-raised once the document has composed
                if self._error is None:
                    self._error = exc

    def _sequence(self, start: Any) -> LocatedList:
        seq = LocatedList(self._file, start.start_mark.line + 1)
        lines = seq.item_lines
        get = self._get
        value = self._value
        while True:
            item = get()
            cls = item.__class__
            if cls is SequenceEndEvent:
                return seq
            if cls is MappingStartEvent and item.anchor is None:
                lines.append(item.start_mark.line + 1)
                seq.append(self._mapping(item))
            elif cls is not AliasEvent and item.anchor is None:
                lines.append(item.start_mark.line + 1)
                seq.append(value(item))
            else:
                node = self._compose(item)
                lines.append(node.start_mark.line + 1)
                seq.append(self._deferred(self._builder.build, node))

    def _compose(self, event: Any) -> yaml.Node:
        """The node tree starting at ``event``, as libyaml's composer (``_compose_node``) builds
        it: same tags, marks, anchors and errors."""
        cls = event.__class__
        if cls is AliasEvent:
            node = self._anchors.get(event.anchor)
            if node is None:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            return node
        anchor = event.anchor
        if anchor is not None and anchor in self._anchors:
            raise ComposerError("found duplicate anchor; first occurrence",
                                self._anchors[anchor].start_mark, "second occurrence",
                                event.start_mark)
        tag = event.tag
        resolve = tag is None or tag == "!"
        get = self._get
        result: yaml.Node
        if cls is ScalarEvent:
            if resolve:
                tag = self._resolve(ScalarNode, event.value, event.implicit)
            result = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            if anchor is not None:
                self._anchors[anchor] = result
            return result
        if cls is SequenceStartEvent:
            if resolve:
                tag = self._resolve(SequenceNode, None, event.implicit)
            items: list[yaml.Node] = []
            result = SequenceNode(tag, items, event.start_mark, None, event.flow_style)
            if anchor is not None:
                self._anchors[anchor] = result
            while (item := get()).__class__ is not SequenceEndEvent:
                items.append(self._compose(item))
            result.end_mark = item.end_mark
            return result
        if resolve:
            tag = self._resolve(MappingNode, None, event.implicit)
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        result = MappingNode(tag, pairs, event.start_mark, None, event.flow_style)
        if anchor is not None:
            self._anchors[anchor] = result
        while (key := get()).__class__ is not MappingEndEvent:
            key_node = self._compose(key)
            pairs.append((key_node, self._compose(get())))
        result.end_mark = key.end_mark
        return result


def parse_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document; return its located data and any problems.

    A syntax error yields ``(None, [problem])`` with the line libyaml reports.
    """
    problems: list[Problem] = []
    loader = _MemoLoader(text)
    try:
        if not loader.yaml_path_resolvers:
            return _Streamer(loader, file, problems).document(), problems
        # path resolvers (registered by other code) make tags depend on the position in the
        # tree: leave composing to PyYAML
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
