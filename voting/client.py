"""``python -m voting.client``, the documented command: the tool is :mod:`voting.tools.client`."""

from voting.tools.client.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
