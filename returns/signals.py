"""Return signals, sent after commit with ``return_id``; receivers enqueue tasks."""

from django.dispatch import Signal

return_state_changed = Signal()  # return_id, state
return_label_issued = Signal()  # return_id: the prepaid label is stored
return_refund_requested = Signal()  # return_id: staff decided the refund; the task makes it
