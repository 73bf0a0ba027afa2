"""The money consistency check, beside the stock one: proves that each order's money agrees
with its goods and its own word (payments captured less refunded is what the order says was
paid; no canceled order holds captured money; no shipped unit refunded without a reason; no
payment live past its deadline), lists each violation with its cause, and repairs it
through a ``payments.services`` function.

It lives in ``shop`` because the checks read payments, orders and the units fulfillment
shipped, and the screen, command and nightly email mirror ``shop.stockcheck``.
"""
