"""The derived-column expression language: parsed with :mod:`ast`, evaluated with numpy.

Expressions come from the command line and end up inside a saved model, so they are
never handed to ``eval``: :func:`parse_derived` accepts only column names, numbers,
``+ - * / **``, unary signs, parentheses and a handful of numeric functions, and
:func:`evaluate_derived` walks that tree on float arrays. It lives in the data layer,
with numpy only, because both the training transformer and the serving runtime (which
must not import scikit-learn) evaluate the same expressions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from tabship.errors import DerivedColumnError

__all__ = [
    "DERIVED_FUNCTIONS",
    "derived_columns_used",
    "evaluate_derived",
    "parse_derived",
]

DERIVED_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
}
_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_MAX_LENGTH = 1000
# Deeper trees are refused before the recursive checks and evaluation walk them: 990
# unary minuses fit in 1000 characters and overflowed Python's stack (RecursionError).
_MAX_DEPTH = 200
_BACKTICKED = re.compile(r"`([^`]*)`")
_PLACEHOLDER = "__tabship_column_{}__"
# What each forbidden node is called in an error message.
_FORBIDDEN = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Lambda: "a lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "'if ... else'",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.Starred: "'*' unpacking",
    ast.NamedExpr: "':='",
}


def parse_derived(expression: str) -> tuple[str, ast.expr]:
    """Parse ``"name = expression"`` into the new column's name and a checked tree.

    The tree's ``ast.Name`` nodes carry the real column names (backticks resolved). No
    data is needed, so the CLI calls this to fail before reading anything.

    Raises
    ------
    DerivedColumnError
        The text is not ``name = expression`` or uses anything outside the allowed set.
    """
    if not isinstance(expression, str):
        raise DerivedColumnError(repr(expression), "it must be text")
    if len(expression) > _MAX_LENGTH:
        raise DerivedColumnError(expression[:60] + "...", f"it is over {_MAX_LENGTH} characters")
    text, columns = _replace_backticks(expression)
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise DerivedColumnError(expression, f"it is not a valid expression ({error})") from None
    name, value = _assignment(expression, module, columns)
    if _depth(value) > _MAX_DEPTH:
        raise DerivedColumnError(expression, f"it nests deeper than {_MAX_DEPTH} levels")
    _check_node(expression, value)
    return name, _with_real_names(value, columns)


def derived_columns_used(tree: ast.expr) -> list[str]:
    """The column names an expression reads, in first-use order."""
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in functions]
    return list(dict.fromkeys(names))


def _replace_backticks(expression: str) -> tuple[str, dict[str, str]]:
    """Swap each backquoted name for a Python identifier, remembering which is which."""
    columns: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = _PLACEHOLDER.format(len(columns))
        columns[key] = match.group(1)
        return key

    text = _BACKTICKED.sub(placeholder, expression)
    if "`" in text:
        raise DerivedColumnError(expression, "a backtick is not closed")
    if any(not name.strip() for name in columns.values()):
        raise DerivedColumnError(expression, "an empty name is in backticks")
    return text, columns


def _assignment(expression: str, module: ast.Module, columns: dict[str, str]) -> tuple[str, Any]:
    """The single ``name = value`` statement of the parsed text."""
    statements = module.body
    if (
        len(statements) != 1
        or not isinstance(statements[0], ast.Assign)
        or len(statements[0].targets) != 1
        or not isinstance(statements[0].targets[0], ast.Name)
    ):
        raise DerivedColumnError(expression, "it must be one 'name = expression'")
    target = statements[0].targets[0].id
    name = columns.get(target, target)
    if name.startswith("__") and target not in columns:
        raise DerivedColumnError(expression, f"the name '{name}' starts with '__'")
    return name, statements[0].value


def _depth(tree: ast.AST) -> int:
    """How deep ``tree`` nests, counted without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = ast.iter_child_nodes(node)
        stack.extend((c, depth + 1) for c in children if isinstance(c, ast.expr))
    return deepest


def _check_node(expression: str, node: ast.AST) -> None:
    """Raise for the first node outside the allowed grammar."""
    problem = _node_problem(node)
    if problem:
        raise DerivedColumnError(expression, problem)
    for child in ast.iter_child_nodes(node):
        # Operators, contexts and the called function's name were judged with the node.
        if isinstance(child, ast.expr) and not (isinstance(node, ast.Call) and child is node.func):
            _check_node(expression, child)


def _node_problem(node: ast.AST) -> str | None:
    """Why ``node`` is not allowed, or None when it is."""
    if isinstance(node, ast.Name):
        if node.id.startswith("__") and not re.fullmatch(r"__tabship_column_\d+__", node.id):
            return f"the name '{node.id}' starts with '__'"
        return None
    if isinstance(node, ast.Constant):
        return _constant_problem(node.value)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            return f"the operator '{_source(node)}' is not allowed (only + - * / **)"
        return None
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            return f"the operator in '{_source(node)}' is not allowed (only unary - and +)"
        return None
    if isinstance(node, ast.Call):
        return _call_problem(node)
    for kind, label in _FORBIDDEN.items():
        if isinstance(node, kind):
            return f"'{_source(node)}' uses {label}, which is not allowed"
    return f"'{_source(node)}' ({type(node).__name__}) is not allowed"


def _constant_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"the constant {value!r} is not allowed (only numbers)"
    try:
        float(value)
    except OverflowError:
        return f"the number {str(value)[:20]}... is too large"
    return None


def _call_problem(node: ast.Call) -> str | None:
    allowed = ", ".join(DERIVED_FUNCTIONS)
    if not isinstance(node.func, ast.Name) or node.func.id not in DERIVED_FUNCTIONS:
        return f"calling '{_source(node.func)}' is not allowed (only {allowed})"
    if len(node.args) != 1 or node.keywords:
        return f"'{node.func.id}' takes exactly one argument"
    return None


def _source(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse of an odd node must not hide the real problem
        return type(node).__name__


def _with_real_names(tree: ast.expr, columns: dict[str, str]) -> ast.expr:
    """Put the backquoted column names back into the tree's Name nodes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = columns.get(node.id, node.id)
    return tree


def _evaluate(node: ast.AST, columns: dict[str, np.ndarray]) -> Any:
    """The value of a checked tree, computed with numpy on float arrays."""
    if isinstance(node, ast.Constant):
        return np.float64(cast(float, node.value))  # _constant_problem let only numbers in
    if isinstance(node, ast.Name):
        return columns[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, columns)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        operator = _OPERATORS[type(node.op)]
        return operator(_evaluate(node.left, columns), _evaluate(node.right, columns))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return DERIVED_FUNCTIONS[node.func.id](_evaluate(node.args[0], columns))


def evaluate_derived(tree: ast.expr, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """``n`` float64 values; NaN wherever the result is not finite (division by zero,
    log of a negative, overflow), which the imputers downstream handle."""
    with np.errstate(all="ignore"):
        values = np.asarray(_evaluate(tree, columns), dtype="float64")
    values = np.broadcast_to(values, (n,)).copy()
    values[~np.isfinite(values)] = np.nan
    return values
