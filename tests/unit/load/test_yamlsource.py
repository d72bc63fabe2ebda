from __future__ import annotations

from egovops.load.yamlsource import LocatedDict, LocatedList, line_of, parse_yaml


def test_lines_are_recorded_for_keys_and_items() -> None:
    text = "devices:\n  - id: a\n    role: host\n  - id: b\n    interfaces:\n      - name: e0\n"
    data, problems = parse_yaml(text, "f.yaml")
    assert problems == []
    assert isinstance(data, LocatedDict)
    devices = data["devices"]
    assert isinstance(devices, LocatedList)
    assert devices.item_lines == [2, 4]
    assert devices[0].key_lines == {"id": 2, "role": 3}
    assert line_of(devices[1], ("interfaces", 0, "name")) == 6
    # path elements that are not in the data (union branches) are skipped
    assert line_of(devices[0], ("role", "function-after[x]")) == 3


def test_duplicate_keys_are_problems_not_silent_overwrites() -> None:
    data, problems = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert data == {"a": 1, "b": 2}
    assert [(p.line, p.code) for p in problems] == [(3, "duplicate-key")]
    assert "first at line 1" in problems[0].message


def test_syntax_error_has_line_and_column() -> None:
    data, problems = parse_yaml("a:\n  - x\n - y\n", "f.yaml")
    assert data is None
    assert len(problems) == 1
    assert problems[0].file == "f.yaml"
    assert problems[0].line == 3
    assert problems[0].message.startswith("YAML syntax")


def test_scalars_keep_yaml_types() -> None:
    data, _ = parse_yaml("i: 3\nf: 1.5\nb: true\nn: null\ns: '3'\n", "f.yaml")
    assert data == {"i": 3, "f": 1.5, "b": True, "n": None, "s": "3"}


def test_merge_keys_are_refused() -> None:
    _, problems = parse_yaml("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "f.yaml")
    assert [p.line for p in problems] == [3]
    assert "merge" in problems[0].message


def test_unbuildable_scalar_stays_text_instead_of_crashing() -> None:
    # matches YAML's timestamp pattern but is no date: validation reports it at its line
    data, problems = parse_yaml("expires: 2026-13-01\nok: 2026-12-01\n", "f.yaml")
    assert problems == []
    assert data["expires"] == "2026-13-01"
    assert str(data["ok"]) == "2026-12-01"


def test_explicit_tag_the_text_does_not_fit_is_a_located_problem() -> None:
    data, problems = parse_yaml("a: 1\nb: !!int x\n", "f.yaml")
    assert data is None
    assert [(p.line, p.code) for p in problems] == [(2, "yaml")]
    assert "cannot read 'x' as int" in problems[0].message
