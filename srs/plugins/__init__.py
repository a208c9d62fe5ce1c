"""Public plugin surface: implement hooks with ``@hookimpl``; the entry-point group is ``srs``."""

import pluggy

PROJECT_NAME = "srs"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "hookimpl"]
