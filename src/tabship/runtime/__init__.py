"""Loading a model and predicting with it: everything a server needs, nothing from training.

This package never imports ``tabship.train``, ``tabship.search``, Optuna or matplotlib
(``tests/runtime/test_imports.py`` checks it). A model with a scoring plan predicts with
numpy and Treelite only; scikit-learn, pandas and the estimator libraries load only when
the pipeline itself is needed (a model without a plan, or ``Model.pipeline``).
"""

from tabship.plan import PLAN_FILE, Plan
from tabship.runtime._explain import BACKGROUND_FILE, Explainer, background_bytes
from tabship.runtime._model import Model, load
from tabship.runtime._planning import open_plan, pipeline_probe
from tabship.runtime._scoring import Scored, score_records
from tabship.runtime._validate import RecordValidator, ValidationResult, validate_records

__all__ = [
    "BACKGROUND_FILE",
    "PLAN_FILE",
    "Explainer",
    "Model",
    "Plan",
    "RecordValidator",
    "Scored",
    "ValidationResult",
    "background_bytes",
    "load",
    "open_plan",
    "pipeline_probe",
    "score_records",
    "validate_records",
]
