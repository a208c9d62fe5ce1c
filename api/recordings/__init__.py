"""Finalized recordings: search, details and media download."""
