"""Account forms: sign up and log in with an email address."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation


class RegisterForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Last name", max_length=100,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text="At least 8 characters, not all numbers, not common.")
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_email(self) -> str:
        # Whether the address has an account is never said here (anyone could test which
        # addresses are customers): the email sent to it says so.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords don't match.")
        elif first:
            user = get_user_model()(username=data.get("email", ""), email=data.get("email", ""),
                                    first_name=data.get("first_name", ""),
                                    last_name=data.get("last_name", ""))
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EmailLoginForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email",
                                                            "autofocus": True}))
    password = forms.CharField(label="Password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        email, password = data.get("email"), data.get("password")
        if email and password:
            self.user = authenticate(self.request, username=email.strip().lower(),
                                     password=password)
            if self.user is None or not self.user.is_active:
                raise forms.ValidationError("That email and password don't match an account.")
        return data


class CloseAccountForm(forms.Form):
    """Closing an account: the password again, and an explicit confirmation."""

    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))
    confirm = forms.BooleanField(
        label="I understand that closing my account erases my personal data for good.",
        error_messages={"required": "Tick the box to confirm you want to close the account."})

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class GuestDataRequestForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             help_text="The address you gave when you ordered.",
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    order_number = forms.CharField(label="Order number", max_length=20,
                                   help_text="From your order confirmation email.")


class ConfirmGuestErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my personal data is erased for good.",
        error_messages={"required": "Tick the box to confirm the erasure."})
