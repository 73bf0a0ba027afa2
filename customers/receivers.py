"""Signals in, tasks out: no work here."""

from kernel.enqueue import enqueue

from . import signals, tasks


def _contact_message_received(sender, message_id: int, **kwargs) -> None:
    enqueue(tasks.send_contact_message_to_merchant, message_id)


def _voucher_campaign_created(sender, campaign_id: int, **kwargs) -> None:
    enqueue(tasks.send_voucher_campaign, campaign_id)


def connect() -> None:
    signals.contact_message_received.connect(_contact_message_received,
                                             dispatch_uid="customers.contact_message")
    signals.voucher_campaign_created.connect(_voucher_campaign_created,
                                             dispatch_uid="customers.voucher_campaign")
