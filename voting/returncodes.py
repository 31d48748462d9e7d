"""``python -m voting.returncodes``: the tool is :mod:`voting.tools.returncodes`."""

from voting.tools.returncodes.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
