"""Answers rendered through an output serializer kept per thread.

Instantiating a DRF serializer deep-copies its declared fields, nested ones included: about
a millisecond for a cart or an order, on every checkout request, to render a few dozen
values. ``represent`` renders with one instance of each output serializer per thread, so
the fields are copied and bound once; the answer is what ``Serializer(data).data`` gives.
Only for serializers that need no context (no request, no view): the instance is shared by
every request its thread serves.
"""

from __future__ import annotations

import threading

from rest_framework import serializers

_kept = threading.local()


def represent(serializer_class: type[serializers.Serializer], instance) -> dict:
    """``serializer_class(instance).data``, from this thread's instance of the class."""
    kept = _kept.__dict__
    serializer = kept.get(serializer_class)
    if serializer is None:
        serializer = kept[serializer_class] = serializer_class()
    return serializer.to_representation(instance)
