"""Text against identifier: free text shares words across rows, unique codes share none."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from tabship.data import infer_schema, shared_token_fraction, text_tokens
from tabship.data._roles import infer_role
from tabship.errors import OptionError
from tests._titled import titled_people, unique_codes


def test_tokens_are_scikit_learns_default_words():
    analyzer = CountVectorizer().build_analyzer()
    for text in [
        "Braund, Mr. Owen Harris",
        "STON/O2. 3101282",
        "A/5 21171",
        "Ünïcode ÉCOLE_1 a b",
        "",
    ]:
        assert text_tokens(text) == set(analyzer(text))


def test_names_with_titles_and_prefixed_tickets_are_text():
    people = titled_people()
    schema = infer_schema(people, "survived")
    assert [(f.name, f.role) for f in schema.fields] == [
        ("name", "text"), ("ticket", "text"), ("x1", "numeric"), ("x2", "numeric"),
    ]  # fmt: skip
    assert schema.field("ticket").required is False
    assert [f.name for f in schema.feature_fields] == ["name", "ticket", "x1", "x2"]


def test_unique_codes_stay_identifiers():
    assert infer_role(pd.Series(unique_codes(1000), name="code")) == "identifier"
    assert infer_role(pd.Series(unique_codes(60, seed=1), name="code")) == "identifier"
    # A word every row holds says nothing: still unique codes.
    assert infer_role(pd.Series([f"ID-{i:06d}" for i in range(500)], name="ref")) == "identifier"
    assert shared_token_fraction(unique_codes(1000)) == 0.0


def test_unique_codes_with_shared_prefixes_are_text():
    prefixes = ["PC", "CA", "SOTON", "STON"]
    codes = [f"{prefixes[i % 4]}-{100_000 + i * 7}" for i in range(400)]
    assert infer_role(pd.Series(codes, name="ticket")) == "text"
    assert shared_token_fraction(codes) == 1.0


def test_the_roles_option_forces_text():
    people = titled_people(200).assign(code=unique_codes(200))
    schema = infer_schema(people, "survived", roles={"code": "text", "x2": "text"})
    assert (schema.field("code").role, schema.field("x2").role) == ("text", "text")
    with pytest.raises(OptionError, match="roles\\['code'\\]"):
        infer_schema(people, "survived", roles={"code": "free-text"})
