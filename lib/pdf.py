"""The A4 document every Vigie PDF is built on: embedded Unicode font, a running header,
a « Page X / N » footer, and the few blocks the documents share (titles, paragraphs, framed
boxes, QR codes).

Everything typed by people goes through fpdf2 `cell`/`multi_cell`/`table`, which print text
literally: no HTML or markdown is ever interpreted.
"""

import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

import segno
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent / "fonts"
# Core PDF fonts are Latin-1 only: « », œ and ’ need an embedded Unicode font.
FONT = "DejaVu"
HEADING = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
LABEL = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))


def date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def time(value: dt.time) -> str:
    return value.strftime("%H:%M")


def duration(value: dt.timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return f"{hours} h {minutes:02d}"


def line_height(size_pt: float) -> float:
    return size_pt * 0.45  # mm, ≈ 1.3 × the font size


def qr_png(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


class A4Document(FPDF):
    """A4 portrait page: « Vigie – title » and `header_right` on top of every page, an
    optional `footer_note` and « Page X / N » at the bottom."""

    def __init__(
        self, title: str, *, header_right: str, pdf_title: str, total_pages: int | None
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.header_right = header_right
        self.total_pages = total_pages
        # A line printed above the page number on every page (an archive's retention date).
        self.footer_note = ""
        # "{nb}" would also be replaced inside a name typed as "{nb}": see render().
        self.alias_nb_pages(None)  # type: ignore[arg-type]
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_draw_color(140)
        self.set_line_width(0.2)
        self.set_title(pdf_title)
        self.set_author("Vigie")
        self.set_creator("Vigie")
        self.set_lang("fr")
        self.add_page()

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        self.cell(self.epw / 2, 5, f"Vigie – {self.doc_title}")
        self.cell(self.epw / 2, 5, self.header_right, align="R")
        self.set_text_color(0)
        self.ln(8)

    def footer(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        if self.footer_note:
            self.set_y(-16)
            self.cell(0, 4, self.footer_note, align="C")
        self.set_y(-12)
        total = self.total_pages or "?"  # the first layout pass only counts pages
        self.cell(0, 5, f"Page {self.page_no()} / {total}", align="C")
        self.set_text_color(0)

    def section_title(self, text: str, *, keep_with: float = 20) -> None:
        """A title kept on the same page as the next `keep_with` mm of content."""
        if self.will_page_break(7 + keep_with):
            self.add_page()
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, line_height(size), text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def text_height(self, text: str, width: float, size: float, bold: bool = False) -> float:
        """Height `text` would take once wrapped in `width`, without printing it."""
        self.set_font(FONT, "B" if bold else "", size)
        measured = self.multi_cell(
            width, line_height(size), text, align="L", dry_run=True, output="HEIGHT"
        )
        return cast(float, measured)

    def boxed(self, lines: Sequence[tuple[str, float, bool]], *, min_height: float = 0) -> None:
        """A framed block of (text, size, bold) lines, kept whole on one page."""
        pad = 3
        width = self.epw - 2 * pad
        text_height = sum(self.text_height(text, width, size, bold) for text, size, bold in lines)
        height = max(min_height, text_height + 2 * pad)
        if self.will_page_break(height):
            self.add_page()
        top = self.y
        self.rect(self.l_margin, top, self.epw, height)
        self.set_xy(self.l_margin + pad, top + pad)
        for text, size, bold in lines:
            self.set_font(FONT, "B" if bold else "", size)
            self.multi_cell(width, line_height(size), text, align="L", new_x="LEFT", new_y="NEXT")
        self.set_xy(self.l_margin, top + height + 4)


D = TypeVar("D", bound=A4Document)


def render(make: Callable[[int | None], D], draw: Callable[[D], None]) -> bytes:
    """Lay the document out twice: « Page X / N » needs N before the first page is closed.
    fpdf2's "{nb}" alias would give it, but it also rewrites "{nb}" wherever a person typed
    it. `make(total_pages)` builds an empty document (None on the first pass)."""
    total_pages = None
    for _ in range(2):
        pdf = make(total_pages)
        draw(pdf)
        total_pages = pdf.pages_count
    return bytes(pdf.output())
