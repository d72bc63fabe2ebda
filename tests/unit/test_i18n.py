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
