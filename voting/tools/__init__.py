"""Programs that other parties run on their own machines, talking to the server over HTTP.

- :mod:`voting.tools.verify`: an observer's verifier of a published record;
- :mod:`voting.tools.trustee`: a trustee's key ceremony and decryption;
- :mod:`voting.tools.witness`: an independent witness that mirrors and cosigns the log;
- :mod:`voting.tools.clerk`: a clerk's signed channel counts;
- :mod:`voting.tools.client`: a citizen's command-line voting client;
- :mod:`voting.tools.receipt`: a citizen's receipt check;
- :mod:`voting.tools.returncodes`: a return-code authority (cast-as-intended codes);
- :mod:`voting.tools.tiles`: reading a log published as C2SP tlog-tiles (verifier, witness);
- :mod:`voting.tools.official_http`: the HTTP session these tools share.

Each runs as ``python -m voting.X`` (aliases beside :mod:`voting`'s
``__init__`` keep the documented commands).

May import: :mod:`crypto`, :mod:`voting.rules`, ``requests``, ``click`` and
the standard library. Never Flask, SQLAlchemy, or the server's models,
services, log, views or errors: these programs run where the server does not.
"""
