"""Which inputs pushed one prediction up or down: Shapley values against training rows.

An input's contribution is its Shapley value for the model's output, with the inputs
that are "absent" from a coalition taken from real training rows (a background sample
of up to ``BACKGROUND_ROWS`` rows stored with the model, ``background.json``): the
interventional definition, measured against the training distribution. So the most
common value is no longer worth 0 by construction (a non-smoker's ``smoker = no`` pulls
the charges down, because the background holds smokers), and the contributions of a
record add up exactly to its prediction minus the expected value, the mean prediction
over the background rows.

It works on the user's input fields, for every model tabship builds (linear models,
trees, ensembles, derived columns, one-hot and target encodings, a log target) through
one call, ``predict(columns, n)``: the scoring plan or the pipeline. With few inputs the
values are exact (every coalition, ``2**M * B`` rows predicted); with more, each
background row gets one random order of the inputs and its reverse (antithetic
permutation sampling), an unbiased estimate whose contributions still add up exactly,
since along any order the marginal changes telescope to ``f(x) - f(background row)``.
The orders come from a fixed seed, so a record gets the same numbers wherever and in
whatever batch it is explained.

The scale is the prediction's: the predicted value for regression (original units,
after any log-target back-transform), each class's probability for classifiers. An
explanation lists the contributions to the predicted class's probability; the expected
value is given for every class.

numpy only: serving workers import this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from math import factorial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tabship.data import JSONValue, Schema, json_safe

__all__ = [
    "BACKGROUND_FILE",
    "BACKGROUND_ROWS",
    "Explainer",
    "PredictColumns",
    "background_bytes",
    "read_background",
]

PredictColumns = Callable[[dict[str, list[Any]], int], np.ndarray]

BACKGROUND_FILE = "background.json"
BACKGROUND_ROWS = 100
# Rows predicted for one exact explanation (all 2**M coalitions x background rows); above
# it, permutation sampling: 2 x background rows x (M + 1) rows.
EXACT_ROWS = 8_192
SEED = 20_240_131


class Explainer:
    """Shapley contributions of input fields for one model and its background sample.

    ``predict(columns, n)`` is the model on validated columns; ``background`` the
    validated columns of the background rows (one list or array per input field, all
    of one length); ``classes`` names the probability columns (None for regression).
    """

    def __init__(
        self,
        predict: PredictColumns,
        background: Mapping[str, Sequence[Any]],
        classes: Sequence[str] | None = None,
    ) -> None:
        self.predict = predict
        self.names = list(background)
        self.classes = list(classes) if classes is not None else None
        self.background = {name: _as_array(values) for name, values in background.items()}
        self.rows = len(next(iter(self.background.values()))) if self.background else 0
        if self.rows == 0:
            raise ValueError("an explainer needs at least one background row")
        outputs = np.asarray(predict(_listed(self.background), self.rows), dtype=np.float64)
        self.expected: NDArray[np.float64] = outputs.mean(axis=0)

    @property
    def expected_value(self) -> float | dict[str, float]:
        """The mean prediction over the background rows: a number, or one per class."""
        if self.classes is None:
            return float(self.expected)
        return {c: float(v) for c, v in zip(self.classes, self.expected.tolist(), strict=True)}

    def contributions(self, values: Mapping[str, Any]) -> NDArray[np.float64]:
        """The Shapley value of each input of one validated record, in ``names`` order:
        ``(M,)``, or ``(M, k)`` with one column per class."""
        m = len(self.names)
        if m == 0:
            return np.zeros((0, *self.expected.shape))
        if (2**m) * self.rows <= EXACT_ROWS:
            return self._exact(values)
        return self._sampled(values)

    def explain(
        self, values: Mapping[str, Any], class_index: int | None = None
    ) -> list[dict[str, Any]]:
        """``{"feature", "value", "contribution"}`` per input, largest first; for a
        classifier the contributions to class ``class_index``'s probability."""
        phi = self.contributions(values)
        if class_index is not None:
            phi = phi[:, class_index]
        items = [
            {
                "feature": name,
                "value": json_safe(values.get(name), nonfinite="null"),
                "contribution": float(phi[j]),
            }
            for j, name in enumerate(self.names)
        ]
        return sorted(items, key=lambda c: -abs(c["contribution"]))

    def _outputs(
        self, values: Mapping[str, Any], take_record: NDArray[np.bool_], rows: NDArray[np.intp]
    ) -> NDArray[np.float64]:
        """The model on mixed rows: row ``r`` holds the record's value of input ``j``
        where ``take_record[r, j]``, else background row ``rows[r]``'s."""
        columns: dict[str, Any] = {}
        for j, name in enumerate(self.names):
            column = self.background[name][rows]
            column[take_record[:, j]] = values.get(name)
            columns[name] = column
        n = len(rows)
        return np.asarray(self.predict(_listed(columns), n), dtype=np.float64).reshape(n, -1)

    def _exact(self, values: Mapping[str, Any]) -> NDArray[np.float64]:
        """Every coalition ``S``: ``v(S)`` is the mean output with the inputs in ``S``
        from the record and the rest from each background row; then the Shapley sum."""
        m, b = len(self.names), self.rows
        subsets = np.arange(2**m)
        members = (subsets[:, None] >> np.arange(m)[None, :]) & 1 == 1  # (2**m, m)
        take = np.repeat(members, b, axis=0)
        rows = np.tile(np.arange(b), 2**m)
        v = self._outputs(values, take, rows).reshape(2**m, b, -1).mean(axis=1)
        sizes = members.sum(axis=1)
        weight = np.array([factorial(s) * factorial(m - s - 1) / factorial(m) for s in range(m)])
        phi = np.zeros((m, v.shape[1]))
        for j in range(m):
            without = subsets[~members[:, j]]
            phi[j] = (weight[sizes[without]][:, None] * (v[without | (1 << j)] - v[without])).sum(0)
        return self._shaped(phi)

    def _sampled(self, values: Mapping[str, Any]) -> NDArray[np.float64]:
        """Antithetic permutation sampling: every background row with one random order
        of the inputs and with its reverse, so each row counts equally (the
        contributions then add up to ``f(x)`` minus exactly ``expected``)."""
        m, b = len(self.names), self.rows
        rng = np.random.default_rng(SEED)
        orders = np.array([rng.permutation(m) for _ in range(b)])
        orders = np.concatenate([orders, orders[:, ::-1]])  # (p, m)
        p = len(orders)
        rank = np.empty_like(orders)
        rank[np.arange(p)[:, None], orders] = np.arange(m)[None, :]  # position of each input
        steps = np.arange(m + 1)
        take = (rank[:, None, :] < steps[None, :, None]).reshape(p * (m + 1), m)
        rows = np.repeat(np.tile(np.arange(b), 2), m + 1)
        out = self._outputs(values, take, rows).reshape(p, m + 1, -1)
        # Input j enters at step rank[j] + 1 of its order.
        after = np.take_along_axis(out, (rank + 1)[:, :, None], axis=1)
        before = np.take_along_axis(out, rank[:, :, None], axis=1)
        return self._shaped((after - before).mean(axis=0))

    def _shaped(self, phi: NDArray[np.float64]) -> NDArray[np.float64]:
        return phi[:, 0] if self.classes is None else phi


def _as_array(values: Sequence[Any]) -> NDArray[Any]:
    """A background column as numpy: float64 for numbers, object for anything else
    (copied per explanation, then the record's value written over some rows)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    if all(isinstance(v, float) for v in array.tolist()):
        return array.astype(np.float64)
    return array


def _listed(columns: Mapping[str, NDArray[Any]]) -> dict[str, list[Any]]:
    """Columns as ``predict`` is typed to take them (arrays index like lists)."""
    return dict(columns)  # type: ignore[arg-type]


def background_bytes(frame: Any, schema: Schema, *, seed: int = 0) -> bytes:
    """``background.json`` for a training table (a DataFrame of raw input columns): up
    to ``BACKGROUND_ROWS`` rows drawn at random, as columns of JSON values (missing:
    null; dates as ISO text), read back through validation like any request."""
    if len(frame) > BACKGROUND_ROWS:
        frame = frame.sample(n=BACKGROUND_ROWS, random_state=seed)
    columns = {
        f.name: json_safe(frame[f.name].tolist(), nonfinite="null", other=_iso)
        for f in schema.feature_fields
        if f.name in frame.columns
    }
    return json.dumps({"columns": columns}, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _iso(value: object) -> JSONValue:
    """A date as ISO text; pandas' missing date (NaT, unequal to itself) as null."""
    if value != value:
        return None
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def read_background(data: bytes | None, schema: Schema) -> dict[str, list[Any]]:
    """The background rows as a record validator takes them (columns of JSON values):
    the stored sample, or for a model saved without one a single typical row (each
    field's training median or most frequent value), against which the contributions
    are still exact Shapley values that add up, measured from that one row."""
    if data:
        try:
            columns = json.loads(data)["columns"]
        except (ValueError, KeyError, TypeError):
            columns = None
        if isinstance(columns, dict) and columns and _equal_lengths(columns.values()):
            return columns
    return {
        f.name: [f.default if f.default is not None else schema.example.get(f.name)]
        for f in schema.feature_fields
    }


def _equal_lengths(columns: Any) -> bool:
    lengths = {len(c) if isinstance(c, list) else -1 for c in columns}
    return len(lengths) == 1 and next(iter(lengths)) > 0
