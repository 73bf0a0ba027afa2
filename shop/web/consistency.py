"""What the stock and money consistency checks share: the admin screen that shows a check's
report with a repair button per violation, and the ``manage.py check_*`` command.

Each check supplies its own ``run_check`` (the report), ``repair`` / ``repair_all`` (services)
and ``recent_repairs``; the report has ``violations``, ``is_clean`` and ``by_problem()``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from kernel.admin import ReadOnlyAdminMixin


class ConsistencyCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """No table behind it: the changelist is the check's report, and one POST view repairs
    a violation (or all of them) through the check's services."""

    title = ""
    template = ""
    repair_permission = ""
    problem_type = str  # the check's Problem choices: a posted value must be one of them

    @staticmethod
    def run_check(): ...

    @staticmethod
    def recent_repairs(): ...

    @staticmethod
    def repair(*, problem, key: int, user): ...

    @staticmethod
    def repair_all(*, user): ...

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        # The report and its repair button only: there are no rows to change or delete.
        return [
            path("", self.admin_site.admin_view(self.changelist_view),
                 name=self._url_name("changelist")),
            path("repair/", self.admin_site.admin_view(self.repair_view),
                 name=self._url_name("repair")),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = self.run_check()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.title,
            "report": report,
            "groups": report.by_problem(),
            "repairs": self.recent_repairs(),
            "can_repair": request.user.has_perm(self.repair_permission),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.template, context)

    def repair_view(self, request):
        if not request.user.has_perm(self.repair_permission):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        back = HttpResponseRedirect(reverse(f"admin:{self._url_name('changelist')}"))
        if request.POST.get("all"):
            outcomes = [outcome for _, outcome in self.repair_all(user=request.user)]
            if not outcomes:
                messages.info(request, "Nothing to repair: every invariant holds.")
        else:
            try:
                problem = self.problem_type(request.POST.get("problem", ""))
                key = int(request.POST.get("key", ""))
            except ValueError:
                messages.error(request, "Choose a violation to repair.")
                return back
            outcomes = [self.repair(problem=problem, key=key, user=request.user)]
        for outcome in outcomes:
            level = messages.SUCCESS if outcome.repaired else messages.WARNING
            messages.add_message(request, level, outcome.message)
        return back


class ConsistencyCheckCommand(BaseCommand):
    """``manage.py check_<what>``: list each violation with its cause, ``--repair`` applies
    each violation's repair and checks again; exits 1 when anything is wrong."""

    what = ""  # "stock", "money": how a problem is named in the summary

    @staticmethod
    def run_check(): ...

    @staticmethod
    def repair_all(*, report): ...

    def clean_summary(self, report) -> str:
        raise NotImplementedError

    def notes(self, report) -> list[str]:
        """Lines printed after the violations (things that are not violations)."""
        return []

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Apply the repair of each violation, then check again.")

    def handle(self, *args, repair: bool = False, **options):
        report = self.run_check()
        self._print(report)
        if repair and not report.is_clean:
            self.stdout.write("Repairing:")
            for _, outcome in self.repair_all(report=report):
                style = self.style.SUCCESS if outcome.repaired else self.style.WARNING
                self.stdout.write(style(f"  {'repaired' if outcome.repaired else 'not repaired'}"
                                        f": {outcome.message}"))
            report = self.run_check()
            self.stdout.write("After the repairs:")
            self._print(report)
        if not report.is_clean:
            count = len(report.violations)
            raise CommandError(f"{count} {self.what} problem{'s' if count != 1 else ''} "
                               "found.", returncode=1)

    def _print(self, report) -> None:
        for violation in report.violations:
            self.stdout.write(f"{violation.problem_label}: {violation.cause}")
        for line in self.notes(report):
            self.stdout.write(line)
        if report.is_clean:
            self.stdout.write(self.style.SUCCESS(self.clean_summary(report)))


def merchant_email_addresses() -> list[str]:
    """Where the checks write: SHOP_MERCHANT_EMAIL, else the ADMINS, else the shop's own
    sending address."""
    configured = getattr(settings, "SHOP_MERCHANT_EMAIL", "")
    if configured:
        return [configured]
    admins = [email for _, email in getattr(settings, "ADMINS", [])]
    return admins or [settings.DEFAULT_FROM_EMAIL]


def record_nightly_run(*, run_model, report, day, app_label: str, what: str,
                       counts: dict[str, int]) -> bool:
    """Record the day's run of a check (``run_model``: one row per day with ``checked_at``,
    ``emailed_at`` and the ``counts`` fields) and, when anything is wrong, email the
    merchant one message listing every violation: at most once a day (claimed under the
    day's row lock, so the task run twice sends once), none when the check is clean.
    Returns whether it emailed now."""
    with transaction.atomic():
        run, _ = run_model.objects.get_or_create(day=day,
                                                 defaults={"checked_at": timezone.now()})
        run = run_model.objects.select_for_update().get(pk=run.pk)
        run.checked_at = timezone.now()
        for field, value in counts.items():
            setattr(run, field, value)
        send = not report.is_clean and run.emailed_at is None
        if send:
            run.emailed_at = run.checked_at
        run.save(update_fields=["checked_at", *counts, "emailed_at"])
        if send:
            # Sent under the lock: if the mail server fails, the claim rolls back with it
            # and the task's retry sends the email.
            _email_report(report, day=day, app_label=app_label, what=what)
        return send


def _email_report(report, *, day, app_label: str, what: str) -> None:
    count = len(report.violations)
    context = {"report": report, "day": day, "shop_name": settings.SHOP_NAME,
               "screen_link": settings.SHOP_BASE_URL.rstrip("/") + "/"
               + settings.ADMIN_URL.strip("/") + f"/{app_label}/{app_label}/"}
    EmailMessage(
        subject=f"{settings.SHOP_NAME}: {what} check found {count} problem"
                f"{'s' if count != 1 else ''} ({day:%Y-%m-%d})",
        body=render_to_string(f"emails/{app_label}/report.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=merchant_email_addresses(),
    ).send()
