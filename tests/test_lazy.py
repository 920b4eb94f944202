"""``paused_collection``: no collector pass inside the block, the collector as it was after
it, and what the block built frozen. Each case runs in a fresh interpreter, since freezing
would otherwise keep the test process's own objects out of every later collection."""

from __future__ import annotations

import subprocess
import sys
import textwrap

COUNT_PASSES = """
import gc
from tabship._lazy import paused_collection

passes = []
gc.callbacks.append(lambda phase, info: phase == "start" and passes.append(info))

def cycles(n):
    made = []
    for _ in range(n):
        a = []
        a.append(a)
        made.append(a)
    return made
"""


def run(code: str) -> subprocess.CompletedProcess[str]:
    source = COUNT_PASSES + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)


def test_no_pass_runs_inside_the_block_and_passes_resume_after_it():
    result = run(
        """
        with paused_collection():
            inside_enabled = gc.isenabled()
            kept = cycles(200_000)
        inside = len(passes)
        assert not inside_enabled
        assert inside == 0, inside
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 200_000, gc.get_freeze_count()
        cycles(200_000)
        assert len(passes) > 0
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_garbage_made_after_the_block_is_still_collected():
    result = run(
        """
        import weakref

        class Node:
            pass

        with paused_collection():
            kept = cycles(1_000)
        node = Node()
        node.me = node
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr


def test_an_error_in_the_block_still_turns_the_collector_back_on():
    result = run(
        """
        try:
            with paused_collection():
                raise KeyError("boom")
        except KeyError:
            pass
        assert gc.isenabled()
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr


def test_a_collector_that_was_off_stays_off():
    result = run(
        """
        gc.disable()
        with paused_collection():
            pass
        assert not gc.isenabled()
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
