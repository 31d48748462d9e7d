"""The session the services take: SQLAlchemy's, or a scoped one such as ``db.session``.

Flask-SQLAlchemy hands views a :class:`sqlalchemy.orm.scoped_session` (one
session per request) while the command-line tools, the tests and the
benchmarks hold plain sessions; every service accepts both.
"""

from typing import Any
from typing import TypeAlias

import sqlalchemy.orm as so

DbSession: TypeAlias = so.Session | so.scoped_session[Any]
