"""Every error tabship raises on purpose, in one hierarchy.

A user of tabship meets these errors at three doors: the Python API (exceptions), the CLI
(one ``Error: ...`` line and ``exit_code``) and the HTTP server (a 4xx JSON body with
``http_status``). Each class therefore carries both numbers, and builds its message from
structured fields so that all three doors say the same thing::

    TabshipError
    ├── DataError (ValueError)                 bad input data, exit 2, HTTP 400
    │   ├── DataFileError                      missing, empty, binary or unreadable file
    │   ├── DuplicateColumnError               two columns with one name
    │   ├── ColumnNotFoundError (KeyError)     a named column does not exist
    │   ├── TargetError                        target all missing, one class, ...
    │   ├── TooFewRowsError                    not enough rows for the folds
    │   ├── DerivedColumnError                 a --derive expression we cannot accept
    │   └── ValidationError                    records that do not match the schema (HTTP 422)
    ├── OptionError (ValueError)               a bad option value, exit 2
    ├── TaskError (ValueError)                 asked what the model's task cannot give
    ├── ArtifactError                          a model folder/file we cannot load, exit 3
    │   ├── TamperedArtifactError              a sha256 does not match
    │   ├── ArtifactFormatError                unknown format version or malformed file
    │   └── UntrustedTypeError                 a type outside tabship's trusted list
    ├── OutputError (OSError)                  cannot write the output, exit 4
    │   └── OutputExistsError (FileExistsError) refuses to overwrite without --force
    ├── RemoteError (ConnectionError)          a tabship server cannot be reached or failed, exit 5
    └── LogError                               a prediction log we cannot use, exit 6

Every message follows one wording: what is wrong (naming the field or file), what was
expected and what came, then one sentence on what to do.

A problem with one value (a field of a record, a query parameter, a header) is an
:class:`ErrorItem`, the pydantic-style item that ``ValidationError.errors`` lists and the
server's 4xx bodies carry in ``detail``; build one with :func:`error_item`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final, NotRequired, TypedDict

__all__ = [
    "ArtifactError",
    "ArtifactFormatError",
    "ColumnNotFoundError",
    "DataError",
    "DataFileError",
    "DerivedColumnError",
    "DuplicateColumnError",
    "ErrorItem",
    "LogError",
    "OptionError",
    "OutputError",
    "OutputExistsError",
    "RemoteError",
    "SearchError",
    "TabshipError",
    "TabshipWarning",
    "TamperedArtifactError",
    "TargetError",
    "TaskError",
    "TooFewRowsError",
    "UntrustedTypeError",
    "ValidationError",
    "error_item",
]


class ErrorItem(TypedDict):
    """One problem, located: ``{"loc", "msg", "type", "input", "expected"}``.

    ``loc`` says where (``[index, field]`` in a batch, ``["body", 0, "age"]`` in a
    server's answer, ``[]`` for the input as a whole), ``msg`` says it in one sentence,
    ``type`` is a stable machine-readable code, ``input`` is what came (made JSON-safe
    before it is written) and ``expected``, present when known, what was wanted.
    """

    loc: list[int | str]
    msg: str
    type: str
    input: object
    expected: NotRequired[object]


_UNSAID: Final = object()  # no ``expected`` key, as opposed to ``"expected": None``


def error_item(
    loc: Sequence[int | str],
    msg: str,
    type_: str,
    input_: object = None,
    *,
    expected: object = _UNSAID,
) -> ErrorItem:
    """An :class:`ErrorItem`; ``expected`` is left out unless given (None included)."""
    item = ErrorItem(loc=list(loc), msg=msg, type=type_, input=input_)
    if expected is not _UNSAID:
        item["expected"] = expected
    return item


class TabshipWarning(UserWarning):
    """Something worth knowing that did not stop the work (a dropped column, a fallback)."""


class TabshipError(Exception):
    """Root of every error tabship raises on purpose."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}" if hint else message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class DataError(TabshipError, ValueError):
    """The input data cannot be used as it is."""

    exit_code = 2


class DataFileError(DataError):
    """A data file is missing, empty, binary or not a table."""

    def __init__(self, path: object, problem: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"Cannot read '{self.path}': {problem}.", hint=hint)


class DuplicateColumnError(DataError):
    """Two or more columns share a name."""

    def __init__(self, source: object, names: Sequence[str]) -> None:
        self.names = list(names)
        quoted = ", ".join(f"'{n}'" for n in self.names)
        super().__init__(
            f"'{source}' has duplicate column names: {quoted}.",
            hint="Rename the columns so that each name appears once.",
        )


class ColumnNotFoundError(DataError, KeyError):
    """A column named by the user is not in the data."""

    def __init__(self, column: str, available: Sequence[str], *, what: str = "column") -> None:
        import difflib

        self.column = column
        self.available = list(available)
        close = difflib.get_close_matches(column, self.available, n=3, cutoff=0.5)
        lowered = [a for a in self.available if a.lower() == column.lower()]
        suggestions = list(dict.fromkeys(lowered + close))
        hint = (
            "Did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
            if suggestions
            else "Columns are: " + ", ".join(f"'{a}'" for a in self.available[:20]) + "."
        )
        super().__init__(f"The {what} '{column}' is not a column of the data.", hint=hint)

    __str__ = TabshipError.__str__


class TargetError(DataError):
    """The target column cannot be learned (all missing, a single class, ...)."""


class TooFewRowsError(DataError):
    """Not enough rows (or rows per class) for the requested folds and test split."""


class DerivedColumnError(DataError):
    """A derived-column expression is malformed or uses something not allowed."""

    def __init__(self, expression: str, problem: str) -> None:
        self.expression = expression
        self.problem = problem
        super().__init__(
            f"The derived column '{expression}' is not valid: {problem}.",
            hint="Write it as 'name = expression' using column names, numbers, "
            "+ - * / ** and log, log1p, exp, sqrt, abs.",
        )


class ValidationError(DataError):
    """Records do not match the model's input schema; ``errors`` lists every problem."""

    http_status = 422

    def __init__(self, errors: list[ErrorItem]) -> None:
        self.errors = errors
        first = errors[0]["msg"] if errors else "invalid input"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}")


class OptionError(TabshipError, ValueError):
    """An option has a value tabship cannot use.

    The library names the option by its Python parameter name (``test_size``); the
    command line reports the same error under its flag (``--test-size``) with ``renamed``.
    """

    exit_code = 2

    def __init__(self, option: str, expected: str, got: object) -> None:
        self.option = option
        self.expected = expected
        self.got = got
        super().__init__(f"The option '{option}' must be {expected}. Got {got!r} instead.")

    def renamed(self, option: str) -> OptionError:
        """The same error naming the option as ``option`` (a CLI flag, say)."""
        return OptionError(option, self.expected, self.got)


class ArtifactError(TabshipError):
    """A model artifact cannot be loaded."""

    exit_code = 3

    def __init__(self, path: object, problem: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"Cannot load the model '{self.path}': {problem}.", hint=hint)


class TamperedArtifactError(ArtifactError):
    """A file of the artifact does not match the sha256 recorded in its manifest."""


class ArtifactFormatError(ArtifactError):
    """The artifact's format version is unknown or one of its files is malformed."""


class UntrustedTypeError(ArtifactError):
    """The stored pipeline holds a type outside tabship's trusted list."""


class OutputError(TabshipError, OSError):
    """The output cannot be written."""

    exit_code = 4

    def __init__(self, path: object, problem: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        TabshipError.__init__(self, f"Cannot write '{self.path}': {problem}.", hint=hint)

    __str__ = TabshipError.__str__


class OutputExistsError(OutputError, FileExistsError):
    """The output already exists and --force was not given."""

    def __init__(self, path: object) -> None:
        super().__init__(path, "it already exists", hint="Pass --force (force=True) to replace it.")


class RemoteError(TabshipError, ConnectionError):
    """A tabship server could not be reached, or answered with an error we cannot map."""

    exit_code = 5
    http_status = 502

    def __init__(self, url: str, problem: str, *, status: int | None = None) -> None:
        self.url = url
        self.problem = problem
        self.status = status
        super().__init__(
            f"The server '{url}' {problem}.",
            hint="Check the URL, that the server is running (GET /health), and the API key.",
        )


class SearchError(TabshipError):
    """Every model family failed during the search; ``failures`` maps each to its reason."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        reasons = "; ".join(f"{name}: {reason}" for name, reason in self.failures)
        super().__init__(
            f"Every model family failed during the search ({reasons}).",
            hint="Check the columns and values of the data the search was given.",
        )


class TaskError(TabshipError, ValueError):
    """The model's task cannot give what was asked (probabilities from a regression)."""

    exit_code = 2

    def __init__(self, operation: str, task: str, *, hint: str | None = None) -> None:
        self.operation = operation
        self.task = task
        super().__init__(
            f"'{operation}' needs a classification model; this model does {task}.", hint=hint
        )


class LogError(TabshipError):
    """The prediction log cannot be used: a malformed or unknown URL, or a database that
    cannot be reached, written or has another schema version.

    ``url`` is the URL with its password masked, safe to print. The exit code (6) is none
    of 0/1/2, which ``tabship monitor`` uses for ok/warn/alert; a server answers 503.
    """

    exit_code = 6
    http_status = 503

    def __init__(self, url: str, problem: str, *, hint: str | None = None) -> None:
        self.url = url
        self.problem = problem
        super().__init__(f"Cannot use the prediction log '{url}': {problem}.", hint=hint)
