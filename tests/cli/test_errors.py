"""The command line's one-line error names options by the flags a user typed."""

from __future__ import annotations

import inspect

import pytest

from tabship.cli._errors import FLAGS, error_message
from tabship.errors import DataError, OptionError
from tabship.training import train


def test_an_option_error_names_the_flag():
    err = OptionError("test_size", "a fraction between 0 and 1 (e.g. 0.2)", 1.5)
    assert str(err) == (
        "The option 'test_size' must be a fraction between 0 and 1 (e.g. 0.2). Got 1.5 instead."
    )
    assert error_message(err) == (
        "The option '--test-size' must be a fraction between 0 and 1 (e.g. 0.2). Got 1.5 instead."
    )


@pytest.mark.parametrize(
    "err",
    [
        OptionError("kind", "one of 'linear'", "x"),  # not a flag of any command
        OptionError("--port", "a free port", 80),  # raised by the CLI itself
        DataError("The data is odd."),
    ],
)
def test_other_errors_read_as_raised(err):
    assert error_message(err) == str(err)


def test_every_mapped_option_is_a_train_parameter_and_a_train_flag():
    assert set(FLAGS) <= set(inspect.signature(train).parameters)
    assert set(FLAGS.values()) <= _train_flags()


def _train_flags() -> set[str]:
    """Every flag ``tabship train --help`` offers."""
    import typer.main

    from tabship.cli import app

    command = typer.main.get_command(app).commands["train"]
    return {opt for param in command.params for opt in param.opts + param.secondary_opts}
