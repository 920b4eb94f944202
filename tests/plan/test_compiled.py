"""LightGBM models compiled by lleaves: LightGBM's margins to 1e-12, built once into a
private cache, refused from a folder others can write, and dropped when they disagree."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tabship.plan import CompiledForest, cache_folder
from tabship.plan._lightgbm import LightGBMModel, lightgbm_library
from tests.plan.test_lightgbm import small_booster

pytest.importorskip("lleaves")

BIG = 12_000  # over the rows from which a batch asks for the compiled model


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TABSHIP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "compiled-trees"


def rows(n: int, width: int = 5, seed: int = 2) -> np.ndarray:
    X = np.random.default_rng(seed).normal(size=(n, width)) * 3
    X[::4, 3] = np.nan
    return X


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("margin", [False, True])
def test_compiled_model_gives_lightgbm_numbers(cache, task, margin):
    booster = small_booster(task)
    forest = CompiledForest(booster.model_to_string().encode(), margin=margin, threads=2)
    predict = forest.wait()
    assert predict is not None, forest.failure
    X = rows(BIG)
    expected = np.asarray(booster.predict(X, raw_score=margin)).reshape(len(X), -1)
    got = predict(X).reshape(expected.shape)
    # Blocks of trees are summed on their own (and the sigmoid or softmax is lleaves' own;
    # the plan applies its link to margins): the last bits may differ.
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert [p.suffix for p in cache.iterdir()] == [".o"]  # no temporary left behind


def test_a_forest_of_many_trees_summed_in_blocks_agrees_with_lightgbm(cache):
    """150 trees make ten blocks, each summed on its own: 1e-14 off, not more."""
    import lightgbm

    rng = np.random.default_rng(3)
    X = rng.normal(size=(2_000, 5))
    y = X[:, 0] * 3 + np.sin(X[:, 1] * 2) + rng.normal(size=len(X))
    data = lightgbm.Dataset(X, y)
    params = {"objective": "regression", "verbose": -1, "num_leaves": 15, "learning_rate": 0.3}
    booster = lightgbm.train(params, data, num_boost_round=150)
    forest = CompiledForest(booster.model_to_string().encode(), margin=True, threads=2)
    predict = forest.wait()
    assert predict is not None, forest.failure
    X = rows(BIG, seed=4)
    np.testing.assert_allclose(predict(X), booster.predict(X, raw_score=True), rtol=0, atol=1e-12)


def test_a_big_batch_moves_to_the_compiled_model(cache):
    booster = small_booster("multiclass")
    model = LightGBMModel(lightgbm_library(), booster.model_to_string().encode())
    X = rows(BIG)
    first = model.predict(X, margin=True)  # the C library, while the build starts
    forest = model.compiled(margin=True)
    assert forest.wait() is not None, forest.failure
    again = model.predict(X, margin=True)  # checked against the C library, then compiled
    np.testing.assert_allclose(again, first, rtol=0, atol=1e-12)
    assert not np.array_equal(again, first)  # its blocks round on their own: it scored
    np.testing.assert_array_equal(first, booster.predict(X, raw_score=True))
    assert forest.failure is None


def test_the_cache_is_private_and_reused(cache):
    text = small_booster("binary").model_to_string().encode()
    assert CompiledForest(text, margin=True, threads=1).wait() is not None
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (built,) = cache.iterdir()
    modified = built.stat().st_mtime_ns
    again = CompiledForest(text, margin=True, threads=1)
    assert again.predictor() is not None  # loaded from the cache at once, no build
    assert built.stat().st_mtime_ns == modified
    # Another model, or the same one compiled for margins or not, has its own file.
    assert CompiledForest(text, margin=False, threads=1).wait() is not None
    assert len(list(cache.iterdir())) == 2


def test_a_cache_folder_others_can_write_is_never_read(cache):
    text = small_booster("binary").model_to_string().encode()
    assert CompiledForest(text, margin=True, threads=1).wait() is not None
    cache.chmod(0o777)
    refused = CompiledForest(text, margin=True, threads=1)
    assert refused.wait() is None
    assert "others can write" in (refused.failure or "")
    cache.chmod(0o700)
    (built,) = cache.iterdir()
    built.chmod(0o666)
    assert CompiledForest(text, margin=True, threads=1).wait() is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_cached_file_another_user_owns_is_never_read(cache):
    text = small_booster("binary").model_to_string().encode()
    assert CompiledForest(text, margin=True, threads=1).wait() is not None
    (built,) = cache.iterdir()
    os.chown(built, 65534, 65534)  # nobody
    refused = CompiledForest(text, margin=True, threads=1)
    assert refused.wait() is None
    assert "another user" in (refused.failure or "")


def test_a_compiled_model_that_disagrees_is_dropped(cache):
    """A cached object of another model under this model's name: the agreement check
    on the first rows catches it, and the C library keeps scoring."""
    regression, binary = small_booster("regression"), small_booster("binary")
    text = binary.model_to_string().encode()
    wrong = CompiledForest(regression.model_to_string().encode(), margin=True, threads=1)
    assert wrong.wait() is not None
    (other,) = cache.iterdir()
    probe = CompiledForest(text, margin=True, threads=1)
    right_name = cache / (probe._key() + ".o")
    other.rename(right_name)
    model = LightGBMModel(lightgbm_library(), text)
    X = rows(BIG)
    got = model.predict(X, margin=True)
    np.testing.assert_array_equal(got.ravel(), binary.predict(X, raw_score=True))
    assert "disagreed" in (model.compiled(margin=True).failure or "")


def test_switched_off_or_without_a_usable_folder_the_c_library_scores(cache, monkeypatch):
    text = small_booster("binary").model_to_string().encode()
    monkeypatch.setenv("TABSHIP_COMPILED_TREES", "0")
    off = CompiledForest(text, margin=True, threads=1)
    assert off.wait() is None and "TABSHIP_COMPILED_TREES=0" in (off.failure or "")
    monkeypatch.delenv("TABSHIP_COMPILED_TREES")
    blocker = cache.parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    unusable = CompiledForest(text, margin=True, threads=1)
    assert unusable.wait() is None and unusable.failure
    model = LightGBMModel(lightgbm_library(), text)
    X = rows(BIG)
    np.testing.assert_array_equal(
        model.predict(X, margin=True).ravel(), small_booster("binary").predict(X, raw_score=True)
    )


def test_cache_folder_follows_xdg_without_tabship_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("TABSHIP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "tabship" / "compiled-trees"


def test_a_run_that_lacks_the_model_leaves_its_build_behind_and_the_next_run_has_it(cache):
    """The run scores with the C library and exits without waiting; the build it starts
    at exit, a process of its own, lands in the cache."""
    text = small_booster("binary").model_to_string()
    code = (
        "import sys, numpy as np\n"
        "from tabship.plan._lightgbm import LightGBMModel, lightgbm_library\n"
        "model = LightGBMModel(lightgbm_library(), sys.stdin.read().encode())\n"
        f"model.predict(np.zeros(({BIG}, 5)), margin=True)\n"
        "assert model.compiled(margin=True).predictor() is None\n"
    )
    env = {**os.environ, "TABSHIP_CACHE_DIR": str(cache.parent)}
    result = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    for pid in builders_of(cache):  # not our children: wait on their pidfds
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            continue  # it has ended already
        try:
            select.select([handle], [], [])
        finally:
            os.close(handle)
    assert [p.suffix for p in cache.iterdir()] == [".o"]  # no lock or temporary left
    assert CompiledForest(text.encode(), margin=True, threads=1).predictor() is not None


def builders_of(cache) -> list[int]:
    """The builder processes at work on ``cache`` (by their command lines)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tabship.plan._compiled_build" in command and any(
            str(cache).encode() in part for part in command
        ):
            found.append(int(entry))
    return found
