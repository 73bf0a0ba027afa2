"""The signed link a guest gets by email to reach the data held under their address.

The link carries the address and the time it was made, signed with the secret key
(``TimestampSigner``, its own salt): it can't be forged or altered, it expires after
``MAX_AGE``, and once it has been used to erase the data it opens nothing again."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing

from .exceptions import DataLinkExpired, DataLinkInvalid

SALT = "privacy.guest-data-link"
MAX_AGE = 24 * 3600  # seconds
MAX_SIGNATURE_LENGTH = 600


@dataclass(frozen=True)
class DataLink:
    email: str
    issued_at: float  # Unix time


def data_link_signature(email: str, *, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return signing.TimestampSigner(salt=SALT).sign_object({"e": email.strip().lower(),
                                                          "t": issued})


def read_data_link(signature: str) -> DataLink:
    """The address and time a link names. Raises ``DataLinkInvalid`` (not signed by the
    shop, altered, garbage) or ``DataLinkExpired`` (older than ``MAX_AGE``)."""
    if not signature or len(signature) > MAX_SIGNATURE_LENGTH:
        raise DataLinkInvalid("This link is not valid. Ask for a new one.")
    try:
        value = signing.TimestampSigner(salt=SALT).unsign_object(signature, max_age=MAX_AGE)
    except signing.SignatureExpired as error:
        raise DataLinkExpired("This link has expired (links work for 24 hours). "
                              "Ask for a new one.") from error
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as error:
        raise DataLinkInvalid("This link is not valid. Ask for a new one.") from error
    if not isinstance(value, dict) or not isinstance(value.get("e"), str) \
            or not isinstance(value.get("t"), int):
        raise DataLinkInvalid("This link is not valid. Ask for a new one.")
    if time.time() - value["t"] > MAX_AGE:
        raise DataLinkExpired("This link has expired (links work for 24 hours). "
                              "Ask for a new one.")
    return DataLink(email=value["e"], issued_at=float(value["t"]))
