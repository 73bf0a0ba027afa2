"""The shopper's IP address as fraud screening sees it, for the storefront and the API alike.

Behind load balancers or reverse proxies ``REMOTE_ADDR`` is the nearest proxy, and the
shopper's address is in ``X-Forwarded-For``. Every proxy appends the address it received
the request from, so only the entries our own proxies wrote can be trusted: with
``SHOP_TRUSTED_PROXY_COUNT = N`` the shopper is the Nth entry from the right. Anything to
its left was sent by the client and may be made up.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, or None when there is no valid one.

    With no trusted proxies (the default) this is ``REMOTE_ADDR``. A request carrying fewer
    forwarded entries than there are proxies did not come through all of them (or reached
    the app directly), so its header is not trusted and ``REMOTE_ADDR`` is used instead.
    """
    proxies = settings.SHOP_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [entry.strip() for entry in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(forwarded) >= proxies:
            address = _valid(forwarded[-proxies])
            if address:
                return address
    return _valid(request.META.get("REMOTE_ADDR", ""))


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
