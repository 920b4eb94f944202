"""The types a stored pipeline may contain, and skops' own audit against the list.

skops already trusts plain Python containers, numpy arrays and scikit-learn estimators.
Everything else a tabship pipeline is made of is named here, in tabship's code, so
that what an artifact may construct is decided by the installed tabship, never by the
artifact itself. The list was found empirically with ``skops.io.get_untrusted_types`` on
pipelines of every kind tabship builds (``tests/artifact/test_trusted.py`` keeps it
honest); a type that is not listed makes loading fail before anything is constructed
(``_audit.py`` decides, asking skops only when the file's own listing is not enough).

Types are named by their fully qualified name, the string skops compares (``module.Type``),
tabship's own transformers included: the artifact layer depends on ``data`` only and never
imports ``features`` to find them. A test resolves every name to a real class, so a moved
or renamed transformer fails there instead of at a user's load.
"""

from __future__ import annotations

__all__ = [
    "TABSHIP_TYPES",
    "TRUSTED_TYPES",
    "trusted_types",
    "untrusted_types",
]

TRUSTED_TYPES: tuple[str, ...] = (
    # LightGBM estimators keep their parameters in an OrderedDict next to the Booster.
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    # Fitted column dtypes (ColumnTransformer, encoders). pandas CategoricalDtype and
    # Index objects cannot be stored by skops at all (pandas 3), so none are listed.
    "numpy.dtype",
    # HistGradientBoosting with native categoricals wraps check_array in a partial;
    # skops audits the wrapped function separately, so a partial of anything else
    # (os.system, eval) is still refused.
    "functools.partial",
    "sklearn.utils.validation.check_array",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # TargetEncoder (high-cardinality categoricals) keeps its cross-fitting splitter.
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
    # Decision trees, forests, extra trees.
    "sklearn.tree._tree.Tree",
    # Voting and stacking ensembles keep their members in a Bunch.
    "sklearn.utils._bunch.Bunch",
)


# tabship's own classes inside a fitted pipeline: ``tabship.features.FEATURE_TRANSFORMERS``.
TABSHIP_TYPES: tuple[str, ...] = (
    "tabship.features._coerce.SchemaCoercer",
    "tabship.features._derived.DerivedColumns",
    "tabship.features._datetime.DatetimeParts",
    "tabship.features._categories.CategoryEncoder",
    "tabship.features._names.PositionalNames",
    "tabship.features._target.LogTargetRegressor",
    "tabship.features._text.TextTokens",
)


def trusted_types() -> tuple[str, ...]:
    """Every type a stored pipeline may hold beyond skops' defaults: ours and the rest."""
    return TRUSTED_TYPES + TABSHIP_TYPES


def untrusted_types(pipeline_bytes: bytes) -> list[str]:
    """Types in a skops file outside the trusted list, found without constructing any."""
    import skops.io

    trusted = set(trusted_types())
    found = skops.io.get_untrusted_types(data=pipeline_bytes)
    return sorted(t for t in found if t not in trusted)
