"""The payment admin with its refund page able to cancel the rest of an order.

``payments.admin.PaymentAdmin`` makes refunds with no return behind them (price adjustment,
goodwill); payments may not cancel shipments, so the explicit choice about the goods
("refund and still ship" / "refund and cancel the rest") is added here, in the layer above
fulfillment, by registering a subclass in its place.
"""

from __future__ import annotations

from django.contrib import admin

from fulfillment.services.refund_decisions import FulfillmentDecision, refund_with_decision
from payments.admin import PaymentAdmin
from payments.models import Payment

admin.site.unregister(Payment)


@admin.register(Payment)
class BackofficePaymentAdmin(PaymentAdmin):
    decision_choices = tuple(FulfillmentDecision.choices)

    def issue_refund(self, request, payment: Payment, data: dict):
        return refund_with_decision(
            payment_id=payment.pk, amount=data["amount"], refund_reason=data["refund_reason"],
            note=data["reason"], decision=data["decision"], actor=request.user)
