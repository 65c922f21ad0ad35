"""``python -m bnclaims``: the same command line as ``bnclaims``."""
import sys

from bnclaims.cli import main

sys.exit(main())
