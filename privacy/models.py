"""The log of data requests: who asked for what, through which channel, and what was done.

A row never holds the exported data itself, only which sections a request covered."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DataRequest(models.Model):
    """One request about a person's data: an export, an erasure (closing an account), or a
    guest's signed link emailed to them. Kept after an erasure (the record that the shop
    answered the request), with the address the request named."""

    class Kind(models.TextChoices):
        EXPORT = "export", "Export (a copy of the data)"
        ERASURE = "erasure", "Erasure (close the account / forget the person)"
        LINK = "link", "Guest link emailed"

    class Channel(models.TextChoices):
        ACCOUNT = "account", "The customer's account"
        GUEST = "guest", "Guest, by signed email link"
        STAFF = "staff", "Staff, for a request that came by email or letter"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, to be carried out"
        COMPLETED = "completed", "Completed"
        REFUSED = "refused", "Refused"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    email = models.EmailField(max_length=254, help_text="The address the request is about.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             help_text="The account the request is about, if any.")
    identity_verification = models.CharField(
        max_length=300, blank=True,
        help_text="How the person's identity was checked (signed in, emailed link, ...).")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    help_text="The staff member who recorded or carried it "
                                              "out.")
    sections = models.JSONField(default=list, blank=True,
                                help_text="The sections of personal data the request covered.")
    outcome = models.CharField(max_length=500, blank=True,
                               help_text="Why it was refused, or what was done.")
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        permissions = [("carry_out_datarequest",
                        "Can carry out data requests (export and erase a person's data)")]
        indexes = [models.Index(fields=["email", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' (')[0]} for {self.email}"
