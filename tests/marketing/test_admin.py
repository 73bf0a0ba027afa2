"""The marketing admin screens are read-only lists: consent records filtered by status and
source and searched by email, the emails sent, cart reminders and recoveries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketing import consent
from marketing.models import ConsentRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SCREENS = ["consentrecord", "marketingemail", "cartreminder", "cartrecovery"]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def reminded_and_restored(abandoned, run_reminders, email):
    import re

    from django.core import mail
    from django.test import Client

    abandoned(email)
    mail.outbox.clear()
    run_reminders()
    link = re.search(r"https?://[^/\s]+(/cart/restore/[^/\s]+/)", mail.outbox[0].body).group(1)
    Client().get(link)


@pytest.fixture
def history(abandoned, run_reminders):
    reminded_and_restored(abandoned, run_reminders, "ada@example.com")
    abandoned("bo@example.com")
    consent.record_consent(email="bo@example.com", granted=False, wording="w",
                           source="unsubscribe_link")
    return lambda email: reminded_and_restored(abandoned, run_reminders, email)


@pytest.mark.parametrize("model", SCREENS)
def test_each_screen_lists_in_a_fixed_number_of_queries_and_is_read_only(admin_client, history,
                                                                         model):
    url = f"/admin/marketing/{model}/"

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        return len(queries)

    before = count()
    for name in ("cy", "di", "eve"):
        history(f"{name}@example.com")
    assert count() == before
    assert admin_client.get(f"{url}add/").status_code == 403


def test_consent_records_filter_by_status_and_source_and_search_by_email(admin_client, history):
    page = admin_client.get("/admin/marketing/consentrecord/?granted__exact=0")
    assert list(page.context["cl"].result_list) == list(
        ConsentRecord.objects.filter(granted=False))
    page = admin_client.get("/admin/marketing/consentrecord/?source__exact=unsubscribe_link")
    assert [r.email for r in page.context["cl"].result_list] == ["bo@example.com"]
    page = admin_client.get("/admin/marketing/consentrecord/?q=ada")
    assert {r.email for r in page.context["cl"].result_list} == {"ada@example.com"}
    record = ConsentRecord.objects.first()
    detail = admin_client.get(f"/admin/marketing/consentrecord/{record.pk}/change/")
    assert detail.status_code == 200 and record.wording in detail.content.decode()
    assert admin_client.post(f"/admin/marketing/consentrecord/{record.pk}/delete/",
                             {"post": "yes"}).status_code == 403
