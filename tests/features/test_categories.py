"""CategoryEncoder: fixed pandas categories for native categorical models."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import skops.io as sio

from tabship.features import CategoryEncoder


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["b", "a", "b", " c ", "b", "a", None],
            "Origin": [1, 2.0, 1, 3, 1, np.nan, 2],
        }
    )


def test_category_encoder_orders_categories_by_frequency_as_canonical_text():
    encoder = CategoryEncoder().fit(frame())
    assert encoder.categories_ == [["b", "a", "c"], ["1", "2", "3"]]
    assert all(type(c) is str for cats in encoder.categories_ for c in cats)


def test_category_encoder_outputs_fixed_categories_and_unknown_becomes_nan():
    encoder = CategoryEncoder().fit(frame())
    out = encoder.transform(pd.DataFrame({"region": ["zzz", "a"], "Origin": ["1", 9]}))
    assert all(isinstance(d, pd.CategoricalDtype) for d in out.dtypes)
    assert list(out["region"].cat.categories) == ["b", "a", "c"]
    assert pd.isna(out["region"].iloc[0]) and out["region"].iloc[1] == "a"
    assert out["Origin"].iloc[0] == "1" and pd.isna(out["Origin"].iloc[1])


def test_category_encoder_one_row_keeps_every_category_and_the_same_codes():
    encoder = CategoryEncoder().fit(frame())
    batch = encoder.transform(frame())
    for i in range(len(frame())):
        one = encoder.transform(frame().iloc[[i]])
        pd.testing.assert_frame_equal(one, batch.iloc[[i]])


# The properties scikit-learn's checks test numerically (see test_estimator_checks.py),
# checked here with frame equality.
def test_category_encoder_fit_transform_equals_fit_then_transform_and_is_idempotent():
    data = frame()
    first = CategoryEncoder().fit_transform(data)
    encoder = CategoryEncoder().fit(data)
    pd.testing.assert_frame_equal(first, encoder.transform(data))
    pd.testing.assert_frame_equal(first, encoder.fit(data).transform(data))


def test_category_encoder_transform_is_row_wise():
    data = frame()
    encoder = CategoryEncoder().fit(data)
    full = encoder.transform(data)
    order = [6, 0, 3, 2, 5, 1, 4]
    pd.testing.assert_frame_equal(encoder.transform(data.iloc[order]), full.iloc[order])
    pd.testing.assert_frame_equal(encoder.transform(data.iloc[2:5]), full.iloc[2:5])


def test_category_encoder_on_arrays_names_columns_like_sklearn():
    encoder = CategoryEncoder().fit(np.array([["a", 1], ["b", 2]], dtype=object))
    assert list(encoder.get_feature_names_out()) == ["x0", "x1"]
    assert list(encoder.transform(np.array([["b", 1]], dtype=object)).columns) == ["x0", "x1"]


def test_category_encoder_persists_with_pickle_and_skops():
    encoder = CategoryEncoder().fit(frame())
    expected = encoder.transform(frame())
    data = sio.dumps(encoder)
    assert sio.get_untrusted_types(data=data) == ["tabship.features._categories.CategoryEncoder"]
    loaded = sio.loads(data, trusted=[CategoryEncoder])
    pd.testing.assert_frame_equal(loaded.transform(frame()), expected)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(encoder)).transform(frame()), expected)
