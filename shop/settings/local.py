"""Development: `make run`. DEBUG on, media served by Django."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SERVE_MEDIA = True
