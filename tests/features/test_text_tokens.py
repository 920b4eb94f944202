"""TextTokens: bounded vocabularies of frequent words, as 0/1 columns, in every kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from tabship.data import infer_schema
from tabship.features import TextTokens, build_preprocessor
from tests._titled import titled_people


def test_vocabulary_keeps_the_words_in_most_rows_within_bounds():
    texts = ["Mr A", "Mr B", "Mrs A", "Mr C", "Dr Who"] * 4 + ["Rev rare"]
    tokens = TextTokens(max_tokens=2, min_rows=2, max_fraction=0.95).fit(
        pd.DataFrame({"name": texts})
    )
    assert tokens.vocabularies_ == [["mr", "dr"]]  # 12 and 4 rows; "who" ties "dr", later
    everything = TextTokens(max_tokens=100, min_rows=1).fit(pd.DataFrame({"name": texts}))
    assert everything.vocabularies_ == [["mr", "dr", "mrs", "who", "rare", "rev"]]
    assert list(everything.get_feature_names_out()) == [
        "name__mr", "name__dr", "name__mrs", "name__who", "name__rare", "name__rev",
    ]  # fmt: skip


def test_a_word_in_almost_every_row_is_left_out():
    texts = [f"ticket {i % 7}{i % 3}" for i in range(100)]
    assert TextTokens(min_rows=5).fit(pd.DataFrame({"t": texts})).vocabularies_[0][0] != "ticket"


def test_indicators_equal_a_binary_count_vectorizer_on_the_same_words():
    people = titled_people(300)
    tokens = TextTokens(max_tokens=50).fit(people[["name", "ticket"]])
    out = tokens.transform(people[["name", "ticket"]])
    assert out.shape == (300, sum(len(v) for v in tokens.vocabularies_))
    assert set(np.unique(out.to_numpy())) <= {0.0, 1.0}
    name_words = tokens.vocabularies_[0]
    vectorizer = CountVectorizer(binary=True, vocabulary=name_words)
    expected = vectorizer.transform(people["name"]).toarray()
    np.testing.assert_array_equal(out.iloc[:, : len(name_words)].to_numpy(), expected)


def test_missing_text_and_unseen_words_hold_no_word():
    tokens = TextTokens(min_rows=1).fit(pd.DataFrame({"t": ["Mr A", "Mrs B", "Mr C"]}))
    out = tokens.transform(pd.DataFrame({"t": [None, np.nan, "Sir X", "MR. and Mrs."]}))
    assert out.to_numpy().tolist() == [[0, 0], [0, 0], [0, 0], [1, 1]]


@pytest.mark.parametrize("kind", ["linear", "tree", "native"])
def test_every_kind_turns_text_fields_into_word_columns(kind):
    people = titled_people(400)
    schema = infer_schema(people, "survived")
    X = people.drop(columns="survived")
    pipeline = build_preprocessor(schema, kind)
    out = np.asarray(pipeline.fit_transform(X, people["survived"]), dtype=float)
    words = list(TextTokens().fit(X[["name", "ticket"]]).get_feature_names_out())
    assert {"name__mrs", "name__rev", "ticket__pc", "ticket__ston"} <= set(words)
    assert out.shape == (400, len(words) + 2)  # the words, then x1 and x2
    assert np.isfinite(out).all()
    columns = pipeline.named_steps["columns"]
    np.testing.assert_array_equal(
        out[:, : len(words)],
        columns.named_transformers_["text"].transform(X[["name", "ticket"]]).to_numpy(),
    )
