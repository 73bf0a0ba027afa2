"""Reviews start from a delivered order: the returns suite's catalog (a linen shirt in two
sizes and a stoneware mug) and its delivered order, made through the services."""

import pytest

from reviews import services
from tests.returns import conftest as returns_fixtures

warehouse = returns_fixtures.warehouse
catalog = returns_fixtures.catalog
delivered_order = returns_fixtures.delivered_order


@pytest.fixture
def review_roles(staff_roles):
    from django.contrib.auth.models import Group, Permission

    from reviews.roles import sync_review_roles

    sync_review_roles(Group, Permission)


def write(order, sku="SHIRT-M", *, rating=5, title="Great", body="Lovely linen, fits well.",
          **kwargs):
    line = order.lines.get(sku=sku)
    kwargs.setdefault("invited_order_id", order.pk)
    return services.write_review(order_line_id=line.pk, rating=rating, title=title, body=body,
                                 **kwargs)


def approved(order, sku="SHIRT-M", **kwargs):
    review = write(order, sku, **kwargs)
    return services.approve_review(review_id=review.pk)
