"""Domain services: they take a SQLAlchemy ``Session`` and plain values, own the
commit, and know nothing of Flask."""
