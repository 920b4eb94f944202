"""The environment variables through which ``tabship serve`` configures its workers.

Apart from the app so that the parent of several workers, which only sets them, starts
the workers without importing FastAPI first (its import is on the path to the first
answer: the workers cannot start before the parent hands over).
"""

from __future__ import annotations

__all__ = ["ENV_PREFIX"]

ENV_PREFIX = "TABSHIP_SERVE_"
