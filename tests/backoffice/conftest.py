"""The back office acts on paid orders and their shipments: the fixtures come from the apps
whose records it shows."""

from tests.fulfillment.conftest import paid_order, warehouses  # noqa: F401
from tests.payments.conftest import authorize_only, lamp, manager, viewer  # noqa: F401
