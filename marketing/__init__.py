"""Consent to marketing email, unsubscribe, abandoned checkout recovery and
segment campaigns. Sends only to people who may be emailed; transactional mail never asks."""
