"""The quick audit (the skops file's own listing) refuses what skops' audit refuses.

It may only make a clean file fast: every pair it knows must be one skops trusts (asked
of skops itself, one minimal file per pair), every node of a file must be looked at (each
node of a real pipeline, renamed to ``os.system`` in turn, stops it), and the hostile
payloads skops refuses are refused by every load with the type and the file named.
"""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import skops.io
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tabship import artifact
from tabship.artifact._audit import KNOWN_PAIRS, SKOPS_PROTOCOL, listed_pairs, quick_audit_passes
from tabship.errors import UntrustedTypeError
from tests.artifact.conftest import CATEGORICAL, rewrite


def _zip(schema: object, members: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", json.dumps(schema))
        for name, content in (members or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _state(loader: str, type_name: str, **rest: object) -> dict[str, object]:
    module, _, name = type_name.rpartition(".")
    return {"__loader__": loader, "__module__": module, "__class__": name, **rest}


def _tuple() -> dict[str, object]:
    return _state("TupleNode", "builtins.tuple", content=[])


def _dict(content: dict[str, object] | None = None) -> dict[str, object]:
    key_types = _state("ListNode", "builtins.list", content=[])
    return _state("DictNode", "builtins.dict", content=content or {}, key_types=key_types)


def _json(value: object) -> dict[str, object]:
    return _state("JsonNode", "builtins.str", content=json.dumps(value), is_json=True)


def _minimal(loader: str, type_name: str) -> dict[str, object]:
    """The smallest valid node of ``loader`` with type ``type_name``, for skops to audit."""
    contents: dict[str, dict[str, object]] = {
        "DictNode": {"content": {}, "key_types": _state("ListNode", "builtins.list", content=[])},
        "ListNode": {"content": []},
        "TupleNode": {"content": []},
        "SliceNode": {"content": {"start": None, "stop": 1, "step": None}},
        "JsonNode": {"content": "1", "is_json": True},
        "NdArrayNode": {"type": "json", "content": [], "shape": _tuple()},
        "DTypeNode": {
            "content": _state(
                "NdArrayNode", "numpy.ndarray", type="json", content=[], shape=_tuple()
            )
        },
        "DefaultDictNode": {
            "content": {"main": _dict(), "default_factory": _state("TypeNode", "builtins.str")}
        },
        "PartialNode": {
            "content": {
                "func": _state("FunctionNode", "numpy.log1p"),
                "args": _tuple(),
                "kwds": _dict(),
                "namespace": _json(None),
            }
        },
        "LossNode": {"__reduce__": {"args": _tuple()}, "content": _dict()},
        "TreeNode": {"__reduce__": {"args": _tuple()}, "content": _dict()},
        "RandomGeneratorNode": {
            "content": {
                "bit_generator": _dict({"bit_generator": _json("PCG64")}),
                "seed_seq": _dict(),
            }
        },
    }
    return _state(loader, type_name, **contents.get(loader, {}))


def _wrapped(node: dict[str, object]) -> bytes:
    root = _state("ListNode", "builtins.list", content=[node], protocol=SKOPS_PROTOCOL)
    return _zip(root)


@pytest.mark.parametrize("pair", sorted(KNOWN_PAIRS))
def test_every_known_pair_is_trusted_by_skops_itself(pair):
    loader, _, type_name = pair.partition(":")
    data = _wrapped(_minimal(loader, type_name))
    assert pair in (listed_pairs(data, "x") or ())
    refused = set(skops.io.get_untrusted_types(data=data)) - set(artifact.trusted_types())
    assert not refused, (pair, refused)


def test_a_pair_skops_refuses_is_not_known():
    """The check above can fail: the same minimal file with an untrusted type is refused."""
    data = _wrapped(_minimal("FunctionNode", "posix.system"))
    assert skops.io.get_untrusted_types(data=data) == ["posix.system"]
    assert not quick_audit_passes(data, "x")


def test_every_node_of_a_real_pipeline_is_audited(ridge_pipeline):
    """Each node in turn renamed to os.system: the quick audit never lets the file pass."""
    data = skops.io.dumps(ridge_pipeline)
    assert quick_audit_passes(data, "x")
    text = zipfile.ZipFile(io.BytesIO(data)).read("schema.json").decode()
    count = text.count('"__loader__"')
    assert count > 20
    schema = json.loads(text)
    nodes = []

    def collect(value: object) -> None:
        if isinstance(value, dict):
            if "__loader__" in value:
                nodes.append(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(schema)
    assert len(nodes) == count
    for node in nodes:
        saved = node["__module__"], node["__class__"]
        node["__module__"], node["__class__"] = "posix", "system"
        assert not quick_audit_passes(_zip(schema), "x"), node["__loader__"]
        node["__module__"], node["__class__"] = saved


def test_a_node_hidden_where_skops_does_not_look_is_still_seen(ridge_pipeline):
    schema = json.loads(
        zipfile.ZipFile(io.BytesIO(skops.io.dumps(ridge_pipeline))).read("schema.json")
    )
    schema["unused"] = {"deep": [{"deeper": _state("FunctionNode", "builtins.eval")}]}
    assert not quick_audit_passes(_zip(schema), "x")


@pytest.mark.parametrize(
    "change",
    [{"protocol": 1}, {"protocol": True}, {"protocol": "2"}],
    ids=["older", "bool", "text"],
)
def test_another_protocol_goes_to_skops(ridge_pipeline, change):
    data = skops.io.dumps(ridge_pipeline)
    schema = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))
    schema.update(change)
    assert not quick_audit_passes(_zip(schema), "x")


def test_an_unknown_bit_generator_goes_to_skops():
    node = _minimal("RandomGeneratorNode", "numpy.random._generator.Generator")
    assert quick_audit_passes(_wrapped(node), "x")
    node["content"]["bit_generator"]["content"]["bit_generator"] = _json("os.system")
    assert not quick_audit_passes(_wrapped(node), "x")


class _Marker:
    """A harmless class skops cannot trust (defined in a test module)."""


def _hostile_pipelines():
    """Payloads skops refuses today, each a real pipeline stored by skops."""
    deep = make_pipeline(FunctionTransformer(kw_args={"payload": _Marker()}), Ridge())
    return {
        "partial(os.system)": (
            make_pipeline(FunctionTransformer(functools.partial(os.system, "echo owned"))),
            "posix.system",
        ),
        "builtins.eval": (make_pipeline(FunctionTransformer(eval)), "builtins.eval"),
        "object array with os.system": (
            make_pipeline(
                FunctionTransformer(kw_args={"table": np.array([os.system], dtype=object)})
            ),
            "posix.system",
        ),
        "deep in a nested estimator": (
            VotingRegressor([("ridge", Ridge()), ("deep", make_pipeline(Ridge(), deep))]),
            "tests.artifact.test_audit._Marker",
        ),
    }


@pytest.mark.parametrize("name", sorted(_hostile_pipelines()))
def test_hostile_payloads_are_refused_as_skops_refuses_them(name, model_dir):
    pipeline, bad_type = _hostile_pipelines()[name]
    data = skops.io.dumps(pipeline)
    assert bad_type in skops.io.get_untrusted_types(data=data)
    assert not quick_audit_passes(data, "x")
    rewrite(model_dir, "pipeline.skops", data)
    message = rf"pipeline\.skops.*outside tabship's trusted list: .*'{bad_type}'"
    for load in (
        artifact.load,
        functools.partial(artifact.load, build_pipeline=False),
        artifact.verify,
    ):
        with pytest.raises(UntrustedTypeError, match=message):
            load(model_dir)


def test_tabship_pipelines_pass_the_quick_audit(tmp_path, save_model, insurance_xy):
    """A model tabship saves is audited without importing skops or scikit-learn."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    X, y = insurance_xy
    fitted = make_pipeline(
        make_column_transformer((OneHotEncoder(), CATEGORICAL), remainder="passthrough"), Ridge()
    ).fit(X, y)
    path = save_model(tmp_path / "m", pipeline=fitted)
    assert quick_audit_passes((path / "pipeline.skops").read_bytes(), path)
    code = (
        "import sys; from tabship import artifact; "
        f"artifact.load({str(path)!r}, build_pipeline=False); "
        "print(sorted(m for m in ('skops', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
