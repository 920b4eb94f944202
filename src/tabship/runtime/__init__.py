"""Loading a model and predicting with it: everything a server needs, nothing from training.

This package never imports ``tabship.train``, ``tabship.search``, Optuna or matplotlib
(``tests/runtime/test_imports.py`` checks it); estimator libraries such as LightGBM are
imported by skops while it rebuilds a pipeline, never by tabship's runtime code.
"""

from tabship.runtime._model import Model, load
from tabship.runtime._scoring import Scored, score_records
from tabship.runtime._validate import ValidationResult, validate_records

__all__ = ["Model", "Scored", "ValidationResult", "load", "score_records", "validate_records"]
