"""Creating customer accounts (the shop's own layer: Django's user model, no domain app)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from kernel.bounds import BIG_INTEGER_MAX


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Links that confirm a new account's address: their own salt (a password reset link is
    no activation link, nor the reverse), dead once the account is active."""

    key_salt = "shop.accounts.activation"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


activation_tokens = ActivationTokenGenerator()


def register_customer(*, email: str, password: str, first_name: str, last_name: str,
                      active: bool = True):
    """Create a customer whose username is their email, lower case."""
    with transaction.atomic():
        return get_user_model().objects.create_user(
            username=email.lower(), email=email.lower(), password=password,
            first_name=first_name, last_name=last_name, is_active=active)


def _send(template: str, *, to: str, context: dict) -> None:
    send_mail(subject=render_to_string(f"{template}_subject.txt", context).strip(),
              message=render_to_string(f"{template}.txt", context),
              from_email=None, recipient_list=[to])


def sign_up(*, email: str, password: str, first_name: str, last_name: str,
            absolute_url: Callable[[str], str]) -> None:
    """Sign up ``email`` without telling the person at the keyboard whether it already has
    an account (that would let anyone test which addresses are customers).

    A new address gets its account, inactive until the link emailed to it is followed (so
    logging in with the password just typed can't tell either). An address that has an
    account gets an email saying so, with links to log in or reset the password, and
    nothing changes; one that signed up but never confirmed gets its link again. The caller
    answers all of them the same way ("check your email"). Every path hashes a password,
    so they take about as long.
    """
    email = email.strip().lower()
    users = get_user_model().objects
    user = users.filter(username__iexact=email).first() or \
        users.filter(email__iexact=email).first()
    if user is None:
        try:
            user = register_customer(email=email, password=password, first_name=first_name,
                                     last_name=last_name, active=False)
        except IntegrityError:  # the same address signed up by a request a moment ago
            return sign_up(email=email, password=password, first_name=first_name,
                           last_name=last_name, absolute_url=absolute_url)
    else:
        make_password(password)  # the time the new-account path spends hashing
    context = {"shop_name": settings.SHOP_NAME, "email": email,
               "first_name": user.first_name,
               "login_url": absolute_url(reverse("account:login")),
               "password_reset_url": absolute_url(reverse("account:password_reset"))}
    if not user.is_active and user.last_login is None:
        context["activation_url"] = absolute_url(reverse("account:activate", args=[
            urlsafe_base64_encode(force_bytes(user.pk)), activation_tokens.make_token(user)]))
        _send("account/email/signup_confirm", to=email, context=context)
    else:
        _send("account/email/signup_exists", to=email, context=context)


def activate_account(*, uidb64: str, token: str):
    """The account an emailed activation link names, now active; None when the link is
    wrong, used or expired."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    if not 0 < pk <= BIG_INTEGER_MAX:
        return None
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(
            pk=pk, is_active=False, last_login__isnull=True).first()
        if user is None or not activation_tokens.check_token(user, token):
            return None
        user.is_active = True
        user.save(update_fields=["is_active"])
        return user
