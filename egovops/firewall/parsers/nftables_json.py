"""Parser for ``nft -j list ruleset`` (libnftables JSON, schema version 1).

The document is ``{"nftables": [ {"metainfo": …}, {"table": …}, {"set": …}, {"chain": …},
{"rule": …}, … ]}``. Tables of the families ``ip``, ``ip6``, ``inet`` and ``netdev`` are read;
named sets resolve ``"@name"`` references; each rule's ``expr`` list goes through
:class:`~egovops.firewall.parsers.nft_rule.NftRuleBuilder`, like the text format.

JSON carries no line numbers. When the document is pretty-printed (every list element on its
own line) a rule's :class:`~egovops.firewall.model.SourceRef` gives the line of its
``"rule": {`` key; in ``nft -j`` output (one line) it is 0. The rule's ``handle`` is always its
``name``, so findings can still point at ``nft -a list ruleset``.

Named objects that only matter when a rule uses them (counters, quotas, limits, flowtables, ct
helpers/timeouts, maps) are accepted as declarations; a rule statement using them is reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from egovops.firewall.model import Action, Chain, Rule, Ruleset, SourceRef
from egovops.firewall.parsers.nft_rule import (
    CHAIN_POLICIES,
    FAMILY_VERSION,
    VERDICTS,
    Element,
    NftRuleBuilder,
    Prefix,
    Range,
)
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

FORMAT = "nftables-json"

INERT_OBJECTS = frozenset({
    "metainfo", "counter", "quota", "limit", "flowtable", "ct helper", "ct timeout",
    "ct expectation", "secmark", "synproxy", "map", "element",
})
"""Top-level objects that have no effect on filtering unless a rule uses them."""

SHORT_META = frozenset({"iifname", "oifname", "iif", "oif"})
"""``meta`` keys that nft prints without ``meta``."""

_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class _Item:
    """One element of the ``nftables`` list: its kind (``rule``…), body and line (0 = unknown)."""

    kind: str
    body: Any
    line: int


@dataclass
class _ChainDraft:
    family: str
    table: str
    name: str
    line: int
    body: dict[str, Any]
    rules: list[Rule] = field(default_factory=list)


def _expect(text: str, index: int, char: str) -> int:
    index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
    if text[index:index + 1] != char:
        raise json.JSONDecodeError(f"expected {char!r}", text, index)
    return index + 1


def _items(text: str) -> list[_Item]:
    """The ``nftables`` list with the position of each element's value.

    A small walk over the two outer levels (``raw_decode`` does the rest) so that each element
    keeps the line it starts on; ``json.loads`` would lose it.
    """
    decoder = json.JSONDecoder()
    found: list[tuple[str, Any, int]] = []
    index = _expect(text, 0, "{")
    seen_list = False
    while True:
        index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
        if text[index:index + 1] == "}":
            break
        key, index = decoder.raw_decode(text, index)
        index = _expect(text, index, ":")
        index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
        if key != "nftables":
            _, index = decoder.raw_decode(text, index)
        else:
            seen_list = True
            index = _expect(text, index, "[")
            while True:
                index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
                if text[index:index + 1] == "]":
                    index += 1
                    break
                index = _expect(text, index, "{")
                index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
                kind, index = decoder.raw_decode(text, index)
                start = index
                index = _expect(text, index, ":")
                index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
                body, index = decoder.raw_decode(text, index)
                index = _expect(text, index, "}")
                found.append((str(kind), body, text.count("\n", 0, start) + 1))
                index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
                if text[index:index + 1] == ",":
                    index += 1
        index = _SPACE.match(text, index).end()  # type: ignore[union-attr]
        if text[index:index + 1] == ",":
            index += 1
    if not seen_list:
        raise json.JSONDecodeError('no "nftables" list in the document', text, 0)
    lines = [line for _, _, line in found]
    return [_Item(kind, body, line if lines.count(line) == 1 else 0)
            for kind, body, line in found]


def _elements(value: Any) -> tuple[Element, ...]:
    """A JSON right-hand side as value elements."""
    if isinstance(value, bool) or value is None:
        raise Unreadable(f"value {json.dumps(value)} is not supported", "unsupported")
    if isinstance(value, str | int):
        return (str(value),)
    if isinstance(value, list):
        return tuple(e for item in value for e in _elements(item))
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "set":
            return _elements(inner if isinstance(inner, list) else [inner])
        if key == "prefix" and isinstance(inner, dict):
            return (Prefix(str(inner.get("addr")), _number(inner.get("len"), "prefix len")),)
        if key == "range" and isinstance(inner, list) and len(inner) == 2:
            return (Range(str(inner[0]), str(inner[1])),)
        if key == "elem" and isinstance(inner, dict) and "val" in inner:
            return _elements(inner["val"])
    raise Unreadable(f"value {json.dumps(value, ensure_ascii=False)} is not supported",
                     "unsupported")


def _number(value: Any, what: str) -> int:
    """A non-negative JSON integer, or ``Unreadable``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unreadable(f"{what} {json.dumps(value)} is not a number", "syntax")
    return value


def _selector(left: Any) -> tuple[str, ...]:
    if isinstance(left, dict) and len(left) == 1:
        ((key, inner),) = left.items()
        if isinstance(inner, dict):
            if key == "payload" and "protocol" in inner and "field" in inner:
                return (str(inner["protocol"]), str(inner["field"]))
            if key in ("meta", "ct") and "key" in inner and "dir" not in inner:
                return (key, str(inner["key"]))
    raise Unreadable(f"match on {json.dumps(left, ensure_ascii=False)} is not supported",
                     "unsupported")


def _spell(value: Any) -> str:
    """nft text for a JSON value, for the rule's evidence text."""
    if isinstance(value, list):
        return ",".join(_spell(v) for v in value)
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "set" and isinstance(inner, list):
            return "{ " + ", ".join(_spell(v) for v in inner) + " }"
        if key == "prefix" and isinstance(inner, dict):
            return f"{inner.get('addr')}/{inner.get('len')}"
        if key == "range" and isinstance(inner, list):
            return "-".join(_spell(v) for v in inner)
        if key == "meta" and isinstance(inner, dict) and str(inner.get("key")) in SHORT_META:
            return str(inner["key"])
        if key in ("payload", "meta", "ct") and isinstance(inner, dict):
            parts = [inner.get("protocol", key if key != "payload" else ""),
                     inner.get("field", inner.get("key", ""))]
            return " ".join(str(p) for p in parts if p)
    if isinstance(value, str) and not value.startswith("@") and not value.isdigit() \
            and not re.fullmatch(r"[\w.:/-]+", value):
        return json.dumps(value, ensure_ascii=False)
    return str(value) if not isinstance(value, dict) else json.dumps(value, ensure_ascii=False)


def _spell_statement(kind: str, body: Any) -> str:
    if kind == "match" and isinstance(body, dict):
        op = body.get("op", "==")
        shown = "" if op in ("==", "in") else f"{op} "
        return f"{_spell(body.get('left'))} {shown}{_spell(body.get('right'))}"
    if kind == "counter" and isinstance(body, dict):
        return f"counter packets {body.get('packets', 0)} bytes {body.get('bytes', 0)}"
    if kind == "log" and isinstance(body, dict) and "prefix" in body:
        return f"log prefix {json.dumps(body['prefix'], ensure_ascii=False)}"
    if kind in ("jump", "goto") and isinstance(body, dict):
        return f"{kind} {body.get('target')}"
    if body is None or kind in ("log", "reject"):
        return kind
    return f"{kind} {json.dumps(body, ensure_ascii=False)}"


class NftablesJsonParser:
    """``nft -j list ruleset`` output; see the module docstring for what is read."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` is a JSON object with an ``nftables`` list."""
        head = text.lstrip()[:400]
        return head.startswith("{") and re.search(r'"nftables"\s*:\s*\[', head) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read the document; raises :class:`~egovops.errors.ConfigError` listing all problems."""
        log = ProblemLog(file, FORMAT)
        try:
            items = _items(text)
        except json.JSONDecodeError as error:
            log.add(error.lineno, f"not valid nftables JSON: {error.msg}", "syntax",
                    error.colno)
            raise log.error() from None
        tables: dict[tuple[str, str], int] = {}
        skipped_tables: set[tuple[str, str]] = set()
        sets: dict[tuple[str, str], dict[str, tuple[Element, ...]]] = {}
        unreadable_sets: dict[tuple[str, str], dict[str, str]] = {}
        chains: dict[tuple[str, str, str], _ChainDraft] = {}
        rules: list[_Item] = []
        for item in items:
            body = item.body
            if not isinstance(body, dict):
                if item.kind not in INERT_OBJECTS:
                    log.add(item.line, f"'{item.kind}' object is not a JSON object", "syntax")
                continue
            table = (str(body.get("family", "")), str(body.get("table", "")))
            if item.kind == "table":
                key = (str(body.get("family", "")), str(body.get("name", "")))
                tables[key] = item.line
                if key[0] not in FAMILY_VERSION:
                    skipped_tables.add(key)
                    log.add(item.line, f"table {key[0]} {key[1]}: family {key[0]!r} is not "
                            "supported (only ip, ip6, inet and netdev tables filter IP)",
                            "unsupported")
            elif item.kind == "set":
                self._read_set(body, table, sets, unreadable_sets)
            elif item.kind == "chain":
                name = str(body.get("name", ""))
                chains[(*table, name)] = _ChainDraft(table[0], table[1], name, item.line, body)
            elif item.kind == "rule":
                rules.append(item)
            elif item.kind not in INERT_OBJECTS:
                log.add(item.line, f"unknown object '{item.kind}' in the nftables list",
                        "unsupported")
        for item in rules:
            body = item.body
            where = (str(body.get("family", "")), str(body.get("table", "")))
            chain_name = str(body.get("chain", ""))
            if where in skipped_tables:
                continue
            draft = chains.get((*where, chain_name))
            if draft is None:
                log.add(item.line, f"rule handle {body.get('handle')} belongs to chain "
                        f"{' '.join(where)} {chain_name}, which is not listed",
                        "unknown-reference")
                continue
            rule = self._read_rule(body, item.line, file, sets.get(where, {}),
                                   unreadable_sets.get(where, {}), log)
            if rule is not None:
                if rule.target is not None and (*where, rule.target) not in chains:
                    log.add(item.line, f"rule handle {rule.name}: {rule.action.value} to chain "
                            f"{rule.target!r}, which is not defined in table {where[1]}",
                            "unknown-reference")
                draft.rules.append(rule)
        result = [self._chain(draft, file, log) for draft in chains.values()
                  if draft.family and (draft.family, draft.table) not in skipped_tables]
        log.raise_if_any()
        objects = {f"{family} {table} @{name}": tuple(_show(e) for e in elements)
                   for (family, table), table_sets in sets.items()
                   for name, elements in table_sets.items()}
        return Ruleset(tuple(c for c in result if c is not None), FORMAT, file, objects,
                       skipped=tuple(log.skipped))

    @staticmethod
    def _read_set(body: dict[str, Any], table: tuple[str, str],
                  sets: dict[tuple[str, str], dict[str, tuple[Element, ...]]],
                  unreadable: dict[tuple[str, str], dict[str, str]]) -> None:
        name = str(body.get("name", ""))
        try:
            elements = _elements(body.get("elem", []))
        except Unreadable as error:
            unreadable.setdefault(table, {})[name] = error.message
            return
        sets.setdefault(table, {})[name] = elements

    @staticmethod
    def _chain(draft: _ChainDraft, file: str, log: ProblemLog) -> Chain | None:
        body = draft.body
        hook = body.get("hook")
        chain_type = body.get("type", "filter")
        policy: Action | None = None
        if hook is not None:
            if chain_type != "filter":
                log.add(draft.line, f"chain {draft.table} {draft.name}: type {chain_type} "
                        "chains are not supported (only filtering is modelled; list the "
                        "filter tables alone)", "unsupported")
                return None
            word = str(body.get("policy", "accept"))
            if word not in CHAIN_POLICIES:
                log.add(draft.line, f"chain {draft.name}: unknown policy {word!r}", "syntax")
                return None
            policy = CHAIN_POLICIES[word]
        prio = body.get("prio")
        return Chain(
            name=draft.name,
            rules=tuple(draft.rules),
            hook=None if hook is None else str(hook),
            policy=policy,
            table=draft.table,
            family=draft.family,
            source=SourceRef(file, draft.line),
            priority=prio if isinstance(prio, int) and hook is not None else None,
        )

    @staticmethod
    def _read_rule(body: dict[str, Any], line: int, file: str,
                   sets: dict[str, tuple[Element, ...]], unreadable_sets: dict[str, str],
                   log: ProblemLog) -> Rule | None:
        handle = body.get("handle")
        label = f"rule handle {handle}" if handle is not None else "rule"
        builder = NftRuleBuilder(str(body.get("family", "")), sets, unreadable_sets)
        before = len(log)
        spelled: list[str] = []
        expressions = body.get("expr")
        if not isinstance(expressions, list):
            log.add(line, f"{label}: no 'expr' list", "syntax")
            return None
        for expression in expressions:
            if not isinstance(expression, dict) or len(expression) != 1:
                log.add(line, f"{label}: expression {json.dumps(expression)} is not an object "
                        "with one key", "syntax")
                continue
            ((kind, inner),) = expression.items()
            spelled.append(_spell_statement(kind, inner))
            try:
                _apply(builder, kind, inner)
            except Unreadable as error:
                log.add(line, f"{label}: {error.message}", error.code, error.column)
            except (TypeError, ValueError, AttributeError) as error:  # JSON of the wrong shape
                log.add(line, f"{label}: malformed '{kind}' expression ({error})", "syntax")
        comment = str(body.get("comment", ""))
        if comment:
            spelled.append(f"comment {json.dumps(comment, ensure_ascii=False)}")
        if len(log) > before:
            return None
        return builder.rule(SourceRef(file, line), " ".join(spelled),
                            name="" if handle is None else str(handle), comment=comment)


def _apply(builder: NftRuleBuilder, kind: str, inner: Any) -> None:
    """One expression of a rule's ``expr`` list."""
    if kind == "match":
        if not isinstance(inner, dict) or "left" not in inner or "right" not in inner:
            raise Unreadable("match without 'left' and 'right'", "syntax")
        builder.condition(_selector(inner["left"]), str(inner.get("op", "==")),
                          _elements(inner["right"]))
    elif kind == "counter":
        if isinstance(inner, dict):
            builder.counter(_number(inner.get("packets", 0), "counter packets"),
                            _number(inner.get("bytes", 0), "counter bytes"))
        elif not isinstance(inner, str):  # a named counter: counts, matches everything
            raise Unreadable("counter without values", "syntax")
    elif kind == "log":
        builder.log_statement()
    elif kind in VERDICTS:
        target = inner.get("target") if isinstance(inner, dict) else None
        builder.verdict(kind, None if target is None else str(target))
    else:
        raise Unreadable(f"statement '{kind}' is not supported", "unsupported")


def _show(element: Element) -> str:
    if isinstance(element, Prefix):
        return f"{element.addr}/{element.length}"
    if isinstance(element, Range):
        return f"{element.lo}-{element.hi}"
    return element
