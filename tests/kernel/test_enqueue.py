"""The one enqueue: after commit, and with the broker down the task is recorded (never run
inline) and the resend sweep sends it once the broker is back."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from kernel.enqueue import enqueue, resend_deferred_tasks
from kernel.models import DeferredTask

pytestmark = pytest.mark.django_db


class FakeTask:
    name = "tests.fake_task"

    def __init__(self, *, broker_down: bool = False):
        self.broker_down = broker_down
        self.queued: list[tuple] = []
        self.ran: list[tuple] = []

    def delay(self, *args, **kwargs):
        return self.apply_async(args=args, kwargs=kwargs)

    def apply_async(self, args=(), kwargs=None, countdown=None):
        if self.broker_down:
            raise OperationalError("Connection refused")
        self.queued.append((tuple(args), kwargs or {}, countdown))

    def run(self, *args, **kwargs):  # what the old webhook helper called on a broker error
        self.ran.append(args)


def test_inside_a_transaction_the_task_is_queued_only_after_commit(
        django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue(task, 7, kind="shipped", countdown=30)
        assert task.queued == []
    assert len(callbacks) == 1
    assert task.queued == [((7,), {"kind": "shipped"}, 30)]


def test_a_rolled_back_transaction_queues_nothing(django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue(task, 7)
    assert len(callbacks) == 1  # left unrun, as on a rollback
    assert task.queued == []


def test_broker_down_records_the_task_and_never_runs_it_inline(
        django_capture_on_commit_callbacks, caplog):
    task = FakeTask(broker_down=True)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 7, "order.paid", kind="x")
    assert task.ran == [] and task.queued == []
    row = DeferredTask.objects.get()
    assert (row.task_name, row.args, row.kwargs) == ("tests.fake_task", [7, "order.paid"],
                                                     {"kind": "x"})
    assert "Connection refused" in row.last_error
    assert "recorded for the resend sweep" in caplog.text


def test_the_sweep_sends_each_recorded_task_once_and_deletes_it():
    DeferredTask.objects.create(task_name="a", args=[1], kwargs={})
    DeferredTask.objects.create(task_name="b", args=[], kwargs={"order_id": 2})
    sent = []
    assert resend_deferred_tasks(send=lambda *call: sent.append(call)) == 2
    assert sent == [("a", [1], {}), ("b", [], {"order_id": 2})]
    assert not DeferredTask.objects.exists()
    assert resend_deferred_tasks(send=lambda *call: sent.append(call)) == 0


def test_the_sweep_stops_at_a_dead_broker_and_keeps_the_rows():
    DeferredTask.objects.create(task_name="a", args=[1], kwargs={})
    DeferredTask.objects.create(task_name="b", args=[2], kwargs={})

    def broker_down(*call):
        raise OperationalError("still down")

    assert resend_deferred_tasks(send=broker_down) == 0
    first, second = DeferredTask.objects.order_by("pk")
    assert (first.attempts, first.last_error) == (1, "still down")
    assert second.attempts == 0
