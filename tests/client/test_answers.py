"""A ``/predict`` answer turned back into a result: the inverse of ``Scored.to_json``."""

from __future__ import annotations

import json

from tabship.errors import error_item
from tabship.runtime import Scored


def round_trip(scored: Scored) -> dict:
    """The answer as a client receives it: written by the server, read from JSON."""
    return json.loads(json.dumps(scored.to_json()))


def test_a_classifier_answer_becomes_the_result_it_came_from():
    warning = error_item([0, "Age"], "Age is outside the training range.", "range_warning", 99)
    scored = Scored(
        index=[0, 1],
        predictions=["drugY", "drugX"],
        probabilities=[{"drugX": 0.1, "drugY": 0.9}, {"drugX": 0.8, "drugY": 0.2}],
        explanations=[
            [{"feature": "Na_to_K", "value": 25.4, "contribution": 0.3}],
            [{"feature": "BP", "value": "LOW", "contribution": -0.2}],
        ],
        warnings=[warning],
        defaulted=[(1, "Cholesterol")],
        unknown_fields=["junk"],
    )
    back = Scored.from_json(round_trip(scored))
    assert back.index == [0, 1]
    assert back.predictions == scored.predictions
    assert back.probabilities == scored.probabilities
    assert back.explanations == scored.explanations
    assert back.warnings == [warning]
    assert back.defaulted == [[1, "Cholesterol"]]
    assert back.unknown_fields == ["junk"]
    assert back.errors == [] and back.probability_matrix is None
    assert back.to_json() == round_trip(scored)


def test_a_regression_answer_keeps_the_positions_and_errors_it_is_given():
    body = round_trip(Scored(index=[0, 1], predictions=[1.5, 2.5]))
    error = error_item([1, "age"], "The 'age' field must be a number.", "float_parsing", "x")
    back = Scored.from_json(body, index=[0, 2], errors=[error])
    assert (back.index, back.predictions, back.probabilities) == ([0, 2], [1.5, 2.5], None)
    assert back.explanations is None and back.errors == [error]
