"""The quick audit: a skops file's own type listing against pairs known to be trusted.

skops builds its trusted list by importing every scikit-learn estimator (1.2 s), which a
server worker that predicts from the scoring plan would otherwise never import. But a
skops file lists every object it would construct in its ``schema.json``: each node names
its loader (``ObjectNode``, ``FunctionNode``, ...) and its type (``__module__`` and
``__class__``). This module reads that listing (bounded, with ``json`` only) and accepts
the file only when every node, found in *every* object of the listing rather than only
where skops looks, is a (loader, type) pair in ``KNOWN_PAIRS``: pairs seen in the
pipelines tabship builds, each one accepted by skops' own audit with tabship's trusted
list (``tests/artifact/test_audit.py`` checks both). Whatever it cannot vouch
for goes to skops' full audit, which has the last word, so the quick audit can only make
a clean file fast, never let through a file skops would refuse.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

from tabship.artifact._format import MAX_PACKED_BYTES, PIPELINE
from tabship.artifact._inflate import check_zip_sizes, inflation_limit, read_zip_member
from tabship.artifact._trusted import TABSHIP_TYPES, untrusted_types
from tabship.errors import ArtifactFormatError, UntrustedTypeError

__all__ = ["KNOWN_PAIRS", "SKOPS_PROTOCOL", "audit_pipeline", "listed_pairs", "quick_audit_passes"]

# The skops protocol the pairs were taken from: each loader's meaning is per protocol.
SKOPS_PROTOCOL = 2
_SCHEMA = "schema.json"

# "Loader:module.Type", as found in the schema.json of tabship's pipelines (every model
# family, every preprocessing kind, voting ensembles) with skops 0.16 and scikit-learn
# 1.9. A pair missing here (another library version moved a class) costs time, not
# safety: the file then goes through skops' full audit.
_SEEN_PAIRS = (
    "DTypeNode:numpy.dtype",
    "DefaultDictNode:collections.defaultdict",
    "DictNode:builtins.dict",
    "DictNode:sklearn.utils._bunch.Bunch",
    "FunctionNode:numpy.expm1",
    "FunctionNode:numpy.log1p",
    "FunctionNode:sklearn.utils.validation.check_array",
    "JsonNode:builtins.str",
    "ListNode:builtins.list",
    "LossNode:sklearn._loss._loss.CyHalfBinomialLoss",
    "LossNode:sklearn._loss._loss.CyHalfMultinomialLoss",
    "LossNode:sklearn._loss._loss.CyHalfSquaredError",
    "NdArrayNode:numpy.float64",
    "NdArrayNode:numpy.int64",
    "NdArrayNode:numpy.ndarray",
    "NdArrayNode:numpy.uint64",
    "ObjectNode:lightgbm.basic.Booster",
    "ObjectNode:lightgbm.sklearn.LGBMClassifier",
    "ObjectNode:lightgbm.sklearn.LGBMRegressor",
    "ObjectNode:sklearn._loss.link.IdentityLink",
    "ObjectNode:sklearn._loss.link.Interval",
    "ObjectNode:sklearn._loss.link.LogitLink",
    "ObjectNode:sklearn._loss.link.MultinomialLogit",
    "ObjectNode:sklearn._loss.loss.HalfBinomialLoss",
    "ObjectNode:sklearn._loss.loss.HalfMultinomialLoss",
    "ObjectNode:sklearn._loss.loss.HalfSquaredError",
    "ObjectNode:sklearn.compose._column_transformer.ColumnTransformer",
    "ObjectNode:sklearn.compose._target.TransformedTargetRegressor",
    "ObjectNode:sklearn.ensemble._forest.ExtraTreesClassifier",
    "ObjectNode:sklearn.ensemble._forest.ExtraTreesRegressor",
    "ObjectNode:sklearn.ensemble._forest.RandomForestClassifier",
    "ObjectNode:sklearn.ensemble._forest.RandomForestRegressor",
    "ObjectNode:sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "ObjectNode:sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
    "HistGradientBoostingClassifier",
    "ObjectNode:sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
    "HistGradientBoostingRegressor",
    "ObjectNode:sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "ObjectNode:sklearn.ensemble._stacking.StackingRegressor",
    "ObjectNode:sklearn.ensemble._voting.VotingClassifier",
    "ObjectNode:sklearn.ensemble._voting.VotingRegressor",
    "ObjectNode:sklearn.impute._base.MissingIndicator",
    "ObjectNode:sklearn.impute._base.SimpleImputer",
    "ObjectNode:sklearn.linear_model._logistic.LogisticRegression",
    "ObjectNode:sklearn.linear_model._ridge.Ridge",
    "ObjectNode:sklearn.linear_model._ridge.RidgeCV",
    "ObjectNode:sklearn.model_selection._split.KFold",
    "ObjectNode:sklearn.model_selection._split.StratifiedKFold",
    "ObjectNode:sklearn.pipeline.Pipeline",
    "ObjectNode:sklearn.preprocessing._data.StandardScaler",
    "ObjectNode:sklearn.preprocessing._encoders.OneHotEncoder",
    "ObjectNode:sklearn.preprocessing._encoders.OrdinalEncoder",
    "ObjectNode:sklearn.preprocessing._function_transformer.FunctionTransformer",
    "ObjectNode:sklearn.preprocessing._label.LabelEncoder",
    "ObjectNode:sklearn.preprocessing._target_encoder.TargetEncoder",
    "ObjectNode:sklearn.tree._classes.DecisionTreeClassifier",
    "ObjectNode:sklearn.tree._classes.DecisionTreeRegressor",
    "ObjectNode:sklearn.tree._classes.ExtraTreeClassifier",
    "ObjectNode:sklearn.tree._classes.ExtraTreeRegressor",
    "PartialNode:functools.partial",
    "RandomGeneratorNode:numpy.random._generator.Generator",
    "SliceNode:builtins.slice",
    "TreeNode:sklearn.tree._tree.Tree",
    "TupleNode:builtins.tuple",
    "TypeNode:builtins.int",
    "TypeNode:builtins.str",
    "TypeNode:collections.OrderedDict",
    "TypeNode:numpy.float64",
    "TypeNode:numpy.int64",
)
KNOWN_PAIRS: frozenset[str] = frozenset(
    (*_SEEN_PAIRS, *(f"ObjectNode:{name}" for name in TABSHIP_TYPES))
)
_Hook = Callable[[dict[str, object]], dict[str, object]]

# A Generator node names its bit generator in its content, and skops constructs that
# class too: only numpy's own, checked here by name as skops checks them.
_BIT_GENERATORS = frozenset({"MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64"})


def audit_pipeline(pipeline_bytes: bytes, source: object) -> None:
    """Refuse a stored pipeline that would construct anything tabship does not trust, or
    that would inflate past its bound; import skops only when the quick audit cannot
    vouch for it.

    Raises
    ------
    UntrustedTypeError
        skops' audit found types outside the trusted list (they are named).
    ArtifactFormatError
        ``pipeline.skops`` is not a readable skops file, or would inflate past its bound.
    """
    check_zip_sizes(pipeline_bytes, source, PIPELINE, kind="skops")
    if quick_audit_passes(pipeline_bytes, source):
        return
    try:
        unknown = untrusted_types(pipeline_bytes)
    except Exception as exc:  # a malformed skops file fails in zipfile, json or skops
        raise ArtifactFormatError(
            source,
            f"{PIPELINE} is not a readable skops file ({type(exc).__name__}: {exc})",
            hint="Copy the model again from its source, or retrain it.",
        ) from None
    if unknown:
        listed = ", ".join(f"'{t}'" for t in unknown)
        raise UntrustedTypeError(
            source,
            f"its pipeline ({PIPELINE}) holds {len(unknown)} type(s) outside tabship's "
            f"trusted list: {listed}",
            hint="Only load models written by tabship; retrain the model if it is yours.",
        )


def quick_audit_passes(pipeline_bytes: bytes, source: object) -> bool:
    """True when every node of the skops file is a known trusted pair; False when skops'
    full audit must decide (an unknown pair, another protocol, a listing it cannot read).

    Raises ``ArtifactFormatError`` only for a listing that would inflate past its bound.
    """
    listed = listed_pairs(pipeline_bytes, source)
    return listed is not None and listed <= KNOWN_PAIRS


def listed_pairs(pipeline_bytes: bytes, source: object) -> set[str] | None:
    """Every "Loader:module.Type" node in the file's ``schema.json``; None if unreadable.

    Nodes are collected while the JSON is decoded (``object_hook`` sees every object, at
    any depth, whatever key holds it), about twice as fast as walking it afterwards.
    """
    pairs: set[str | None] = set()

    def collect(node: dict[str, object]) -> dict[str, object]:
        if "__loader__" in node:
            pairs.add(_pair(node))
        return node

    schema = _read_schema(pipeline_bytes, source, collect)
    if not isinstance(schema, dict) or not _is_protocol(schema.get("protocol")):
        return None
    return None if None in pairs else {pair for pair in pairs if pair is not None}


def _read_schema(pipeline_bytes: bytes, source: object, hook: _Hook) -> object:
    limit = min(MAX_PACKED_BYTES, inflation_limit(len(pipeline_bytes)))
    try:
        with zipfile.ZipFile(io.BytesIO(pipeline_bytes)) as archive:
            if _SCHEMA not in archive.NameToInfo:
                return None
            what = f"{PIPELINE}'s {_SCHEMA}"
            raw = read_zip_member(archive, _SCHEMA, limit, source, what).content
        return json.loads(raw, object_hook=hook)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RecursionError):
        return None  # skops' audit reports the damage in its own words


def _is_protocol(value: object) -> bool:
    return type(value) is int and value == SKOPS_PROTOCOL


def _pair(node: dict[str, object]) -> str | None:
    loader, module, name = node.get("__loader__"), node.get("__module__"), node.get("__class__")
    if not (isinstance(loader, str) and isinstance(module, str) and isinstance(name, str)):
        return None
    if loader == "RandomGeneratorNode" and _bit_generator(node) not in _BIT_GENERATORS:
        return None
    return f"{loader}:{module}.{name}"


def _bit_generator(node: dict[str, object]) -> object:
    """The bit generator's name, read where skops reads it; None if it is not there."""
    value: object = node
    for key in ("content", "bit_generator", "content", "bit_generator", "content"):
        value = value.get(key) if isinstance(value, dict) else None
    try:
        return json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
