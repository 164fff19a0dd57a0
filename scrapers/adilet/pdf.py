"""Adilet's official PDF of an act (`/rus/docs/{ID}/download`), read for a second copy.

The PDF is produced by iText from the same page; its text is read with pypdfium2 (Google's
PDFium, Apache-2.0/BSD): it extracts a 180-page code in about half a second where the
pure-Python readers take tens of seconds, and it ships as a wheel with PDFium inside, so no
system library or download is needed. The first page carries the title, the requisites line
(«Кодекс Республики Казахстан от 23 ноября 2015 года № 414-V ЗРК.») and the file name the
edition date (`k1500000414.20-01-2026.rus.pdf`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scrapers.adilet.markup import iso_date

_NAME = re.compile(r"^([a-z][0-9a-z_]{10})\.(\d{2}-\d{2}-\d{4})\.(rus|kaz)\.pdf$", re.I)
_FOOTER = re.compile(r"^\s*©\s*\d{4}\.\s*РГП", re.M)


class PdfError(ValueError):
    """Not a readable PDF of an Adilet act."""


@dataclass
class ActPdf:
    act_id: str
    lang: str
    edition: str | None          # ISO date from the file name
    title: str | None
    requisites: str | None
    text: str                    # the whole text, pages joined, the copyright footer removed


def parse_pdf_name(name: str) -> tuple[str, str, str] | None:
    """`k1500000414.20-01-2026.rus.pdf` → ("K1500000414", "2026-01-20", "rus")."""
    m = _NAME.match(name)
    if not m:
        return None
    return m.group(1).upper(), iso_date(m.group(2).replace("-", ".")), m.group(3).lower()


def read_act_pdf(path: Path) -> ActPdf:
    import pypdfium2 as pdfium

    named = parse_pdf_name(Path(path).name)
    if named is None:
        raise PdfError(f"{Path(path).name}: not an Adilet PDF name ({{id}}.{{DD-MM-YYYY}}.{{lang}}.pdf)")
    act_id, edition, lang = named
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PdfError(f"{Path(path).name}: not a readable PDF ({exc})") from exc
    try:
        pages = []
        for i in range(len(doc)):
            textpage = doc[i].get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            textpage.close()
    finally:
        doc.close()
    text = "\n".join(pages)
    footer = _FOOTER.search(text)
    if footer:
        text = text[:footer.start()]
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    title = lines[0] if lines else None
    requisites = lines[1] if len(lines) > 1 and " от " in lines[1] or \
        (len(lines) > 1 and "принята" in lines[1]) else None
    return ActPdf(act_id=act_id, lang=lang, edition=edition, title=title,
                  requisites=requisites, text=text)
