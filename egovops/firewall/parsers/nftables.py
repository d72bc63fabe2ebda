"""Parser for ``nft list ruleset`` text and ``nft -f`` files written in the block form.

Reads ``table FAMILY NAME { … }`` blocks with their ``set``, ``map`` and ``chain`` blocks; base
chains from ``type filter|route|nat hook H [device D] priority P; policy X;`` (named priorities
such as ``filter + 10`` resolved to numbers); and each rule line through the same
:class:`~egovops.firewall.parsers.nft_rule.NftRuleBuilder` as the JSON parser, with its real
file and line. A trailing ``# handle N`` (``nft -a``) becomes the rule's ``name``.

Script syntax of ``nft -f`` files: ``define NAME = value`` (and ``redefine``/``undefine``)
substitutes ``$NAME`` in later lines; ``include "file"`` reads the file (or glob) relative to
the including file's folder, in place; a missing include is a parse warning that bends the proof
both ways (its rules are unknown). ``flush ruleset``/``flush table``/``delete table`` lines are
no-ops for a file read on its own. One-line blocks (``chain c { type filter hook input priority
0; policy drop; }``) are read like their multi-line form.

Families: ``ip``, ``ip6``, ``inet``, ``netdev`` and ``bridge`` tables become chains (``netdev``
``ingress`` chains remember their devices: they see only those interfaces' packets; ``bridge``
chains see bridged frames, not routed packets: see :mod:`egovops.firewall.path`); ``arp`` tables
filter ARP, never IP, and are recorded as skipped. ``type nat`` chains go to
:attr:`~egovops.firewall.model.Ruleset.nat_chains`.

Declarations that only matter when a rule uses them (``counter``, ``quota``, ``limit``,
``flowtable``, ``ct helper``…) are skipped as blocks; named sets and maps (also concatenated
``type ipv4_addr . inet_service`` and verdict maps) are read, and sets filled at run time
(``flags dynamic``/``timeout``, or by ``add``/``update @set`` statements) make their matches
uncertain.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from egovops.errors import Problem
from egovops.firewall.model import Bound, Chain, NatKind, Rule, Ruleset, Skipped, SourceRef
from egovops.firewall.parsers.nft_rule import (
    CHAIN_POLICIES,
    FAMILY_VERSION,
    OPERATORS,
    PORT_PROTOCOLS,
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
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

FORMAT = "nftables"

SkipSink = Callable[[str, str, Bound], None]
"""Receives (construct, reason, bound) of each construct a rule's model leaves out."""

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{},;]|#.*|[^\s{},;"#]+')

INERT_BLOCKS = frozenset({
    "counter", "quota", "limit", "flowtable", "secmark", "synproxy", "ct", "tunnel",
})
"""Table-level declarations skipped as blocks (inert unless a rule uses them)."""

SET_OPTIONS = frozenset({
    "type", "typeof", "flags", "timeout", "gc-interval", "size", "policy", "counter",
    "auto-merge", "comment",
})

PRIORITIES: dict[str, int] = {
    "raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100,
}
BRIDGE_PRIORITIES: dict[str, int] = {"dstnat": -300, "filter": -200, "out": 100, "srcnat": 300}

CHAIN_FAMILIES = frozenset({*FAMILY_VERSION, "bridge"})
"""Table families whose chains see IP packets (bridge: bridged ones)."""

PAYLOADS = frozenset({"ip", "ip6", "icmp", "icmpv6", *PORT_PROTOCOLS})
HEADERS = frozenset({
    "ether", "vlan", "arp", "igmp", "ah", "esp", "comp", "gre", "rt", "frag", "hbh", "dst",
    "mh", "srh", "exthdr", "vxlan", "geneve", "ipsec",
})
"""Other protocol headers nft matches on: valid, not modelled (uncertain)."""
SHORT_META = frozenset({"iifname", "oifname", "iif", "oif", "l4proto", "nfproto", "mark",
                        "iiftype", "oiftype", "skuid", "skgid", "rtclassid", "ibrname",
                        "obrname", "cpu", "cgroup", "pkttype", "priority"})
"""``meta`` keys nft prints without ``meta``."""
LOG_OPTIONS = frozenset({"prefix", "level", "group", "snaplen", "queue-threshold", "flags"})
NAT_STATEMENTS = {"dnat": NatKind.DNAT, "snat": NatKind.SNAT, "masquerade": NatKind.MASQUERADE,
                  "redirect": NatKind.REDIRECT}
NAT_FLAGS = frozenset({"random", "fully-random", "persistent", "netmap", ","})
UNCERTAIN_STATEMENTS: dict[str, str] = {
    "limit": "a rate limit matches only while the rate is not exceeded",
    "quota": "a quota matches only until the byte count is reached",
    "numgen": "a generated number is not modelled",
    "jhash": "a hash is not modelled",
    "symhash": "a hash is not modelled",
    "socket": "socket lookups are not modelled",
    "osf": "OS fingerprints are not modelled",
    "xt": "an iptables extension inside nftables (xt) is not modelled",
    "last": "'last used' timestamps are not modelled",
    "inner": "inner (tunnel) headers are not modelled",
}
"""Match-like statements that may or may not match: the rule is uncertain."""
EFFECT_STATEMENTS: dict[str, tuple[str, Bound]] = {
    "notrack": ("the packet becomes untracked (ct state untracked) for later rules; not "
                "followed", Bound.BOTH),
    "dup": ("a copy of the packet is sent elsewhere; the original goes on", Bound.NONE),
    "add": ("adds an element to a set at run time", Bound.NONE),
    "update": ("updates a set at run time", Bound.NONE),
    "delete": ("deletes an element of a set at run time", Bound.NONE),
    "set": ("changes a set at run time", Bound.NONE),
    "flow": ("offloads the connection to a flowtable", Bound.NONE),
}
"""Statements whose effect the model does not follow; the packet goes on."""
DROPPED_STATEMENTS = frozenset({"queue", "fwd", "tproxy", "synproxy"})
"""Statements that hand the packet to something outside the ruleset: the rule is left out."""


class Token(NamedTuple):
    """One word, quoted string or punctuation of a line, with its 1-based column."""

    text: str
    column: int
    quoted: bool = False

    @property
    def value(self) -> str:
        """The text with quotes and escapes removed."""
        if not self.quoted:
            return self.text
        return re.sub(r"\\(.)", r"\1", self.text[1:-1])


def tokenize(line: str) -> tuple[list[Token], str]:
    """Tokens of ``line`` and its trailing ``#`` comment (without ``#``)."""
    tokens: list[Token] = []
    comment = ""
    for found in _TOKEN.finditer(line):
        text = found.group()
        if text.startswith("#"):
            comment = text[1:].strip()
            break
        tokens.append(Token(text, found.start() + 1, text.startswith('"')))
    return tokens, comment


@dataclass
class _Line:
    """One logical line: where it was written, its tokens (defines substituted)."""

    file: str
    number: int
    tokens: list[Token]
    comment: str
    raw: str
    split: bool = False
    """Cut out of a one-line block (``chain c { … }``): ``raw`` holds more than this line."""


@dataclass
class _RuleLine:
    line: _Line
    text: str
    handle: str


@dataclass
class _ChainDraft:
    name: str
    line: _Line
    rules: list[_RuleLine] = field(default_factory=list)
    hook: str | None = None
    chain_type: str = "filter"
    priority: int | None = None
    policy: str | None = None
    devices: tuple[str, ...] = ()


@dataclass
class _TableDraft:
    family: str
    name: str
    line: _Line
    sets: dict[str, tuple[Element, ...]] = field(default_factory=dict)
    unreadable_sets: dict[str, str] = field(default_factory=dict)
    dynamic_sets: set[str] = field(default_factory=set)
    chains: list[_ChainDraft] = field(default_factory=list)


class _Log:
    """The file's :class:`ProblemLog`, also for lines of included files."""

    def __init__(self, log: ProblemLog) -> None:
        self.log = log

    def add(self, line: _Line, message: str, code: str = "syntax", column: int = 0) -> None:
        self.log.add_problem(Problem(line.file, line.number, column, message, code))

    def skip(self, line: _Line, construct: str, reason: str, bound: Bound,
             rule: str = "") -> None:
        self.log.skipped.append(Skipped(SourceRef(line.file, line.number), construct, reason,
                                        bound, rule))


def element(token: Token) -> str | Prefix | Range:
    """One value element: a prefix, a range of numbers or addresses, or a single value."""
    text = token.value
    if token.quoted or text.startswith("@"):
        return text
    if "/" in text:
        addr, _, length = text.partition("/")
        if not length.isdigit():
            raise Unreadable(f"{text!r} is not a prefix", "invalid-value", token.column)
        return Prefix(addr, int(length))
    pair = re.fullmatch(r"(\d+)-(\d+)|([\d.]+|[\da-fA-F:]+:[\da-fA-F:.]*)-([\d.:a-fA-F]+)",
                        text)
    if pair:
        lo, hi = (pair.group(1), pair.group(2)) if pair.group(1) else (pair.group(3),
                                                                          pair.group(4))
        return Range(lo, hi)
    return text


ELEMENT_OPTIONS = frozenset({"timeout", "expires", "counter", "comment"})
"""Words after a set element that describe it (``10.0.0.1 timeout 1h expires 59m``)."""


def group_element(tokens: list[Token]) -> Element:
    """One element of a ``{ … }`` list: ``10.0.0.1``, ``10.0.0.1 . 22``, ``22 : accept``."""
    cut = next((i for i, t in enumerate(tokens) if t.text in ELEMENT_OPTIONS and i), None)
    if cut is not None:
        tokens = tokens[:cut]
    colon = next((i for i, t in enumerate(tokens) if t.text == ":"), None)
    key_tokens = tokens if colon is None else tokens[:colon]
    parts: list[list[Token]] = [[]]
    for token in key_tokens:
        if token.text == ".":
            parts.append([])
        else:
            parts[-1].append(token)
    if any(len(part) != 1 for part in parts):
        shown = " ".join(t.text for t in tokens)
        raise Unreadable(f"element '{shown}' is not a value", "syntax",
                         tokens[0].column if tokens else 0)
    values = [element(part[0]) for part in parts]
    key: str | Prefix | Range | Concat = values[0] if len(values) == 1 else Concat(tuple(values))
    if colon is None:
        return key
    mapped = tuple(t.value for t in tokens[colon + 1:])
    if not mapped:
        raise Unreadable("map element without a value after ':'", "syntax", tokens[colon].column)
    return Mapped(key, mapped)


class _Cursor:
    """Reads one rule's tokens left to right."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.index + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            last = self.tokens[-1] if self.tokens else Token("", 0)
            raise Unreadable(f"missing {what} at the end of the rule", "syntax",
                             last.column + len(last.text))
        self.index += 1
        return token

    def value(self) -> tuple[Element, ...]:
        """A single value, a comma list (``established,related``), a concatenation
        (``10.0.0.1 . 22``) or ``{ … }``."""
        first = self.take("a value")
        if first.text == "{":
            items: list[Element] = []
            group: list[Token] = []
            depth = 0
            while True:
                token = self.take("'}'")
                if token.text == "}" and depth == 0:
                    if group:
                        items.append(group_element(group))
                    return tuple(items)
                if token.text == "," and depth == 0:
                    if group:
                        items.append(group_element(group))
                    group = []
                    continue
                depth += {"{": 1, "}": -1}.get(token.text, 0)
                group.append(token)
        if first.text in ("}", ",", ";"):
            raise Unreadable(f"unexpected {first.text!r}", "syntax", first.column)
        single: list[Token] = [first]
        while (dot := self.peek()) is not None and dot.text == ".":
            self.index += 1
            single.extend((dot, self.take("a value after '.'")))
        items = [group_element(single)]
        while (comma := self.peek()) is not None and comma.text == ",":
            self.index += 1
            items.append(element(self.take("a value after ','")))
        return tuple(items)


def _read_statements(builder: NftRuleBuilder, tokens: list[Token],
                     log: _Log, line: _Line) -> tuple[str, bool]:
    """Feed a rule's tokens to ``builder``; returns (comment, whether all was read)."""
    cursor = _Cursor(tokens)
    comment = ""
    ok = True
    while (token := cursor.peek()) is not None:
        start = cursor.index
        word = token.text
        try:
            if _selector_start(cursor):
                selectors = _selectors(cursor)
                if (nxt := cursor.peek()) is not None and nxt.text == "set":
                    cursor.index += 1
                    _skip_expression(cursor)
                    written = _written(tokens, start, cursor.index)
                    builder.effect(written, "sets packet or connection metadata that later "
                                   "matches may test; the model does not follow it")
                else:
                    _condition(builder, cursor, selectors)
            elif word == "fib":
                cursor.index += 1
                _skip_fib(cursor)
                builder.unsure(_written(tokens, start, cursor.index),
                               "fib (routing lookup) results depend on the routing table")
            elif word == "counter":
                cursor.index += 1
                _counter(builder, cursor)
            elif word == "log":
                cursor.index += 1
                while (option := cursor.peek()) is not None and option.text in LOG_OPTIONS:
                    cursor.index += 1
                    cursor.take(f"a value for log {option.text}")
                builder.log_statement()
            elif word == "comment":
                cursor.index += 1
                comment = cursor.take("the comment text").value
            elif word in VERDICTS:
                cursor.index += 1
                target = None
                if word in ("jump", "goto"):
                    target = cursor.take("a chain name").value
                elif word == "reject" and (with_ := cursor.peek()) is not None \
                        and with_.text == "with":
                    while (arg := cursor.peek()) is not None and arg.text != "comment":
                        cursor.index += 1
                builder.verdict(word, target)
            elif word in NAT_STATEMENTS:
                cursor.index += 1
                _nat(builder, cursor, NAT_STATEMENTS[word], tokens, start)
            elif word in UNCERTAIN_STATEMENTS:
                cursor.index += 1
                _skip_to_statement(cursor)
                builder.unsure(_written(tokens, start, cursor.index),
                               UNCERTAIN_STATEMENTS[word])
            elif word in EFFECT_STATEMENTS:
                cursor.index += 1
                _skip_to_statement(cursor, braces=True)
                reason, bound = EFFECT_STATEMENTS[word]
                builder.effect(_written(tokens, start, cursor.index), reason, bound)
            elif word in DROPPED_STATEMENTS:
                cursor.index += 1
                _skip_to_statement(cursor)
                builder.dropped = (f"'{_written(tokens, start, cursor.index)}' hands the "
                                   "packet to something outside the ruleset")
            elif word in HEADERS:
                cursor.index += 1
                _skip_to_statement(cursor)
                raise Uncertain(f"matches on the {word} header are not modelled")
            else:
                cursor.index += 1
                _skip_to_statement(cursor)
                raise Unreadable(f"statement '{_written(tokens, start, cursor.index)}' is not "
                                 "nftables syntax", "syntax", token.column)
        except Uncertain as error:
            cursor.index = max(cursor.index, start + 1)
            _skip_to_statement(cursor)
            builder.unsure(_written(tokens, start, cursor.index), error.message)
        except Unreadable as error:
            ok = False
            log.add(line, error.message, error.code, error.column or token.column)
            cursor.index = max(cursor.index, start + 1)
            _skip_to_statement(cursor)
    return comment, ok


def _written(tokens: list[Token], start: int, end: int) -> str:
    return " ".join(t.text for t in tokens[start:end])


def _selector_start(cursor: _Cursor) -> bool:
    token = cursor.peek()
    if token is None:
        return False
    if token.text in ("meta", "ct") or token.text in SHORT_META:
        return True
    nxt = cursor.peek(1)
    return token.text in PAYLOADS and nxt is not None \
        and re.fullmatch(r"[a-z][a-z0-9-]*", nxt.text) is not None and nxt.text not in VERDICTS


def _selectors(cursor: _Cursor) -> tuple[Selector, ...]:
    """``ip saddr``, ``meta mark``, ``ct original saddr``, ``iifname``; ``.``-concatenated."""
    found: list[Selector] = []
    while True:
        word = cursor.take("a selector").text
        if word in ("meta", "ct"):
            key = cursor.take(f"a {word} key").text
            if word == "ct" and key in ("original", "reply"):
                found.append(("ct", key, cursor.take("a ct key").text))
            else:
                found.append((word, key))
        elif word in SHORT_META:
            found.append(("meta", word))
        elif word in PAYLOADS or word in HEADERS:
            found.append((word, cursor.take(f"a {word} field").text))
        else:
            raise Unreadable(f"'{word}' is not a selector", "syntax")
        dot = cursor.peek()
        if dot is None or dot.text != ".":
            return tuple(found)
        cursor.index += 1


def _condition(builder: NftRuleBuilder, cursor: _Cursor,
               selectors: tuple[Selector, ...]) -> None:
    op = "=="
    token = cursor.peek()
    if token is not None and token.text == "vmap":
        cursor.index += 1
        builder.verdict_map(selectors, cursor.value())
        return
    if token is not None and token.text in OPERATORS:
        op = token.text
        cursor.index += 1
    elif token is not None and token.text in ("&", "|", "^", "and", "or", "xor", "<<", ">>"):
        raise Uncertain(f"a bitwise expression on '{' . '.join(map(' '.join, selectors))}' "
                        "is not modelled")
    value = cursor.value()
    if len(selectors) > 1:
        builder.concat_condition(selectors, op, value)
    else:
        builder.condition(selectors[0], op, value)


def _counter(builder: NftRuleBuilder, cursor: _Cursor) -> None:
    counts = {"packets": 0, "bytes": 0}
    nxt = cursor.peek()
    if nxt is not None and nxt.text == "name":  # a named counter: counts, matches everything
        cursor.index += 1
        cursor.take("the counter's name")
        return
    while (name := cursor.peek()) is not None and name.text in counts:
        cursor.index += 1
        number = cursor.take(f"the {name.text} count")
        if not number.text.isdigit():
            raise Unreadable(f"counter {name.text} {number.text!r} is not a "
                             "number", "syntax", number.column)
        counts[name.text] = int(number.text)
    builder.counter(counts["packets"], counts["bytes"])


def _nat(builder: NftRuleBuilder, cursor: _Cursor, kind: NatKind, tokens: list[Token],
         start: int) -> None:
    """``dnat [ip|ip6] to ADDR[:PORT]``, ``masquerade [to :PORT] [random]``, ``redirect …``."""
    nxt = cursor.peek()
    if nxt is not None and nxt.text in ("ip", "ip6"):
        cursor.index += 1
        nxt = cursor.peek()
    while nxt is not None and nxt.text in ("prefix", "addr", ".", "port"):
        cursor.index += 1
        nxt = cursor.peek()
    to: str | None = None
    mapped = False
    if nxt is not None and nxt.text == "to":
        cursor.index += 1
        first = cursor.take("a NAT address")
        if _selector_start(_Cursor(tokens[cursor.index - 1:])):
            cursor.index -= 1
            _skip_expression(cursor)
            mapped = True
        else:
            to = first.value
    while (flag := cursor.peek()) is not None and flag.text in NAT_FLAGS:
        cursor.index += 1
    builder.translate(kind, to)
    if mapped:
        builder.unsure(_written(tokens, start, cursor.index),
                       "the NAT address is looked up in a map at run time")


def _skip_expression(cursor: _Cursor) -> None:
    """Past one value expression: ``0x1``, ``ct mark``, ``tcp dport map { … }``,
    ``meta mark and 0xff00 or 0x1``."""
    while True:
        if _selector_start(cursor):
            _selectors(cursor)
        else:
            cursor.value()
        nxt = cursor.peek()
        if nxt is not None and nxt.text in ("map", "and", "or", "xor", "&", "|", "^", "<<",
                                            ">>"):
            cursor.index += 1
            continue
        return


def _skip_fib(cursor: _Cursor) -> None:
    """``fib saddr . iif oif missing``, ``fib daddr type local``, ``fib daddr . iif type != x``."""
    while (token := cursor.peek()) is not None and token.text in (
            "saddr", "daddr", "mark", "iif", "oif", "."):
        cursor.index += 1
    cursor.take("a fib result")  # oif, oifname or type
    op = cursor.peek()
    if op is not None and op.text in OPERATORS:
        cursor.index += 1
    if cursor.peek() is not None and not _starts_statement(cursor.peek().text):  # type: ignore[union-attr]
        cursor.value()


def _skip_to_statement(cursor: _Cursor, braces: bool = False) -> None:
    """Move past the values of a statement, to the next statement's keyword (past ``{ … }``
    blocks when ``braces``)."""
    depth = 0
    while (token := cursor.peek()) is not None:
        if depth == 0 and _starts_statement(token.text) and not (
                braces and token.text in PAYLOADS):
            return
        if braces:
            depth += {"{": 1, "}": -1}.get(token.text, 0)
        cursor.index += 1


def _starts_statement(word: str) -> bool:
    return word in PAYLOADS or word in SHORT_META or word in VERDICTS or word in (
        "meta", "ct", "counter", "log", "comment", "fib") or word in NAT_STATEMENTS \
        or word in UNCERTAIN_STATEMENTS or word in EFFECT_STATEMENTS \
        or word in DROPPED_STATEMENTS or word in HEADERS


def _priority(tokens: list[Token], family: str) -> int:
    words = [t.text for t in tokens]
    if not words:
        raise Unreadable("'priority' needs a value", "syntax")
    names = BRIDGE_PRIORITIES if family == "bridge" else PRIORITIES
    base_word = words[0]
    if re.fullmatch(r"-?\d+", base_word):
        base = int(base_word)
    elif base_word in names:
        base = names[base_word]
    else:
        raise Unreadable(f"unknown chain priority {base_word!r}", "invalid-value",
                         tokens[0].column)
    if len(words) == 3 and words[1] in "+-" and words[2].isdigit():
        return base + int(words[2]) if words[1] == "+" else base - int(words[2])
    if len(words) == 2 and re.fullmatch(r"[+-]\d+", words[1]):
        return base + int(words[1])
    if len(words) != 1:
        raise Unreadable(f"chain priority '{' '.join(words)}' is not understood", "syntax",
                         tokens[0].column)
    return base


MAX_INCLUDE_DEPTH = 8
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class _Source:
    """The logical lines of a file and of everything it includes, ``$variables`` substituted."""

    def __init__(self, log: _Log) -> None:
        self.log = log
        self.defines: dict[str, list[Token]] = {}
        self.lines: list[_Line] = []

    def read(self, text: str, file: str, depth: int = 0) -> None:
        raw_lines = text.splitlines()
        index = 0
        while index < len(raw_lines):
            raw = raw_lines[index]
            number = index + 1
            index += 1
            tokens, comment = tokenize(raw)
            if not tokens:
                continue
            here = _Line(file, number, tokens, comment, raw)
            words = [t.text for t in tokens]
            if words[0] in ("define", "redefine"):
                while words.count("{") > words.count("}") and index < len(raw_lines):
                    more, _ = tokenize(raw_lines[index])
                    index += 1
                    tokens += more
                    words += [t.text for t in more]
                self._define(here, tokens)
                continue
            if words[0] == "undefine" and len(words) == 2:
                self.defines.pop(words[1], None)
                continue
            if words[0] == "include":
                self._include(here, tokens, file, depth)
                continue
            here.tokens = self._substitute(here, tokens)
            self.lines.extend(_split_block_line(here))

    def _define(self, line: _Line, tokens: list[Token]) -> None:
        if len(tokens) < 4 or tokens[2].text != "=":
            self.log.add(line, "'define' is not 'define NAME = VALUE'", "syntax",
                         tokens[0].column)
            return
        self.defines[tokens[1].text] = self._substitute(line, tokens[3:])

    def _substitute(self, line: _Line, tokens: list[Token]) -> list[Token]:
        result: list[Token] = []
        for token in tokens:
            if token.quoted or "$" not in token.text:
                result.append(token)
                continue
            whole = _VARIABLE.fullmatch(token.text)
            if whole is not None:
                found = self._lookup(line, whole.group(1), token)
                result.extend(Token(t.text, token.column, t.quoted) for t in found or ())
                continue

            def inline(match: re.Match[str], at: Token = token) -> str:
                found = self._lookup(line, match.group(1), at) or []
                if len(found) != 1:
                    self.log.add(line, f"variable ${match.group(1)} is not one value and "
                                 "cannot be part of a word", "syntax", at.column)
                return " ".join(t.text for t in found)

            result.append(Token(_VARIABLE.sub(inline, token.text), token.column))
        return result

    def _lookup(self, line: _Line, name: str, token: Token) -> list[Token] | None:
        if name not in self.defines:
            self.log.add(line, f"variable ${name} is not defined", "unknown-reference",
                         token.column)
            return None
        return self.defines[name]

    def _include(self, line: _Line, tokens: list[Token], file: str, depth: int) -> None:
        if len(tokens) != 2 or not tokens[1].quoted:
            self.log.add(line, "'include' is not 'include \"FILE\"'", "syntax", tokens[0].column)
            return
        name = tokens[1].value
        if not Path(name).is_absolute() and not Path(file).is_file():
            self.log.skip(line, f"include {tokens[1].text}", f"{file} is not a file on disk, "
                          "so a relative include cannot be found; its rules are unknown",
                          Bound.BOTH)
            return
        base = Path(file).parent
        pattern = name if Path(name).is_absolute() else str(base / name)
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if depth >= MAX_INCLUDE_DEPTH:
            self.log.add(line, f"include {name!r}: includes nested deeper than "
                         f"{MAX_INCLUDE_DEPTH}", "syntax", tokens[1].column)
            return
        for path in paths:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or str(error)
                self.log.skip(line, f"include {tokens[1].text}", f"the included file {path} "
                              f"cannot be read ({reason}); its rules are unknown", Bound.BOTH)
                continue
            self.read(text, path, depth + 1)


def _split_block_line(line: _Line) -> list[_Line]:
    """``chain c { type filter hook input priority 0; policy drop; }`` as its multi-line form."""
    words = [t.text for t in line.tokens]
    if not words or words[0] not in ("table", "chain", "set", "map") or "{" not in words:
        return [line]
    opening = words.index("{")
    rest = line.tokens[opening + 1:]
    if not rest:
        return [line]
    def piece(tokens: list[Token], comment: str = "") -> _Line:
        return _Line(line.file, line.number, tokens, comment, line.raw, split=True)

    pieces = [piece(line.tokens[:opening + 1])]
    current: list[Token] = []
    depth = 0
    for token in rest:
        if depth == 0 and token.text == ";":
            if current:
                pieces.append(piece(current))
            current = []
            continue
        if token.text == "}" and depth == 0:
            if current:
                pieces.append(piece(current))
            current = []
            pieces.append(piece([token]))
            continue
        depth += {"{": 1, "}": -1}.get(token.text, 0)
        current.append(token)
    if current:
        pieces.append(piece(current, line.comment))
    result: list[_Line] = [pieces[0]]
    for part in pieces[1:]:
        result.extend(_split_block_line(part))
    return result


class NftablesParser:
    """``nft list ruleset`` text; see the module docstring for what is read."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has an nftables ``table FAMILY NAME {`` block."""
        return re.search(r"^\s*table\s+(?:(?:ip6?|inet|arp|bridge|netdev)\s+)?[\w.-]+\s*\{",
                         text, re.MULTILINE) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read the ruleset; raises :class:`~egovops.errors.ConfigError` listing all problems."""
        problems = ProblemLog(file, FORMAT)
        log = _Log(problems)
        source = _Source(log)
        source.read(text, file)
        tables = self._structure(source.lines, log)
        chains: list[Chain] = []
        nat_chains: list[Chain] = []
        objects: dict[str, tuple[str, ...]] = {}
        for table in tables:
            if table.family not in CHAIN_FAMILIES:
                log.skip(table.line, f"table {table.family} {table.name}",
                         f"{table.family} tables filter {table.family.upper()} frames, "
                         "never IP packets", Bound.NONE)
                continue
            for name, elements in table.sets.items():
                objects[f"{table.family} {table.name} @{name}"] = tuple(
                    spell_element(e) for e in elements)
            names = {c.name for c in table.chains}
            for draft in table.chains:
                chain = self._chain(table, draft, names, file, log)
                if chain is not None:
                    (nat_chains if draft.chain_type == "nat" else chains).append(chain)
        problems.raise_if_any()
        return Ruleset(tuple(chains), FORMAT, file, objects, skipped=tuple(problems.skipped),
                       nat_chains=tuple(nat_chains))

    # -- structure: tables, sets, chains ---------------------------------------------------------

    def _structure(self, lines: list[_Line], log: _Log) -> list[_TableDraft]:
        tables: list[_TableDraft] = []
        table: _TableDraft | None = None
        chain: _ChainDraft | None = None
        set_name: str | None = None
        set_flags: set[str] = set()
        skip_depth = 0
        index = 0
        while index < len(lines):
            here = lines[index]
            index += 1
            tokens = here.tokens
            words = [t.text for t in tokens]
            if not words:  # only an undefined $variable (reported where it was used)
                continue
            if skip_depth:
                skip_depth += words.count("{") - words.count("}")
                continue
            if table is None:
                if words[0] == "table" and words[-1] == "{" and len(words) in (3, 4):
                    family, name = (words[1], words[2]) if len(words) == 4 else ("ip", words[1])
                    table = _TableDraft(family, name, here)
                    tables.append(table)
                elif words[0] in ("flush", "delete") or words[:2] == ["add", "table"]:
                    pass  # no-ops for a file read on its own
                else:
                    log.add(here, f"'{here.raw.strip()}' is not a table block (only "
                            "'nft list ruleset' output and block-form files are read)",
                            "unsupported", tokens[0].column)
            elif set_name is not None:
                if words == ["}"]:
                    if set_flags & {"dynamic", "timeout"}:
                        table.dynamic_sets.add(set_name)
                    set_name = None
                elif words[0] == "elements":
                    while words.count("{") > words.count("}") and index < len(lines):
                        more = lines[index].tokens
                        index += 1
                        tokens = tokens + more
                        words += [t.text for t in more]
                    self._elements(table, set_name, tokens, here, log)
                elif words[0] == "flags":
                    set_flags |= {w for w in words[1:] if w != ","}
                elif words[0] == "timeout":
                    set_flags.add("timeout")
                elif words[0] not in SET_OPTIONS:
                    log.add(here, f"set {set_name}: '{here.raw.strip()}' is not understood",
                            "syntax", tokens[0].column)
            elif chain is not None:
                if words == ["}"]:
                    chain = None
                elif words[0] == "type":
                    self._chain_header(table.family, chain, tokens, here, log)
                elif words[0] == "policy":
                    chain.policy = words[1] if len(words) > 1 else ""
                elif words[0] in ("devices", "device") and chain.rules == []:
                    chain.devices = tuple(t.value for t in tokens[1:]
                                          if t.text not in ("=", "{", "}", ","))
                elif words[0] == "comment" and chain.rules == []:
                    pass
                else:
                    handle = here.comment.removeprefix("handle ").strip() \
                        if here.comment.startswith("handle ") else ""
                    if tokens[-1].text == ";":
                        tokens = tokens[:-1]
                    if not tokens:
                        continue
                    last = tokens[-1]
                    written = " ".join(t.text for t in tokens) if here.split \
                        else here.raw[:last.column - 1 + len(last.text)].strip()
                    chain.rules.append(_RuleLine(_Line(here.file, here.number, tokens,
                                                       here.comment, here.raw),
                                                 written, handle))
                    self._note_dynamic(table, tokens)
            elif words == ["}"]:
                table = None
            elif words[0] == "chain" and words[-1] == "{" and len(words) == 3:
                chain = _ChainDraft(tokens[1].value, here)
                table.chains.append(chain)
            elif words[0] in ("set", "map") and words[-1] == "{" and len(words) == 3:
                set_name = tokens[1].value
                set_flags = set()
                table.sets.setdefault(set_name, ())
            elif words[0] in INERT_BLOCKS and words[-1] == "{":
                skip_depth = 1
            elif words[0] in ("flags", "comment"):
                pass
            else:
                log.add(here, f"table {table.name}: '{here.raw.strip()}' is not understood",
                        "syntax", tokens[0].column)
        if skip_depth or set_name is not None or chain is not None or table is not None:
            final = lines[-1] if lines else _Line("", 0, [], "", "")
            log.log.add(final.number if final.file == log.log.file else 0,
                        "unexpected end of file: a '{' block is not closed", "syntax")
        return tables

    @staticmethod
    def _note_dynamic(table: _TableDraft, tokens: list[Token]) -> None:
        """Sets filled by ``add @s …``/``update @s …`` statements change at run time."""
        for index, token in enumerate(tokens[:-1]):
            if token.text in ("add", "update") and tokens[index + 1].text.startswith("@"):
                table.dynamic_sets.add(tokens[index + 1].text[1:])

    @staticmethod
    def _elements(table: _TableDraft, set_name: str, tokens: list[Token], line: _Line,
                  log: _Log) -> None:
        words = [t.text for t in tokens]
        if words[:3] != ["elements", "=", "{"] or words[-1] != "}":
            log.add(line, f"set {set_name}: elements are not written as '= {{ … }}'",
                    "syntax", tokens[0].column)
            return
        cursor = _Cursor(tokens[2:])
        try:
            table.sets[set_name] = cursor.value()
        except Unreadable as error:
            table.unreadable_sets[set_name] = f"{error.message} (line {line.number})"

    @staticmethod
    def _chain_header(family: str, chain: _ChainDraft, tokens: list[Token], line: _Line,
                      log: _Log) -> None:
        """``type filter hook input [device "x"] priority filter; policy drop;``."""
        statements: list[list[Token]] = [[]]
        for token in tokens:
            if token.text == ";":
                statements.append([])
            else:
                statements[-1].append(token)
        for statement in statements:
            words = [t.text for t in statement]
            try:
                if not words:
                    continue
                if words[0] == "type" and len(words) >= 6 and words[2] == "hook":
                    chain.chain_type, chain.hook = words[1], words[3]
                    if chain.chain_type not in ("filter", "nat", "route"):
                        raise Unreadable(f"chain {chain.name}: unknown chain type "
                                         f"{chain.chain_type!r}", "syntax", statement[1].column)
                    rest = statement[4:]
                    if rest and rest[0].text == "device":
                        chain.devices = (rest[1].value,) if len(rest) > 1 else ()
                        rest = rest[2:]
                    if not rest or rest[0].text != "priority":
                        raise Unreadable("base chain without 'priority'", "syntax",
                                         statement[0].column)
                    chain.priority = _priority(rest[1:], family)
                elif words[0] == "policy" and len(words) == 2:
                    chain.policy = words[1]
                elif words[0] in ("comment", "devices"):
                    if words[0] == "devices":
                        chain.devices = tuple(t.value for t in statement[1:]
                                              if t.text not in ("=", "{", "}", ","))
                else:
                    raise Unreadable(f"chain {chain.name}: '{' '.join(words)}' is not "
                                     "understood", "syntax", statement[0].column)
            except Unreadable as error:
                log.add(line, error.message, error.code, error.column or statement[0].column)

    # -- chains and rules -------------------------------------------------------------------------

    def _chain(self, table: _TableDraft, draft: _ChainDraft, names: set[str], file: str,
               log: _Log) -> Chain | None:
        rules: list[Rule] = []
        for rule_line in draft.rules:
            line = rule_line.line
            builder = NftRuleBuilder(table.family, table.sets, table.unreadable_sets,
                                     dynamic_sets=frozenset(table.dynamic_sets))
            comment, ok = _read_statements(builder, line.tokens, log, line)
            if not ok:
                continue
            if builder.target is not None and builder.target not in names:
                column = next((t.column for t in line.tokens if t.value == builder.target), 0)
                log.add(line, f"{builder.action.value} to chain {builder.target!r}, which is "
                        f"not defined in table {table.family} {table.name}",
                        "unknown-reference", column)
                continue
            label = f"handle {rule_line.handle}" if rule_line.handle else rule_line.text[:60]
            try:
                made = builder.rules(SourceRef(line.file, line.number), rule_line.text,
                                     rule_line.handle, comment)
            except Unreadable as error:
                log.add(line, error.message, error.code, error.column)
                continue
            undefined = [r.target for r in made if r.target is not None and r.target not in names]
            if undefined:
                log.add(line, f"jump to chain {undefined[0]!r}, which is not defined in table "
                        f"{table.family} {table.name}", "unknown-reference")
                continue
            def sink(construct: str, reason: str, bound: Bound, at: _Line = line,
                     rule: str = label) -> None:
                log.skip(at, construct, reason, bound, rule)

            report_skips(builder, sink)
            if not builder.dropped:
                rules.extend(made)
        policy = None
        if draft.hook is not None:
            word = draft.policy or "accept"
            if word not in CHAIN_POLICIES:
                log.add(draft.line, f"chain {draft.name}: unknown policy {word!r}", "syntax")
                return None
            policy = CHAIN_POLICIES[word]
        return Chain(
            name=draft.name,
            rules=tuple(rules),
            hook=draft.hook,
            policy=policy,
            table=table.name,
            family=table.family,
            source=SourceRef(draft.line.file, draft.line.number),
            priority=draft.priority,
            devices=draft.devices,
        )


def report_skips(builder: NftRuleBuilder, skip: SkipSink) -> None:
    """Every construct of the rule the model does not follow, with its bound."""
    bound = builder.bound
    for construct, reason in builder.uncertain:
        skip(construct, reason, bound)
    for construct, reason, effect_bound in builder.effects:
        skip(construct, reason, effect_bound)
    if builder.nat is not None and builder.nat.ranged:
        skip(str(builder.nat), "the kernel picks one address/port of the range per "
             "connection; the first is used", Bound.BOTH)
    if builder.dropped:
        skip(builder.dropped.split("'")[1] if "'" in builder.dropped else builder.dropped,
             builder.dropped, Bound.BOTH)

