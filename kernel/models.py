"""The kernel's one table: tasks that could not be queued while the broker was down."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class DeferredTask(models.Model):
    """A Celery task ``kernel.enqueue.enqueue`` could not hand to the broker. The periodic
    sweep (``shop.tasks.resend_deferred_tasks``) sends it again and deletes the row once
    the broker took it; ``attempts`` and ``last_error`` tell how the resends went."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task_name} (deferred {self.created_at:%Y-%m-%d %H:%M})"
