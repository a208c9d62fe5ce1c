"""Authentication (API keys, UI sessions), roles, tenants and users."""
