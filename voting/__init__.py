"""Urna's web application, domain services and command-line tools.

The rooms, each with a docstring saying what it is for and what it may
import (``tests/test_layering.py`` holds them to it):

- :mod:`voting.app`: the Flask shell (``create_app``, configuration, security);
- :mod:`voting.cli`: every ``flask --app app ...`` command group;
- :mod:`voting.models`: persistence only;
- :mod:`voting.services`: the domain operations, no Flask;
- :mod:`voting.log`: the bulletin board (append-only Merkle log), no Flask;
- :mod:`voting.views`: thin web views;
- :mod:`voting.rules`: the outcome rules, pure;
- :mod:`voting.registrar`: voting codes, credentials and voting cards;
- :mod:`voting.rehearsal`: the demo, simulations and rehearsals;
- :mod:`voting.tools`: programs other parties run on their own machines
  (verifier, trustee, witness, clerk, client, receipt check), without Flask
  or SQLAlchemy;
- :mod:`voting.errors`: the domain errors.

The modules beside this one (``verify``, ``trustee``, ``witness``, ``clerk``,
``client``, ``receipt``) are aliases that keep the documented commands
``python -m voting.X`` working. Importing :mod:`voting` loads nothing else,
so that the observer's tools need neither Flask nor a database.
"""
