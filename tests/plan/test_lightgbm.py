"""LightGBM's C library through our ctypes binding: LightGBM's own numbers, one record
alone the same bits as in a batch, and no import of LightGBM's Python package."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from tabship.plan._lightgbm import LightGBMError, LightGBMModel, lightgbm_library


def small_booster(task: str):
    """A fitted LightGBM booster (regression, binary or multiclass) with missing values."""
    import lightgbm

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5))
    X[rng.random(X.shape) < 0.1] = np.nan
    if task == "regression":
        y, params = np.nan_to_num(X[:, 0]) ** 2, {"objective": "regression"}
    elif task == "binary":
        y, params = (np.nan_to_num(X[:, 1]) > 0).astype(int), {"objective": "binary"}
    else:
        y = np.digitize(np.nan_to_num(X[:, 2]), [-0.5, 0.5])
        params = {"objective": "multiclass", "num_class": 3}
    data = lightgbm.Dataset(X, y)
    return lightgbm.train({**params, "verbose": -1, "num_leaves": 7}, data, num_boost_round=20)


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("margin", [False, True])
def test_binding_gives_lightgbm_numbers_and_alone_equals_batch(task, margin):
    booster = small_booster(task)
    library = lightgbm_library()
    assert library is not None
    ours = LightGBMModel(library, booster.model_to_string().encode())
    X = np.random.default_rng(2).normal(size=(1500, 5)) * 3
    X[::4, 3] = np.nan
    expected = np.asarray(booster.predict(X, raw_score=margin)).reshape(len(X), -1)
    batch = ours.predict(X, margin=margin)  # 1,500 rows: on every core
    small = ours.predict(X[:9], margin=margin)
    alone = np.vstack([ours.predict(X[i : i + 1], margin=margin) for i in range(50)])
    np.testing.assert_array_equal(batch, expected)
    np.testing.assert_array_equal(small, expected[:9])
    np.testing.assert_array_equal(alone, expected[:50])


def test_one_record_predictions_from_several_threads_do_not_mix():
    booster = small_booster("regression")
    ours = LightGBMModel(lightgbm_library(), booster.model_to_string().encode())
    X = np.random.default_rng(3).normal(size=(400, 5))
    expected = booster.predict(X)
    got = np.full(len(X), np.nan)

    def score(part: range) -> None:
        for i in part:
            got[i] = ours.predict(X[i : i + 1], margin=False)[0, 0]

    threads = [threading.Thread(target=score, args=(range(k, 400, 4),)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(got, expected)


def test_wrong_width_and_bad_text_are_lightgbm_errors():
    ours = LightGBMModel(lightgbm_library(), small_booster("binary").model_to_string().encode())
    with pytest.raises(LightGBMError, match="expected rows of 5 features"):
        ours.predict(np.zeros((1, 4)), margin=False)
    with pytest.raises(LightGBMError):
        LightGBMModel(lightgbm_library(), b"not a model")


def test_scoring_through_the_library_leaves_lightgbm_python_sklearn_and_llvm_out():
    text = small_booster("binary").model_to_string()
    code = (
        "import sys, numpy as np\n"
        "from tabship.plan._lightgbm import LightGBMModel, lightgbm_library\n"
        "model = LightGBMModel(lightgbm_library(), sys.stdin.read().encode())\n"
        "model.predict(np.zeros((1, 5)), margin=False)\n"
        "unwanted = ('lightgbm', 'sklearn', 'scipy', 'tabship.plan._compiled', 'llvmlite')\n"
        "loaded = [m for m in unwanted if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
