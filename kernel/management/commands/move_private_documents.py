from django.apps import apps
from django.core.management.base import BaseCommand

from kernel.storage import UnguessableName, is_private_field, move_to_private_storage


class Command(BaseCommand):
    help = ("Move private documents (labels) still stored in public media, from before they "
            "were private, into the private storage under unguessable names. Safe to run "
            "again; the migrations that made the fields private run it once.")

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            for field in model._meta.fields:
                if not is_private_field(field):
                    continue
                prefix = field.upload_to.prefix if isinstance(field.upload_to, UnguessableName) \
                    else model._meta.model_name
                moved = move_to_private_storage(model, field.name, prefix=prefix)
                total += moved
                self.stdout.write(f"{model._meta.label}.{field.name}: {moved} moved.")
        self.stdout.write(self.style.SUCCESS(f"{total} private document(s) moved."))
