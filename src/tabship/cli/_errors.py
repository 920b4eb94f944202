"""How an error tabship raised on purpose reads on the command line.

The library names a bad option by its Python parameter name (``test_size``); a user of
the command line typed a flag (``--test-size``). This is the one place that maps the
one to the other, when the error is printed.
"""

from __future__ import annotations

from tabship.errors import OptionError, TabshipError

__all__ = ["FLAGS", "error_message"]

# ``tabship.train`` parameter -> the ``tabship train`` flag that sets it.
FLAGS: dict[str, str] = {
    "time_budget": "--time-budget",
    "task": "--task",
    "roles": "--role",
    "drop": "--drop",
    "derive": "--derive",
    "na_values": "--na",
    "sep": "--sep",
    "names": "--names",
    "test_size": "--test-size",
    "seed": "--seed",
    "stratify": "--stratify",
    "folds": "--folds",
}


def error_message(err: TabshipError) -> str:
    """The error's message, naming options by the flags a command-line user typed."""
    if isinstance(err, OptionError) and err.option in FLAGS:
        return str(err.renamed(FLAGS[err.option]))
    return str(err)
