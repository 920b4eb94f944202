"""LogTargetRegressor: fitted on log1p(y), predictions kept near the training range."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge, RidgeCV

from tabship.features import LogTargetRegressor


def test_inside_the_range_it_is_the_log_target_model():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(200, 2))
    y = np.expm1(1.0 + 2.0 * X[:, 0] + rng.normal(0, 0.05, 200))
    model = LogTargetRegressor(Ridge(alpha=1e-6)).fit(X, y)
    plain = Ridge(alpha=1e-6).fit(X, np.log1p(y))
    np.testing.assert_allclose(model.predict(X), np.expm1(plain.predict(X)), rtol=1e-12)


def test_far_outside_the_range_it_stays_bounded():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(200, 1))
    y = np.expm1(1.0 + 3.0 * X[:, 0])
    model = LogTargetRegressor(RidgeCV()).fit(X, y)
    extreme = model.predict(np.array([[1e6], [-1e6]]))
    assert np.all(np.isfinite(extreme))
    width = np.log1p(y).max() - np.log1p(y).min()
    assert extreme[0] <= np.expm1(np.log1p(y).max() + 0.5 * width) + 1e-9
    assert extreme[1] >= np.expm1(np.log1p(y).min() - 0.5 * width) - 1e-9
