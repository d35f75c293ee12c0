"""`python -m fountain`: the same as the `fountain` script."""

import sys

from .cli import main

sys.exit(main())
