"""The project's own periodic work: resending the tasks the broker could not take."""

from celery import current_app, shared_task

from kernel.enqueue import resend_deferred_tasks as resend


def _send(task_name: str, args: list, kwargs: dict) -> None:
    # A registered task goes through its own apply_async (routing, eager mode in
    # development); a name this process doesn't know is sent as is.
    task = current_app.tasks.get(task_name)
    if task is not None:
        task.apply_async(args=args, kwargs=kwargs)
    else:
        current_app.send_task(task_name, args=args, kwargs=kwargs)


@shared_task(acks_late=True)
def resend_deferred_tasks() -> int:
    """Beat: send again what ``kernel.enqueue`` recorded while the broker was down."""
    return resend(send=_send)
