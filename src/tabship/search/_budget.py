"""tabship's one budget clock: a deadline that every step asks before it starts work.

``train`` promises the user a wall-clock budget for the whole call and keeps it on a
``Deadline`` (``training`` shares it out); the search runs on a deadline of its own share,
and its phases on nested ones (``sub``). The search must both *use* its share (tuning keeps
going while time is left) and never overrun it. Each step therefore asks the deadline
whether its *estimated* cost still fits, using costs observed earlier in the same search.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Deadline"]


class Deadline:
    """Seconds left until ``seconds`` after creation, on a monotonic clock."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.seconds = float(seconds)

    @property
    def elapsed(self) -> float:
        return self._clock() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed

    def allows(self, estimated_seconds: float) -> bool:
        """Whether work expected to take ``estimated_seconds`` can finish in time."""
        return self.remaining() > estimated_seconds

    def sub(self, seconds: float) -> Deadline:
        """A nested deadline ending ``seconds`` from now, or at this one if earlier."""
        return Deadline(min(seconds, self.remaining()), clock=self._clock)
