"""Locking querysets for returns (a return always before its order)."""

from kernel.errors import NotFound

from .models import ReturnRequest


def return_for_update(return_id: int) -> ReturnRequest:
    try:
        return (ReturnRequest.objects.select_for_update(of=("self",))
                .select_related("order", "warehouse").get(pk=return_id))
    except (ReturnRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such return.") from None
