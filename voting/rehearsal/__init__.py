"""Whole vote days played end to end: the demo, simulations and rehearsals.

The demo data and the demo vote day (:mod:`voting.rehearsal.demo`,
:mod:`voting.rehearsal.demo_vote`), trustees and registrar played locally
(:mod:`voting.rehearsal.simulation`), the full rehearsal through the HTTP API
(:mod:`voting.rehearsal.rehearse`, its :mod:`~voting.rehearsal.steps` and
scripted :mod:`~voting.rehearsal.voters`), and the load-test vote day
(:mod:`voting.rehearsal.load_vote_day`). Never used to run a real vote day.

May import: every other room of :mod:`voting` and :mod:`crypto`. Nothing
imports this room but the command line, the tests and the benchmarks.
"""
