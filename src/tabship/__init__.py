"""tabship: from a table and a target column to a tuned, validated, served ML pipeline.

The heavy stacks load lazily, so that ``import tabship`` (and the serving runtime) stays
fast and never pulls in the training libraries until ``tabship.train`` is called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# Idle OpenMP threads sleep instead of spinning. LightGBM and scikit-learn each bring an
# OpenMP runtime; spinning threads of two runtimes, or of two processes on a busy
# machine, starved each other here (a 0.4 s LightGBM fit took 119 s). Must be set before
# either runtime loads, so it lives at the top of the package; a user's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tabship._lazy import lazy_attributes
from tabship.errors import (
    ArtifactError,
    DataError,
    OutputError,
    TabshipError,
    TabshipWarning,
    ValidationError,
)

if TYPE_CHECKING:
    from tabship.client import Client
    from tabship.runtime import Model, load
    from tabship.training import TrainingRun, train

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "Client",
    "DataError",
    "Model",
    "OutputError",
    "TabshipError",
    "TabshipWarning",
    "TrainingRun",
    "ValidationError",
    "__version__",
    "load",
    "train",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "train": "tabship.training",
        "TrainingRun": "tabship.training",
        "load": "tabship.runtime",
        "Model": "tabship.runtime",
        "Client": "tabship.client",
    },
)
