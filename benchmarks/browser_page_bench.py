"""The citizen's browser (issue 7): encryption time in headless Chromium and bytes downloaded.

Serves a fresh instance holding the reference vote day (three yes/no
questions on three tiers, :mod:`voting.rehearsal.load_vote_day`) and lets Playwright
drive Debian's Chromium through the real pages: the voting card's QR link,
the ballot, the review, encryption and signing, casting, the receipt page.

- ``encrypt_sign_ms``: what the page measures around ``encryptBallot`` (ElGamal
  encryption, 9 range proofs and the Ed25519 signature), ``performance.measure``
  ``urna-encrypt-sign``. The first encryption of the page (``cold``, what a
  voter waits for) and the median of ``--runs`` (re-encrypting after "Change
  my choices"). Bar: at most 0.5 s.
- ``bytes``: every response body the browser received, uncompressed, by kind,
  from opening the link to the cast answer (``to_cast``; bar: at most 300 KB
  for HTML + CSS + JS + vendored noble), and with the receipt page
  (``with_receipt``).

    python benchmarks/browser_page_bench.py [--runs 10] [--json]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import Response
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import emit
from voting.app import create_app
from voting.rehearsal.load_vote_day import QUESTIONS
from voting.rehearsal.load_vote_day import prepare

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BAR_MS = 500
BAR_BYTES = 300 * 1024


def _kind(response: Response) -> str:
    path = response.url.split("?", 1)[0]
    if "/static/vendor/" in path:
        return "js_vendored_noble"
    if path.endswith(".js"):
        return "js_urna"
    if path.endswith(".css"):
        return "css"
    if "/api/" in path:
        return "json_api"
    return "html"


class Downloads:
    """Response body sizes by kind, in two phases (to the cast answer, then the receipt)."""

    def __init__(self) -> None:
        self.phase = "to_cast"
        self.sizes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def record(self, response: Response) -> None:
        kind = _kind(response)
        if kind == "html" and "/receipt/" in response.url:
            self.phase = "receipt"  # the cast answered: the page moves to the receipt
        phase = self.phase  # body() lets later events run meanwhile
        try:
            size = len(response.body())
        except Exception:  # the page moved on: the body is gone, its length is not
            size = int(response.headers.get("content-length", "0"))
        self.sizes[phase][kind] += size


def _serve(folder: Path) -> tuple[str, Any, list[str]]:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'urna.sqlite'}",
            "URNA_INSTANCE": str(folder),
            "URNA_LOG_KEY_PATH": str(folder / "log-signing.key"),
        }
    )
    prepared = prepare(app, voters=2)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server, [prepared.vote_day, *prepared.codes]


def _encrypt(page: Page) -> float:
    """Review the choices, encrypt; return the page's own measure of the last encryption."""
    page.click("#ballot-form button[type=submit]")
    page.click("#encrypt")
    page.wait_for_selector("#sealed:not([hidden])")
    return float(
        page.evaluate("performance.getEntriesByName('urna-encrypt-sign').slice(-1)[0].duration")
    )


def run(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url, server, (vote_day, code, _) = _serve(Path(tmp))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context().new_page()
            downloads = Downloads()
            page.on("response", downloads.record)
            page.goto(f"{url}/vote/{vote_day}#code={code}")
            page.wait_for_selector("#ballot-form")
            for key, _ in QUESTIONS:
                page.check(f"#q-{key}-0")
            times = [_encrypt(page)]
            for _ in range(runs):
                page.click("#sealed-back")
                times.append(_encrypt(page))
            page.click("#cast")
            page.wait_for_url("**/receipt/**")
            page.wait_for_selector("#receipt-status.ok", timeout=30_000)
            browser.close()
        server.shutdown()
    return _figures(times, downloads.sizes, runs)


def _figures(times: list[float], sizes: dict[str, dict[str, int]], runs: int) -> dict[str, Any]:
    to_cast = dict(sorted(sizes["to_cast"].items()))
    page_bytes = sum(v for k, v in to_cast.items() if k != "json_api")
    receipt = dict(sorted(sizes["receipt"].items()))
    return {
        "encrypt_sign_ms": {
            "cold": round(times[0], 1),
            "median": round(statistics.median(times[1:]), 1),
            "runs": runs,
            "bar": BAR_MS,
        },
        "bytes_to_cast": {
            **to_cast,
            "html_css_js_noble": page_bytes,
            "total": sum(to_cast.values()),
            "bar": BAR_BYTES,
        },
        "bytes_receipt_page": {**receipt, "total": sum(receipt.values())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="encryptions after the first")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    emit(run(args.runs), as_json=args.json, title="Citizen's browser (headless Chromium)")


if __name__ == "__main__":
    main()
