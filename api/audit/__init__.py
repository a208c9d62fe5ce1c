"""The audit log: who played, downloaded, controlled or deleted what."""
