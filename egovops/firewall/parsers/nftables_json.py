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

from egovops.firewall.model import Action, Bound, Chain, NatKind, Rule, Ruleset, SourceRef
from egovops.firewall.parsers.nft_rule import (
    CHAIN_POLICIES,
    VERDICTS,
    Concat,
    Element,
    Mapped,
    NftRuleBuilder,
    Prefix,
    Range,
    Selector,
    Uncertain,
    spell_element,
)
from egovops.firewall.parsers.nftables import (
    CHAIN_FAMILIES,
    DROPPED_STATEMENTS,
    EFFECT_STATEMENTS,
    NAT_STATEMENTS,
    UNCERTAIN_STATEMENTS,
    report_skips,
)
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

FORMAT = "nftables-json"

INERT_OBJECTS = frozenset({
    "metainfo", "counter", "quota", "limit", "flowtable", "ct helper", "ct timeout",
    "ct expectation", "secmark", "synproxy", "element", "tunnel",
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
        if key == "concat" and isinstance(inner, list):
            parts = [_elements(part) for part in inner]
            if any(len(part) != 1 or isinstance(part[0], Concat | Mapped) for part in parts):
                raise Unreadable(f"concatenation {json.dumps(value)} is not of single values",
                                 "syntax")
            return (Concat(tuple(part[0] for part in parts)),)  # type: ignore[misc]
    raise Unreadable(f"value {json.dumps(value, ensure_ascii=False)} is not supported",
                     "unsupported")


def _number(value: Any, what: str) -> int:
    """A non-negative JSON integer, or ``Unreadable``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unreadable(f"{what} {json.dumps(value)} is not a number", "syntax")
    return value


def _selectors(left: Any) -> tuple[Selector, ...]:
    """The selector(s) of a match's left side; a concatenation has several."""
    if isinstance(left, dict) and len(left) == 1:
        ((key, inner),) = left.items()
        if key == "concat" and isinstance(inner, list):
            return tuple(s for part in inner for s in _selectors(part))
        if isinstance(inner, dict):
            if key == "payload" and "protocol" in inner and "field" in inner:
                return ((str(inner["protocol"]), str(inner["field"])),)
            if key in ("meta", "ct") and "key" in inner and "dir" not in inner:
                return ((key, str(inner["key"])),)
            if key in ("payload", "meta", "ct", "fib", "exthdr", "tcp option", "rt", "socket",
                       "osf", "numgen", "jhash", "symhash", "ipsec", "sctp chunk", "dccp option"):
                raise Uncertain(f"match on {_spell(left)} is not modelled")
        if key in ("&", "|", "^", "<<", ">>"):
            raise Uncertain(f"a bitwise expression ({_spell(left)}) is not modelled")
    raise Unreadable(f"match on {json.dumps(left, ensure_ascii=False)} is not nftables JSON",
                     "syntax")


def _map_elements(data: Any) -> tuple[Element, ...]:
    """``{"set": [[KEY, VERDICT], …]}`` (or ``"@name"``) of a ``vmap`` as map elements."""
    if isinstance(data, str):
        return (data,)
    items = data.get("set") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise Unreadable(f"vmap data {json.dumps(data)} is not a set", "syntax")
    found: list[Element] = []
    for item in items:
        found.append(_mapped(item))
    return tuple(found)


def _mapped(item: Any) -> Mapped:
    if not (isinstance(item, list) and len(item) == 2):
        raise Unreadable(f"map element {json.dumps(item)} is not [key, value]", "syntax")
    (key,) = _elements(item[0])
    if isinstance(key, Mapped):
        raise Unreadable(f"map key {json.dumps(item[0])} is a map element", "syntax")
    value = item[1]
    if isinstance(value, dict) and len(value) == 1:
        ((word, inner),) = value.items()
        target = inner.get("target") if isinstance(inner, dict) else None
        return Mapped(key, (str(word),) if target is None else (str(word), str(target)))
    return Mapped(key, tuple(spell_element(e) for e in _elements(value)))


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
        dynamic: dict[tuple[str, str], set[str]] = {}
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
                if key[0] not in CHAIN_FAMILIES:
                    skipped_tables.add(key)
                    log.skip(item.line, f"table {key[0]} {key[1]}", f"{key[0]} tables filter "
                             f"{key[0].upper()} frames, never IP packets", Bound.NONE)
            elif item.kind in ("set", "map"):
                self._read_set(body, table, sets, unreadable_sets, dynamic)
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
            made = self._read_rule(body, item.line, file, sets.get(where, {}),
                                   unreadable_sets.get(where, {}),
                                   frozenset(dynamic.get(where, ())), log)
            for rule in made:
                if rule.target is not None and (*where, rule.target) not in chains:
                    log.add(item.line, f"rule handle {rule.name}: {rule.action.value} to chain "
                            f"{rule.target!r}, which is not defined in table {where[1]}",
                            "unknown-reference")
                    break
                draft.rules.append(rule)
        result = [self._chain(draft, file, log) for draft in chains.values()
                  if draft.family and (draft.family, draft.table) not in skipped_tables]
        log.raise_if_any()
        objects = {f"{family} {table} @{name}": tuple(_show(e) for e in elements)
                   for (family, table), table_sets in sets.items()
                   for name, elements in table_sets.items()}
        built = [c for c in result if c is not None]
        return Ruleset(tuple(c for nat, c in built if not nat), FORMAT, file, objects,
                       skipped=tuple(log.skipped),
                       nat_chains=tuple(c for nat, c in built if nat))

    @staticmethod
    def _read_set(body: dict[str, Any], table: tuple[str, str],
                  sets: dict[tuple[str, str], dict[str, tuple[Element, ...]]],
                  unreadable: dict[tuple[str, str], dict[str, str]],
                  dynamic: dict[tuple[str, str], set[str]]) -> None:
        name = str(body.get("name", ""))
        flags = body.get("flags", [])
        flags = [flags] if isinstance(flags, str) else flags
        if isinstance(flags, list) and ({"dynamic", "timeout"} & set(map(str, flags))
                                        or "timeout" in body):
            dynamic.setdefault(table, set()).add(name)
        try:
            raw = body.get("elem", [])
            if "map" in body and isinstance(raw, list):
                elements: tuple[Element, ...] = tuple(_mapped(item) for item in raw)
            else:
                elements = _elements(raw)
        except Unreadable as error:
            unreadable.setdefault(table, {})[name] = error.message
            return
        sets.setdefault(table, {})[name] = elements

    @staticmethod
    def _chain(draft: _ChainDraft, file: str, log: ProblemLog) -> tuple[bool, Chain] | None:
        body = draft.body
        hook = body.get("hook")
        chain_type = body.get("type", "filter")
        policy: Action | None = None
        if hook is not None:
            if chain_type not in ("filter", "nat", "route"):
                log.add(draft.line, f"chain {draft.table} {draft.name}: unknown chain type "
                        f"{chain_type!r}", "syntax")
                return None
            word = str(body.get("policy", "accept"))
            if word not in CHAIN_POLICIES:
                log.add(draft.line, f"chain {draft.name}: unknown policy {word!r}", "syntax")
                return None
            policy = CHAIN_POLICIES[word]
        prio = body.get("prio")
        devices = body.get("dev", body.get("device", ()))
        devices = (devices,) if isinstance(devices, str) else devices
        return chain_type == "nat" and hook is not None, Chain(
            name=draft.name,
            rules=tuple(draft.rules),
            hook=None if hook is None else str(hook),
            policy=policy,
            table=draft.table,
            family=draft.family,
            source=SourceRef(file, draft.line),
            priority=prio if isinstance(prio, int) and hook is not None else None,
            devices=tuple(str(d) for d in devices) if isinstance(devices, list | tuple) else (),
        )

    @staticmethod
    def _read_rule(body: dict[str, Any], line: int, file: str,
                   sets: dict[str, tuple[Element, ...]], unreadable_sets: dict[str, str],
                   dynamic: frozenset[str], log: ProblemLog) -> list[Rule]:
        handle = body.get("handle")
        label = f"rule handle {handle}" if handle is not None else "rule"
        builder = NftRuleBuilder(str(body.get("family", "")), sets, unreadable_sets,
                                 dynamic_sets=dynamic)
        before = len(log)
        spelled: list[str] = []
        expressions = body.get("expr")
        if not isinstance(expressions, list):
            log.add(line, f"{label}: no 'expr' list", "syntax")
            return []
        for expression in expressions:
            if not isinstance(expression, dict) or len(expression) != 1:
                log.add(line, f"{label}: expression {json.dumps(expression)} is not an object "
                        "with one key", "syntax")
                continue
            ((kind, inner),) = expression.items()
            spelled.append(_spell_statement(kind, inner))
            try:
                _apply(builder, kind, inner)
            except Uncertain as error:
                builder.unsure(_spell_statement(kind, inner), error.message)
            except Unreadable as error:
                log.add(line, f"{label}: {error.message}", error.code, error.column)
            except (TypeError, ValueError, AttributeError) as error:  # JSON of the wrong shape
                log.add(line, f"{label}: malformed '{kind}' expression ({error})", "syntax")
        comment = str(body.get("comment", ""))
        if comment:
            spelled.append(f"comment {json.dumps(comment, ensure_ascii=False)}")
        if len(log) > before:
            return []
        try:
            made = builder.rules(SourceRef(file, line), " ".join(spelled),
                                 name="" if handle is None else str(handle), comment=comment)
        except Unreadable as error:
            log.add(line, f"{label}: {error.message}", error.code, error.column)
            return []
        report_skips(builder, lambda construct, reason, bound: log.skip(
            line, construct, reason, bound, label))
        return [] if builder.dropped else made


def _apply(builder: NftRuleBuilder, kind: str, inner: Any) -> None:
    """One expression of a rule's ``expr`` list."""
    if kind == "match":
        if not isinstance(inner, dict) or "left" not in inner or "right" not in inner:
            raise Unreadable("match without 'left' and 'right'", "syntax")
        selectors = _selectors(inner["left"])
        op = str(inner.get("op", "=="))
        if op in ("&", "|"):
            raise Uncertain("a bitwise match is not modelled")
        if len(selectors) > 1:
            builder.concat_condition(selectors, op, _elements(inner["right"]))
        else:
            builder.condition(selectors[0], op, _elements(inner["right"]))
    elif kind == "vmap":
        if not isinstance(inner, dict) or "key" not in inner or "data" not in inner:
            raise Unreadable("vmap without 'key' and 'data'", "syntax")
        builder.verdict_map(_selectors(inner["key"]), _map_elements(inner["data"]))
    elif kind in NAT_STATEMENTS:
        _nat(builder, NAT_STATEMENTS[kind], inner)
    elif kind == "mangle":
        builder.effect(_spell_statement(kind, inner), "sets packet or connection metadata "
                       "that later matches may test; the model does not follow it")
    elif kind in UNCERTAIN_STATEMENTS:
        raise Uncertain(UNCERTAIN_STATEMENTS[kind])
    elif kind in EFFECT_STATEMENTS or kind in ("ct helper", "ct timeout", "ct expectation",
                                                "set", "map", "tcp option"):
        reason, bound = EFFECT_STATEMENTS.get(kind, ("changes connection metadata; not "
                                                     "followed", Bound.NONE))
        builder.effect(_spell_statement(kind, inner), reason, bound)
    elif kind in DROPPED_STATEMENTS:
        builder.dropped = (f"'{kind}' hands the packet to something outside the ruleset")
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
        raise Unreadable(f"statement '{kind}' is not nftables JSON", "syntax")


def _nat(builder: NftRuleBuilder, kind: NatKind, inner: Any) -> None:
    """``{"dnat": {"addr": "10.0.0.5", "port": 8080}}``, ``{"masquerade": null}``…"""
    if inner is None:
        builder.translate(kind, None)
        return
    if not isinstance(inner, dict):
        raise Unreadable(f"{kind} {json.dumps(inner)} is not an object", "syntax")
    addr, port = inner.get("addr"), inner.get("port")
    mapped = any(isinstance(v, dict) and "map" in v for v in (addr, port))
    if mapped:
        builder.translate(kind, None)
        builder.unsure(_spell_statement(kind, inner),
                       "the NAT address is looked up in a map at run time")
        return

    def first(value: Any) -> str:
        if isinstance(value, dict) and "range" in value and isinstance(value["range"], list):
            return "-".join(str(v) for v in value["range"])
        if isinstance(value, dict) and "prefix" in value:
            return spell_element(_elements(value)[0])
        return str(value)

    where = "" if addr is None else first(addr)
    if ":" in where and port is not None:
        where = f"[{where}]"
    if port is not None:
        where = f"{where}:{first(port)}"
    builder.translate(kind, where or None)


_show = spell_element
