"""The delivery log once kept connection error texts (which told a closed port from an open
one) and 1,000 characters of any answer, internal services' included. Keep what the log
keeps now: the status, "could not connect", and a sanitised 200-character excerpt."""

import re

from django.db import migrations

from kernel.outbound import COULD_NOT_CONNECT, excerpt

KEPT_ERROR = re.compile(r"^HTTP \d{3}(: redirects are not followed)?$")


def _error(text: str) -> str:
    return text if not text or KEPT_ERROR.match(text) else COULD_NOT_CONNECT


def scrub(apps, schema_editor):
    WebhookAttempt = apps.get_model("webhooks", "WebhookAttempt")
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    for attempt in WebhookAttempt.objects.only("pk", "error", "response_excerpt").iterator():
        error = _error(attempt.error)
        kept = excerpt(attempt.response_excerpt.encode(), length=200)
        if (error, kept) != (attempt.error, attempt.response_excerpt):
            WebhookAttempt.objects.filter(pk=attempt.pk).update(error=error,
                                                                response_excerpt=kept)
    for delivery in (WebhookDelivery.objects.exclude(last_error="")
                     .only("pk", "last_error").iterator()):
        error = _error(delivery.last_error)
        if error != delivery.last_error:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(last_error=error)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_merchant_manages_webhooks")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
