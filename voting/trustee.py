"""``python -m voting.trustee``, the documented command: the tool is :mod:`voting.tools.trustee`."""

from voting.tools.trustee.cli import main

if __name__ == "__main__":
    main()
