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


def test_greedy_weights_only_adds_members_the_time_left_can_refit():
    """Member 1 helps most but, with the best, costs more than is left: the blend takes
    member 2, which also helps, instead of giving up on blending."""
    rng = np.random.default_rng(1)
    y = rng.normal(size=800)
    best = y + rng.normal(scale=0.4, size=800)
    strong = y + rng.normal(scale=0.4, size=800)
    weaker = y + rng.normal(scale=0.6, size=800)
    score = lambda blend: metric_value("r2", y, blend)  # noqa: E731
    free = greedy_weights([best, strong, weaker], "r2", score)
    assert free[1] > 0
    costs = {0: 10.0, 1: 25.0, 2: 5.0}
    counts = greedy_weights(
        [best, strong, weaker], "r2", score, fits=lambda used: sum(costs[k] for k in used) <= 20
    )
    assert counts[0] > 0 and counts[1] == 0 and counts[2] > 0
    blend = (counts[0] * best + counts[2] * weaker) / sum(counts)
    assert score(blend) > score(best)


def test_a_new_member_must_add_its_cost_to_the_blend():
    """A member that helps only a hair is left out once each member must pay for
    itself; one that helps clearly still joins."""
    rng = np.random.default_rng(2)
    y = rng.normal(size=1000)
    error = rng.normal(scale=0.5, size=1000)
    best = y + error
    # the same error but for a hair of its own: 0.5 in all, 0.05 of it independent
    nearly_the_same = y + np.sqrt(1 - 0.1**2) * error + rng.normal(scale=0.05, size=1000)
    independent = y + rng.normal(scale=0.5, size=1000)
    score = lambda blend: metric_value("r2", y, blend)  # noqa: E731
    free = greedy_weights([best, nearly_the_same], "r2", score)
    assert free[1] > 0  # it does help a little
    gain = score((free[0] * best + free[1] * nearly_the_same) / sum(free)) - score(best)
    assert 0 < gain < 1e-3
    assert greedy_weights([best, nearly_the_same], "r2", score, member_cost=1e-3) == [1, 0]
    paid = greedy_weights([best, nearly_the_same, independent], "r2", score, member_cost=1e-3)
    assert paid[1] == 0 and paid[2] > 0
