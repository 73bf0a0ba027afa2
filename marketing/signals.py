"""Marketing signals, sent after commit with ``email_id``. Receivers enqueue tasks."""

from django.dispatch import Signal

marketing_email_queued = Signal()  # email_id: a MarketingEmail row waits to be sent
