"""Worker processes forked from one parent that has loaded everything they need.

``tabship serve --workers N`` used uvicorn's supervisor, which *spawns* each worker: a
fresh interpreter that imports FastAPI and loads the model again (about 2 s of CPU per
worker, so two workers on two busy cores answered 4.6-5.7 s after the start, against
2.5-2.8 s for one). Here the parent loads the model, builds the app and imports the
server once, then forks: each worker starts answering as soon as its event loop runs,
and the workers share the parent's pages (the model, every imported module)
copy-on-write, like gunicorn's ``--preload`` without the dependency.

What must not cross a fork is never made in the parent: no thread, no event loop, no
database connection. The app's lifespan, which runs in each worker, opens the prediction
log and forks its writer process; prometheus_client notices the new process id and
writes the worker's own metrics file.

The parent keeps its workers running: one that dies is forked again; one that fails to
start (exit code 3, uvicorn's ``STARTUP_FAILURE``) stops them all, since each new one
would fail the same way. SIGTERM, SIGINT (Ctrl-C) or SIGHUP to the parent sends SIGTERM
to every worker, which finishes its requests and shuts down gracefully; the parent
returns once all are gone (a further SIGINT is passed on: uvicorn then stops waiting for
open connections).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import NoReturn

__all__ = ["STARTUP_FAILURE", "run_workers"]

STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE: the app or its lifespan failed
_STOP = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
_WATCHED = _STOP | {signal.SIGCHLD}

logger = logging.getLogger("uvicorn.error")  # uvicorn's own messages share its format


def run_workers(count: int, serve: Callable[[], int]) -> int:
    """Run ``serve`` in ``count`` forked workers until a stop signal; the exit code.

    ``serve`` runs in each worker and returns its exit code. The parent handles its
    signals synchronously (blocked, then ``sigwait``), so no Python handler runs between
    a fork and the worker's own setup, and the workers start with the mask as it was.
    """
    if threading.active_count() > 1:  # a thread would be lost in every worker
        raise RuntimeError(f"cannot fork workers with threads running: {threading.enumerate()}")
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _WATCHED)
    pool = _Pool(serve, mask)
    try:
        logger.info("Started parent process [%d]", os.getpid())
        for _ in range(count):
            pool.fork()
        return pool.watch()
    finally:
        pool.stop()
        logger.info("Stopping parent process [%d]", os.getpid())
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


class _Pool:
    """The running workers, by process id."""

    def __init__(self, serve: Callable[[], int], mask: set[int | signal.Signals]) -> None:
        self.serve = serve
        self.mask = mask
        self.pids: set[int] = set()

    def fork(self) -> None:
        _flush()  # or the worker would print again what the parent had buffered
        pid = os.fork()
        if pid == 0:
            self._work()
        self.pids.add(pid)

    def _work(self) -> NoReturn:
        """In the worker: serve, then exit without running the parent's cleanups (its
        ``with`` blocks and exit handlers: they would close the shared socket and remove
        the metrics folder), only the exit handlers the worker registered itself."""
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
            atexit._clear()
            code = self.serve()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except KeyboardInterrupt:  # Ctrl-C before uvicorn took over SIGINT: no traceback
            code = 128 + signal.SIGINT
        except BaseException:
            traceback.print_exc()
        finally:
            _exit(code)

    def watch(self) -> int:
        """Until a stop signal (0) or a worker that failed to start (its code)."""
        while True:
            received = signal.sigwait(_WATCHED)
            if received in _STOP:
                logger.info("Received %s, exiting.", signal.Signals(received).name)
                return 0
            for pid, code in self._reap():
                if code == STARTUP_FAILURE:
                    logger.error("Child process [%d] failed to start, stopping.", pid)
                    return STARTUP_FAILURE
                logger.info("Child process [%d] died (exit code %d), starting another", pid, code)
                self.fork()

    def stop(self) -> None:
        """SIGTERM to every worker, then wait for all of them."""
        for pid in self.pids:
            os.kill(pid, signal.SIGTERM)  # an exited worker is a zombie until reaped
            logger.info("Terminated child process [%d]", pid)
        self._reap()
        while self.pids:
            if signal.sigwait(_WATCHED) == signal.SIGINT:  # again: no more waiting
                for pid in self.pids:
                    os.kill(pid, signal.SIGINT)
            self._reap()

    def _reap(self) -> list[tuple[int, int]]:
        """The workers that have exited, with their exit codes (-N: killed by signal N).

        Every exited child is reaped, not only workers: as a container's process 1 the
        parent inherits the orphans of a killed worker (its prediction log's writer),
        which would otherwise stay zombies."""
        ended = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # no child left
                break
            if pid == 0:
                break
            if pid in self.pids:
                self.pids.discard(pid)
                ended.append((pid, os.waitstatus_to_exitcode(status)))
        return ended


def _exit(code: int) -> NoReturn:
    try:
        atexit._run_exitfuncs()  # the worker's own, e.g. a prediction log's last writes
    finally:
        _flush()
        os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
