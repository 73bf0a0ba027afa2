"""The review form. It checks the obvious (so the message sits next to the field);
``reviews.services.write_review`` checks everything again and has the last word."""

from __future__ import annotations

from django import forms

from .models import AUTHOR_MAX, BODY_MAX, BODY_MIN, TITLE_MAX
from .services import HTML, ReviewError, clean_text

RATINGS = [(str(value), f"{value} star{'s' if value > 1 else ''}") for value in range(5, 0, -1)]


class ReviewForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    rating = forms.TypedChoiceField(choices=RATINGS, coerce=int, widget=forms.RadioSelect,
                                    error_messages={"required": "Choose a rating from 1 to 5 "
                                                                "stars."})
    title = forms.CharField(max_length=TITLE_MAX, required=False, label="Title")
    body = forms.CharField(min_length=BODY_MIN, max_length=BODY_MAX, label="Your review",
                           widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=f"Plain text, {BODY_MIN} to {BODY_MAX} characters. "
                                     "What did you like, what could be better?")
    author_name = forms.CharField(max_length=AUTHOR_MAX, required=False, label="Shown as",
                                  help_text="Your first name and initial unless you change it.")

    def clean(self):
        data = super().clean()
        for name in ("title", "body", "author_name"):
            value = data.get(name)
            if value and HTML.search(value):
                self.add_error(name, "Plain text only: please remove the HTML (anything "
                                     "between < and >).")
        return data


class ModerationReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
                             label="Reason", help_text="For staff; the reviewer is not told.")


class ReplyForm(forms.Form):
    reply = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                            required=False, label="Public reply",
                            help_text="Shown under the review. Leave empty to remove it.")

    def clean_reply(self):
        try:
            return clean_text(self.cleaned_data["reply"], name="reply", minimum=0,
                              maximum=2000)
        except ReviewError as error:
            raise forms.ValidationError(error.message) from None
