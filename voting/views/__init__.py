"""Web blueprints. Views parse input, call a service and render; nothing more."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from voting.views import home

    app.register_blueprint(home.bp)
