"""``/openapi.json`` described from the artifact's schema: real names, types, ranges, enums.

The request models are built with ``pydantic.create_model`` from the ``Schema`` so that
``/docs`` shows each field with its type, observed range, categories and the example
record. They are documentation only: the routes parse the raw body themselves and hand it
to the runtime validator, because that validator is more forgiving than a pydantic model
would be (``"high"`` matches ``"HIGH"``, numeric strings are numbers, an out-of-range
number is accepted with a warning) and because every error must come from one place in
one shape.

The document declares what the server enforces, no more: numbers carry the float32
bound the validator refuses beyond as ``minimum``/``maximum``, and their observed range
in the description and ``examples`` only (outside it is a warning); categories carry an
``enum`` only with ``--strict-categories`` (otherwise an unseen one is accepted with a
warning, so the training values are listed in the description and ``examples``).

The model is loaded by the app's lifespan, after the routes exist, so the document is
built on first request and cached.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, TypeGuard

import numpy as np
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field, create_model

from tabship.data import MAX_TEXT_LENGTH, Schema, json_safe
from tabship.data import Field as SchemaField

__all__ = ["ErrorBody", "ErrorItem", "install_openapi", "record_model"]

_REF = "#/components/schemas/{model}"
PREDICTION_ROUTES = (("/predict", "post"), ("/predict", "get"), ("/predict/csv", "post"))
# The validator refuses a magnitude beyond float32's (tree models compare float32 inputs):
# tabship.runtime's LARGEST_MODEL_NUMBER, the bound declared for every number.
LARGEST_NUMBER = float(np.finfo(np.float32).max)
_LISTED = 10  # training categories quoted in a description
_EXAMPLES = 50  # ... and given as examples
KEYED_ROUTES = (
    *PREDICTION_ROUTES,
    ("/feedback", "post"),
    ("/monitor", "get"),
    ("/monitor.json", "get"),
)


class ErrorItem(BaseModel):
    """One problem: where, what was wrong, what came and what was expected."""

    loc: list[str | int] = Field(description="Where: body/query/header/path, index, field.")
    msg: str
    type: str
    input: Any = None
    expected: Any = None


class ErrorBody(BaseModel):
    """The body of every 4xx answer (see ``tabship.serve._errors``)."""

    message: str
    detail: list[ErrorItem]


def record_model(
    schema: Schema, *, name: str = "Record", columns: bool = False, strict: bool = False
) -> type[BaseModel]:
    """A pydantic model with one field per schema field (lists of them if ``columns``);
    ``strict``: unseen categories are refused (``--strict-categories``)."""
    definitions: dict[str, Any] = {}
    for i, field in enumerate(schema.fields):
        annotation, extra = _field_type(field, strict)
        if columns:
            annotation = list[annotation]  # type: ignore[valid-type]
            extra = {**extra, "min_length": 1}
            extra.pop("examples", None)
        required = field.required and field.used
        definitions[f"f{i}"] = (
            annotation,
            Field(... if required else None, alias=field.name, title=field.name, **extra),
        )
    config = ConfigDict(extra="allow", title=name, populate_by_name=True)
    model: type[BaseModel] = create_model(name, __config__=config, **definitions)
    return model


def _field_type(field: SchemaField, strict: bool) -> tuple[Any, dict[str, Any]]:
    if field.role == "numeric":
        bounded = Annotated[float, Field(ge=-LARGEST_NUMBER, le=LARGEST_NUMBER)]
        return bounded, {
            "description": _numeric_text(field),
            "examples": _examples(field),
        }
    if field.role in ("categorical", "boolean") and field.categories:
        categories = [str(c) for c in field.categories]
        if strict:
            text = (
                f"{field.role.capitalize()}; one of the training values, matched ignoring "
                "case and surrounding spaces."
            )
            return Literal[tuple(categories)], {"description": text}
        return str, {
            "description": _category_text(field, categories),
            "examples": categories[:_EXAMPLES],
        }
    if field.role == "datetime":
        return str, {"description": "A date or date-time, e.g. 2024-05-17."}
    if field.role == "text":
        text = f"Free text of at most {MAX_TEXT_LENGTH:,} characters; the model reads its words."
        return str, {"description": text}
    text = f"Accepted and ignored by the model (role: {field.role})."
    return str | float | None, {"description": text}


def _numeric_text(field: SchemaField) -> str:
    kind = "Integer" if field.is_integer else "Number"
    bound = f"A magnitude beyond {LARGEST_NUMBER:.4g} (float32's largest) is refused."
    if field.minimum is None or field.maximum is None:
        return f"{kind}. {bound}"
    return (
        f"{kind}; training values ranged from {_num(field.minimum)} to {_num(field.maximum)}. "
        f"Values outside that range are accepted with a warning. {bound}"
    )


def _category_text(field: SchemaField, categories: list[str]) -> str:
    shown = ", ".join(repr(c) for c in categories[:_LISTED])
    if len(categories) > _LISTED:
        shown += f", ... ({len(categories)} in all)"
    return (
        f"{field.role.capitalize()}; the training values are {shown}, matched ignoring case "
        "and surrounding spaces. Another value is accepted with a warning (refused when the "
        "server runs with --strict-categories)."
    )


def _examples(field: SchemaField) -> list[float]:
    values = [v for v in (field.default, field.minimum, field.maximum) if _finite(v)]
    return [float(v) for v in dict.fromkeys(values)]


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _num(value: float) -> str:
    return f"{value:g}"


def response_model(schema: Schema) -> type:
    """The ``/predict`` answer for this model's task."""
    classes = schema.target.classes
    prediction: Any = Literal[tuple(classes)] if classes else float | None
    return create_model(
        "PredictResponse",
        predictions=(list[prediction], Field(description="One per record, in order.")),
        ids=(
            list[str],
            Field(
                description="The id of each record's prediction, in order (32 hex digits): "
                "what POST /feedback takes with the true outcome."
            ),
        ),
        probabilities=(
            list[dict[str, float]] | None,
            Field(description="Class probabilities per record (classifiers only)."),
        ),
        warnings=(list[dict[str, Any]], Field(description="Accepted but unusual inputs.")),
        defaulted=(list[Any], Field(description="Missing optional fields given a default.")),
        unknown_fields=(list[str], Field(description="Fields the model does not know.")),
        expected_value=(
            float | dict[str, float] | None,
            Field(
                None,
                description="With ?explain=true: the mean prediction over the model's "
                "background training rows (a number; for a classifier one per class), from "
                "which each record's contributions add up to its prediction (its predicted "
                "class's probability).",
            ),
        ),
        explanations=(
            list[list[dict[str, Any]]] | None,
            Field(
                None,
                description="With ?explain=true: per record, each input's contribution "
                "(Shapley value against the background training rows), largest first.",
            ),
        ),
        errors=(list[dict[str, Any]] | None, Field(None)),
    )


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the served model once it is loaded."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        _errors_as_json(doc)
        model = getattr(app.state, "model", None)
        if model is None:  # not loaded yet: a generic document, not cached
            return doc
        describe_model(
            doc,
            model.schema,
            max_records=app.state.max_records,
            strict=not model.allow_unknown_categories,
        )
        if app.state.api_key:
            _add_bearer(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def describe_model(
    doc: dict[str, Any], schema: Schema, *, max_records: int, strict: bool = False
) -> None:
    """Put the schema's models, the three body forms and the query parameters in ``doc``."""
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (
        record_model(schema, strict=strict),
        record_model(schema, name="Columns", columns=True, strict=strict),
        response_model(schema),
        ErrorBody,
    ):
        components.update(_component(model))
    example = {name: json_safe(value, nonfinite="null") for name, value in schema.example.items()}
    body = {
        "oneOf": [
            {"$ref": "#/components/schemas/Record"},
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Record"},
                "minItems": 1,
                "maxItems": max_records,
            },
            {"$ref": "#/components/schemas/Columns"},
        ]
    }
    paths = doc["paths"]
    post = paths["/predict"]["post"]
    post["requestBody"] = {
        "required": True,
        "description": "One record, a list of records, or columns ({field: [values]}).",
        "content": {
            "application/json": {
                "schema": body,
                "examples": {
                    "record": {"value": example},
                    "records": {"value": [example, example]},
                    "columns": {"value": {k: [v] for k, v in example.items()}},
                },
            }
        },
    }
    post["parameters"] = [_explain_parameter()]
    get = paths["/predict"]["get"]
    get["parameters"] = [_query_parameter(f, example, strict) for f in schema.fields]
    get["parameters"].append(_explain_parameter())
    for method in (post, get):
        method["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/PredictResponse"
        }


def _component(model: Any) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF)
    definitions = schema.pop("$defs", {})
    return {**definitions, model.__name__: schema}


def _query_parameter(field: SchemaField, example: dict[str, Any], strict: bool) -> dict[str, Any]:
    record = _field_schema(field, strict)
    parameter = {
        "name": field.name,
        "in": "query",
        "required": field.required and field.used,
        "schema": record,
        "description": record.get("description", ""),
    }
    if field.name in example and example[field.name] is not None:
        parameter["example"] = example[field.name]
    return parameter


def _field_schema(field: SchemaField, strict: bool) -> dict[str, Any]:
    """The JSON schema of one field, as it appears inside ``Record``."""
    annotation, extra = _field_type(field, strict)
    model = create_model("One", value=(annotation, Field(..., **extra)))
    prop = dict(model.model_json_schema()["properties"]["value"])
    prop.pop("title", None)
    return prop


def _explain_parameter() -> dict[str, Any]:
    return {
        "name": "explain",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "Add, per record, the inputs that pushed the prediction up or down.",
    }


def _errors_as_json(doc: dict[str, Any]) -> None:
    """Every 4xx is the canonical JSON body, on the HTML routes too: FastAPI files an
    extra response under the route's own media type (text/html for ``/monitor``)."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if str(status).startswith("4") and content and "application/json" not in content:
                    response["content"] = {"application/json": next(iter(content.values()))}


def _add_bearer(doc: dict[str, Any]) -> None:
    schemes = doc["components"].setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer"}
    for path, method in KEYED_ROUTES:
        operation = doc["paths"].get(path, {}).get(method)
        if operation is not None:
            operation["security"] = [{"bearer": []}]
