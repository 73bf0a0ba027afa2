from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "kernel"
    verbose_name = "Shop kernel"

    def ready(self):
        from django.core import checks
        from django.core.signals import request_finished, request_started

        from .enqueue import collect_during_request, publish_after_response
        from .storage import check_private_media_root

        checks.register(check_private_media_root, checks.Tags.security)
        request_started.connect(collect_during_request, dispatch_uid="kernel.enqueue.collect")
        request_finished.connect(publish_after_response, dispatch_uid="kernel.enqueue.publish")
