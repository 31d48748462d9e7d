"""``python -m voting.trustee``."""

from voting.tools.trustee.cli import main

main()
