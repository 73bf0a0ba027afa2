"""Real threads for concurrency tests on PostgreSQL (``django_db(transaction=True)``).

``run_concurrently`` starts one thread per callable, holds them all at one barrier and
releases them together, so they meet at the row locks the code under test takes. Each
thread has its own database connection (Django's connections are per thread) and closes it
when it ends, so the test database can be flushed afterwards. Nothing is mocked: the
locks, not the helper, decide the outcome.

``start_in_thread`` is for tests that sequence two workers by hand (one holds a lock while
the other is shown to wait).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass
class Outcome:
    """What one callable did: its return value, or the exception it raised."""

    result: Any = None
    error: BaseException | None = None
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None

    def get(self) -> Any:
        """The result, or the callable's exception raised again (for the test's traceback)."""
        if self.error is not None:
            raise self.error
        return self.result


class Worker:
    """One callable running in its own thread, with its own database connection."""

    def __init__(self, work: Callable[[], Any], *, before: Callable[[], None] | None = None):
        self.outcome = Outcome()
        self._work, self._before = work, before
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            if self._before is not None:
                self._before()
            self.outcome.result = self._work()
        except BaseException as error:  # noqa: BLE001 - handed to the test, which asserts on it
            self.outcome.error = error
        finally:
            self.outcome.finished = True
            connection.close()  # this thread's connection, not the test's

    def start(self) -> Worker:
        self.thread.start()
        return self

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float = 60) -> Outcome:
        """Wait for the callable; a thread still running after ``timeout`` fails the test
        (a deadlock or a lock never released), rather than hanging it."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"{self._work!r} still running after {timeout}s")
        return self.outcome


def start_in_thread(work: Callable[[], Any]) -> Worker:
    """Start ``work`` in its own thread now; ``join()`` returns its ``Outcome``."""
    return Worker(work).start()


def run_concurrently(*callables: Callable[[], Any], timeout: float = 60) -> list[Outcome]:
    """Run every callable in its own thread, all released at once by one barrier, and wait
    for them all. Returns one ``Outcome`` per callable, in the order given. Fails (rather
    than hangs) when a thread is still running after ``timeout`` seconds."""
    if not callables:
        return []
    barrier = threading.Barrier(len(callables))
    workers = [Worker(work, before=lambda: barrier.wait(timeout)) for work in callables]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [index for index, worker in enumerate(workers) if worker.is_alive()]
    if stuck:
        raise AssertionError(f"callables {stuck} still running after {timeout}s "
                             "(a deadlock, or a lock never released)")
    return [worker.outcome for worker in workers]


def raised(outcomes: list[Outcome], kind: type[BaseException] = BaseException) -> list:
    """The exceptions of ``kind`` among the outcomes."""
    return [o.error for o in outcomes if isinstance(o.error, kind)]


def results(outcomes: list[Outcome]) -> list:
    """The return values of the callables that succeeded."""
    return [o.result for o in outcomes if o.ok]
