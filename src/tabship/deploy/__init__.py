"""Shipping a model: deployment files generated from an artifact, and batch scoring."""

from tabship.deploy._batch import BatchReport, score_file

__all__ = ["BatchReport", "score_file"]
