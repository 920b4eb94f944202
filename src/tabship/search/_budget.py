"""tabship's one budget clock: a deadline that every step asks before it starts work.

``train`` promises the user a wall-clock budget for the whole call and keeps it on a
``Deadline`` (``training`` shares it out); the search runs on a deadline of its own share,
and its phases on nested ones (``sub``). The search must both *use* its share (tuning keeps
going while time is left) and never overrun it. Each step therefore asks the deadline
whether its *estimated* cost still fits, using costs observed earlier in the same search.

Work that must follow a step (refitting the best model found so far, measuring its
importance) is kept free with ``hold``: a held amount is taken off ``remaining`` of the
deadline and of every deadline nested in it, so a tuning trial that would eat into it is
not started, and one running is stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Deadline"]


class Deadline:
    """Seconds left until ``seconds`` after creation, on a monotonic clock.

    ``clock`` is injectable (tests pass a fake one); nested deadlines share it.
    """

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: Deadline | None = None,
    ) -> None:
        self._clock = clock
        self._parent = parent
        self.started = clock()
        self.seconds = float(seconds)
        self.held = 0.0

    @property
    def elapsed(self) -> float:
        return self._clock() - self.started

    def remaining(self) -> float:
        """Seconds left, less what this deadline or an enclosing one holds."""
        own = self.seconds - self.elapsed - self.held
        return own if self._parent is None else min(own, self._parent.remaining())

    def allows(self, estimated_seconds: float) -> bool:
        """Whether work expected to take ``estimated_seconds`` can finish in time."""
        return self.remaining() > estimated_seconds

    def hold(self, seconds: float) -> None:
        """Keep the last ``seconds`` free for work after this step (replaces any hold)."""
        self.held = max(0.0, float(seconds))

    def sub(self, seconds: float) -> Deadline:
        """A nested deadline ending ``seconds`` from now, or at this one if earlier.

        It keeps seeing this deadline: a hold placed here later shortens it too.
        """
        return Deadline(min(seconds, self.remaining()), clock=self._clock, parent=self)
