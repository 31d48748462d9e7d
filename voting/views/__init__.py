"""Web blueprints. Views parse input, call a service and render; nothing more.

May import: Flask, :mod:`voting.app`, :mod:`voting.services`,
:mod:`voting.log`, :mod:`voting.errors`, :mod:`voting.rules`, and the models
for their types. Commits belong in the services.
"""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from voting.views import auth
    from voting.views import casting_api
    from voting.views import citizen
    from voting.views import home
    from voting.views import log_api
    from voting.views import observer
    from voting.views import observer_log
    from voting.views import official_counts
    from voting.views import official_lifecycle
    from voting.views import official_pages
    from voting.views import official_questions
    from voting.views import registrar
    from voting.views import results_api
    from voting.views import tally_api
    from voting.views import tiles
    from voting.views import trustee_api
    from voting.views import witness_api

    app.register_blueprint(auth.bp)
    app.register_blueprint(casting_api.bp)
    app.register_blueprint(citizen.bp)
    app.register_blueprint(citizen.pages)
    app.register_blueprint(home.bp)
    app.register_blueprint(log_api.bp)
    app.register_blueprint(observer.bp)
    app.register_blueprint(observer_log.bp)
    app.register_blueprint(official_counts.bp)
    app.register_blueprint(official_lifecycle.bp)
    app.register_blueprint(official_pages.bp)
    app.register_blueprint(official_questions.bp)
    app.register_blueprint(registrar.bp)
    app.register_blueprint(results_api.bp)
    app.register_blueprint(tally_api.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(trustee_api.bp)
    app.register_blueprint(witness_api.bp)
