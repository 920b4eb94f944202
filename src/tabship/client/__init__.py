"""A Python client for a running tabship server, with the same return types as a model."""

from tabship.client._client import Client, score_frame_remotely

__all__ = ["Client", "score_frame_remotely"]
