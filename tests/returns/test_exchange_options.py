"""A return's exchange choices are the variants that can be sent now: a sold-out size is not
offered, and asking for it anyway is refused."""

import pytest
from django.db.models import F

from inventory.models import StockLevel
from returns.exceptions import ReturnInvalid
from returns.selectors import returnable_lines

from .conftest import ask

pytestmark = pytest.mark.django_db


def test_sold_out_variants_are_not_offered_as_exchanges(delivered_order, catalog,
                                                        django_assert_num_queries):
    order = delivered_order(shirts=2, mugs=0)
    assert [v.sku for v in returnable_lines(order)[0].exchange_options] == ["SHIRT-L"]
    StockLevel.objects.filter(variant=catalog["large"]).update(allocated=F("on_hand"))
    with django_assert_num_queries(4):
        rows = returnable_lines(order)
    assert rows[0].exchange_options == []


def test_asking_for_a_sold_out_exchange_is_refused(delivered_order, catalog):
    order = delivered_order(shirts=2, mugs=0)
    StockLevel.objects.filter(variant=catalog["large"]).update(allocated=F("on_hand"))
    with pytest.raises(ReturnInvalid):
        ask(order, resolution="exchange", exchange=catalog["large"])
