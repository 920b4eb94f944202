"""Shipping a model: deployment files generated from an artifact, and batch scoring."""

from tabship.deploy._batch import BatchReport, score_file
from tabship.deploy._dask import DaskReport, score_files_on_dask
from tabship.deploy._smoke import SmokeCheck, SmokeReport, smoke_test
from tabship.deploy.targets import TARGETS, write_deployment

__all__ = [
    "BatchReport",
    "DaskReport",
    "SmokeCheck",
    "SmokeReport",
    "TARGETS",
    "score_file",
    "score_files_on_dask",
    "smoke_test",
    "write_deployment",
]
