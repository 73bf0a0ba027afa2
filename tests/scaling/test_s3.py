"""The S3 path for real, against a local S3-compatible server (moto in server mode) that the
test starts: product photos uploaded and served by public URLs, thumbnails made by a worker
process that shares nothing with this one but the bucket, and labels (private documents)
reachable only through short-lived signed URLs.

moto checks object ACLs for anonymous requests (an unsigned GET of a private object is 403)
but does not check a signed URL's expiry; real S3 does. The test checks the URL carries the
short expiry the settings ask for.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import environ
import pytest
from django.core.files.storage import storages
from django.test import override_settings

from catalog import services as catalog_services
from fulfillment import services
from fulfillment.models import Shipment
from orders import services as order_services
from payments import services as payment_services
from shop.celery import app
from shop.settings.s3 import s3_storages
from tests.conftest import IN_CI
from tests.factories import ProductFactory, make_variant, ready_cart
from tests.shop.test_celery_worker import _database_url, _forget_connections, redis_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
URL_SECONDS = 60


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI needs {reason}")
    pytest.skip(f"needs {reason}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local server)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.fixture
def s3_env(tmp_path):
    """A moto S3 server on a free port with one bucket; the S3_* variables that name it."""
    moto_server = Path(sys.executable).with_name("moto_server")
    try:
        import boto3
        import storages as _  # noqa: F401
    except ImportError:
        _missing("boto3 and django-storages (pip install -e '.[dev]')")
    if not moto_server.exists():
        _missing("moto[server] (pip install -e '.[dev]')")
    port = _free_port()
    log = open(tmp_path / "moto.log", "w")
    process = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"moto_server did not start: {(tmp_path / 'moto.log').read_text()}")
            time.sleep(0.1)
    variables = {"S3_BUCKET": f"shop-{uuid.uuid4().hex[:8]}", "S3_ENDPOINT_URL": endpoint,
                 "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test",
                 "S3_SECRET_ACCESS_KEY": "test", "S3_PUBLIC_ACL": "public-read",
                 "S3_PRIVATE_URL_SECONDS": str(URL_SECONDS)}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test").create_bucket(
        Bucket=variables["S3_BUCKET"])
    yield variables
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_storage_settings(s3_env, monkeypatch):
    """This process (the web side) on the S3 storages production would build."""
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    s3 = s3_storages(environ.Env())
    from django.conf import settings

    with override_settings(STORAGES={**settings.STORAGES, **s3}):
        # A private FileField got its storage when the model was defined: point it at S3.
        label_field = Shipment._meta.get_field("label")
        monkeypatch.setattr(label_field, "storage", storages["private"])
        yield s3


@pytest.fixture
def s3_worker(s3_env, redis_url, tmp_path):  # noqa: F811
    """A worker process with its own empty MEDIA_ROOT, on the S3 storages, and this process
    as its Celery client."""
    queue = f"s3-{uuid.uuid4().hex[:8]}"
    media = tmp_path / "worker-media"
    media.mkdir()
    env = {**os.environ, **s3_env, "DJANGO_SETTINGS_MODULE": "tests.scaling.s3_worker_settings",
           "DATABASE_URL": _database_url(), "TEST_CELERY_BROKER_URL": redis_url,
           "TEST_CELERY_QUEUE": queue, "TEST_MEDIA_ROOT": str(media)}
    log = open(tmp_path / "worker.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_routes")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue,
                    task_routes=None)
    _forget_connections()
    yield media
    app.conf.update(saved)
    _forget_connections()
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.seek(0)
    print(log.read()[-4000:])  # shown by pytest only when the test fails


def wait_for(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_photos_are_public_and_a_worker_makes_thumbnails_from_the_bucket(
        s3_storage_settings, s3_env, s3_worker, png_bytes):
    from PIL import Image

    product = ProductFactory(title="Lantern", slug="lantern")
    image = catalog_services.add_product_image(product=product, content=png_bytes(1200, 900))

    url = image.image.url
    assert url.startswith(f"{s3_env['S3_ENDPOINT_URL']}/{s3_env['S3_BUCKET']}/")
    assert "Signature" not in url  # a plain public URL: a cached page's photo never expires
    status, body = http_get(url)
    assert status == 200 and body[:3] == b"\xff\xd8\xff"  # the JPEG, to anyone

    # The worker read the photo from the bucket and wrote the thumbnails back to it.
    assert wait_for(lambda: bool(type(image).objects.get(pk=image.pk).thumbnail_large))
    image.refresh_from_db()
    status, body = http_get(image.thumbnail_medium.url)
    assert status == 200
    import io

    assert Image.open(io.BytesIO(body)).size == (480, 360)
    # Nothing went through a shared disk: the worker's own media folder stayed empty.
    assert not any(s3_worker.rglob("*.jpg"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_label_is_reached_only_through_a_short_lived_signed_url(s3_storage_settings, s3_env):
    variant = make_variant(ProductFactory(), sku="S3-LABEL", price="20.00", stock=5)
    order = order_services.place_order(cart=ready_cart(variants={variant: 1}))
    payment_services.start_payment(order=order, payment_data=CARD)  # eager tasks here
    shipment = Shipment.objects.get(order=order)
    services.create_pick_list(warehouse_id=shipment.warehouse_id, count=1)
    services.scan_item(shipment_id=shipment.pk, code="S3-LABEL")
    services.complete_packing(shipment_id=shipment.pk, weight_grams=400)
    shipment.refresh_from_db()
    assert shipment.state == "label_purchased" and shipment.label

    bucket_url = f"{s3_env['S3_ENDPOINT_URL']}/{s3_env['S3_BUCKET']}"
    key = f"private/{shipment.label.name}"
    assert shipment.label.name.startswith("labels/")
    # Unsigned: refused by the S3 server.
    assert http_get(f"{bucket_url}/{key}")[0] == 403
    # Signed, for the configured minute: the document.
    signed = shipment.label.url
    assert signed.startswith(f"{bucket_url}/{key}?")
    query = parse_qs(urlparse(signed).query)
    assert query["X-Amz-Expires"] == [str(URL_SECONDS)]
    status, body = http_get(signed)
    assert status == 200 and body.startswith(b"%PDF")
