"""Settings of the worker the S3 test starts: the test settings with the S3 storages of
production (shop/settings/s3.py), read from the S3_* variables the test sets. Its
TEST_MEDIA_ROOT is a folder of its own: the worker shares nothing with the test's web side
but the bucket."""

from shop.settings.s3 import s3_storages
from shop.settings.test import *  # noqa: F403

STORAGES = {**STORAGES, **s3_storages(env)}  # noqa: F405
