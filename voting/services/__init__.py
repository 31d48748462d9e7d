"""Domain services: the operations of a vote day, outside the log.

They take a SQLAlchemy session (:data:`voting.models.session_types.DbSession`)
and plain values, own the commit, and raise :mod:`voting.errors`. The bulletin
board they append to is a room of its own, :mod:`voting.log`.

May import: :mod:`crypto`, :mod:`voting.models`, :mod:`voting.log`,
:mod:`voting.rules`, :mod:`voting.errors`, SQLAlchemy. Never Flask or
Werkzeug: views call services, never the other way round.
"""
