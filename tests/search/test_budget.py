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


def test_a_hold_keeps_time_free_in_the_deadline_and_every_nested_one():
    clock = FakeClock()
    search = Deadline(30.0, clock=clock)
    tuning = search.sub(20.0)  # made before the hold: it must still see it
    search.hold(12.0)
    assert search.remaining() == 18.0
    assert tuning.remaining() == 18.0  # its own 20 s would overrun the held time
    assert tuning.sub(5.0).remaining() == 5.0
    clock.now += 10.0
    assert tuning.remaining() == 8.0
    assert not tuning.allows(8.0)
    search.hold(2.0)  # a hold replaces the last one
    assert tuning.remaining() == 10.0  # now its own end comes first


def test_a_hold_on_a_nested_deadline_does_not_shorten_its_parent():
    clock = FakeClock()
    parent = Deadline(10.0, clock=clock)
    child = parent.sub(10.0)
    child.hold(4.0)
    assert child.remaining() == 6.0
    assert parent.remaining() == 10.0
