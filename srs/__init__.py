"""srs — a plugin-based SIP/SIPREC session recording server (RFC 7866)."""

__version__ = "0.1.0"
