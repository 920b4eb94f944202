"""Model search: cross-validated candidates, Optuna tuning and ensembling in a time budget."""

from tabship.search._budget import Deadline
from tabship.search._options import check_folds
from tabship.search._search import SearchResult, search

__all__ = ["Deadline", "SearchResult", "check_folds", "search"]
