"""The shop's own pages (contact, shipping, returns, privacy, terms): text staff edit in the
admin, linked from every page's footer."""

from django.db import models


class Page(models.Model):
    slug = models.SlugField(unique=True, help_text="The page's address: /pages/<slug>/.")
    title = models.CharField(max_length=120)
    footer_label = models.CharField(
        max_length=40, blank=True, help_text="The link's text in the footer (the title if blank).")
    body = models.TextField(
        help_text="Plain text. A blank line starts a new paragraph; web and email addresses "
                  "become links.")
    in_footer = models.BooleanField(default=True, help_text="Linked from every page's footer.")
    is_published = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the footer.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:page", kwargs={"slug": self.slug})

    @property
    def link_text(self) -> str:
        return self.footer_label or self.title
