from django.core.management.base import BaseCommand

from shop.demo.catalog import load_demo_catalog
from shop.demo.reviews import load_demo_reviews


class Command(BaseCommand):
    help = ("Load the demo catalog (categories, products, stock, images, a few approved "
            "reviews). Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--no-images", action="store_true",
                            help="Skip drawing product photos (faster).")

    def handle(self, *args, **options):
        report = load_demo_catalog(images=not options["no_images"])
        reviews = load_demo_reviews()
        self.stdout.write(self.style.SUCCESS(f"Demo catalog ready: {report}, {reviews} "
                                             "reviews added."))
