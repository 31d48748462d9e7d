"""``python -m voting.trustee``."""

from voting.trustee.cli import main

main()
