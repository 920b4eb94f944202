"""The /predict answer's bytes: what JSON cannot hold as it is still goes through
``json_safe`` (NaN and infinities as null, numpy values as plain numbers), exactly as
when every answer was walked by it first."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabship.data import json_safe
from tabship.serve._errors import JSONAnswer, ScoredAnswer

BODIES = [
    {"predictions": [17864.75727164285], "ids": ["ab"], "probabilities": None, "warnings": []},
    {"predictions": ["<=50K"], "probabilities": [{"<=50K": 0.99, ">50K": 0.01}]},
    {"predictions": [math.nan, math.inf, -math.inf], "warnings": [{"input": math.nan}]},
    {"predictions": np.asarray([1.5, 2.5]), "n": np.int64(3), "flag": np.bool_(True)},
    {"predictions": [np.float64(0.1), np.float32(0.5)], "text": "café \ud800"},
    {"columns": (1, 2), "nested": {"deep": [{"x": np.nan}]}},
]


@pytest.mark.parametrize("body", BODIES)
def test_scored_answer_is_the_json_safe_answer(body):
    expected = JSONAnswer(json_safe(body, nonfinite="null")).body
    assert ScoredAnswer(body).body == expected
