"""Production: fails fast on a missing secret; passes `manage.py check --deploy`."""

from .base import *  # noqa: F403
from .base import database, env, replica_databases
from .s3 import s3_storages

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: a missing secret stops start-up
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": database("DATABASE_URL"), **replica_databases()}  # no SQLite default
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": STORAGES["private"],  # PRIVATE_MEDIA_ROOT, never served  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files go to an S3-compatible store when a bucket is named, so every web and
# worker process sees the same files: product photos public, labels and other private
# documents only through short-lived signed URLs (shop/settings/s3.py).
if env("S3_BUCKET", default=""):
    STORAGES.update(s3_storages(env))
# With no web server or object store in front (docker-compose on a laptop), Django can serve
# media itself. Off by default.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
