"""Data requests: export a person's data, erase it (closing their account), email a guest
the signed link to theirs; every request logged as a ``DataRequest``.

Callers: the account's "Your data" pages and the guest's link pages (shop.accounts), the
staff's data request admin, and the task that emails the guest link. Each call is one
transaction; an erasure checks, under the locks of the person's account and orders, that
no order is still open, then runs every registered section's erase in ``Section.order``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.errors import NotFound
from kernel.personal_data import Subject, sections
from orders.models import Order
from orders.personal_data import subject_orders

from .exceptions import DataLinkExpired, DataRequestInvalid, ErasureRefused
from .links import DataLink
from .models import DataRequest
from .selectors import export_document, export_json, open_matters
from .signals import data_link_requested

# Addresses the shop writes over erased data: never a subject (they would gather everyone).
PLACEHOLDER_DOMAINS = ("erased.invalid", "closed.invalid")


@dataclass(frozen=True)
class Export:
    """A finished export: the JSON text and the log row that records it."""

    content: str
    request: DataRequest

    @property
    def filename(self) -> str:
        return f"personal-data-{self.request.requested_at:%Y%m%d}-{self.request.pk}.json"


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254:
        raise DataRequestInvalid("Give the email address the request is about.")
    if email.endswith(PLACEHOLDER_DOMAINS):
        raise DataRequestInvalid("That address belongs to erased data; it names no one.")
    return email


def account_subject(user) -> Subject:
    """The person behind an account: the account and its address (verified at sign-up)."""
    emails = {user.email} | ({user.username} if "@" in user.username else set())
    return Subject(user=user, emails=tuple(sorted(e for e in emails if e)))


def account_for_email(email: str):
    users = get_user_model().objects
    return users.filter(Q(username__iexact=email) | Q(email__iexact=email)).order_by("pk").first()


# --- Export -----------------------------------------------------------------------------------

def _export(*, subject: Subject, request: DataRequest) -> Export:
    document, names = export_document(subject)
    request.status = DataRequest.Status.COMPLETED
    request.sections = names
    request.completed_at = timezone.now()
    request.save()
    return Export(content=export_json(document), request=request)


def export_account_data(*, user) -> Export:
    """The signed-in customer's own data, as JSON. Logged (kind export, channel account)
    with the sections covered; the log never holds the data."""
    with transaction.atomic():
        request = DataRequest(kind=DataRequest.Kind.EXPORT, channel=DataRequest.Channel.ACCOUNT,
                              email=user.email, user=user,
                              identity_verification="Signed in to the account.")
        return _export(subject=account_subject(user), request=request)


def export_guest_data(*, link: DataLink) -> Export:
    """The data held under a guest's address (orders and carts placed with it), for the
    holder of a valid signed link (read by ``links.read_data_link``)."""
    email = normalise_email(link.email)
    ensure_link_unused(link)
    with transaction.atomic():
        request = DataRequest(kind=DataRequest.Kind.EXPORT, channel=DataRequest.Channel.GUEST,
                              email=email,
                              identity_verification="Followed the link emailed to the address.")
        return _export(subject=Subject(user=None, emails=(email,)), request=request)


def record_staff_request(*, email: str, kind: str, identity_verification: str,
                         actor) -> DataRequest:
    """Staff record a request that came by email or letter, to carry out next."""
    email = normalise_email(email)
    if kind not in {DataRequest.Kind.EXPORT, DataRequest.Kind.ERASURE}:
        raise DataRequestInvalid("A request is for an export or an erasure.")
    if not (identity_verification or "").strip():
        raise DataRequestInvalid("Say how the person's identity was verified.")
    with transaction.atomic():
        return DataRequest.objects.create(
            kind=kind, channel=DataRequest.Channel.STAFF, email=email,
            user=account_for_email(email), recorded_by=actor,
            identity_verification=identity_verification.strip()[:300])


def _staff_request_for_update(request_id: int, kind: str) -> DataRequest:
    request = DataRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such data request.")
    if request.kind != kind or request.channel != DataRequest.Channel.STAFF:
        raise DataRequestInvalid(f"Data request {request.pk} is not a staff "
                                 f"{DataRequest.Kind(kind).label.split(' (')[0].lower()} "
                                 "request.")
    return request


def carry_out_export(*, request_id: int, actor) -> Export:
    """A recorded export request carried out: the JSON for staff to send the person.
    Again after it is completed gives a fresh copy (and a fresh completion time)."""
    with transaction.atomic():
        request = _staff_request_for_update(request_id, DataRequest.Kind.EXPORT)
        if request.status == DataRequest.Status.REFUSED:
            raise DataRequestInvalid(f"Data request {request.pk} was refused.")
        email = normalise_email(request.email)
        user = account_for_email(email)
        subject = account_subject(user) if user is not None else Subject(emails=(email,))
        request.user = user
        request.recorded_by = actor
        return _export(subject=subject, request=request)


# --- Erasure ----------------------------------------------------------------------------------

def _lock(subject: Subject) -> list[Order]:
    """The account, then the person's orders by primary key (the order every service that
    locks several orders uses): nothing pays, ships or refunds them meanwhile."""
    if subject.user is not None:
        user = get_user_model().objects.select_for_update().filter(pk=subject.user.pk).first()
        if user is None or user.email.endswith(PLACEHOLDER_DOMAINS):
            raise DataRequestInvalid("This account is already closed.")
    return list(subject_orders(subject).select_for_update(of=("self",)).order_by("pk"))


def _erase(subject: Subject, request: DataRequest) -> DataRequest:
    """Inside the caller's transaction: refuse while an order is open, else erase every
    section in order, and complete the log row."""
    reasons = open_matters(_lock(subject))
    if reasons:
        raise ErasureRefused(
            "We can't erase the data yet: " + " ".join(reasons) + " Once it is delivered, "
            "refunded or closed, ask again; until then we need the details to finish it.")
    names = []
    for section in sections():
        if section.erase is not None:
            section.erase(subject)
            names.append(section.name)
    request.status = DataRequest.Status.COMPLETED
    request.sections = names
    request.completed_at = timezone.now()
    request.outcome = "Personal data erased; orders and invoices kept as the law requires."
    request.save()
    return request


def _record_refusal(request: DataRequest, error: ErasureRefused) -> None:
    """A refused self-service or guest erasure is logged too (its own transaction: the
    erasure's rolled back)."""
    request.pk = None
    request.status = DataRequest.Status.REFUSED
    request.outcome = error.message[:500]
    request.completed_at = timezone.now()
    with transaction.atomic():
        request.save()


def close_account(*, user) -> DataRequest:
    """Close the customer's account: their personal data erased or anonymised in every
    section (addresses and carts deleted, orders detached and anonymised, the account made
    an inactive placeholder), orders, invoices and stock records kept for the law.

    Preconditions: the caller checked the password and the explicit confirmation.
    Refused (``ErasureRefused``, logged) while an order is open (``open_matters``).
    Guarantees: all or nothing, in one transaction; the sessions of the account end."""
    request = DataRequest(kind=DataRequest.Kind.ERASURE, channel=DataRequest.Channel.ACCOUNT,
                          email=user.email, user=user,
                          identity_verification="Signed in and re-entered the password.")
    try:
        with transaction.atomic():
            return _erase(account_subject(user), request)
    except ErasureRefused as error:
        _record_refusal(request, error)
        raise


def ensure_link_unused(link: DataLink) -> None:
    """Raise ``DataLinkExpired`` when the data the link opens was erased after it was
    made (through it, or otherwise): it opens nothing any more."""
    erased = DataRequest.objects.filter(
        email=link.email, kind=DataRequest.Kind.ERASURE, status=DataRequest.Status.COMPLETED,
        completed_at__gte=datetime.datetime.fromtimestamp(link.issued_at, tz=datetime.UTC))
    if erased.exists():
        raise DataLinkExpired("The data this link opened has been erased; the link opens "
                              "nothing any more.")


def erase_guest_data(*, link: DataLink) -> DataRequest:
    """A guest's erasure through their signed link: the orders and carts placed with the
    address anonymised or deleted. Refused while an order is open, and when the address
    has an account (closing it is the account's own page, after signing in)."""
    email = normalise_email(link.email)
    ensure_link_unused(link)
    request = DataRequest(kind=DataRequest.Kind.ERASURE, channel=DataRequest.Channel.GUEST,
                          email=email,
                          identity_verification="Followed the link emailed to the address.")
    if account_for_email(email) is not None:
        error = ErasureRefused("This address has an account: sign in and close it from "
                               "Your account > Your data.")
        _record_refusal(request, error)
        raise error
    try:
        with transaction.atomic():
            return _erase(Subject(user=None, emails=(email,)), request)
    except ErasureRefused as error:
        _record_refusal(request, error)
        raise


def carry_out_erasure(*, request_id: int, actor) -> DataRequest:
    """A recorded erasure request carried out by staff (after their confirmation page):
    the account with that address closed, if there is one, and everything held under the
    address erased. Refused while an order is open: the request stays to be carried out
    later, with the reason as its outcome."""
    try:
        with transaction.atomic():
            request = _staff_request_for_update(request_id, DataRequest.Kind.ERASURE)
            if request.status != DataRequest.Status.RECEIVED:
                raise DataRequestInvalid(f"Data request {request.pk} is already "
                                         f"{request.get_status_display().lower()}.")
            email = normalise_email(request.email)
            user = account_for_email(email)
            subject = account_subject(user) if user is not None else Subject(emails=(email,))
            if user is not None:
                subject = Subject(user=user, emails=tuple(sorted({email, *subject.emails})))
            request.user = user
            request.recorded_by = actor
            return _erase(subject, request)
    except ErasureRefused as error:
        DataRequest.objects.filter(pk=request_id).update(outcome=error.message[:500])
        raise


# --- Guest link -------------------------------------------------------------------------------

def request_guest_link(*, email: str, order_number: str) -> None:
    """A guest asks for the link to their data. When an order with that number was placed
    with that address, a signed link (24 h) is emailed to the address, after commit;
    otherwise nothing happens. The caller answers the same either way, so the page tells
    no one whether an address is a customer's."""
    try:
        email = normalise_email(email)
    except DataRequestInvalid:
        return
    order_number = (order_number or "").strip().upper()[:20]
    if not order_number or not Order.objects.filter(number=order_number,
                                                    email__iexact=email).exists():
        return
    with transaction.atomic():
        request = DataRequest.objects.create(
            kind=DataRequest.Kind.LINK, channel=DataRequest.Channel.GUEST, email=email,
            identity_verification=f"Gave the order number {order_number}; the link goes to "
                                  "the address.")
        transaction.on_commit(partial(data_link_requested.send, sender=DataRequest,
                                      request_id=request.pk))


def mark_link_sent(*, request_id: int) -> DataRequest | None:
    """Claim a link request for sending (inside the task's transaction): the row locked
    and completed, or None when it was sent already."""
    request = (DataRequest.objects.select_for_update()
               .filter(pk=request_id, kind=DataRequest.Kind.LINK).first())
    if request is None or request.completed_at is not None:
        return None
    request.status = DataRequest.Status.COMPLETED
    request.completed_at = timezone.now()
    request.outcome = "Link emailed to the address."
    request.save(update_fields=["status", "completed_at", "outcome"])
    return request
