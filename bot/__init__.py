"""Citizen Desk: a citizen-inquiry bot for township government service centres."""

__version__ = "0.1.0"
