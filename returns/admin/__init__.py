"""Returns in admin: the clerks' queue and the steps of a return.

A return is a read-only record here. Each step (approve, reject, receive, receive by scan,
inspect, refund, exchange) is a button or a small page that checks its permission
(``returns.<step>_returnrequest``, see ``ReturnRequest.Meta.permissions``), calls one
``returns.services`` function and reports the outcome. A refusal (``ShopError``) is an
error message with a redirect, or the form again with a 4xx; it never writes anything.
"""

from .return_requests import ReturnRequestAdmin

__all__ = ["ReturnRequestAdmin"]
