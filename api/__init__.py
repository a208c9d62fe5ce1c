"""The HTTP API (Litestar): build it with :func:`api.app.create_app`."""
