"""The customers app's signals, sent after commit; receivers queue the work."""

from django.dispatch import Signal

# message_id: a contact form message was kept; the merchant is to be emailed.
contact_message_received = Signal()
# campaign_id: a voucher campaign was made; its emails are to be sent.
voucher_campaign_created = Signal()
