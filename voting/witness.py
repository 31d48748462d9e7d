"""``python -m voting.witness``, the documented command: the tool is :mod:`voting.tools.witness`."""

from voting.tools.witness.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
