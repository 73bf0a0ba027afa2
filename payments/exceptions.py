from kernel.errors import ShopError


class PaymentError(ShopError):
    """A payment can't be made or changed as asked (a 4xx with the reason)."""

    code = "payment_invalid"


class PaymentDeclined(PaymentError):
    """The gateway said no. 402 Payment Required, with the bank's reason in words."""

    status_code = 402
    code = "payment_declined"


class GatewayUnavailable(ShopError):
    """The gateway did not answer; the attempt is recorded and can be retried."""

    status_code = 503
    code = "gateway_unavailable"


class RefundNotAllowed(PaymentError):
    """The person's role may not make this kind of refund (a price adjustment or goodwill
    without ``payments.refund_adjustment``). 403; nothing is written."""

    status_code = 403
    code = "refund_not_allowed"
