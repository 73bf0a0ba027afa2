"""Production: fails fast on a missing secret; passes `manage.py check --deploy`."""

from .base import *  # noqa: F403
from .base import database, env, replica_databases

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
# Uploaded files (product photos, later labels and invoices) go to an S3-compatible store
# when a bucket is named, so every web and worker process sees the same files.
if env("S3_BUCKET", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL", default=None),
            "region_name": env("S3_REGION", default=None),
            "access_key": env("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
            "custom_domain": env("S3_CUSTOM_DOMAIN", default=None),
            "file_overwrite": False,
        },
    }
    # Private documents (labels, with names and addresses): a private bucket, or a private
    # prefix of the same one. Objects are uploaded with a private ACL and reached only by
    # signed URLs that expire in minutes (no custom domain: it would drop the signature).
    # Give the bucket no public-read policy covering this prefix.
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **STORAGES["default"]["OPTIONS"],
            "bucket_name": env("S3_PRIVATE_BUCKET", default=env("S3_BUCKET")),
            "location": env("S3_PRIVATE_LOCATION", default="private"),
            "custom_domain": None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("S3_PRIVATE_URL_SECONDS", default=300),
        },
    }
# With no web server or object store in front (docker-compose on a laptop), Django can serve
# media itself. Off by default.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)
