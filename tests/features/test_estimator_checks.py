"""scikit-learn's own estimator checks on every tabship transformer."""

from __future__ import annotations

from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabship.features import (
    FEATURE_TRANSFORMERS,
    CategoryEncoder,
    DatetimeParts,
    DerivedColumns,
    LogTargetRegressor,
    PositionalNames,
    SchemaCoercer,
    TextTokens,
)

# CategoryEncoder outputs pandas ``category`` columns whose values are the category text;
# these checks compare two outputs with ``assert_allclose``, i.e. by subtracting them,
# which text cannot do. test_categories.py checks the same properties with pandas' frame
# equality instead.
_TEXT_OUTPUT_CHECKS = (
    "check_estimators_pickle",
    "check_fit_idempotent",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_pipeline_consistency",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
)


def expected_failed_checks(estimator):
    if isinstance(estimator, CategoryEncoder):
        return dict.fromkeys(_TEXT_OUTPUT_CHECKS, "output is category text, compared numerically")
    if isinstance(estimator, DerivedColumns) and estimator.expressions:
        # Its expressions read x0 and x1; the check fits a one-column array on purpose.
        return {"check_fit2d_1feature": "the expressions need a second column"}
    return {}


ESTIMATORS = [
    SchemaCoercer(),
    DerivedColumns(),
    DerivedColumns(expressions=("ratio = x0 / (x1 + 1)", "scaled = log1p(abs(x0)) * 2")),
    DatetimeParts(),
    CategoryEncoder(),
    PositionalNames(),
    LogTargetRegressor(Ridge()),
    TextTokens(),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_transformer_follows_sklearn_contract(estimator, check):
    check(estimator)


def test_feature_transformers_lists_every_transformer():
    assert set(FEATURE_TRANSFORMERS) == {type(e) for e in ESTIMATORS}
