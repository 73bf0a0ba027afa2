"""The customers app's domain errors (4xx with a message, never a 500)."""

from kernel.errors import ShopError


class CampaignInvalid(ShopError):
    code = "campaign_invalid"


class ContactRefused(ShopError):
    code = "contact_refused"


class NoteInvalid(ShopError):
    code = "note_invalid"
