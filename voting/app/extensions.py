"""Flask extensions, created here and bound to the app in :func:`voting.app.create_app`."""

import sqlalchemy.orm as so
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect


class Base(so.DeclarativeBase):
    """Declarative base of every Urna model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
