"""Defences against bad input and attackers: rate limits (``rate_limits``) and the
Content-Security-Policy (``content_security``)."""
