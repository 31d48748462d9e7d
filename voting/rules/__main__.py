"""``python -m voting.rules COUNTS.json``: see :mod:`voting.rules.calculator`."""

import sys

from voting.rules.calculator import main

sys.exit(main(sys.argv[1:]))
