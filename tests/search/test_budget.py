"""Deadline arithmetic on a fake clock."""

from __future__ import annotations

from tabship.search import Deadline


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_deadline_counts_down_and_allows_only_what_fits():
    clock = FakeClock()
    deadline = Deadline(10.0, clock=clock)
    clock.now += 4.0
    assert deadline.elapsed == 4.0
    assert deadline.remaining() == 6.0
    assert deadline.allows(5.9)
    assert not deadline.allows(6.0)


def test_deadline_sub_never_outlives_its_parent():
    clock = FakeClock()
    parent = Deadline(10.0, clock=clock)
    assert parent.sub(3.0).remaining() == 3.0
    clock.now += 8.0
    assert parent.sub(5.0).remaining() == 2.0
