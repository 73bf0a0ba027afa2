"""The shared base every app may import: domain errors, money, state transitions, the one
``enqueue`` and the admin mixins that repeat across apps.

It sits below every app and imports only Django (and the standard library): importing it
never imports an app of the shop nor builds the Celery app.
"""
