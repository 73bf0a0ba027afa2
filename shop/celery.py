"""The Celery app: `celery -A shop worker` and `celery -A shop beat`.

Configured from Django settings (CELERY_* names), tasks discovered in every app's tasks.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.local")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
