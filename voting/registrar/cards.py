"""Voting cards as one PDF, one page per card (docs/credentials.md, "Card layout").

Each page shows the vote day, the voter's unit, short instructions in the
card's language, the code in large monospace groups, and a QR code for
``BASE_URL/vote/<vote_day>#code=<CODE>``: the code travels in the URL
fragment, which browsers never send to the server. The QR code is drawn as
vector rectangles (one per horizontal run of dark modules), so it prints
sharp at any size; the same URL is set as the QR area's link for on-screen use.

Accessibility (docs/return-codes.md, "The card"): reportlab cannot write a
tagged PDF (PDF/UA), so the PDF carries what it can — the document's title
(shown instead of the file name), language and author — and every text,
the return-code tables included, is real text drawn in reading order (row by
row: answer, then its code), which text extraction and most screen readers
read in that order; nothing is an image but the QR code. :func:`card_text`
gives the same card as plain text, which the registrar writes next to the PDF
for voters who use a screen reader or a braille display.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from voting.registrar.card_texts import CARD_TEXTS
from voting.registrar.card_texts import RETURN_CODE_TEXTS

KOREAN_FONT = "HYGothic-Medium"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
CODE_FONT = "Courier-Bold"
QUIET_ZONE = 4
"""Light modules around the QR code (ISO/IEC 18004 asks for four)."""

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
QR_SIZE = 60 * mm
CODE_SIZE = 24


@dataclass(frozen=True, slots=True)
class CodeTable:
    """One question's return codes on a card: its title and (choice text, short code) rows."""

    title: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CardReturnCodes:
    """The return codes a card prints (docs/return-codes.md): a table per question, BCK, VCC."""

    tables: tuple[CodeTable, ...]
    bck: str
    vcc: str


@dataclass(frozen=True, slots=True)
class Card:
    """What one voting card shows."""

    vote_day: str
    title: str
    unit_name: str
    lang: str
    code: str
    return_codes: CardReturnCodes | None = None


def _grouped(digits: str) -> str:
    """Digits in groups, easier to compare: ``123 456 789`` (9), ``8765 4321`` (8)."""
    if len(digits) <= 4:
        return digits
    size = 4 if len(digits) % 4 == 0 else 3
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


def voting_page(base_url: str, vote_day: str) -> str:
    """``BASE_URL/vote/<vote_day>``: the page a voter opens."""
    return f"{base_url.rstrip('/')}/vote/{quote(vote_day, safe='')}"


def card_url(base_url: str, vote_day: str, code: str) -> str:
    """The QR code's URL: the voting page with the code in the fragment."""
    return f"{voting_page(base_url, vote_day)}#code={code}"


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of ``url``: its size in modules and its dark runs ``(row, column, length)``.

    Error correction level M; segno picks the smallest version and the best mask.
    """
    matrix = [list(row) for row in segno.make_qr(url, error="m").matrix_iter(border=0)]
    runs: list[tuple[int, int, int]] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return len(matrix), runs


@functools.cache
def _register_korean_font(path: Path | None) -> str:
    """An embedded TrueType font with Hangul if given, else Adobe's CID font.

    The CID font is not embedded: viewers without Adobe's Asian font pack show
    no Hangul, so production Korean cards should be made with ``--font-ko``
    (for example Debian's fonts-nanum ``NanumGothic.ttf``).
    """
    if path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(KOREAN_FONT))
        return KOREAN_FONT
    name = f"UrnaKorean-{path.stem}"
    pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


def _latin1(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class CardWriter:
    """Writes cards to one PDF; use as a context manager, one :meth:`add` per card."""

    def __init__(
        self,
        path: Path,
        *,
        base_url: str,
        document_title: str,
        korean_font: Path | None = None,
        lang: str = "en",
        author: str = "Urna registrar",
    ) -> None:
        """``lang``: the document's language (BCP 47) for its catalog's /Lang; a card in
        another language still draws its own texts."""
        self.base_url = base_url
        self.korean_font = korean_font
        self.count = 0
        self._canvas = Canvas(str(path), pagesize=A4, pageCompression=1, lang=lang)
        self._canvas.setTitle(document_title)
        self._canvas.setAuthor(author)
        self._canvas.setSubject(CARD_TEXTS.get(lang, CARD_TEXTS["en"])["title"])
        self._canvas.setCreator("Urna")
        self._canvas.setViewerPreference("DisplayDocTitle", "true")
        self._steps: dict[tuple[str, str, str], list[list[str]]] = {}

    def __enter__(self) -> CardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._canvas.save()

    def add(self, card: Card) -> None:
        """Draw one card on its own page."""
        texts = CARD_TEXTS[card.lang]
        c = self._canvas
        y = PAGE_HEIGHT - MARGIN
        y = self._line(texts["title"], card.lang, 16, y, bold=True)
        y = self._line(f"{texts['vote_day']}: {card.title}", card.lang, 12, y - 6)
        y = self._line(f"{texts['unit']}: {card.unit_name}", card.lang, 12, y)
        y = self._line(texts["code"], card.lang, 11, y - 8)
        c.setFont(CODE_FONT, CODE_SIZE)
        c.drawString(MARGIN, y - CODE_SIZE, card.code)
        y -= CODE_SIZE + 16
        url = card_url(self.base_url, card.vote_day, card.code)
        self._qr(url, MARGIN, y - QR_SIZE)
        y -= QR_SIZE + 10
        font = self._font_for(texts["steps"][0], card.lang)
        steps = self._wrapped_steps(card.vote_day, card.lang, font)
        for number, lines in enumerate(steps, start=1):
            c.setFont(LATIN_BOLD, 11)
            c.drawString(MARGIN, y - 14, f"{number}.")
            c.setFont(font, 11)
            for line in lines:
                y -= 15
                c.drawString(MARGIN + 16, y, line)
            y -= 6
        secret_font = self._font_for(texts["secret"], card.lang, bold=True)
        c.setFont(secret_font, 11)
        for line in simpleSplit(texts["secret"], secret_font, 11, PAGE_WIDTH - 2 * MARGIN):
            y -= 15
            c.drawString(MARGIN, y - 8, line)
        if card.return_codes is not None:
            c.showPage()  # the codes on their own page: the card's back
            self._return_codes(card.return_codes, card.lang)
        c.showPage()
        self.count += 1

    def _return_codes(self, codes: CardReturnCodes, lang: str) -> None:
        """The table of each question (choice → code), then the BCK and the VCC."""
        texts = RETURN_CODE_TEXTS[lang]
        c = self._canvas
        y = self._line(texts["heading"], lang, 14, PAGE_HEIGHT - MARGIN, bold=True)
        y = self._paragraph(texts["compare"], lang, 10, y)
        for table in codes.tables:
            if y < MARGIN + 40 + 16 * len(table.rows):
                c.showPage()
                y = PAGE_HEIGHT - MARGIN
            y = self._paragraph(table.title, lang, 11, y - 6, bold=True)
            y = self._row(texts["choice"], texts["code"], lang, y, header=True)
            for choice, code in table.rows:
                y = self._row(choice, code, lang, y)
        if y < MARGIN + 120:
            c.showPage()
            y = PAGE_HEIGHT - MARGIN
        for label, value, help_text in (
            (texts["bck"], codes.bck, texts["bck_help"]),
            (texts["vcc"], codes.vcc, texts["vcc_help"]),
        ):
            y = self._line(label, lang, 11, y - 10, bold=True)
            c.setFont(CODE_FONT, 18)
            c.drawString(MARGIN, y - 18, _grouped(value))
            y = self._paragraph(help_text, lang, 10, y - 24)

    def _paragraph(self, text: str, lang: str, size: int, y: float, *, bold: bool = False) -> float:
        font = self._font_for(text, lang, bold=bold)
        self._canvas.setFont(font, size)
        for line in simpleSplit(text, font, size, PAGE_WIDTH - 2 * MARGIN):
            y -= size * 1.35
            self._canvas.drawString(MARGIN, y, line)
        return y - 4

    def _row(self, choice: str, code: str, lang: str, y: float, *, header: bool = False) -> float:
        c = self._canvas
        y -= 16
        c.setFont(self._font_for(choice, lang, bold=header), 11)
        c.drawString(MARGIN + 8, y, choice)
        c.setFont(LATIN_BOLD if header else CODE_FONT, 13 if not header else 11)
        c.drawString(MARGIN + 110 * mm, y, code if header else _grouped(code))
        c.setLineWidth(0.3)
        c.line(MARGIN, y - 4, PAGE_WIDTH - MARGIN, y - 4)
        return y

    def _font_for(self, text: str, lang: str, *, bold: bool = False) -> str:
        if lang == "ko" or not _latin1(text):
            return _register_korean_font(self.korean_font)
        return LATIN_BOLD if bold else LATIN_FONT

    def _line(self, text: str, lang: str, size: int, y: float, *, bold: bool = False) -> float:
        self._canvas.setFont(self._font_for(text, lang, bold=bold), size)
        self._canvas.drawString(MARGIN, y - size, text)
        return y - size * 1.5

    def _wrapped_steps(self, vote_day: str, lang: str, font: str) -> list[list[str]]:
        # The same for every card of a vote day and language: wrap once.
        key = (vote_day, lang, font)
        if key not in self._steps:
            page = voting_page(self.base_url, vote_day)
            width = PAGE_WIDTH - 2 * MARGIN - 16
            self._steps[key] = [
                simpleSplit(step.format(url=page), font, 11, width)
                for step in CARD_TEXTS[lang]["steps"]
            ]
        return self._steps[key]

    def _qr(self, url: str, x: float, y: float) -> None:
        size, runs = qr_runs(url)
        module = QR_SIZE / (size + 2 * QUIET_ZONE)
        c = self._canvas
        c.saveState()
        # One unit = one module, y downwards from the code's top-left corner: every
        # rectangle then has small whole-number coordinates (short and fast to write).
        c.translate(x + QUIET_ZONE * module, y + QR_SIZE - QUIET_ZONE * module)
        c.scale(module, -module)
        path = c.beginPath()
        for row, column, length in runs:
            path.rect(column, row, length, 1)
        c.setFillColorRGB(0, 0, 0)
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()
        c.linkURL(url, (x, y, x + QR_SIZE, y + QR_SIZE), relative=0, thickness=0)


def card_text(card: Card, *, base_url: str) -> str:
    """The card as plain text, in its language and reading order: the accessible alternative
    of its PDF page(s) (the same texts and codes; secret like the card)."""
    texts = CARD_TEXTS[card.lang]
    lines = [
        texts["title"],
        f"{texts['vote_day']}: {card.title}",
        f"{texts['unit']}: {card.unit_name}",
        "",
        f"{texts['code']}: {card.code}",
        "",
    ]
    url = voting_page(base_url, card.vote_day)
    lines += [f"{n}. {step.format(url=url)}" for n, step in enumerate(texts["steps"], start=1)]
    lines += ["", texts["secret"]]
    if card.return_codes is not None:
        rc_texts = RETURN_CODE_TEXTS[card.lang]
        codes = card.return_codes
        lines += ["", rc_texts["heading"], rc_texts["compare"]]
        for table in codes.tables:
            lines += ["", table.title]
            lines += [f"- {choice}: {_grouped(code)}" for choice, code in table.rows]
        lines += ["", f"{rc_texts['bck']}: {_grouped(codes.bck)}", rc_texts["bck_help"]]
        lines += ["", f"{rc_texts['vcc']}: {_grouped(codes.vcc)}", rc_texts["vcc_help"]]
    return "\n".join(lines) + "\n"
