"""Returns permissions on the staff roles: the returns clerk may run every return step; a
later sync of the warehouse roles (fulfillment) keeps them."""

import pytest
from django.contrib.auth.models import Group, Permission

from fulfillment.roles import sync_roles

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_the_returns_clerk_runs_returns_and_a_warehouse_sync_keeps_it(staff_roles):
    steps = {"view_returnrequest", "approve_returnrequest", "receive_returnrequest",
             "inspect_returnrequest", "refund_returnrequest"}
    assert steps <= codenames("Returns clerk")
    assert "view_returnrequest" in codenames("Merchant")
    assert not steps & codenames("Picker")
    sync_roles(Group, Permission)
    assert steps <= codenames("Returns clerk")
    assert "view_returnrequest" in codenames("Merchant")
