"""The registrar's offline step: voting codes, public credentials and voting cards.

:mod:`voting.registrar.generate` draws the codes and writes the public
credential list; :mod:`voting.registrar.cards` lays out the PDF cards with
the texts of :mod:`voting.registrar.card_texts` (docs/credentials.md);
:mod:`voting.registrar.returncodes` runs the return-code setup with the
authorities and gives each card its codes (docs/return-codes.md).

May import: :mod:`crypto`, the standard library, reportlab and segno. Never
Flask, SQLAlchemy or the server's rooms: the registrar works offline.
"""
