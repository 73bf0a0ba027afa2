"""Catalog background work. Thin: load by id, call one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_thumbnails(image_id: int) -> None:
    services.generate_thumbnails(image_id=image_id)


@shared_task(acks_late=True)
def end_expired_clearances() -> int:
    """Beat: clearance discounts past their end go back to full price."""
    return services.end_expired_clearances()
