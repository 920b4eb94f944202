"""The table-scoring path shared by batch files, Dask and ``POST /predict/csv``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tabship.batch import (
    OutputColumns,
    every_row,
    output_columns,
    score_chunk,
    score_table,
)
from tabship.errors import ValidationError
from tabship.runtime import Scored


class SignModel:
    """Scores ``x``: class "pos" when positive; a missing or text ``x`` is invalid."""

    classes = ["neg", "pos"]

    def score(self, data: Any, *, strict: bool = True, probability_dicts: bool = True) -> Scored:
        values = pd.to_numeric(data["x"], errors="coerce")
        valid = [i for i, v in enumerate(values) if not np.isnan(v)]
        errors = [
            {"loc": [i, "x"], "msg": "The 'x' field must be a number.", "type": "number"}
            for i in range(len(data))
            if i not in valid
        ]
        if not valid:
            raise ValidationError(errors)
        p = 1 / (1 + np.exp(-values.iloc[valid].to_numpy()))
        matrix = np.column_stack([1 - p, p])
        labels = [self.classes[int(row.argmax())] for row in matrix]
        return Scored(index=valid, predictions=labels, probability_matrix=matrix, errors=errors)


@pytest.mark.parametrize(
    ("columns", "prefixed"),
    [
        (["x"], False),
        (["x", "prediction"], True),
        (["x", "error"], True),  # batch used to prefix only for 'prediction'
        (["x", "probability_pos"], True),  # was overwritten by the class's probability
        (["x", "Prediction", "errors"], False),
    ],
)
def test_one_prefix_rule_for_every_added_column(columns, prefixed):
    names = output_columns(columns)
    prefix = "tabship_" if prefixed else ""
    assert names == OutputColumns(f"{prefix}prediction", f"{prefix}probability_", f"{prefix}error")
    assert names.probability_of("pos") == f"{prefix}probability_pos"


def test_batch_and_the_csv_upload_name_the_added_columns_alike():
    frame = pd.DataFrame({"x": [1.0, -2.0, None], "error": ["a", "b", "c"]})
    scores = score_table(SignModel(), frame)
    good, bad = score_chunk(SignModel(), frame)
    every = every_row(frame, scores, output_columns(frame.columns))
    added = ["tabship_prediction", "tabship_probability_neg", "tabship_probability_pos"]
    assert list(good.columns) == ["x", "error", *added]
    assert list(bad.columns) == ["row", "tabship_error", "x", "error"]
    assert list(every.columns) == ["x", "error", *added, "tabship_error"]
    assert every["error"].tolist() == ["a", "b", "c"]  # the input column is kept as it was


def test_input_columns_named_row_id_or_probability_are_kept_as_they_were():
    """An input column named ``row`` made the errors file fail ("cannot insert row,
    already exists"); one named ``probability_pos`` was overwritten by the scores."""
    frame = pd.DataFrame({"row": [7, 8], "x": [1.0, "abc"], "probability_pos": ["p", "q"]})
    good, bad = score_chunk(SignModel(), frame)
    assert list(bad.columns) == ["tabship_row", "tabship_error", "row", "x", "probability_pos"]
    assert bad["tabship_row"].tolist() == [2] and bad["row"].tolist() == [8]
    assert good["probability_pos"].tolist() == ["p"]
    assert good["tabship_probability_pos"].tolist() == pytest.approx([1 / (1 + np.exp(-1.0))])


def test_failed_rows_have_their_reason_and_no_prediction():
    frame = pd.DataFrame({"x": [1.0, "abc", -3.0]})
    scores = score_table(SignModel(), frame)
    assert (scores.index, scores.failed) == ([0, 2], [1])
    good, bad = score_chunk(SignModel(), frame, first_row=100)
    assert good["prediction"].tolist() == ["pos", "neg"]
    assert bad["row"].tolist() == [102] and "'x'" in bad["error"][0]
    every = every_row(frame, scores, output_columns(frame.columns))
    assert every["prediction"].tolist() == ["pos", "", "neg"]
    assert every["probability_pos"][1] == "" and every["error"][0] == ""
    assert "'x'" in every["error"][1]


def test_a_table_with_no_valid_row_is_reported_not_raised():
    frame = pd.DataFrame({"x": ["a", None]})
    scores = score_table(SignModel(), frame)
    assert (scores.index, scores.failed) == ([], [0, 1])
    good, bad = score_chunk(SignModel(), frame)
    assert good.empty and bad["row"].tolist() == [1, 2]
    every = every_row(frame, scores, output_columns(frame.columns))
    assert list(every.columns) == ["x", "prediction", "probability_neg", "probability_pos", "error"]
    assert (every["prediction"] == "").all() and (every["error"] != "").all()
