"""Every write of the customers app: one function per operation, one transaction each."""

from .campaigns import create_voucher_campaign, send_campaign_vouchers
from .contact import (
    notify_merchant_of_contact_message,
    set_contact_message_status,
    submit_contact_message,
)
from .notes import add_customer_note
from .segments import refresh_customer_segments

__all__ = ["add_customer_note", "create_voucher_campaign", "notify_merchant_of_contact_message",
           "refresh_customer_segments", "send_campaign_vouchers", "set_contact_message_status",
           "submit_contact_message"]
