"""``python -m srs`` runs the ``srs`` command."""

import sys

from srs.cli import main

sys.exit(main())
