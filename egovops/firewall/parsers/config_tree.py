"""Indented device configurations (Cisco, Huawei, H3C) as a tree of lines with positions.

``show running-config`` / ``display current-configuration`` print a command and, indented
below it, the commands of its sub-mode (``ip access-list extended X`` → `` permit …``;
``security-policy`` → `` rule name x`` → ``  source-zone trust``). The vendor parsers walk this
tree instead of re-counting spaces. Lines starting with a comment character (``!`` for Cisco,
``#`` for Huawei and H3C: separators and banners) and blank lines are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

_WORD = re.compile(r"\S+")


class Word(NamedTuple):
    """One whitespace-separated word with its 1-based column."""

    text: str
    column: int


@dataclass
class Node:
    """One configuration line and the lines indented below it."""

    line: int
    indent: int
    text: str
    """The line without its indentation (trailing spaces removed)."""
    words: list[Word]
    children: list[Node] = field(default_factory=list)

    @property
    def keywords(self) -> list[str]:
        """The words as text, lower-cased (vendors' keywords are case-insensitive)."""
        return [w.text.lower() for w in self.words]

    def rest(self, index: int) -> str:
        """The raw text from word ``index`` to the end of the line (remarks, descriptions)."""
        if index >= len(self.words):
            return ""
        return self.text[self.words[index].column - 1 - self.indent:].strip()


def parse_tree(text: str, comment_chars: str = "!#") -> list[Node]:
    """The top-level nodes of ``text``; each holds its indented sub-commands."""
    roots: list[Node] = []
    stack: list[Node] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped or stripped[0] in comment_chars:
            continue
        indent = len(line) - len(stripped)
        words = [Word(m.group(), m.start() + 1) for m in _WORD.finditer(line)]
        node = Node(number, indent, stripped, words)
        while stack and stack[-1].indent >= indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots
