from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "kernel"
    verbose_name = "Shop kernel"

    def ready(self):
        from django.core import checks

        from .storage import check_private_media_root

        checks.register(check_private_media_root, checks.Tags.security)
