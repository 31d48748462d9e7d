"""``python -m voting.clerk``, the documented command: the tool is :mod:`voting.tools.clerk`."""

from voting.tools.clerk import main

if __name__ == "__main__":
    main()
