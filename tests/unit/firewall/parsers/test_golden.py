"""Every fixture in tests/data/firewall parses to its expected.json (see golden.py to update)."""

from __future__ import annotations

import json

import pytest

from egovops.errors import ConfigError
from egovops.firewall.parsers import parse_config
from tests.unit.firewall.parsers.golden import Case, cases, dump, outcome

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture_matches_golden(case: Case) -> None:
    expected = json.loads(case.expected.read_text(encoding="utf-8"))
    assert outcome(case) == expected, (
        f"{case}: parser output differs from {case.expected.name}; if the change is wanted, "
        "run `.venv/bin/python -m tests.unit.firewall.parsers.golden` and review the diff"
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_golden_file_is_canonical(case: Case) -> None:
    """The file is exactly what the helper writes, so regenerating gives a clean diff."""
    text = case.expected.read_text(encoding="utf-8")
    assert dump(json.loads(text)) == text


@pytest.mark.parametrize("case", [c for c in CASES if c.broken], ids=str)
def test_broken_fixture_fails_with_every_problem_located(case: Case) -> None:
    text = case.config.read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, case.file, case.format)
    problems = caught.value.problems
    assert len(problems) >= 3
    assert all(p.file == case.file and p.line > 0 for p in problems)
    assert case.file in str(caught.value)


def test_every_format_has_fixtures_and_a_broken_one() -> None:
    from egovops.firewall.parsers import PARSERS

    by_format: dict[str, list[Case]] = {}
    for case in CASES:
        by_format.setdefault(case.format, []).append(case)
    assert set(by_format) == set(PARSERS)
    for format_name, format_cases in by_format.items():
        assert any(c.broken for c in format_cases), format_name
        assert any(not c.broken for c in format_cases), format_name
