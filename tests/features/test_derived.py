"""Derived columns: a tiny safe expression language, never eval."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from tabship.errors import DerivedColumnError
from tabship.features import DerivedColumns, parse_derived


def test_parse_derived_returns_the_name_and_a_tree_with_real_column_names():
    name, tree = parse_derived("age_at_sale = `Sale Year` - `Model Year` + log(x)")
    assert name == "age_at_sale"
    names = sorted(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    assert names == ["Model Year", "Sale Year", "log", "x"]


def test_parse_derived_accepts_a_backquoted_new_name():
    assert parse_derived("`power per kg` = Horsepower / Weight")[0] == "power per kg"


@pytest.mark.parametrize(
    ("expression", "match"),
    [
        ("x = a.__class__", r"'a.__class__' uses attribute access \('\.'\), which is not allowed"),
        ("x = a[0]", r"'a\[0\]' uses subscripts"),
        ("x = lambda: 1", "uses a lambda, which is not allowed"),
        ("x = (lambda: 1)()", "calling 'lambda: 1' is not allowed"),
        ("x = 'text'", "the constant 'text' is not allowed"),
        ("x = b'bytes'", "the constant b'bytes' is not allowed"),
        ("x = True", "the constant True is not allowed"),
        ("x = 2j", "the constant 2j is not allowed"),
        ("x = a > 1", "'a > 1' uses comparisons"),
        ("x = a and b", "uses 'and'/'or'"),
        ("x = a if b else c", r"uses 'if \.\.\. else'"),
        ("x = [a]", r"'\[a\]' uses lists"),
        ("x = [a for a in b]", r"'\[a for a in b\]' \(ListComp\) is not allowed"),
        ("x = f'{a}'", "uses f-strings"),
        ("x = __import__('os')", "calling '__import__' is not allowed"),
        ("x = __builtins__", "the name '__builtins__' starts with '__'"),
        ("__x = a", "the name '__x' starts with '__'"),
        ("x = open('/etc/passwd')", "calling 'open' is not allowed .only log, log1p"),
        ("x = np.log(a)", "calling 'np.log' is not allowed"),
        ("x = log(a, 2)", "'log' takes exactly one argument"),
        ("x = sqrt(a=1)", "'sqrt' takes exactly one argument"),
        ("x = a % 2", r"the operator 'a % 2' is not allowed \(only \+ - \* / \*\*\)"),
        ("x = a // 2", "the operator 'a // 2' is not allowed"),
        ("x = ~a", "the operator in '~a' is not allowed"),
        ("x = not a", "the operator in 'not a' is not allowed"),
        ("x = (y := 2)", "uses ':='"),
        ("a + b", "it must be one 'name = expression'"),
        ("x = y = a", "it must be one 'name = expression'"),
        ("x = a; y = b", "it must be one 'name = expression'"),
        ("import os", "it must be one 'name = expression'"),
        ("x.y = a", "it must be one 'name = expression'"),
        ("x = a +", "it is not a valid expression"),
        ("x = `a", "a backtick is not closed"),
        ("x = `` + 1", "an empty name is in backticks"),
        ("x = " + "9" * 400, r"the number 9{20}\.\.\. is too large"),
        ("x = " + "a + " * 400 + "a", "it is over 1000 characters"),
    ],
)
def test_parse_derived_rejects_everything_outside_the_grammar(expression, match):
    with pytest.raises(DerivedColumnError, match=match) as caught:
        parse_derived(expression)
    assert expression.startswith(caught.value.expression.removesuffix("..."))


def test_parse_derived_rejects_non_text():
    with pytest.raises(DerivedColumnError, match="it must be text"):
        parse_derived(42)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [1.0, 4.0, -1.0, np.nan], "b": [2.0, 0.0, 0.0, 1.0], "Model Year": [70.0] * 4}
    )


def test_derived_columns_appends_float_columns_computed_with_numpy():
    expressions = (
        "ratio = a / b",
        "root = sqrt(a) + exp(0) - log1p(0) * abs(-2)",
        "age = 82 - `Model Year`",
        "chained = -ratio ** 2",
    )
    out = DerivedColumns(expressions=expressions).fit_transform(frame())
    assert list(out.columns) == ["a", "b", "Model Year", "ratio", "root", "age", "chained"]
    assert (out.dtypes[3:] == "float64").all()
    np.testing.assert_array_equal(out["ratio"], [0.5, np.nan, np.nan, np.nan])
    np.testing.assert_allclose(out["root"], [2.0, 3.0, np.nan, np.nan])
    np.testing.assert_array_equal(out["age"], [12.0] * 4)
    np.testing.assert_allclose(out["chained"], [-0.25, np.nan, np.nan, np.nan])


def test_derived_columns_turn_overflow_and_bad_logs_into_nan_without_warnings():
    out = DerivedColumns(expressions=("big = exp(a * 1000)", "bad = log(a - 5)")).fit_transform(
        frame()
    )
    assert out["big"].isna().tolist() == [True, True, False, True]
    assert out["bad"].isna().all()


def test_derived_columns_names_unknown_columns_and_lists_the_real_ones():
    derived = DerivedColumns(expressions=("x = a / Weight",))
    with pytest.raises(DerivedColumnError, match="'Weight' is not a column .columns are 'a', 'b'"):
        derived.fit(frame())


def test_derived_columns_refuse_to_overwrite_a_column():
    with pytest.raises(DerivedColumnError, match="'a' is already a column"):
        DerivedColumns(expressions=("a = b * 2",)).fit(frame())
    with pytest.raises(DerivedColumnError, match="'x' is already a column"):
        DerivedColumns(expressions=("x = b * 2", "x = a")).fit(frame())


def test_derived_columns_validate_in_fit_not_init():
    derived = DerivedColumns(expressions=("x = a.b",))
    assert derived.get_params() == {"expressions": ("x = a.b",)}
    with pytest.raises(DerivedColumnError, match="attribute access"):
        derived.fit(frame())


def test_derived_columns_on_auto_mpg_one_row_matches_batch(auto_mpg):
    X, _, _ = auto_mpg
    numeric = X.drop(columns=["Origin", "Car Name"])
    derived = DerivedColumns(expressions=("acc_on_power = Acceleration / Horsepower",))
    batch = derived.fit_transform(numeric)
    assert batch["acc_on_power"].isna().sum() == X["Horsepower"].isna().sum() == 6
    pd.testing.assert_frame_equal(derived.transform(numeric.iloc[[32]]), batch.iloc[[32]])
    assert derived.get_feature_names_out()[-1] == "acc_on_power"
