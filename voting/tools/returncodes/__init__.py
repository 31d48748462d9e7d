"""The return-code authority, run by an independent party on its own machine.

``python -m voting.returncodes`` (docs/return-codes.md): ``init`` creates the
authority's secret and signing key, ``setup`` answers the registrar's
encrypted setup request, ``serve`` answers the server's choice-code and
confirmation requests over HTTP (checking every ballot and proof itself),
``status`` prints what it has answered.

May import: :mod:`crypto`, PyNaCl and the standard library (``http.server``,
``sqlite3``). Never Flask, SQLAlchemy or the server's modules: an authority
runs where the server does not.
"""
