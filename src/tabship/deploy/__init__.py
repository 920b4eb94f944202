"""Shipping a model: deployment folders generated from an artifact, and the smoke check
that a deployed server answers as the model does. Batch scoring lives in
``tabship.batch``."""

from tabship.deploy._smoke import SmokeCheck, SmokeReport, smoke_test
from tabship.deploy.targets import TARGETS, write_deployment

__all__ = [
    "SmokeCheck",
    "SmokeReport",
    "TARGETS",
    "smoke_test",
    "write_deployment",
]
