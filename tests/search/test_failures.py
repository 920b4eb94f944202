"""A model family failing during the search is dropped with a warning naming it and why;
only when every family fails does the search stop, with an error naming each reason."""

from __future__ import annotations

import itertools

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tabship.data import infer_schema
from tabship.errors import SearchError, TabshipWarning
from tabship.search import search

BUDGET = 3.0
REFUSAL = "Do not support special JSON characters in feature name."


def small_table(n: int = 200) -> tuple[pd.DataFrame, pd.Series, object]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["p", "q", "r"], n)})
    y = pd.Series(2 * X["a"] + (X["b"] == "p") + rng.normal(size=n) * 0.1, name="y")
    return X, y, infer_schema(X.assign(y=y), "y")


def refuse(*args, **kwargs):
    """LightGBM refusing the data its own way, as it does some feature names."""
    raise lightgbm.basic.LightGBMError(REFUSAL)


def test_a_family_failing_at_screening_is_dropped_and_the_search_goes_on(monkeypatch):
    X, y, schema = small_table()
    monkeypatch.setattr(lightgbm.LGBMRegressor, "fit", refuse)
    expected = r"Dropped the model family LightGBM: it failed during screening \(LightGBMError: Do"
    with pytest.warns(TabshipWarning, match=expected):
        result = search(X, y, schema, time_budget=BUDGET)
    assert len(result.leaderboard) >= 1
    assert "lightgbm" not in set(result.leaderboard["family"])
    assert np.isfinite(clone(result.best).fit(X, y).predict(X)).all()


def test_a_family_failing_at_tuning_keeps_its_screened_row(monkeypatch):
    X, y, schema = small_table()
    screened_fit = lightgbm.LGBMRegressor.fit

    def fit_unless_tuned(self, *args, **kwargs):
        if kwargs.get("callbacks"):  # only tuning trials stop early through callbacks
            refuse()
        return screened_fit(self, *args, **kwargs)

    monkeypatch.setattr(lightgbm.LGBMRegressor, "fit", fit_unless_tuned)
    # A clock moving 10 ms a reading: on the wall clock, a busy machine's screening could
    # use the whole budget, so that tuning (and its failure) never came (seen once).
    ticks = itertools.count()
    with pytest.warns(TabshipWarning, match="LightGBM: it failed during tuning"):
        result = search(X, y, schema, time_budget=BUDGET + 1, clock=lambda: next(ticks) * 0.01)
    models = set(result.leaderboard["model"])
    assert "LightGBM" in models and "LightGBM (tuned)" not in models


def test_every_family_failing_is_one_clear_error():
    X, y, schema = small_table()
    y = y.copy()
    y.iloc[3] = np.inf  # every family's library refuses an infinite target
    with pytest.warns(TabshipWarning, match="Dropped the model family"):
        with pytest.raises(SearchError, match="Every model family failed") as raised:
            search(X, y, schema, time_budget=BUDGET)
    names = [name for name, _ in raised.value.failures]
    assert names[0] == "LightGBM" and len(names) >= 2
    assert all("infinity" in reason for _, reason in raised.value.failures)
    assert "LightGBM: ValueError: Input contains infinity" in str(raised.value)
