"""Adilet document IDs (НГР, registration group numbers).

The ID is opaque, but it goes into URLs and file paths, so it is validated against the shapes
seen on Adilet before anything is built from it.
"""
import re

# Up to 2010: letter + 2-digit year + 7 digits + "_" (Z020000345_);
# from 2011: letter + year + 8 digits (K1100000518);
# regional and local acts carry a region code and letters (V20NL009228, G25FI31615M).
# Matched with fullmatch: "$" alone would accept a trailing newline ("Z020000345_\n").
ACT_ID_RE = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]{7}[0-9A-Z_]")


class InvalidActId(ValueError):
    """An act ID that does not look like an Adilet registration number."""


def validate_act_id(act_id: str) -> str:
    """Return the ID unchanged if valid, else raise InvalidActId."""
    if not isinstance(act_id, str) or not ACT_ID_RE.fullmatch(act_id):
        raise InvalidActId(f"not an Adilet act ID: {act_id!r} (expected e.g. Z020000345_ or K1500000414)")
    return act_id


def is_act_id(value: str) -> bool:
    return isinstance(value, str) and bool(ACT_ID_RE.fullmatch(value))


LANGS = ("rus", "kaz", "eng")
CANONICAL_HOST = "https://adilet.zan.kz"
OLD_HOST = "https://old.adilet.zan.kz"


def canonical_url(act_id: str, lang: str = "rus", anchor: str | None = None) -> str:
    """The citation URL: the official host, even when the text came from the old host."""
    validate_act_id(act_id)
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    url = f"{CANONICAL_HOST}/{lang}/docs/{act_id}"
    return f"{url}#{anchor}" if anchor else url


def act_form_from_id(act_id: str) -> str | None:
    """The kind of act the ID's letter stands for (a hint; the page's requisites decide)."""
    return {
        "Z": "law", "K": "code", "U": "presidential_decree", "P": "government_decree",
        "R": "prime_minister_order", "S": "constitutional_court", "V": "ministerial_order",
        "G": "local_act",
    }.get(act_id[:1])
