"""The S3 storages (django-storages): public product photos and private documents in an
S3-compatible store, so every web and worker process sees the same files.

``s3_storages(env)`` reads S3_* variables and returns the ``"default"`` and ``"private"``
entries of ``STORAGES``; production uses it when ``S3_BUCKET`` is set, and the S3 tests use
it against a local S3-compatible server (tests/scaling/test_s3.py).

- ``default``: product photos and thumbnails, served by plain public URLs (no signature, so
  a cached page's images never expire). The bucket makes them readable to anyone: a bucket
  policy on the public prefixes, or ``S3_PUBLIC_ACL=public-read`` where the bucket still
  uses object ACLs.
- ``private``: labels and other documents with a shopper's name and address, under their
  own prefix (or bucket), uploaded with a private ACL and reached only through signed URLs
  that expire after ``S3_PRIVATE_URL_SECONDS`` (5 minutes). No custom domain: a CDN domain
  would drop the signature. Give the bucket no public-read policy covering this prefix.
"""

from __future__ import annotations


def s3_storages(env) -> dict:
    public = {
        "bucket_name": env("S3_BUCKET"),
        "endpoint_url": env("S3_ENDPOINT_URL", default=None),
        "region_name": env("S3_REGION", default=None),
        "access_key": env("S3_ACCESS_KEY_ID", default=None),
        "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
        "custom_domain": env("S3_CUSTOM_DOMAIN", default=None),
        "default_acl": env("S3_PUBLIC_ACL", default=None),
        "querystring_auth": False,
        "file_overwrite": False,
    }
    private = {
        **public,
        "bucket_name": env("S3_PRIVATE_BUCKET", default=env("S3_BUCKET")),
        "location": env("S3_PRIVATE_LOCATION", default="private"),
        "custom_domain": None,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": env.int("S3_PRIVATE_URL_SECONDS", default=300),
        "signature_version": "s3v4",  # every region accepts it; some take nothing else
    }
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": public},
            "private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": private}}
