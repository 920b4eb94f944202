"""Our binding of libtreelite's C API gives exactly what ``treelite.gtil.predict`` gives."""

from __future__ import annotations

import numpy as np
import pytest

from tabship.plan import PlanError
from tabship.plan._gtil import GTILError, TreeliteModel


def small_treelite_model(task: str):
    """A fitted forest or booster as a Treelite model (the kinds a plan stores)."""
    import treelite.sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    target = X[:, 0] ** 2
    X[rng.random(X.shape) < 0.1] = np.nan
    if task == "regression":
        model = RandomForestRegressor(n_estimators=5, random_state=0).fit(np.nan_to_num(X), target)
    else:
        y = np.digitize(np.nan_to_num(X[:, 1]), [-0.5, 0.5])
        model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    return treelite.sklearn.import_model(model)


@pytest.mark.parametrize("task", ["regression", "multiclass"])
@pytest.mark.parametrize("margin", [False, True])
@pytest.mark.parametrize("rows", [1, 7, 2000])
def test_binding_equals_treelite_python(task, margin, rows):
    import treelite.gtil

    reference = small_treelite_model(task)
    ours = TreeliteModel(reference.serialize_bytes())
    X = np.random.default_rng(rows).normal(size=(rows, 4)) * 3
    X[::3, 2] = np.nan
    for threads in (1, -1):
        expected = treelite.gtil.predict(reference, X, nthread=threads, pred_margin=margin)
        got = ours.predict(X, nthread=threads, margin=margin)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_binding_pads_missing_features_like_treelite():
    import treelite.gtil

    reference = small_treelite_model("regression")
    X = np.ones((2, 3))
    expected = treelite.gtil.predict(reference, X, nthread=1)
    np.testing.assert_array_equal(
        TreeliteModel(reference.serialize_bytes()).predict(X, nthread=1, margin=False), expected
    )


def test_binding_refuses_too_many_features_and_garbage():
    model = TreeliteModel(small_treelite_model("regression").serialize_bytes())
    with pytest.raises(GTILError, match="4 features"):
        model.predict(np.ones((2, 5)), nthread=1, margin=False)
    with pytest.raises(GTILError):
        TreeliteModel(b"not a treelite model at all")


def test_a_corrupt_treelite_file_is_a_plan_error_naming_it():
    from tabship.plan._execute import _treelite

    with pytest.raises(PlanError, match="plan-0.treelite"):
        _treelite("plan-0.treelite", b"\x00" * 64, False, margin=False)
