"""Built-in features registered as plugins (``DEFAULT_PLUGINS``), through the public hooks."""
