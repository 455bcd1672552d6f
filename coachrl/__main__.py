"""``python -m coachrl`` runs the command-line interface."""

import sys

from coachrl.cli import main

sys.exit(main())
