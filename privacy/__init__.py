"""Data requests: a person's data exported as JSON, an account closed by erasing or
anonymising personal data while orders keep what the law requires; every request logged."""
