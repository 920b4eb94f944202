"""A Python client for a running tabship server, with the same return types as a model."""

from tabship.client._client import Client

__all__ = ["Client"]
