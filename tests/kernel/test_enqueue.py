"""The one enqueue: after commit, and with the broker down the task is recorded (never run
inline) and the resend sweep sends it once the broker is back."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from kernel.enqueue import (
    collect_during_request,
    enqueue,
    publish_after_response,
    resend_deferred_tasks,
)
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


# --- Inside a web request: published once the response is done ------------------------------

@pytest.fixture
def in_a_request():
    """A request under way: the kernel's receivers of ``request_started`` and, by calling
    the fixture, of ``request_finished`` (sent when the response has been handed over).
    Called directly: the signals would also close the test's database connection."""
    collect_during_request()
    yield publish_after_response
    publish_after_response()


def test_in_a_request_the_tasks_wait_for_the_response_and_go_in_order(
        in_a_request, django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 1)
        enqueue(task, 2, countdown=5)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 3)
    assert task.queued == []  # committed, but the response is not done yet
    in_a_request()
    assert task.queued == [((1,), {}, None), ((2,), {}, 5), ((3,), {}, None)]


def test_in_a_request_a_rolled_back_transaction_still_queues_nothing(
        in_a_request, django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=False):
        enqueue(task, 1)
    in_a_request()
    assert task.queued == []


def test_after_the_response_a_dead_broker_records_the_task(
        in_a_request, django_capture_on_commit_callbacks):
    task = FakeTask(broker_down=True)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 9)
    in_a_request()
    assert DeferredTask.objects.get().args == [9]
    assert task.ran == []


def test_one_failing_publish_does_not_lose_the_others(
        in_a_request, django_capture_on_commit_callbacks):
    class Broken(FakeTask):
        name = "tests.broken"

        def apply_async(self, args=(), kwargs=None, countdown=None):
            raise RuntimeError("a bug in the task's arguments")

    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 1)
        enqueue(Broken(), 2)
        enqueue(task, 3)
    with pytest.raises(RuntimeError, match="a bug"):
        in_a_request()
    assert task.queued == [((1,), {}, None), ((3,), {}, None)]


def test_a_request_that_never_finished_is_published_when_the_next_one_starts(
        django_capture_on_commit_callbacks):
    task = FakeTask()
    collect_during_request()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 1)
    collect_during_request()  # the next request on this thread
    assert task.queued == [((1,), {}, None)]
    publish_after_response()


def test_the_kernel_listens_to_the_request_signals():
    from django.core.signals import request_finished, request_started

    assert "kernel.enqueue.collect" in [key[0] for key, _, _ in request_started.receivers]
    assert "kernel.enqueue.publish" in [key[0] for key, _, _ in request_finished.receivers]


def test_outside_a_request_the_task_goes_at_commit(django_capture_on_commit_callbacks):
    collect_during_request()
    publish_after_response()  # a request came and went
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(task, 1)
    assert task.queued == [((1,), {}, None)]


@pytest.mark.django_db(transaction=True)  # the view's transaction really commits
def test_placing_an_order_answers_before_its_tasks_are_published(client, monkeypatch):
    """Through the whole stack: the order is placed and its answer built while nothing has
    been published; the tasks go when the response is closed (the test client closes it as
    a WSGI server does, after sending it)."""
    from django.core.signals import request_finished

    from tests.factories import ProductFactory, make_shipping, make_variant

    events = []
    monkeypatch.setattr("kernel.enqueue._send",
                        lambda task, args, kwargs, countdown: events.append(task.name))

    def response_done(**_):
        events.append("response done")

    request_finished.connect(response_done)  # connected after the kernel's: runs after it
    try:
        variant = make_variant(ProductFactory(), stock=3)
        method = make_shipping()
        token = client.post("/api/carts/").json()["token"]
        client.post(f"/api/carts/{token}/lines/", {"variant_id": variant.pk, "quantity": 1},
                    content_type="application/json")
        client.put(f"/api/carts/{token}/email/", {"email": "ada@example.com"},
                   content_type="application/json")
        client.put(f"/api/carts/{token}/shipping-address/", {
            "first_name": "Ada", "last_name": "L", "line1": "1 St", "city": "Reno",
            "region": "NV", "postal_code": "89502", "country": "US"},
            content_type="application/json")
        client.put(f"/api/carts/{token}/shipping-method/", {"shipping_method_id": method.pk},
                   content_type="application/json")
        events.clear()
        monkeypatch.setattr("shop.api.checkout.order_data",
                            _recording(events, "answer built"))
        response = client.post(f"/api/carts/{token}/order/")
    finally:
        request_finished.disconnect(response_done)
    assert response.status_code == 201
    assert events[0] == "answer built"
    assert "orders.tasks.send_order_received" in events[1:]
    assert events[-1] == "response done"


def _recording(events, label):
    from shop.api import checkout

    original = checkout.order_data

    def wrapped(*args, **kwargs):
        answer = original(*args, **kwargs)
        events.append(label)
        return answer

    return wrapped
