"""Clocks for tests: move the database's clock, or a web node's, without waiting.

The database's clock (voting/models/clock.py) is an SQL expression; moving
it rewrites the expression with an offset, as if the database server's clock
were set ahead. The node's clock is every place the application reads
Python's clock; skewing it shows that nothing decisive reads it.
"""

from __future__ import annotations

import datetime as dt
import types

import pytest

from voting.models import clock

_SHIFTED = {
    "postgresql": "(clock_timestamp() + interval '{seconds} seconds')",
    "sqlite": "(strftime('%Y-%m-%d %H:%M:%f', 'now', '{seconds:+d} seconds') || '000')",
}


def shift_database_clock(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """From now on the database's clock reads ``seconds`` later than it is."""
    shifted = {name: sql.format(seconds=seconds) for name, sql in _SHIFTED.items()}
    monkeypatch.setattr(clock, "_NOW_SQL", shifted)


def skew_node_clock(monkeypatch: pytest.MonkeyPatch, seconds: int) -> dt.timedelta:
    """Set the web node's clock ``seconds`` ahead, wherever the application reads it.

    That is every function of the application that reads Python's clock, and
    the ``dt`` module as the schedule command sees it (it read the node's
    clock before the database's clock decided).
    """
    from voting.cli import schedule
    from voting.log import bulletin
    from voting.log import witnesses
    from voting.services import casting
    from voting.services import lifecycle

    skew = dt.timedelta(seconds=seconds)

    def ahead(tz: dt.tzinfo | None = dt.UTC) -> dt.datetime:
        return dt.datetime.now(tz) + skew

    class SkewedDatetime:
        now = staticmethod(ahead)

    for module, name in (
        (lifecycle, "now_utc"),
        (casting, "now_utc"),
        (bulletin, "_now"),
        (witnesses, "_now"),
    ):
        monkeypatch.setattr(module, name, ahead, raising=False)
    shim = types.SimpleNamespace(datetime=SkewedDatetime, UTC=dt.UTC, timedelta=dt.timedelta)
    monkeypatch.setattr(schedule, "dt", shim, raising=False)
    return skew
