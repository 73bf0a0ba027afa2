"""Form plumbing shared by every page that takes a POST, in the storefront and in admin."""


def posted(request):
    """The form data of a POST, even an empty one (so the form shows what is required), or
    None for a GET."""
    return request.POST if request.method == "POST" else None
