"""``python -m voting.verify``, the documented command: the tool is :mod:`voting.tools.verify`."""

from voting.tools.verify.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
