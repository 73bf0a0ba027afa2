"""Builds a shop history for the dashboard bench straight in PostgreSQL, set-based.

One ``INSERT ... SELECT generate_series(...)`` per table (no ORM, no row-by-row work):
a catalog (12 categories, --products products with 2 variants each, cost prices, stock in
two warehouses), --customers accounts (a tenth of the buyers order as guests), --orders
orders over --days days (about 1.6 lines each; 3% canceled, 1% never paid, 5% partly
refunded, 10% with a discount, tax 8%), a shipment per warehouse an order draws from
(split orders get two), delivered or in transit or pending by age, 0.5% exceptions,
returns on 3% of delivered orders, a funnel row per day, and abandoned-checkout reminders
(``_marketing``: a quarter as many reminded carts as orders, first reminder sent to all,
a second to about half of those not recovered; a tenth recovered, each by an order placed
within two hours from the restored cart). Columns other apps add later
(NOT NULL, no default) are filled with a neutral value, so the generator keeps working as
the schema grows.

Usage (the bench calls it): ``build(dsn, orders=..., customers=..., days=...)``.
"""

from __future__ import annotations

import time

import psycopg2

TYPE_DEFAULTS = {"character varying": "''", "text": "''", "integer": "0", "bigint": "0",
                 "smallint": "0", "boolean": "false", "numeric": "0", "jsonb": "'{}'::jsonb",
                 "timestamp with time zone": "now()", "date": "current_date",
                 "uuid": "gen_random_uuid()", "double precision": "0", "interval": "'0'",
                 "time without time zone": "'00:00'", "ARRAY": "'{}'", "json": "'{}'::json"}


def _insert(cursor, table: str, given: dict[str, str], source: str) -> int:
    cursor.execute("""SELECT column_name, data_type, is_nullable, column_default, is_identity
                      FROM information_schema.columns WHERE table_name = %s""", [table])
    exprs = dict(given)
    for name, data_type, nullable, default, identity in cursor.fetchall():
        if name in exprs or nullable == "YES" or default is not None or identity == "YES":
            continue
        exprs[name] = TYPE_DEFAULTS[data_type]
    columns = ", ".join(f'"{name}"' for name in exprs)  # quoted: "to" is a keyword
    cursor.execute(f"INSERT INTO {table} ({columns}) "
                   f"SELECT {', '.join(exprs.values())} {source}")
    return cursor.rowcount


def _sync_sequence(cursor, table: str) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"coalesce((SELECT max(id) FROM {table}), 1))")


def build(dsn: str, *, orders: int, customers: int, days: int, products: int = 500,
          log=print) -> dict:
    connection = psycopg2.connect(dsn)
    connection.autocommit = False
    timings = {}
    began = time.perf_counter()
    with connection, connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.42)")

        def step(name, sql_or_fn):
            start = time.perf_counter()
            sql_or_fn() if callable(sql_or_fn) else cursor.execute(sql_or_fn)
            timings[name] = round(time.perf_counter() - start, 1)
            log(f"  {name}: {timings[name]} s")

        step("catalog", lambda: _catalog(cursor, products))
        step("customers", lambda: _insert(cursor, "auth_user", {
            "id": "g", "password": "'!'", "is_superuser": "false",
            "username": "'customer' || g", "email": "'customer' || g || '@example.com'",
            "first_name": "''", "last_name": "''", "is_staff": "false", "is_active": "true",
            "date_joined": "now()"}, f"FROM generate_series(1, {customers}) g"))
        step("address", lambda: _insert(cursor, "orders_address", {
            "id": "1", "saved": "false", "first_name": "'Bench'", "last_name": "'Buyer'",
            "line1": "'1 Load St'", "city": "'Reno'", "region": "'NV'",
            "postal_code": "'89502'", "country": "'US'", "created_at": "now()"},
            "FROM generate_series(1, 1)"))
        step("plan orders", f"""
            CREATE TEMP TABLE gen_orders AS
            SELECT g AS n,
                   -- ids rise with time, as a real shop's do (a few minutes of jitter)
                   now() - ({orders} - g)::float / {orders} * interval '{days} days'
                         - random() * interval '5 minutes' AS placed_at,
                   1 + floor(power(random(), 1.7) * {customers})::int AS customer,
                   random() AS fate, random() AS luck
            FROM generate_series(1, {orders}) g""")
        step("plan lines", f"""
            CREATE TEMP TABLE gen_lines AS
            SELECT line_id, n, variant_id, sku, price, title, product_title, warehouse_no, qty,
                   price * qty AS gross, round(price * qty * discount_rate, 2) AS discount,
                   round((price * qty - round(price * qty * discount_rate, 2)) * 0.08, 2) AS tax
            FROM (
                SELECT row_number() OVER () AS line_id, o.n, v.id AS variant_id, v.sku, v.price,
                       v.title, v.product_title, v.idx % 2 + 1 AS warehouse_no,
                       1 + (o.n + k) % 3 AS qty,
                       CASE WHEN o.luck < 0.1 THEN 0.1 ELSE 0 END AS discount_rate
                FROM gen_orders o
                CROSS JOIN LATERAL generate_series(
                    1, CASE WHEN o.n % 5 < 3 THEN 1 WHEN o.n % 5 < 4 THEN 2 ELSE 3 END) k
                JOIN gen_variants v ON v.idx = (o.n::bigint * 7919 + k * 104729) % {products * 2}
            ) planned""")
        step("order totals", """
            CREATE INDEX ON gen_lines (n);
            CREATE TEMP TABLE gen_totals AS
            SELECT n, sum(gross) AS subtotal, sum(discount) AS discount, sum(tax) AS tax
            FROM gen_lines GROUP BY n;
            CREATE UNIQUE INDEX ON gen_totals (n);""")
        step("orders", lambda: _insert(cursor, "orders_order", {
            "id": "o.n", "number": "(100000 + o.n)::text", "token": "gen_random_uuid()",
            "checkout_token": "gen_random_uuid()",
            "user_id": f"CASE WHEN o.customer <= {customers * 9 // 10} THEN o.customer END",
            "email": "'customer' || o.customer || '@example.com'",
            "status": "CASE WHEN o.fate < 0.04 THEN 'canceled' ELSE 'open' END",
            "payment_status": "CASE WHEN o.fate < 0.01 THEN 'unpaid' WHEN o.fate < 0.04 "
                              "THEN 'voided' WHEN o.fate < 0.09 THEN 'partially_refunded' "
                              "ELSE 'paid' END",
            "fulfillment_status": "CASE WHEN o.fate >= 0.04 AND o.placed_at < now() - "
                                  "interval '8 days' THEN 'delivered' ELSE 'unfulfilled' END",
            "currency": "'USD'", "prices_include_tax": "false", "subtotal": "t.subtotal",
            "discount_amount": "t.discount",
            "shipping_amount": "CASE WHEN t.subtotal >= 100 THEN 0 ELSE 5 END",
            "tax_amount": "t.tax",
            "total": "t.subtotal - t.discount + t.tax + CASE WHEN t.subtotal >= 100 THEN 0 "
                     "ELSE 5 END",
            "shipping_address_id": "1", "billing_address_id": "1",
            "shipping_method_name": "'Standard'",
            "delivery_earliest": "(o.placed_at + interval '3 days')::date",
            "delivery_latest": "(o.placed_at + interval '6 days')::date",
            "voucher_code": "''", "customer_note": "''", "risk": "'normal'", "risk_score": "0",
            "risk_reasons": "'[]'::jsonb", "placed_at": "o.placed_at",
            "paid_at": "CASE WHEN o.fate >= 0.01 THEN o.placed_at + interval '2 minutes' END",
            "canceled_at": "CASE WHEN o.fate < 0.04 THEN o.placed_at + interval '1 hour' END",
            "updated_at": "o.placed_at"},
            "FROM gen_orders o JOIN gen_totals t ON t.n = o.n"))
        step("order lines", lambda: _insert(cursor, "orders_orderline", {
            "id": "l.line_id", "order_id": "l.n", "variant_id": "l.variant_id",
            "product_name": "l.product_title", "variant_name": "l.title", "sku": "l.sku",
            "quantity": "l.qty", "quantity_fulfilled": "CASE WHEN o.fate >= 0.04 THEN l.qty "
                                                      "ELSE 0 END",
            "quantity_returned": "0", "final_sale": "false", "unit_price": "l.price",
            "discount_amount": "l.discount", "tax_rate": "8", "tax_amount": "l.tax",
            "total": "l.gross - l.discount + l.tax", "weight_grams": "500"},
            "FROM gen_lines l JOIN gen_orders o ON o.n = l.n"))
        step("plan shipments", """
            CREATE TEMP TABLE gen_ship AS
            SELECT row_number() OVER (ORDER BY s.n, s.warehouse_no) AS sid, s.n, s.warehouse_no,
                   o.placed_at + interval '2 minutes' AS paid_at, o.placed_at,
                   interval '4 hours' + random() * interval '76 hours' AS lead,
                   interval '20 hours' + random() * interval '120 hours' AS transit,
                   random() AS fate
            FROM (SELECT DISTINCT n, warehouse_no FROM gen_lines) s
            JOIN gen_orders o ON o.n = s.n WHERE o.fate >= 0.04;
            CREATE INDEX ON gen_ship (n, warehouse_no);""")
        step("shipments", lambda: _insert(cursor, "fulfillment_shipment", {
            "id": "s.sid", "order_id": "s.n", "number": "'SH' || s.sid",
            "warehouse_id": "s.warehouse_no",
            "state": "CASE WHEN s.placed_at > now() - interval '3 days' THEN 'pending' "
                     "WHEN s.fate < 0.005 THEN 'exception' "
                     "WHEN s.placed_at > now() - interval '8 days' THEN 'in_transit' "
                     "ELSE 'delivered' END",
            "carrier": "CASE WHEN s.fate < 0.7 THEN 'local' ELSE 'easypost' END",
            "service": "''", "tracking_number": "''", "label": "''", "pickup_code": "''",
            "delivered_to": "''", "promised_ship_by": "s.paid_at + interval '48 hours'",
            "shipped_at": "CASE WHEN s.placed_at <= now() - interval '3 days' "
                          "THEN s.paid_at + s.lead END",
            "delivered_at": "CASE WHEN s.placed_at <= now() - interval '8 days' "
                            "AND s.fate >= 0.005 THEN s.paid_at + s.lead + s.transit END",
            "created_at": "s.paid_at", "updated_at": "s.paid_at"}, "FROM gen_ship s"))
        step("shipment lines", lambda: _insert(cursor, "fulfillment_shipmentline", {
            "shipment_id": "s.sid", "order_line_id": "l.line_id",
            "stock_level_id": "(l.variant_id - 1) * 2 + l.warehouse_no",
            "quantity": "l.qty", "quantity_scanned": "l.qty"},
            "FROM gen_lines l JOIN gen_ship s ON s.n = l.n AND s.warehouse_no = l.warehouse_no"))
        step("analyze", "ANALYZE")  # fresh tables: give the planner real row counts
        step("refunds", lambda: _insert(cursor, "orders_orderevent", {
            "order_id": "o.id", "type": "'refunded'", "message": "'Refunded.'",
            "data": "jsonb_build_object('amount', round(o.total * 0.3, 2)::text)",
            "created_at": "least(o.placed_at + interval '10 days', now())"},
            "FROM orders_order o WHERE o.payment_status = 'partially_refunded'"))
        step("returns", lambda: _returns(cursor))
        step("funnel", lambda: _insert(cursor, "dashboard_dailyfunnel", {
            "day": "current_date - g", "sessions": "3000 + (g * 37) % 900",
            "product_views": "1900 + (g * 31) % 500", "add_to_carts": "500 + (g * 17) % 200",
            "checkouts_started": "260 + (g * 13) % 80", "updated_at": "now()"},
            f"FROM generate_series(0, {days}) g"))
        step("marketing", lambda: _marketing(cursor, orders, customers, days, products))
        for table in ("auth_user", "orders_address", "orders_order", "orders_orderline",
                      "fulfillment_shipment", "fulfillment_shipmentline", "orders_orderevent",
                      "returns_returnrequest", "returns_returnline", "catalog_category",
                      "catalog_product", "catalog_variant", "inventory_warehouse",
                      "inventory_stocklevel", "dashboard_dailyfunnel", "orders_cart",
                      "orders_cartline", "marketing_marketingemail", "marketing_cartreminder",
                      "marketing_cartrecovery"):
            _sync_sequence(cursor, table)
    connection.autocommit = True
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = round(time.perf_counter() - start, 1)
        cursor.execute("SELECT count(*) FROM orders_order")
        made_orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM orders_orderline")
        made_lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM fulfillment_shipment")
        made_shipments = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM returns_returnrequest")
        made_returns = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM marketing_cartreminder")
        made_reminders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM marketing_cartrecovery")
        made_recoveries = cursor.fetchone()[0]
    connection.close()
    timings["total"] = round(time.perf_counter() - began, 1)
    return {"orders": made_orders, "order_lines": made_lines, "shipments": made_shipments,
            "returns": made_returns, "cart_reminders": made_reminders,
            "cart_recoveries": made_recoveries, "customers": customers, "days": days,
            "variants": products * 2, "seconds": timings}


def _catalog(cursor, products: int) -> None:
    _insert(cursor, "catalog_category", {
        "id": "g", "name": "'Category ' || g", "slug": "'category-' || g",
        "path": "lpad(g::text, 6, '0') || '/'", "depth": "0", "position": "g",
        "is_active": "true", "description": "''", "seo_title": "''", "seo_description": "''"},
        "FROM generate_series(1, 12) g")
    _insert(cursor, "catalog_product", {
        "id": "g", "title": "'Product ' || g", "slug": "'product-' || g",
        "category_id": "1 + g % 12", "description": "''", "vendor": "'Northwind'",
        "product_type": "''", "tags": "''", "is_published": "true", "is_featured": "false",
        "final_sale": "false", "seo_title": "''", "seo_description": "''",
        "created_at": "now()", "updated_at": "now()"}, f"FROM generate_series(1, {products}) g")
    _insert(cursor, "catalog_variant", {
        "id": "g", "product_id": "(g + 1) / 2", "sku": "'SKU-' || lpad(g::text, 5, '0')",
        "barcode": "''", "title": "CASE WHEN g % 2 = 0 THEN 'Large' ELSE 'Small' END",
        "price": "(5 + (g * 37) % 120)::numeric + 0.99",
        "cost_price": "round(((5 + (g * 37) % 120)::numeric + 0.99) * 0.45, 2)",
        "currency": "'USD'", "weight_grams": "500", "is_active": "true", "position": "0",
        "created_at": "now()", "updated_at": "now()"},
        f"FROM generate_series(1, {products * 2}) g")
    cursor.execute("""CREATE TEMP TABLE gen_variants AS
                      SELECT v.id - 1 AS idx, v.id, v.sku, v.price, v.title,
                             p.title AS product_title
                      FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id;
                      CREATE UNIQUE INDEX ON gen_variants (idx);""")
    _insert(cursor, "inventory_warehouse", {
        "id": "g", "code": "'w' || g", "name": "'Warehouse ' || g", "country_code": "'US'",
        "is_active": "true", "allows_store_pickup": "false", "priority": "g",
        "address_line1": "''", "address_line2": "''", "city": "''", "postal_code": "''"},
        "FROM generate_series(1, 2) g")
    _insert(cursor, "inventory_stocklevel", {
        "id": "(v.id - 1) * 2 + w", "variant_id": "v.id", "warehouse_id": "w",
        "on_hand": "(v.id * 7 + w * 3) % 60", "allocated": "0", "bin_location": "''",
        "updated_at": "now()"},
        "FROM catalog_variant v CROSS JOIN generate_series(1, 2) w")


def _returns(cursor) -> None:
    cursor.execute("""
        CREATE TEMP TABLE gen_returns AS
        SELECT row_number() OVER (ORDER BY o.id) AS rid, o.id AS order_id,
               min(s.delivered_at) + interval '3 days' AS requested_at, random() AS fate
        FROM orders_order o JOIN fulfillment_shipment s ON s.order_id = o.id
        WHERE o.fulfillment_status = 'delivered' AND s.delivered_at IS NOT NULL
              AND o.id % 33 = 0
        GROUP BY o.id""")
    _insert(cursor, "returns_returnrequest", {
        "id": "r.rid", "number": "'RMA-' || r.rid", "token": "gen_random_uuid()",
        "order_id": "r.order_id",
        "state": "CASE WHEN r.fate < 0.7 THEN 'refunded' ELSE 'requested' END",
        "resolution": "'refund'", "customer_note": "''", "method": "'label'",
        "staff_message": "''", "tracking_number": "''", "label": "''",
        "items_amount": "0", "shipping_refund": "0", "return_shipping_fee": "0",
        "restocking_fee": "0", "refund_attempts": "0", "refund_error": "''",
        "refunded_amount": "CASE WHEN r.fate < 0.7 THEN 10 ELSE 0 END",
        "created_at": "r.requested_at",
        "closed_at": "CASE WHEN r.fate < 0.7 THEN r.requested_at + interval '4 days' END",
        "updated_at": "r.requested_at"}, "FROM gen_returns r")
    _insert(cursor, "returns_returnline", {
        "return_request_id": "r.rid", "order_line_id": "l.id", "quantity": "1",
        "reason": "(ARRAY['wrong_size','damaged','not_as_described','changed_mind','other'])"
                  "[1 + r.rid % 5]",
        "reason_note": "''", "condition": "''", "restock": "false", "refund_amount": "0"},
        "FROM gen_returns r JOIN (SELECT order_id, min(id) AS id FROM orders_orderline "
        "GROUP BY order_id) l ON l.order_id = r.order_id")


def _marketing(cursor, orders: int, customers: int, days: int, products: int) -> None:
    """Abandoned carts that reached the email step and were reminded, as
    ``marketing.recovery`` leaves them: every reminded cart a guest cart with an email and
    a line, its first reminder (a sent ``cart_reminder`` email, dedupe key
    ``cart-reminder:<cart>:<number>``) an hour after its last change, a second a day later
    for about half of those not recovered. One order in 40 (a tenth of the reminded carts)
    was placed from a restored cart: the reminder went out 1-20 hours before it, the link
    was opened up to 2 hours before it, and the restored cart's token is the order's
    checkout_token; the cart itself when reused (half), else a copy (the original stays
    open). Ids: cart c's reminder k has email and reminder id 2c - 2 + k."""
    reminded = max(orders // 4, 1)
    unrecovered = max(reminded - orders // 40, 1)
    cursor.execute(f"""
        CREATE TEMP TABLE gen_reminded AS
        SELECT row_number() OVER (ORDER BY sent_at, order_n) AS c, *
        FROM (
            -- recovered: driven from the orders placed from a restored cart; the link
            -- opened after the last reminder and at most 2 hours before the order
            SELECT order_n, customer,
                   last_sent - CASE WHEN second THEN interval '1 day' ELSE interval '0' END
                       AS sent_at,
                   placed_at - random() * least(placed_at - last_sent, interval '2 hours')
                       AS restored_at,
                   second, copied
            FROM (SELECT o.n AS order_n, o.customer, o.placed_at,
                         o.placed_at - interval '1 hour' - random() * interval '19 hours'
                             AS last_sent,
                         o.luck < 0.3 AS second, o.n % 80 = 0 AS copied
                  FROM gen_orders o WHERE o.n % 40 = 0) recovered
            UNION ALL
            SELECT NULL, 1 + floor(random() * {customers})::int,
                   now() - ({unrecovered} - g)::float / {unrecovered} * interval '{days} days'
                         - interval '2 hours' - random() * interval '3 hours',
                   NULL, random() < 0.5, false
            FROM generate_series(1, {unrecovered}) g
        ) planned;
        -- a second reminder only once a day has passed since the first
        UPDATE gen_reminded SET second = false
        WHERE second AND order_n IS NULL AND sent_at > now() - interval '1 day';
        CREATE UNIQUE INDEX ON gen_reminded (c);
        ANALYZE gen_reminded""")
    cursor.execute("SELECT coalesce(max(id), 0) FROM orders_cart")
    base = cursor.fetchone()[0]  # carts already there (none in a fresh bench database)
    _insert(cursor, "orders_cart", {
        "id": f"{base} + r.c",
        "token": "CASE WHEN r.order_n IS NOT NULL AND NOT r.copied THEN o.checkout_token "
                 "ELSE gen_random_uuid() END",
        "status": "CASE WHEN r.order_n IS NOT NULL AND NOT r.copied THEN 'ordered' "
                  "ELSE 'open' END",
        "currency": "'USD'", "email": "'customer' || r.customer || '@example.com'",
        "billing_same_as_shipping": "true", "customer_note": "''",
        "created_at": "r.sent_at - interval '3 hours'",
        "updated_at": "coalesce(r.restored_at, r.sent_at - interval '1 hour')"},
        "FROM gen_reminded r LEFT JOIN orders_order o ON o.id = r.order_n")
    copies = base + reminded + 1
    _insert(cursor, "orders_cart", {  # the copies the shoppers went on with
        "id": f"{copies} + r.c", "token": "o.checkout_token", "status": "'ordered'",
        "currency": "'USD'", "email": "'customer' || r.customer || '@example.com'",
        "billing_same_as_shipping": "true", "customer_note": "''",
        "created_at": "r.restored_at", "updated_at": "o.placed_at"},
        "FROM gen_reminded r JOIN orders_order o ON o.id = r.order_n WHERE r.copied")
    _insert(cursor, "orders_cartline", {
        "cart_id": f"{base} + r.c", "variant_id": f"1 + (r.c * 7919) % {products * 2}",
        "quantity": "1 + r.c % 2", "created_at": "r.sent_at - interval '3 hours'"},
        "FROM gen_reminded r")
    emails = """
        FROM gen_reminded r CROSS JOIN LATERAL (
            SELECT 1 AS k, r.sent_at AS at UNION ALL
            SELECT 2, r.sent_at + interval '1 day' WHERE r.second) e"""
    cursor.execute("SELECT coalesce(max(id), 0) FROM marketing_marketingemail")
    mail_base = cursor.fetchone()[0]
    _insert(cursor, "marketing_marketingemail", {
        "id": f"{mail_base} + 2 * r.c - 2 + e.k",
        "dedupe_key": f"'cart-reminder:' || ({base} + r.c) || ':' || e.k",
        "to": "'customer' || r.customer || '@example.com'", "kind": "'cart_reminder'",
        "subject": "CASE WHEN e.k = 1 THEN 'You left something in your cart' "
                   "ELSE 'Your cart is still waiting' END",
        "template": "'marketing/cart_reminder'", "context": "'{}'::jsonb",
        "status": "'sent'", "skipped_reason": "''", "created_at": "e.at", "sent_at": "e.at"},
        emails)
    _insert(cursor, "marketing_cartreminder", {
        "id": f"{mail_base} + 2 * r.c - 2 + e.k", "cart_id": f"{base} + r.c",
        "number": "e.k", "email_id": f"{mail_base} + 2 * r.c - 2 + e.k",
        "prices": "'{}'::jsonb", "created_at": "e.at"}, emails)
    _insert(cursor, "marketing_cartrecovery", {  # by the last reminder sent
        "reminder_id": f"{mail_base} + 2 * r.c - 2 + CASE WHEN r.second THEN 2 ELSE 1 END",
        "cart_id": f"{base} + r.c",
        "restored_cart_id": f"CASE WHEN r.copied THEN {copies} + r.c ELSE {base} + r.c END",
        "changes": "'[]'::jsonb", "restored_at": "r.restored_at"},
        "FROM gen_reminded r WHERE r.order_n IS NOT NULL")
