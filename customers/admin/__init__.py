"""Customers in admin: segments (list, export, refresh, campaigns), the customer-service
timeline with notes, and the contact form's messages."""

from .segments import CustomerSegmentAdmin, VoucherCampaignAdmin
from .service import ContactMessageAdmin, CustomerNoteAdmin

__all__ = ["ContactMessageAdmin", "CustomerNoteAdmin", "CustomerSegmentAdmin",
           "VoucherCampaignAdmin"]
