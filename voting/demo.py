"""Demo data for a first run (``flask --app app demo``). Never used in production."""

from collections.abc import Iterator


def load_demo() -> Iterator[str]:
    """Load the demo data idempotently, yielding lines to show in the terminal."""
    yield "Urna demo database is ready."
