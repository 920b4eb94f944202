"""A Python client for a running tabship server, with the same return types as a model."""

from tabship.client._answers import MetadataAnswer, PredictAnswer, StatusAnswer
from tabship.client._client import Client, score_frame_remotely

__all__ = ["Client", "MetadataAnswer", "PredictAnswer", "StatusAnswer", "score_frame_remotely"]
