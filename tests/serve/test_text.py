"""``serve._text``: the lone-surrogate check in every spelling a JSON body can carry one,
and download names that stay ASCII. The HTTP side is ``tests/attack/test_http_text.py``."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from tabship.serve._text import attachment, lone_surrogates, scored_name


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\\ud800"}',
        b'{"a": "\\uDC00"}',
        b'{"a": "\xed\xa0\x80"}',  # the bytes json.loads decodes with "surrogatepass"
        '{"a": "\\ud800"}'.encode("utf-16-le"),
        '{"a": "\\ud800"}'.encode("utf-32"),
    ],
    ids=["escaped", "upper-case", "encoded", "utf-16", "utf-32"],
)
def test_a_lone_surrogate_is_found_however_it_came(raw: bytes) -> None:
    (item,) = lone_surrogates(raw, [json.loads(raw)])
    assert item["loc"] == [0, "a"] and item["type"] == "string_unicode"
    assert item["input"] == "\ufffd"
    json.dumps(item).encode("utf-8")  # what the answer echoes can be written


@pytest.mark.parametrize(
    "raw", [b'{"a": "caf\\u00e9"}', b'{"a": "\\ud83d\\ude00"}', '{"a": "é"}'.encode()]
)
def test_whole_characters_pass(raw: bytes) -> None:
    assert lone_surrogates(raw, [json.loads(raw)]) == []


def test_items_are_bounded() -> None:
    raw = json.dumps([{"a": "\ud800"}] * 100).encode()
    assert len(lone_surrogates(raw, json.loads(raw))) == 20


@pytest.mark.parametrize(
    ("upload", "name"),
    [
        ("data.csv", "data.scored.csv"),
        ("../../x/data.csv", "data.scored.csv"),
        ("C:\\Users\\me\\data.csv", "data.scored.csv"),
        ("", "predictions.scored.csv"),
        ("a\r\nb.csv", "a__b.scored.csv"),
        ("noext", "noext.scored.csv"),
    ],
)
def test_scored_name(upload: str, name: str) -> None:
    assert scored_name(upload) == name


@pytest.mark.parametrize("name", ["données😀.scored.csv", '"a";b\\.scored.csv', "😀.scored.csv"])
def test_attachment_is_ascii_with_the_real_name_encoded(name: str) -> None:
    header = attachment(name)
    header.encode("ascii")
    match = re.fullmatch(r'attachment; filename="([ -~]+)"; filename\*=UTF-8\'\'(\S+)', header)
    assert match, header
    assert '"' not in match.group(1) and "\\" not in match.group(1)
    assert unquote(match.group(2), errors="strict") == name
