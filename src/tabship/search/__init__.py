"""Model search: cross-validated candidates, Optuna tuning and ensembling in a time budget.

``Deadline`` (the budget clock) and ``check_folds`` load with the package; ``search`` and
``SearchResult`` load scikit-learn and the model libraries on first use, so that
``training`` can start its clock before paying for those imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes
from tabship.search._budget import Deadline
from tabship.search._options import check_folds

if TYPE_CHECKING:
    from tabship.search._candidates import thread_limits
    from tabship.search._search import SearchResult, search

__all__ = ["Deadline", "SearchResult", "check_folds", "search", "thread_limits"]

__getattr__ = lazy_attributes(
    __name__,
    {
        "search": "tabship.search._search",
        "SearchResult": "tabship.search._search",
        "thread_limits": "tabship.search._candidates",
    },
)
