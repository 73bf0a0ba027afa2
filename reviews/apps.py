"""Product reviews from verified buyers: invitations after delivery, moderation,
and the rating kept on each product."""
from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from kernel.personal_data import register_personal_data

        from . import receivers, services

        receivers.connect()
        register_personal_data("reviews", export=services.export_reviews,
                               erase=services.erase_reviews, order=50)
