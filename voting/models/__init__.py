"""Persistent models. Importing this package registers every table.

Models only persist data; the rules live in :mod:`voting.services` and
:mod:`voting.log`. :mod:`voting.models.sql` runs the hot paths' statements
on the driver directly, inside the session's transaction.

May import: SQLAlchemy, Flask-SQLAlchemy's ``db`` (:mod:`voting.app.extensions`),
:mod:`voting.errors`. Never services, the log or views.
"""

from voting.models import credentials  # noqa: F401
from voting.models import elections  # noqa: F401
from voting.models import jurisdictions  # noqa: F401
from voting.models import log  # noqa: F401
from voting.models import officials  # noqa: F401
from voting.models import returncodes  # noqa: F401
from voting.models import tally  # noqa: F401
from voting.models import votedays  # noqa: F401
from voting.models import witness  # noqa: F401
