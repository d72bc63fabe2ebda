"""Parser for ``nft list ruleset`` text (and ``nft -f`` files written in the same block form).

Reads ``table FAMILY NAME { … }`` blocks with their ``set`` and ``chain`` blocks; base chains
from ``type filter hook H priority P; policy X;`` (named priorities such as ``filter + 10``
resolved to numbers); and each rule line through the same
:class:`~egovops.firewall.parsers.nft_rule.NftRuleBuilder` as the JSON parser, with its real
line number. A trailing ``# handle N`` (``nft -a``) becomes the rule's ``name``.

Declarations that only matter when a rule uses them (``map``, ``counter``, ``quota``,
``limit``, ``flowtable``, ``ct helper``…) are skipped as blocks; rules using them are
reported. Script-only syntax (``define``, ``include``, ``add rule …``) is reported: export the
live ruleset with ``nft list ruleset`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from egovops.firewall.model import Chain, Rule, Ruleset, SourceRef
from egovops.firewall.parsers.nft_rule import (
    CHAIN_POLICIES,
    FAMILY_VERSION,
    OPERATORS,
    PORT_PROTOCOLS,
    VERDICTS,
    Element,
    NftRuleBuilder,
    Prefix,
    Range,
)
from egovops.firewall.parsers.problems import ProblemLog, Unreadable

FORMAT = "nftables"

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{},;]|#.*|[^\s{},;"#]+')

INERT_BLOCKS = frozenset({
    "map", "counter", "quota", "limit", "flowtable", "secmark", "synproxy", "ct",
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

PAYLOADS = frozenset({"ip", "ip6", "icmp", "icmpv6", *PORT_PROTOCOLS})
SHORT_META = frozenset({"iifname", "oifname", "iif", "oif", "l4proto", "nfproto"})
LOG_OPTIONS = frozenset({"prefix", "level", "group", "snaplen", "queue-threshold", "flags"})


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
class _RuleLine:
    line: int
    tokens: list[Token]
    text: str
    handle: str


@dataclass
class _ChainDraft:
    name: str
    line: int
    rules: list[_RuleLine] = field(default_factory=list)
    hook: str | None = None
    chain_type: str = "filter"
    priority: int | None = None
    policy: str | None = None


@dataclass
class _TableDraft:
    family: str
    name: str
    line: int
    sets: dict[str, tuple[Element, ...]] = field(default_factory=dict)
    unreadable_sets: dict[str, str] = field(default_factory=dict)
    chains: list[_ChainDraft] = field(default_factory=list)


def element(token: Token) -> Element:
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
        """A single value, a comma list (``established,related``) or ``{ … }``."""
        first = self.take("a value")
        if first.text == "{":
            items: list[Element] = []
            while True:
                token = self.take("'}'")
                if token.text == "}":
                    return tuple(items)
                if token.text != ",":
                    items.append(element(token))
        if first.text in ("}", ",", ";"):
            raise Unreadable(f"unexpected {first.text!r}", "syntax", first.column)
        items = [element(first)]
        while (comma := self.peek()) is not None and comma.text == ",":
            self.index += 1
            items.append(element(self.take("a value after ','")))
        return tuple(items)


def _read_statements(builder: NftRuleBuilder, tokens: list[Token],
                     log: ProblemLog, line: int) -> tuple[str, bool]:
    """Feed a rule's tokens to ``builder``; returns (comment, whether all was read)."""
    cursor = _Cursor(tokens)
    comment = ""
    ok = True
    while (token := cursor.peek()) is not None:
        start = cursor.index
        word = token.text
        try:
            if word in PAYLOADS and (nxt := cursor.peek(1)) is not None \
                    and re.fullmatch(r"[a-z][a-z0-9-]*", nxt.text) \
                    and nxt.text not in VERDICTS:
                cursor.index += 2
                _condition(builder, cursor, (word, nxt.text))
            elif word in ("meta", "ct"):
                cursor.index += 1
                key = cursor.take(f"a {word} key")
                _condition(builder, cursor, (word, key.text))
            elif word in SHORT_META:
                cursor.index += 1
                _condition(builder, cursor, ("meta", word))
            elif word == "counter":
                cursor.index += 1
                counts = {"packets": 0, "bytes": 0}
                while (name := cursor.peek()) is not None and name.text in counts:
                    cursor.index += 1
                    number = cursor.take(f"the {name.text} count")
                    if not number.text.isdigit():
                        raise Unreadable(f"counter {name.text} {number.text!r} is not a "
                                         "number", "syntax", number.column)
                    counts[name.text] = int(number.text)
                builder.counter(counts["packets"], counts["bytes"])
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
            else:
                cursor.index += 1
                _skip_to_statement(cursor)
                words = " ".join(t.text for t in tokens[start:cursor.index])
                raise Unreadable(f"statement '{words}' is not supported", "unsupported",
                                 token.column)
        except Unreadable as error:
            ok = False
            log.add(line, error.message, error.code, error.column or token.column)
            cursor.index = max(cursor.index, start + 1)
            _skip_to_statement(cursor)
    return comment, ok


def _skip_to_statement(cursor: _Cursor) -> None:
    """Move past the values of an unreadable statement, to the next statement's keyword."""
    while (token := cursor.peek()) is not None and not _starts_statement(token.text):
        cursor.index += 1


def _starts_statement(word: str) -> bool:
    return word in PAYLOADS or word in SHORT_META or word in VERDICTS or word in (
        "meta", "ct", "counter", "log", "comment")


def _condition(builder: NftRuleBuilder, cursor: _Cursor, selector: tuple[str, ...]) -> None:
    op = "=="
    token = cursor.peek()
    if token is not None and token.text in OPERATORS:
        op = token.text
        cursor.index += 1
    builder.condition(selector, op, cursor.value())


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
    if len(words) != 1:
        raise Unreadable(f"chain priority '{' '.join(words)}' is not understood", "syntax",
                         tokens[0].column)
    return base


class NftablesParser:
    """``nft list ruleset`` text; see the module docstring for what is read."""

    name = FORMAT

    def detect(self, text: str) -> bool:
        """Whether ``text`` has an nftables ``table FAMILY NAME {`` block."""
        return re.search(r"^\s*table\s+(?:(?:ip6?|inet|arp|bridge|netdev)\s+)?[\w.-]+\s*\{",
                         text, re.MULTILINE) is not None

    def parse(self, text: str, file: str) -> Ruleset:
        """Read the ruleset; raises :class:`~egovops.errors.ConfigError` listing all problems."""
        log = ProblemLog(file, FORMAT)
        tables = self._structure(text, log)
        chains: list[Chain] = []
        objects: dict[str, tuple[str, ...]] = {}
        for table in tables:
            if table.family not in FAMILY_VERSION:
                log.add(table.line, f"table {table.family} {table.name}: family "
                        f"{table.family!r} is not supported (only ip, ip6, inet and netdev "
                        "tables filter IP)", "unsupported")
                continue
            for name, elements in table.sets.items():
                objects[f"{table.family} {table.name} @{name}"] = tuple(
                    _show(e) for e in elements)
            names = {c.name for c in table.chains}
            for draft in table.chains:
                chain = self._chain(table, draft, names, file, log)
                if chain is not None:
                    chains.append(chain)
        log.raise_if_any()
        return Ruleset(tuple(chains), FORMAT, file, objects, skipped=tuple(log.skipped))

    # -- structure: tables, sets, chains ---------------------------------------------------------

    def _structure(self, text: str, log: ProblemLog) -> list[_TableDraft]:
        tables: list[_TableDraft] = []
        lines = text.splitlines()
        table: _TableDraft | None = None
        chain: _ChainDraft | None = None
        set_name: str | None = None
        skip_depth = 0
        index = 0
        while index < len(lines):
            number = index + 1
            raw = lines[index]
            index += 1
            tokens, comment = tokenize(raw)
            if not tokens:
                continue
            words = [t.text for t in tokens]
            if skip_depth:
                skip_depth += words.count("{") - words.count("}")
                continue
            if table is None:
                if words[0] == "table" and words[-1] == "{" and len(words) in (3, 4):
                    family, name = (words[1], words[2]) if len(words) == 4 else ("ip", words[1])
                    table = _TableDraft(family, name, number)
                    tables.append(table)
                elif words[:2] == ["flush", "ruleset"] and len(words) == 2:
                    pass
                else:
                    log.add(number, f"'{raw.strip()}' is not a table block (only "
                            "'nft list ruleset' output is read)", "unsupported",
                            tokens[0].column)
            elif set_name is not None:
                if words == ["}"]:
                    set_name = None
                elif words[0] == "elements":
                    while words.count("{") > words.count("}") and index < len(lines):
                        more, _ = tokenize(lines[index])
                        index += 1
                        tokens += more
                        words += [t.text for t in more]
                    self._elements(table, set_name, tokens, number, log)
                elif words[0] not in SET_OPTIONS:
                    log.add(number, f"set {set_name}: '{raw.strip()}' is not understood",
                            "syntax", tokens[0].column)
            elif chain is not None:
                if words == ["}"]:
                    chain = None
                elif words[0] == "type":
                    self._chain_header(table.family, chain, tokens, number, log)
                elif words[0] == "policy":
                    chain.policy = words[1] if len(words) > 1 else ""
                elif words[0] in ("comment", "devices", "device") and chain.rules == []:
                    pass
                else:
                    handle = comment.removeprefix("handle ").strip() \
                        if comment.startswith("handle ") else ""
                    last = tokens[-1]
                    written = raw[:last.column - 1 + len(last.text)].strip()
                    chain.rules.append(_RuleLine(number, tokens, written, handle))
            elif words == ["}"]:
                table = None
            elif words[0] == "chain" and words[-1] == "{" and len(words) == 3:
                chain = _ChainDraft(tokens[1].value, number)
                table.chains.append(chain)
            elif words[0] == "set" and words[-1] == "{" and len(words) == 3:
                set_name = tokens[1].value
                table.sets.setdefault(set_name, ())
            elif words[0] in INERT_BLOCKS and words[-1] == "{":
                skip_depth = 1
            elif words[0] in ("flags", "comment"):
                pass
            else:
                log.add(number, f"table {table.name}: '{raw.strip()}' is not understood",
                        "syntax", tokens[0].column)
        if skip_depth or set_name is not None or chain is not None or table is not None:
            log.add(len(lines), "unexpected end of file: a '{' block is not closed", "syntax")
        return tables

    @staticmethod
    def _elements(table: _TableDraft, set_name: str, tokens: list[Token], line: int,
                  log: ProblemLog) -> None:
        words = [t.text for t in tokens]
        if words[:3] != ["elements", "=", "{"] or words[-1] != "}":
            log.add(line, f"set {set_name}: elements are not written as '= {{ … }}'",
                    "syntax", tokens[0].column)
            return
        items: list[Element] = []
        group: list[Token] = []
        for token in [*tokens[3:-1], Token(",", 0)]:
            if token.text != ",":
                group.append(token)
                continue
            if len(group) != 1:
                table.unreadable_sets[set_name] = (
                    f"element '{' '.join(t.text for t in group)}' (line {line}) is not a "
                    "single value")
                return
            try:
                items.append(element(group[0]))
            except Unreadable as error:
                table.unreadable_sets[set_name] = error.message
                return
            group = []
        table.sets[set_name] = tuple(items)

    @staticmethod
    def _chain_header(family: str, chain: _ChainDraft, tokens: list[Token], line: int,
                      log: ProblemLog) -> None:
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
                    rest = statement[4:]
                    if rest and rest[0].text == "device":
                        rest = rest[2:]
                    if not rest or rest[0].text != "priority":
                        raise Unreadable("base chain without 'priority'", "syntax",
                                         statement[0].column)
                    chain.priority = _priority(rest[1:], family)
                elif words[0] == "policy" and len(words) == 2:
                    chain.policy = words[1]
                elif words[0] == "comment":
                    pass
                else:
                    raise Unreadable(f"chain {chain.name}: '{' '.join(words)}' is not "
                                     "understood", "syntax", statement[0].column)
            except Unreadable as error:
                log.add(line, error.message, error.code, error.column or statement[0].column)

    # -- chains and rules -------------------------------------------------------------------------

    def _chain(self, table: _TableDraft, draft: _ChainDraft, names: set[str], file: str,
               log: ProblemLog) -> Chain | None:
        rules: list[Rule] = []
        for line in draft.rules:
            builder = NftRuleBuilder(table.family, table.sets, table.unreadable_sets)
            comment, ok = _read_statements(builder, line.tokens, log, line.line)
            if not ok:
                continue
            rule = builder.rule(SourceRef(file, line.line), line.text, line.handle, comment)
            if rule.target is not None and rule.target not in names:
                column = next((t.column for t in line.tokens if t.value == rule.target), 0)
                log.add(line.line, f"{rule.action.value} to chain {rule.target!r}, which is "
                        f"not defined in table {table.family} {table.name}",
                        "unknown-reference", column)
                continue
            rules.append(rule)
        policy = None
        if draft.hook is not None:
            if draft.chain_type != "filter":
                log.add(draft.line, f"chain {draft.name}: type {draft.chain_type} chains are "
                        "not supported (only filtering is modelled; list the filter tables "
                        "alone)", "unsupported")
                return None
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
            source=SourceRef(file, draft.line),
            priority=draft.priority,
        )


def _show(value: Element) -> str:
    if isinstance(value, Prefix):
        return f"{value.addr}/{value.length}"
    if isinstance(value, Range):
        return f"{value.lo}-{value.hi}"
    return value
