import csv
import functools
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Category
from inventory.models import Warehouse
from inventory.shopify_import import import_products


class Command(BaseCommand):
    help = ("Import products from a Shopify product CSV export. Re-importing the same file "
            "updates, never duplicates. Bad rows are listed with their line numbers.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (Shopify's export format).")
        parser.add_argument("--warehouse", help="Warehouse code for the stock quantities "
                            "(default: the first active warehouse by priority).")
        parser.add_argument("--category", help="Category slug for every product (default: a "
                            "category named after the product's Type).")
        parser.add_argument("--no-fetch-images", action="store_true",
                            help="Record image URLs without trying to download them.")
        parser.add_argument("--progress", action="store_true",
                            help="Show a progress bar even when stderr is not a terminal.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        warehouse = self._warehouse(options["warehouse"])
        category = self._category(options["category"])
        try:
            report = import_products(
                path=path, warehouse=warehouse, category=category,
                fetch_images=not options["no_fetch_images"],
                progress=functools.partial(self.stderr.write, ending="")
                if options["progress"] or sys.stderr.isatty() else None,
            )
        except (ValueError, UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        for line, message in sorted(report.errors):
            self.stderr.write(f"line {line}: {message}")
        for line, message in sorted(report.notes):
            self.stdout.write(f"line {line}: {message}")
        style = self.style.WARNING if report.errors else self.style.SUCCESS
        self.stdout.write(style(report.summary()))

    def _warehouse(self, code: str | None) -> Warehouse:
        if code:
            warehouse = Warehouse.objects.filter(code=code, is_active=True).first()
            if warehouse is None:
                raise CommandError(f"No active warehouse with code {code!r}.")
            return warehouse
        warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
        if warehouse is None:
            warehouse, _ = Warehouse.objects.get_or_create(
                code="main", defaults={"name": "Main warehouse"})
        return warehouse

    def _category(self, slug: str | None) -> Category | None:
        if not slug:
            return None
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            raise CommandError(f"No category with slug {slug!r}.")
        return category
