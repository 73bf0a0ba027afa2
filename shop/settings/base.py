"""Settings shared by every environment, all read from one ``environ.Env()``.

No variables set gives a shop that runs anywhere: SQLite, Celery tasks run eagerly
in-process after commit, email to the console, the offline payment gateway.
Each variable below switches one part to the real service.
"""

from datetime import timedelta
from decimal import Decimal
from email.utils import formataddr, parseaddr
from pathlib import Path

import environ
from celery.schedules import crontab

from shop.queues import celery_routing

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalog",
    "inventory",
    "orders",
    "payments",
    "fulfillment",
    "returns",
    "marketing",
    "reviews",
    "customers",
    "privacy",
    "shop.webhooks",
    "shop",
    "shop.dashboard",
    "shop.stockcheck",
    "shop.moneycheck",
    "shop.backoffice",
    "shop.storefront",
    "kernel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shop.web.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.web.unavailable.DatabaseUnavailableMiddleware",  # a dropped database: 503
    "shop.dashboard.tracking.FunnelMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.storefront.context_processors.storefront",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Behind PgBouncer in transaction pooling mode (DATABASE_POOLER=pgbouncer) a connection is
# not the same server session from one transaction to the next: no server-side cursors
# (DISABLE_SERVER_SIDE_CURSORS), and the shop keeps no other session state (docs/SCALING.md).
DATABASE_POOLER = env("DATABASE_POOLER", default="")


def database(url_var: str, **kwargs) -> dict:
    """One DATABASES entry from a URL variable, with the shop's connection settings."""
    config = env.db(url_var, **kwargs)
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["ATOMIC_REQUESTS"] = False  # services own their transactions
    config["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=DATABASE_POOLER == "pgbouncer")
    return config


def replica_databases() -> dict:
    """DATABASE_REPLICA_URL set: the ``replica`` alias that catalog pages, the catalog API
    and the dashboards read from (shop.web.replicas); unset: nothing."""
    if not env("DATABASE_REPLICA_URL", default=""):
        return {}
    replica = database("DATABASE_REPLICA_URL")
    replica["OPTIONS"] = {**replica.get("OPTIONS", {}), "connect_timeout": 2}
    replica["CONN_HEALTH_CHECKS"] = True  # a restarted replica: reconnect, not an error
    replica["TEST"] = {"MIRROR": "default"}  # tests never create a database on it
    return {"replica": replica}


DATABASES = {
    "default": database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    **replica_databases(),
}
# A replica configured: the router and the middleware that opens replica reads per view.
DATABASE_ROUTERS = []
if "replica" in DATABASES:
    DATABASE_ROUTERS = ["shop.web.replicas.PrimaryReplicaRouter"]
    MIDDLEWARE.append("shop.web.replicas.ReplicaReadsMiddleware")  # last: see its docstring
# Views (URL names, or "namespace:*") whose GET/HEAD reads may come from the replica.
SHOP_REPLICA_VIEWS = env.list("SHOP_REPLICA_VIEWS", default=[
    "storefront:home", "storefront:category", "storefront:product", "storefront:search",
    "api:category-list", "api:category-products", "api:product-list", "api:product-detail",
    "api:search", "dashboard:*"])
# Read from the primary even inside those views (lower-case "app_label.model").
SHOP_PRIMARY_ONLY_MODELS = env.list("SHOP_PRIMARY_ONLY_MODELS", default=[
    "sessions.session", "orders.cart", "orders.cartline"])
# A visitor who has just written reads from the primary for this long (read-your-writes).
SHOP_READ_YOUR_WRITES_SECONDS = env.int("SHOP_READ_YOUR_WRITES_SECONDS", default=10)
# How often a process checks the replica; with a lag limit set, a replica further behind
# is not read from (unset: any lag is accepted, only an unreachable replica is skipped).
SHOP_REPLICA_CHECK_SECONDS = env.float("SHOP_REPLICA_CHECK_SECONDS", default=5.0)
SHOP_REPLICA_MAX_LAG_SECONDS = env.float("SHOP_REPLICA_MAX_LAG_SECONDS", default=None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# With no broker configured, tasks run in-process; they are still queued after commit.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# A queue per kind of work (shop/queues.py): orders, fulfillment, emails, webhooks, analytics
# and the default one. A worker without -Q consumes them all; production runs one per group.
_CELERY_ROUTING = celery_routing(env("CELERY_QUEUE_PREFIX", default=""))
CELERY_TASK_DEFAULT_QUEUE = _CELERY_ROUTING["task_default_queue"]
CELERY_TASK_QUEUES = _CELERY_ROUTING["task_queues"]
CELERY_TASK_ROUTES = _CELERY_ROUTING["task_routes"]
CELERY_BEAT_SCHEDULE: dict = {
    "cancel-unpaid-orders": {"task": "orders.tasks.cancel_expired_unpaid_orders",
                             "schedule": 60.0},
    "sweep-order-work": {"task": "orders.tasks.sweep_order_work", "schedule": 300.0},
    # One "your order is still waiting for payment" email before the deadline.
    "remind-unpaid-orders": {"task": "orders.tasks.remind_unpaid_orders", "schedule": 60.0},
    "allocate-backorders": {"task": "orders.tasks.allocate_backorders", "schedule": 600.0},
    "keep-live-payment-holds": {"task": "payments.tasks.keep_live_payment_holds",
                                "schedule": 60.0},
    "sweep-payment-work": {"task": "payments.tasks.sweep_payment_work", "schedule": 300.0},
    # Cancels whose refund/void a crash or an unreachable gateway interrupted.
    "finish-requested-cancels": {"task": "payments.tasks.finish_requested_cancels",
                                 "schedule": 120.0},
    "sweep-fulfillment-work": {"task": "fulfillment.tasks.sweep_fulfillment_work",
                               "schedule": 300.0},
    "poll-tracking": {"task": "fulfillment.tasks.poll_tracking", "schedule": 1800.0},
    "notify-delayed-shipments": {"task": "fulfillment.tasks.notify_delayed_shipments",
                                 "schedule": 3600.0},
    "sweep-return-work": {"task": "returns.tasks.sweep_return_work", "schedule": 300.0},
    "flush-funnel-counts": {"task": "shop.dashboard.tasks.flush_funnel_counts",
                            "schedule": 300.0},
    "sweep-kpi-refreshes": {"task": "shop.dashboard.tasks.flush_kpi_refreshes",
                            "schedule": 60.0},
    "rebuild-kpi-rollups": {"task": "shop.dashboard.tasks.rebuild_kpi_rollups",
                            "schedule": crontab(hour=3, minute=15)},
    "check-stock-levels": {"task": "inventory.tasks.check_stock_levels", "schedule": 3600.0},
    "end-expired-clearances": {"task": "catalog.tasks.end_expired_clearances",
                               "schedule": 900.0},
    "sweep-webhook-deliveries": {"task": "shop.webhooks.tasks.sweep_webhook_deliveries",
                                 "schedule": 60.0},
    # Abandoned checkouts: the first (and optional second) reminder email.
    "remind-abandoned-checkouts": {"task": "marketing.tasks.remind_abandoned_checkouts",
                                   "schedule": 300.0},
    # Marketing emails whose task was lost between commit and broker, queued again.
    "sweep-marketing-emails": {"task": "marketing.tasks.sweep_marketing_emails",
                               "schedule": 600.0},
    # Review invitations a lost task left unsent (deliveries of the last two weeks).
    "sweep-review-invitations": {"task": "reviews.tasks.sweep_review_invitations",
                                 "schedule": 3600.0},
    # Tasks kernel.enqueue recorded while the broker was down, sent again.
    "resend-deferred-tasks": {"task": "shop.tasks.resend_deferred_tasks", "schedule": 60.0},
    # Customer segments (recency, frequency, monetary value) rebuilt from the orders.
    "refresh-customer-segments": {"task": "customers.tasks.refresh_customer_segments",
                                  "schedule": crontab(hour=3, minute=45)},
    # Every stock invariant, nightly; the merchant is emailed when one breaks.
    "nightly-stock-check": {"task": "shop.stockcheck.tasks.nightly_stock_check",
                            "schedule": crontab(hour=2, minute=30)},
    # Every money invariant, nightly; the merchant is emailed when one breaks.
    "nightly-money-check": {"task": "shop.moneycheck.tasks.nightly_money_check",
                            "schedule": crontab(hour=2, minute=45)},
}

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Email ----------------------------------------------------------------------------------
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Without a display name, SHOP_NAME is added (below): emails come from the shop's name.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@example.com")

# --- Auth -----------------------------------------------------------------------------------
LOGIN_URL = "account:login"
LOGIN_REDIRECT_URL = "account:dashboard"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Private documents (labels and other papers with a shopper's address; see kernel.storage):
# a folder outside MEDIA_ROOT that nothing serves; views read them after checking the user.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "kernel.storage.PrivateFileSystemStorage",
                "OPTIONS": {"location": PRIVATE_MEDIA_ROOT}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve uploaded media from Django itself (development and tests only; production uses a
# web server or an S3-compatible store through the storage API). Public media only: product
# photos under MEDIA_ROOT/products/, never PRIVATE_MEDIA_ROOT.
SERVE_MEDIA = False

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    # Only the session (with CSRF), whose only way in is the rate-limited login form: DRF's
    # default also accepts HTTP Basic, which would try passwords with no rate limit.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON that refuses too-deep documents with a 400 (see shop.api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "shop.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "shop.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Storefront API",
    "DESCRIPTION": "Read the catalog, variants with availability, and search; fill a cart, "
                   "check out, pay and follow orders. Money is a decimal string with a "
                   "currency. Errors are {\"detail\", \"code\"} with a 4xx status.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- The shop -------------------------------------------------------------------------------
SHOP_NAME = env("SHOP_NAME", default="Northwind Supply")
if not parseaddr(DEFAULT_FROM_EMAIL)[0]:
    DEFAULT_FROM_EMAIL = formataddr((SHOP_NAME, parseaddr(DEFAULT_FROM_EMAIL)[1]))
SHOP_CURRENCY = env("SHOP_CURRENCY", default="USD")
# Where the shop is: shipping estimates use it until the shopper gives an address.
SHOP_COUNTRY = env("SHOP_COUNTRY", default="US")
# Availability at or below this shows "only N left".
SHOP_LOW_STOCK_THRESHOLD = env.int("SHOP_LOW_STOCK_THRESHOLD", default=5)
# Dashboards bucket days in this time zone (an IANA name, e.g. America/New_York).
SHOP_TIME_ZONE = env("SHOP_TIME_ZONE", default="UTC")
SHOP_PRODUCTS_PER_PAGE = env.int("SHOP_PRODUCTS_PER_PAGE", default=24)
ADMIN_URL = env("ADMIN_URL", default="admin/")
# Prices in the catalog include tax (VAT style) or have tax added at checkout (US style).
SHOP_PRICES_INCLUDE_TAX = env.bool("SHOP_PRICES_INCLUDE_TAX", default=False)
SHOP_TAX_SHIPPING = env.bool("SHOP_TAX_SHIPPING", default=True)
# An order still unpaid after this many minutes is canceled and its stock released.
SHOP_UNPAID_ORDER_TIMEOUT_MINUTES = env.int("SHOP_UNPAID_ORDER_TIMEOUT_MINUTES", default=30)
# An unpaid order whose payment is still under way at the gateway (3-D Secure, a Stripe
# PaymentIntent processing) keeps its stock past that deadline, up to this long after placing.
SHOP_PAYMENT_HOLD_MAX_MINUTES = env.int("SHOP_PAYMENT_HOLD_MAX_MINUTES", default=120)
# The shopper gets one reminder email when an unpaid order's deadline is this close.
SHOP_PAYMENT_REMINDER_MINUTES = env.int("SHOP_PAYMENT_REMINDER_MINUTES", default=10)
SHOP_MAX_LINE_QUANTITY = env.int("SHOP_MAX_LINE_QUANTITY", default=99)
# Fraud screening: orders scoring at or above this are held for review before fulfilment.
SHOP_RISK_HOLD_SCORE = env.int("SHOP_RISK_HOLD_SCORE", default=60)
# Seconds between an order's event and the dashboard flush that refreshes it with every
# order queued meanwhile: how far the dashboards may lag, against how much work each order
# costs (a busy day is recomputed once per flush, not once per order).
SHOP_KPI_REFRESH_DELAY = env.float("SHOP_KPI_REFRESH_DELAY", default=2.0)
# Proxies (load balancers) in front of the app that append to X-Forwarded-For; the
# shopper's IP for fraud screening is the entry this many from the right. 0: REMOTE_ADDR.
SHOP_TRUSTED_PROXY_COUNT = env.int("SHOP_TRUSTED_PROXY_COUNT", default=0)
# The seller on invoices.
SHOP_LEGAL_NAME = env("SHOP_LEGAL_NAME", default="Northwind Supply Co.")
SHOP_ADDRESS = env("SHOP_ADDRESS", default="200 Port St, Newark NJ 07102, United States")
SHOP_TAX_ID = env("SHOP_TAX_ID", default="")
# Where the shop is served; links in emails start with it.
SHOP_BASE_URL = env("SHOP_BASE_URL", default="http://127.0.0.1:8000")
# Days a guest's signed order link stays valid.
SHOP_ORDER_LINK_MAX_AGE_DAYS = env.int("SHOP_ORDER_LINK_MAX_AGE_DAYS", default=90)

# Fulfillment: paid orders should leave the warehouse within this many hours; the carrier
# used for parcels ("local": the shop's own couriers, or "easypost" with EASYPOST_API_KEY).
SHOP_SHIP_WITHIN_HOURS = env.int("SHOP_SHIP_WITHIN_HOURS", default=48)
EASYPOST_API_KEY = env("EASYPOST_API_KEY", default="")
EASYPOST_API_BASE = env("EASYPOST_API_BASE", default="")
SHOP_DEFAULT_CARRIER = env("SHOP_DEFAULT_CARRIER", default="easypost" if EASYPOST_API_KEY
                           else "local")
# Carrier tracking webhooks are signed with this secret (HMAC-SHA256 of the body).
CARRIER_WEBHOOK_SECRET = env("CARRIER_WEBHOOK_SECRET", default="")

# Outbound webhooks (shop.webhooks): per-request timeout; retries with exponential backoff
# (base, cap) for this many hours from the first try; an endpoint failing without a
# success for this many hours is disabled and its contact emailed.
SHOP_WEBHOOK_TIMEOUT_SECONDS = env.int("SHOP_WEBHOOK_TIMEOUT_SECONDS", default=10)
SHOP_WEBHOOK_RETRY_HOURS = env.int("SHOP_WEBHOOK_RETRY_HOURS", default=24)
SHOP_WEBHOOK_BACKOFF_SECONDS = env.int("SHOP_WEBHOOK_BACKOFF_SECONDS", default=60)
SHOP_WEBHOOK_MAX_BACKOFF_SECONDS = env.int("SHOP_WEBHOOK_MAX_BACKOFF_SECONDS", default=4 * 3600)
SHOP_WEBHOOK_DISABLE_AFTER_HOURS = env.int("SHOP_WEBHOOK_DISABLE_AFTER_HOURS", default=24)
# Endpoint hosts that may resolve to private addresses (an on-premise 3PL), comma
# separated; every other endpoint must be on a public address (kernel.outbound).
SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS = env.list("SHOP_WEBHOOK_ALLOWED_PRIVATE_HOSTS", default=[])
# Hosts a product CSV's image URLs may name although they resolve to private addresses
# (a supplier's server on the office network); any other internal address is never fetched.
SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS = env.list("SHOP_IMPORT_ALLOWED_PRIVATE_HOSTS", default=[])

# Returns: days after delivery a shopper may start a return; fees deducted from refunds
# when the return is not the shop's fault (a damaged or not-as-described item is); how
# parcels come back by default ("label": a prepaid local-courier label, "drop_off").
SHOP_RETURN_WINDOW_DAYS = env.int("SHOP_RETURN_WINDOW_DAYS", default=30)
SHOP_RETURN_SHIPPING_FEE = Decimal(env("SHOP_RETURN_SHIPPING_FEE", default="0.00"))
SHOP_RESTOCKING_FEE_PERCENT = Decimal(env("SHOP_RESTOCKING_FEE_PERCENT", default="0"))
SHOP_RETURN_METHOD = env("SHOP_RETURN_METHOD", default="label")
SHOP_RETURN_DROP_OFF_INSTRUCTIONS = env(
    "SHOP_RETURN_DROP_OFF_INSTRUCTIONS",
    default="Bring the parcel, with the RMA number written on it, to the store counter "
            "during opening hours (Monday to Saturday, 9:00 to 18:00). Keep your receipt.")

# Inventory: the low-stock digest goes here (default: the shop's own address); the
# slow-movers report's defaults (no sale in this many days, or more days of cover).
SHOP_MERCHANT_EMAIL = env("SHOP_MERCHANT_EMAIL", default=DEFAULT_FROM_EMAIL)
SHOP_SLOW_MOVER_DAYS = env.int("SHOP_SLOW_MOVER_DAYS", default=90)
SHOP_SLOW_MOVER_COVER_DAYS = env.int("SHOP_SLOW_MOVER_COVER_DAYS", default=180)

# Marketing (issue 19): an abandoned checkout (a cart with an email and lines, no order)
# gets a reminder this long after its last change, and optionally a second one; 0
# disables either. Carts idle for longer than MAX_AGE are left alone; restore links in
# the emails stay valid this many days.
CART_RECOVERY_FIRST_AFTER = timedelta(minutes=env.int("CART_RECOVERY_FIRST_AFTER_MINUTES",
                                                      default=60))
CART_RECOVERY_SECOND_AFTER = timedelta(minutes=env.int("CART_RECOVERY_SECOND_AFTER_MINUTES",
                                                       default=24 * 60))
CART_RECOVERY_MAX_AGE = timedelta(days=env.int("CART_RECOVERY_MAX_AGE_DAYS", default=7))
CART_RECOVERY_LINK_MAX_AGE_DAYS = env.int("CART_RECOVERY_LINK_MAX_AGE_DAYS", default=30)

# --- Content-Security-Policy (shop.web.content_security) ---------------------------------
SHOP_CSP_REPORT_ONLY = env.bool("SHOP_CSP_REPORT_ONLY", default=False)
SHOP_CSP_EXTRA_IMG_SRC = env.list("SHOP_CSP_EXTRA_IMG_SRC", default=[])

# --- Rate limits (shop.web.rate_limits) --------------------------------------------------
# Fixed windows counted in the cache, per client IP and per account: "<requests>/<n><unit>".
SHOP_RATE_LIMITS_ENABLED = env.bool("SHOP_RATE_LIMITS_ENABLED", default=True)
SHOP_RATE_LIMITS = {
    "login": {"ip": env("SHOP_RATE_LOGIN_IP", default="20/10m"),
              "account": env("SHOP_RATE_LOGIN_ACCOUNT", default="10/10m")},
    "password_reset": {"ip": env("SHOP_RATE_PASSWORD_RESET_IP", default="10/h"),
                       "account": env("SHOP_RATE_PASSWORD_RESET_ACCOUNT", default="3/h")},
    # Sign-ups: per IP like login; per address tight, since each one emails the address.
    "register": {"ip": env("SHOP_RATE_REGISTER_IP", default="20/10m"),
                 "account": env("SHOP_RATE_REGISTER_ACCOUNT", default="3/h")},
    "voucher": {"ip": env("SHOP_RATE_VOUCHER_IP", default="30/10m"),
                "account": env("SHOP_RATE_VOUCHER_ACCOUNT", default="15/10m")},
    "order_lookup": {"ip": env("SHOP_RATE_ORDER_LOOKUP_IP", default="60/10m")},
    # Per IP generous (many shoppers share an office or mobile-carrier address); per account
    # tight.
    "checkout": {"ip": env("SHOP_RATE_CHECKOUT_IP", default="60/10m"),
                 "account": env("SHOP_RATE_CHECKOUT_ACCOUNT", default="15/h")},
    # Data requests (privacy): asking for a guest's link emails the address, so per address
    # tight; downloads and erasures (the password check of closing an account) per account.
    "data_request": {"ip": env("SHOP_RATE_DATA_REQUEST_IP", default="10/h"),
                     "account": env("SHOP_RATE_DATA_REQUEST_ACCOUNT", default="3/h")},
    "data_export": {"ip": env("SHOP_RATE_DATA_EXPORT_IP", default="30/h"),
                    "account": env("SHOP_RATE_DATA_EXPORT_ACCOUNT", default="10/h")},
    "data_erasure": {"ip": env("SHOP_RATE_DATA_ERASURE_IP", default="20/h"),
                     "account": env("SHOP_RATE_DATA_ERASURE_ACCOUNT", default="10/h")},
    # Posting a review (the invitation link or the account's order page).
    "review": {"ip": env("SHOP_RATE_REVIEW_IP", default="30/h"),
               "account": env("SHOP_RATE_REVIEW_ACCOUNT", default="20/h")},
    # The contact form: each message emails the merchant.
    "contact": {"ip": env("SHOP_RATE_CONTACT_IP", default="10/h"),
                "account": env("SHOP_RATE_CONTACT_ACCOUNT", default="5/h")},
}
# The contact form's signed timestamp: sent sooner than this after the form was shown is
# too fast for a person; later than this, the form has expired (shop.storefront.contact).
SHOP_CONTACT_MIN_SECONDS = env.int("SHOP_CONTACT_MIN_SECONDS", default=3)
SHOP_CONTACT_MAX_AGE_SECONDS = env.int("SHOP_CONTACT_MAX_AGE_SECONDS", default=2 * 3600)
# Customer segments (customers.rfm, rebuilt nightly): score thresholds and segment rules.
# R scores 5 within the first number of days, 4 within the second...; F and M score 1 below
# the first number, 2 from it, and so on. Any key left out keeps its default.
SHOP_CUSTOMER_SEGMENTS = {
    "recency_days": [30, 90, 180, 365],
    "frequency": [2, 3, 5, 8],
    "monetary": ["50", "150", "400", "1000"],
    "best_min_score": 4,  # best customers: R, F and M all at least this
    "new_days": 30,  # new: a first and only order within these days
    "active_days": 90,  # active: an order within these days
    "at_risk_days": 365,  # at risk: the last order within these days; lapsed after
}

# --- Payments -------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only for tests and stripe-mock style servers; empty means Stripe's own API.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# "automatic" captures at payment; "manual" authorizes and captures at shipment.
STRIPE_CAPTURE_METHOD = env("STRIPE_CAPTURE_METHOD", default="automatic")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "offline")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # One line per task run is noise in the console; failures still log at WARNING/ERROR.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}
