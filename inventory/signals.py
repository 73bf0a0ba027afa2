"""Inventory signals, sent after commit by ``inventory.services``; receivers enqueue tasks."""

from django.dispatch import Signal

# stock_level_id: on_hand or allocated moved (a movement, an allocation or a release), so
# what is available to sell may have crossed a threshold.
stock_level_changed = Signal()

# stock_level_ids: the same for many levels at once (a bulk receipt, such as the product
# import's): one signal and one task instead of one per level.
stock_levels_changed = Signal()

# purchase_order_id: a purchase order was sent; its PDF is still to be emailed to the
# supplier.
purchase_order_sent = Signal()
