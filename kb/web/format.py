"""Text for the pages: labels, ages, thresholds, evidence highlighting, dates.

Plain functions of values (no database, no Datasette), shared by the pages and by the
plugin's cells.
"""
from __future__ import annotations

import json

from markupsafe import Markup, escape

KIND_RU = {"section": "Раздел", "chapter": "Глава", "article": "Статья", "part": "п.",
           "subpart": "пп.", "paragraph": "абз."}
KIND_RU_FULL = {"section": "раздел", "chapter": "глава", "article": "статья", "part": "пункт",
                "subpart": "подпункт", "paragraph": "абзац"}
STATUS_RU = {"in_force": "действует", "repealed": "утратил силу"}
ACTION_RU = {"amended": "изменён", "new_wording": "в новой редакции", "added": "дополнен",
             "excluded": "исключён", "repealed": "утратил силу", "note": "примечание"}
PDF_CHECK_RU = {"match": "сверено с официальным PDF", "differs": "расходится с официальным PDF",
                "missing_in_pdf": "нет в официальном PDF"}


def marks_only(value) -> Markup:
    """Escape everything, then let <mark> and </mark> through."""
    escaped = str(escape(value))
    return Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


def fold(text: str) -> str:
    """Lower case with ё→е, one character for one, so offsets map back to the original.

    str.lower() may lengthen a character («İ» → «i̇»): such characters are left as they are.
    """
    folded = text.lower()
    if len(folded) != len(text):
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return folded.replace("ё", "е")


def highlight(text: str | None, phrases) -> Markup:
    """HTML of text with every occurrence of each phrase (case- and ё-insensitive) in <mark>."""
    if not text:
        return Markup("")
    folded = fold(text)
    spans = []
    for phrase in {p.strip() for p in phrases if p and p.strip()}:
        needle = fold(phrase)
        if len(needle) != len(phrase):
            continue
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    spans.sort()
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out, pos = [], 0
    for s, e in merged:
        out.append(str(escape(text[pos:s])))
        out.append(f'<mark class="kb-evidence">{escape(text[s:e])}</mark>')
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out).replace("\n", "<br>\n"))


def json_list(value) -> list:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def evidence_phrases(evidence) -> list[str]:
    """Evidence items are strings, or dicts with a text/phrase field."""
    out = []
    for item in evidence:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for key in ("text", "phrase", "evidence", "match"):
                if isinstance(item.get(key), str):
                    out.append(item[key])
                    break
    return out


def age_text(min_months, max_months) -> str:
    """0, 215 → «0–17 лет (0–215 мес.)»; 216, None → «от 18 лет (216+ мес.)»."""
    if min_months is None and max_months is None:
        return ""
    lo = min_months or 0
    if max_months is None:
        low = f"{lo // 12} лет" if lo % 12 == 0 else f"{lo} мес."
        return f"от {low} ({lo}+ мес.)"
    if lo % 12 == 0 and (max_months + 1) % 12 == 0 and max_months >= 24:
        return f"{lo // 12}–{(max_months + 1) // 12 - 1} лет ({lo}–{max_months} мес.)"
    return f"{lo}–{max_months} мес."


def provision_label(row) -> str:
    kind, number, heading = row["kind"], row["number"], row["heading"]
    if heading and not number and kind in ("section", "chapter"):
        return heading  # «ОБЩАЯ ЧАСТЬ», an appendix: the heading says what it is
    label = KIND_RU.get(kind, kind)
    if number:
        label += f" {number}"
    if heading and kind in ("section", "chapter", "article"):
        label += f". {heading}"
    return label


def act_label(act) -> str:
    """«Закон «О правах ребенка…»», but «Трудовой кодекс …» alone when the title names the form."""
    title, form = act.get("title") or act.get("id"), act.get("form") or ""
    if not form or title == act.get("id") or form.lower().split()[0] in title.lower():
        return title
    return f"{form} «{title}»"


PDF_SUMMARY_RU = (("match", "совпадают"), ("differs", "расходятся"),
                  ("missing_in_pdf", "нет в PDF"), ("missing_in_text", "нет в тексте"))


def pdf_summary(value) -> str:
    """acts.pdf_check, JSON {match: n, differs: n, …} → «статьи: совпадают 218, расходятся 3»."""
    try:
        parsed = json.loads(value) if value else None
    except (TypeError, ValueError):
        return str(value or "")
    if not isinstance(parsed, dict):
        return str(value)
    parts = [f"{ru} {parsed[key]}" for key, ru in PDF_SUMMARY_RU if parsed.get(key)]
    return "статьи: " + ", ".join(parts) if parts else ""


def years_text(months: int, *, upper: bool = False) -> str:
    """180 → «15 лет», 12 → «1 года» style agreement kept simple: «N лет» / «N мес.»."""
    if months % 12:
        return f"{months} мес."
    years = months // 12
    if upper:  # «до 1 года», «до 16 лет»
        return f"{years} года" if years % 10 == 1 and years % 100 != 11 else f"{years} лет"
    return f"{years} лет" if not (years % 10 == 1 and years % 100 != 11) else f"{years} года"


def threshold_text(min_months, max_months) -> str:
    """What makes a provision apply at an age: «с 14 лет», «до 16 лет», «с 14 до 18 лет»."""
    parts = []
    if min_months:
        parts.append("с " + years_text(min_months))
    if max_months is not None:
        parts.append("до " + years_text(max_months + 1, upper=True))
    return " ".join(parts) or "без ограничения возраста"


def ru_date(value) -> str:
    """2024-03-05 → 05.03.2024 (the form lawyers write); anything else as it is."""
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}.{text[5:7]}.{text[0:4]}"
    return text
