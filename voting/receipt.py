"""``python -m voting.receipt``, the documented command: the tool is :mod:`voting.tools.receipt`."""

from voting.tools.receipt import cli

if __name__ == "__main__":
    cli()
