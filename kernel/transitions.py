"""State machines: one rule for every model that moves between states.

A model lists its allowed moves in ``TRANSITIONS`` (current state -> the states it may
become) next to its ``TextChoices``; a service locks the row, calls ``ensure_can_become``
and only then writes the new state. An illegal move raises ``InvalidTransition`` (a 409
with a message a person can read), never a silent write.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import InvalidTransition


def ensure_transition(*, subject: str, current: str, new: str,
                      transitions: Mapping[str, Collection[str]],
                      labels: Mapping[str, str], what: str = "it") -> None:
    """Raise ``InvalidTransition`` unless ``transitions`` allows ``current`` -> ``new``.

    ``subject`` names the record ("Shipment S-1001-1"), ``labels`` maps each state to the
    name staff read (a field's ``choices``) and ``what`` the thing that moves
    ("its payment" for an order's second status).
    """
    if new not in transitions.get(current, ()):
        raise InvalidTransition(
            f"{subject} is {labels.get(current, current).lower()}; {what} cannot become "
            f"{labels.get(new, new).lower()}.")


class StateMachine:
    """Mixin for a model with one state field.

    Set ``state_field`` (default ``"state"``), ``TRANSITIONS`` and, when ``str(self)`` does
    not name the record the way staff read it, override ``transition_subject``.
    """

    state_field = "state"
    TRANSITIONS: Mapping[str, Collection[str]] = {}

    def transition_subject(self) -> str:
        return str(self)

    def can_become(self, new: str) -> bool:
        return new in self.TRANSITIONS.get(getattr(self, self.state_field), ())

    def ensure_can_become(self, new: str) -> None:
        field = self._meta.get_field(self.state_field)
        ensure_transition(subject=self.transition_subject(),
                          current=getattr(self, self.state_field), new=new,
                          transitions=self.TRANSITIONS, labels=dict(field.flatchoices))
