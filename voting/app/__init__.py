"""The Flask shell: :func:`create_app`, configuration, extensions, security, languages.

Everything here exists to serve HTTP: the application factory, its settings
(:mod:`voting.app.config`), the extensions bound to it, the security headers
and CSRF policy, the language switcher, SQLite connection tuning and the one
mapping of domain errors to HTTP answers (:mod:`voting.app.errors`).

May import: Flask and its extensions, every room of :mod:`voting`. Nothing
outside the web application imports this room, except to build the app.
Flask and the database layer are imported inside :func:`create_app`, so that
importing :mod:`voting.app` costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    Args:
        config: settings that override the defaults (tests pass their own
            database URL here).
    """
    from flask import Flask

    from voting.app.config import default_config
    from voting.app.extensions import csrf
    from voting.app.extensions import db
    from voting.app.extensions import migrate

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_relative_config=True,
    )
    instance = Path(os.environ.get("URNA_INSTANCE") or app.instance_path)
    if config is not None and "URNA_INSTANCE" in config:
        instance = Path(config["URNA_INSTANCE"])
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(default_config(instance))
    if config is not None:
        app.config.from_mapping(config)

    if app.config.get("URNA_LOG_ORIGIN"):  # refused at start, not at the first opening
        from voting.log.keys import check_origin_template

        check_origin_template(app.config["URNA_LOG_ORIGIN"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)

    from voting import models  # noqa: F401  (registers the tables)
    from voting.app.errors import register_error_handlers
    from voting.app.i18n import init_i18n
    from voting.app.security import init_security
    from voting.cli import register_commands
    from voting.views import register_blueprints

    register_error_handlers(app)
    init_i18n(app, str(PROJECT_ROOT / "translations"))
    init_security(app, config or {})
    register_blueprints(app)
    register_commands(app)

    from voting.app.log_signing import check_log_key

    check_log_key(app)  # refuses to start with a key that did not sign the stored checkpoints
    return app
