"""Order signals, sent after commit by ``orders.services`` with ``order_id``.

Receivers (here and in higher apps) enqueue Celery tasks; they do no work inline.
"""

from django.dispatch import Signal

order_placed = Signal()  # order_id
order_paid = Signal()  # order_id: payment authorized or captured, first time
order_canceled = Signal()  # order_id
order_refunded = Signal()  # order_id: money went back (partly or all), by any path
order_allocated = Signal()  # order_id: a waiting (stock shortfall) order got its stock
stock_shortfall_notice = Signal()  # order_id, kind: an OrderNotification kind to email
