FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=shop.settings.production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY shop ./shop
COPY catalog ./catalog
COPY inventory ./inventory
COPY orders ./orders
COPY payments ./payments
COPY fulfillment ./fulfillment
COPY returns ./returns
RUN pip install ".[s3]"

COPY . .
# Collect static files at build time; the values here exist only for this step.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.db \
    python manage.py collectstatic --noinput

# media: public (product photos); private-media: labels and other private documents,
# never served as files (see kernel/storage.py).
RUN useradd --create-home shop && mkdir -p /app/media /app/private-media \
    && chown shop /app/media /app/private-media
USER shop
EXPOSE 8000
CMD ["gunicorn", "shop.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
