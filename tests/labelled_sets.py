"""Helpers shared by the tests of the inline labelled sets (style set, hold-out sets 2 and 3).

Each set is a JSON-lines file in the gold format with the text inline (our own wording), scored
by the same pure function as `kb eval`.
"""
from __future__ import annotations

from pathlib import Path

from kb.evaluate import format_report, load_gold, run_tagger, score
from kb.taxonomy import DIMENSION_CODES, FLAG_CODES

SETS = Path(__file__).parent / "fixtures" / "tagger"


def load_inline_set(path: Path) -> list[dict]:
    """The items of a set in the gold format, each with its inline `text` and a `lang`."""
    items = load_gold(path)
    for item in items:
        item.setdefault("lang", "ru")
    return items


def score_set(items: list[dict]) -> dict:
    """The evaluation report of the tagger on the items (printed, for -s runs)."""
    report = score(items, run_tagger(items), code_order=DIMENSION_CODES)
    print("\n" + format_report(report, show_errors=True))
    return report


def check_labels(item: dict) -> None:
    """One item's labels follow the codebook: known codes, a primary among the required ones,
    a sane age interval, and no child age on a negative."""
    assert item["text"].strip() and item["lang"] in ("ru", "kk")
    assert set(item["required"]) <= set(DIMENSION_CODES)
    assert set(item["acceptable"]) <= set(DIMENSION_CODES)
    assert not set(item["required"]) & set(item["acceptable"])
    assert (item["primary"] in item["required"] if item["required"]
            else item["primary"] is None)
    assert set(item["flags"]) <= set(FLAG_CODES)
    lo, hi = item["age_min_months"], item["age_max_months"]
    assert lo is None or hi is None or lo <= hi
    if not item["required"] and lo is not None:
        assert lo >= 216, "a negative with an age names adult 'children' only"
