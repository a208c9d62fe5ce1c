"""Recording sessions: live ones from the server, ended ones from the database."""
