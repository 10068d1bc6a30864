"""``python -m potato_disease``: see :mod:`potato_disease.cli`."""

import sys

from potato_disease.cli import main

sys.exit(main())
