"""The MLPS 2.0 clause table: GB/T 22239-2019 level-3 requirement items relevant to networks.

Package data (``mlps_clauses.yaml`` beside this module), read the same from any working
directory. Checks in :mod:`egovops.audit.registry` name clause ids from it (``8.1.3.2 a)``);
the policy loader and the registry's own test reject ids that are not in it. The worksheet
(:mod:`egovops.audit.mlps`) lists every clause with its state.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from egovops.i18n import LANGS, Lang

STANDARD = "GB/T 22239-2019"


@dataclass(frozen=True)
class Clause:
    """One requirement item of level 3, e.g. ``8.1.3.2 a)`` 访问控制."""

    id: str
    control: str
    """Control point (控制点) number: ``8.1.3.2``."""
    section: str
    """Security category (安全类) number: ``8.1.3``."""
    control_title: dict[Lang, str]
    section_title: dict[Lang, str]
    text: dict[Lang, str]
    manual: dict[Lang, str]
    """What an assessor checks by hand."""
    applicable: bool = True

    def title(self, lang: Lang) -> str:
        """``访问控制 a)``: the control point's title and the item letter."""
        item = self.id.partition(" ")[2]
        return f"{self.control_title[lang]} {item}".strip()

    def label(self, lang: Lang) -> str:
        """``8.1.3.2 a) 访问控制``, as findings print it."""
        return f"{self.id} {self.control_title[lang]}"


@dataclass(frozen=True)
class ClauseTable:
    """Every clause by id, in the standard's order."""

    clauses: tuple[Clause, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.clauses})

    def get(self, clause_id: str) -> Clause | None:
        """The clause ``clause_id`` or ``None``."""
        by_id: dict[str, Clause] = getattr(self, "_by_id")  # noqa: B009 - set in post_init
        return by_id.get(clause_id)

    def __contains__(self, clause_id: object) -> bool:
        return isinstance(clause_id, str) and self.get(clause_id) is not None

    def __getitem__(self, clause_id: str) -> Clause:
        found = self.get(clause_id)
        if found is None:
            raise KeyError(clause_id)
        return found

    def unknown_message(self, clause_id: str) -> str:
        """Why ``clause_id`` is refused, with the closest ids as a hint."""
        close = difflib.get_close_matches(clause_id, [c.id for c in self.clauses], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown MLPS clause {clause_id!r} (not in the level-3 clause table){hint}"

    def labels(self, clause_ids: tuple[str, ...], lang: Lang) -> str:
        """``8.1.3.2 a) 访问控制; 8.1.4.4 c) 入侵防范`` (unknown ids as they are)."""
        return "; ".join(self[c].label(lang) if c in self else c for c in clause_ids)


def _texts(value: Any, where: str) -> dict[Lang, str]:
    if not isinstance(value, dict) or set(value) != set(LANGS):
        raise ValueError(f"{where}: expected zh and en texts")
    return {lang: str(value[lang]) for lang in LANGS}


def parse_clause_table(data: Any) -> ClauseTable:
    """A clause table from the YAML data of ``mlps_clauses.yaml`` (raises ``ValueError``)."""
    sections = {str(k): _texts(v, f"section {k}") for k, v in data["sections"].items()}
    controls = {str(k): _texts(v, f"control {k}") for k, v in data["controls"].items()}
    clauses: list[Clause] = []
    for entry in data["clauses"]:
        cid = str(entry["clause"])
        control = cid.partition(" ")[0]
        section = control.rpartition(".")[0]
        if control not in controls or section not in sections:
            raise ValueError(f"clause {cid}: control {control} or section {section} missing")
        clauses.append(Clause(
            id=cid, control=control, section=section, control_title=controls[control],
            section_title=sections[section], text=_texts(entry["text"], cid),
            manual=_texts(entry["manual"], cid), applicable=bool(entry.get("applicable", True)),
        ))
    ids = [c.id for c in clauses]
    if len(set(ids)) != len(ids):
        raise ValueError("clause table lists a clause twice")
    return ClauseTable(tuple(clauses))


@cache
def clause_table() -> ClauseTable:
    """The shipped clause table (package data, read once)."""
    text = resources.files("egovops.audit").joinpath("mlps_clauses.yaml").read_text("utf-8")
    return parse_clause_table(yaml.safe_load(text))
