"""Liveness, readiness and version."""
