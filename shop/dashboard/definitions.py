"""One line per KPI: shown on the page (a footnote and the tooltip) and repeated word for
word in docs/KPIS.md (a test checks they match)."""

COUNTED = ("Counted orders are paid or authorized, not canceled, and not exchange "
           "replacements; days are in SHOP_TIME_ZONE.")

DEFINITIONS: dict[str, str] = {
    # Sales
    "gross_sales": "Items at their selling price before discounts (order subtotals), for "
                   "counted orders placed in the period.",
    "discounts": "Voucher discounts on counted orders placed in the period.",
    "refunds": "Merchandise refunded in the period (by refund date) on counted orders, on "
               "the same base as gross sales: items after their discounts, without the tax "
               "and shipping refunded with them (those are their own lines). A return's "
               "refund is split by the lines returned; any other refund in the proportions "
               "of its order.",
    "net_sales": "Gross sales minus discounts minus refunds: all three are merchandise "
                 "value, without tax or shipping.",
    "tax": "Tax charged on counted orders placed in the period.",
    "tax_refunds": "Tax refunded in the period (by refund date) on counted orders.",
    "shipping": "Shipping charged on counted orders placed in the period.",
    "shipping_refunds": "Shipping refunded in the period (by refund date) on counted orders, "
                        "less any return fees kept back.",
    "orders": "Counted orders placed in the period.",
    "average_order_value": "Gross sales minus discounts, divided by orders.",
    "units_per_order": "Units on counted orders, divided by orders.",
    "product_net_sales": "A product's items at selling price minus their discounts on "
                         "counted orders placed in the period, minus its merchandise "
                         "refunded in the period; units are units sold minus units "
                         "returned and refunded. All products add up to net sales.",
    # Funnel
    "sessions": "Browsers that opened a storefront page that day, counted once per browser "
                "per day (a first-party cookie; no personal data).",
    "product_views": "Sessions that opened at least one product page.",
    "add_to_carts": "Sessions that added at least one item to the cart.",
    "checkouts_started": "Sessions that reached a checkout step.",
    "funnel_orders": "Counted orders placed in the period.",
    "conversion_rate": "Each step divided by the step before it; overall conversion is "
                       "orders divided by sessions.",
    # Customers
    "customers": "Customers (an account, or an email for guest orders) with a counted "
                 "order in the period.",
    "new_customers": "Customers whose first counted order ever was placed in the period.",
    "returning_customers": "Customers with an order in the period whose first order was "
                           "earlier.",
    "repeat_purchase_rate": "Customers with two or more counted orders in the period, as a "
                            "share of customers.",
    "orders_per_customer": "Counted orders in the period divided by customers.",
    "lifetime_value": "Net sales per customer over their whole history, on the net sales "
                      "base (items after discounts, minus merchandise refunded; no tax or "
                      "shipping), averaged over all customers.",
    # Fulfillment
    "lead_time_median": "Median time from payment to shipment, for shipments shipped in "
                        "the period (a shipment recorded as shipped before its payment is "
                        "flagged and left out).",
    "lead_time_p90": "90th percentile (nearest rank) of payment-to-shipment time, for "
                     "shipments shipped in the period (shipped before payment left out).",
    "shipped_in_time": "Share of shipments shipped in the period that left by their "
                       "promised ship time.",
    "delivery_time_median": "Median time from shipment to delivery, for parcels delivered "
                            "in the period (store pickups left out).",
    "on_time_delivery": "Share of parcels delivered in the period on or before the last "
                        "day of the delivery window promised at checkout.",
    "shipments": "Shipments shipped in the period, by carrier (a split order counts each "
                 "shipment).",
    "late_shipments": "Now: shipments not yet shipped after their promised ship time, and "
                      "shipments with a delivery problem.",
    # Returns
    "return_rate": "Units on returns requested in the period (rejected ones left out), "
                   "divided by units delivered in the period.",
    "units_returned": "Units on returns requested in the period, rejected ones left out.",
    "return_refunds": "Money refunded on returns closed as refunded in the period.",
    "time_to_refund": "Average time from a return's request to its refund, for returns "
                      "refunded in the period.",
    # Stock
    "value_at_cost": "Units on hand in every warehouse times the variant's cost price "
                     "(variants with no cost price are left out and counted).",
    "value_at_price": "Units on hand in every warehouse times the variant's selling price.",
    "low_stock": "Active variants with 1 to SHOP_LOW_STOCK_THRESHOLD units available "
                 "(on hand minus allocated, unsellable and safety stock, in active "
                 "warehouses).",
    "out_of_stock": "Active variants with no unit available.",
    "days_of_cover": "Units available divided by units sold per day in the period.",
    "sell_through": "Units sold in the period divided by units sold plus units on hand now.",
    "inventory_turnover": "Cost of units sold in the period (at today's cost price) divided "
                          "by inventory value at cost now.",
    "slow_movers": "Variants with units on hand and no sale in the last N days of the "
                   "period.",
    # Marketing
    "reminders_sent": "Abandoned-checkout reminder emails sent in the period (first and "
                      "second reminders each count).",
    "carts_recovered": "Abandoned carts with a counted order placed in the period from the "
                       "cart restored by a reminder's link (a cart restored on two devices "
                       "counts once).",
    "recovered_revenue": "Order totals (tax and shipping included, refunds not deducted) of "
                         "counted orders placed in the period from a cart restored by a "
                         "reminder's link.",
    "recovery_rate": "Carts recovered divided by first reminders sent in the period.",
}
