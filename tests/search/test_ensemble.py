"""Greedy ensemble selection on hand-made out-of-fold predictions."""

from __future__ import annotations

import numpy as np

from tabship.evaluate import metric_value
from tabship.search._ensemble import greedy_weights


def test_greedy_weights_blends_models_with_independent_errors():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    a = y + rng.normal(scale=0.5, size=500)
    b = y + rng.normal(scale=0.5, size=500)
    counts = greedy_weights([a, b], "r2", lambda blend: metric_value("r2", y, blend))
    assert counts[0] > 0 and counts[1] > 0
    blend = (counts[0] * a + counts[1] * b) / sum(counts)
    assert metric_value("r2", y, blend) > metric_value("r2", y, a)


def test_greedy_weights_keeps_the_best_alone_when_others_only_hurt():
    y = np.linspace(0, 1, 200)
    counts = greedy_weights(
        [y.copy(), y[::-1].copy()], "rmse", lambda blend: metric_value("rmse", y, blend)
    )
    assert counts == [1, 0]
