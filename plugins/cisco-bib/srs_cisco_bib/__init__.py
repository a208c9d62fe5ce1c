"""srs plugin for Cisco CUCM Built-in-Bridge / network-based recording forks."""

__version__ = "0.1.0"
