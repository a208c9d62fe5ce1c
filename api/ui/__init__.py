"""The server-rendered web UI: live board, search, player, embeddable player."""
