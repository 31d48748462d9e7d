"""The witness command, run by a municipality, party or NGO on its own machine.

``python -m voting.witness`` (docs/witnesses.md): ``init`` creates the keys,
``register`` registers them with a log, ``follow`` polls a log and cosigns its
checkpoints, ``serve`` answers C2SP tlog-witness ``add-checkpoint`` requests.
It needs only :mod:`crypto` and HTTP: no database, no Flask.
"""
