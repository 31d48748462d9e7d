"""gunicorn settings for Urna (docs/operations.md, "Serving").

    gunicorn -c gunicorn.conf.py app:app

Every setting can be changed by an environment variable, so the same file
serves a laptop, CI and a canton's servers:

- ``URNA_BIND`` (default ``127.0.0.1:8000``): where to listen. Behind the TLS
  reverse proxy keep it on loopback or a private address.
- ``URNA_WORKERS`` (default: the number of CPUs, at least 2): worker
  processes. Casting is CPU-bound (every ballot's proofs are verified
  before it is stored), so one worker per core is right; more only add
  memory and context switches.
- ``URNA_THREADS`` (default 8): threads per worker (gunicorn's ``gthread``
  worker). A synchronous worker is held by one slow client for as long as it
  takes to send its headers (up to the timeout): two such clients blocked a
  two-worker server. With threads, a slow client holds one thread while the
  others serve; idle keep-alive connections wait in the worker's poller and
  hold none. The TLS reverse proxy in front (docs/operations.md) should buffer
  requests too; this setting holds without it.
- ``URNA_TIMEOUT`` (default 30 s): a worker silent for longer is killed and
  replaced. A ballot takes milliseconds; the slowest requests (an export of
  the record) stream in pages.
- ``URNA_ACCESS_LOG`` (default ``-``, standard output; empty to switch off).

The access log records the method, the path WITHOUT its query string, the
status, the size and the duration: no client address (the proxy logs it, see
docs/operations.md), no query string, no referrer, no user agent, no cookie.
Voting codes never reach the server (they travel in URL fragments), but a
query string may carry a public credential, and the moment and address of a
request should not be joined to a voter by the application's own logs.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    value = int(text)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {text!r}")
    return value


wsgi_app = "app:app"
bind = os.environ.get("URNA_BIND", "127.0.0.1:8000")
workers = _int("URNA_WORKERS", max(2, os.cpu_count() or 1))
threads = _int("URNA_THREADS", 8)
worker_class = os.environ.get("URNA_WORKER_CLASS") or ("gthread" if threads > 1 else "sync")
timeout = _int("URNA_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (with jitter, so they do not restart together).
max_requests = 20_000
max_requests_jitter = 2_000
# Request limits well above any real request (a ballot is at most 64 KiB of body).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = os.environ.get("URNA_ACCESS_LOG", "-") or None
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("URNA_LOG_LEVEL", "info")
# The proxy in front of gunicorn sets X-Forwarded-*; how many hops to trust is
# Urna's setting URNA_PROXY_FIX (voting/app/security.py), not gunicorn's.
proc_name = "urna"
