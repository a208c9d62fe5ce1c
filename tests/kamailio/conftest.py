"""The Kamailio suite's pytest hooks: server logs in failure reports (srs.testing)."""

from srs.testing import pytest_runtest_makereport  # noqa: F401  (hook)
