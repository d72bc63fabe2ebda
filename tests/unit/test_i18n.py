from __future__ import annotations

import re

import pytest

from egovops.i18n import CATALOG, LANGS, Messages, detect_lang


def test_every_entry_has_every_language_with_the_same_placeholders() -> None:
    for key, entry in CATALOG.items():
        assert set(entry) == set(LANGS), key
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["en"] == fields["zh"], key


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANGUAGE": "zh_TW"}, "zh"),
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
    ],
)
def test_detect_lang(env: dict[str, str], lang: str) -> None:
    assert detect_lang(env) == lang


def test_messages_format_and_codes() -> None:
    zh = Messages("zh")
    assert zh("written", path="a") == "已写入：a"
    assert zh.code("dangling-reference") == "引用不存在"
    assert zh.code("no-such-code") == "no-such-code"


def test_loader_problems_read_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    from egovops.cli.main import main
    from egovops.i18n import translate_problem
    from tests.conftest import REPO

    zh = translate_problem("device fw: unknown zone 'mgmt'", "zh")
    assert zh == "设备 fw: 安全域 'mgmt' 不存在"
    assert translate_problem("device fw: unknown zone 'mgmt'", "en") == \
        "device fw: unknown zone 'mgmt'"
    code = main(["inventory", "validate", str(REPO / "tests/data/broken-district"), "--lang",
                 "zh"])
    err = capsys.readouterr().err
    assert code == 2
    assert "清单中有 22 个问题" in " ".join(err.split())
    lines = [line for line in err.splitlines() if ".yaml:" in line]
    untranslated = [line for line in lines if not re.search(r"\][^\[]*[\u4e00-\u9fff]", line)]
    assert len(lines) >= 20 and untranslated == []
