"""Cross-check acts against Adilet's official PDFs (corpus_dir/adilet-pdf), article by article.

For each PDF whose act is in the database, both copies are cut into articles (everything
printed under an article heading: title, text, footnotes) and compared after folding what
layout changes (letters and digits only, lower case, ё as е). An article is `match` when the
folded texts are equal, `differs` otherwise (with the similarity and the first words where they
part), `missing_in_pdf` / `missing_in_text` when one copy has no such heading. Differences are
findings for a reader, not errors: the two copies are often of different editions.

Results go to `pdf_checks` (one row per article), `provisions.pdf_check` (the article and every
provision inside it) and `acts.pdf_edition` / `acts.pdf_check` (a summary).
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path

_FOLD = re.compile(r"[^0-9a-zа-яәіңғүұқөһ]+")


def fold(text: str) -> str:
    return _FOLD.sub("", text.lower().replace("ё", "е"))


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9A-Za-zА-Яа-яЁёӘәІіҢңҒғҮүҰұҚқӨөҺһ]+", text.replace("ё", "е")) if w]


def _where_they_part(a: str, b: str) -> str:
    wa, wb = _words(a), _words(b)
    i = 0
    while i < min(len(wa), len(wb)) and wa[i].lower() == wb[i].lower():
        i += 1
    return (f"text: «{' '.join(wa[max(0, i - 3):i + 6])}» / "
            f"PDF: «{' '.join(wb[max(0, i - 3):i + 6])}»")


def compare(text_spans: dict[str, str], pdf_spans: dict[str, str]) -> list[dict]:
    out = []
    for number in list(text_spans) + [n for n in pdf_spans if n not in text_spans]:
        mine, theirs = text_spans.get(number), pdf_spans.get(number)
        if theirs is None:
            out.append({"article": number, "status": "missing_in_pdf", "similarity": None,
                        "detail": None})
            continue
        if mine is None:
            out.append({"article": number, "status": "missing_in_text", "similarity": None,
                        "detail": None})
            continue
        a, b = fold(mine), fold(theirs)
        if a == b:
            out.append({"article": number, "status": "match", "similarity": 1.0, "detail": None})
            continue
        ratio = difflib.SequenceMatcher(None, _words(mine.lower()), _words(theirs.lower()),
                                        autojunk=False).ratio()
        out.append({"article": number, "status": "differs", "similarity": round(ratio, 4),
                    "detail": _where_they_part(mine, theirs)})
    return out


def pdf_files(corpus_dir: Path | None) -> list[Path]:
    if not corpus_dir:
        return []
    folder = Path(corpus_dir) / "adilet-pdf"
    return sorted(p for p in folder.glob("*.pdf") if p.is_file()) if folder.is_dir() else []


def _pdf_spans(conn, path: Path, sha: str, previous_db) -> dict[str, str]:
    """The PDF's article spans: from the previous build's `pdf_spans` when it read the same
    bytes (reading a 180-page PDF is the slowest part of a one-act rebuild), else from the
    PDF. Stored in this build's `pdf_spans` either way."""
    from scrapers.adilet.pdf import read_act_pdf
    from scrapers.adilet.textfile import article_spans

    spans = None
    if previous_db is not None:
        # a connection of its own, read-only: the build's connection has a write open
        import sqlite3

        prev = sqlite3.connect(f"file:{previous_db}?mode=ro", uri=True)
        try:
            if prev.execute("select count(*) from sqlite_master where name = 'pdf_spans'"
                            ).fetchall()[0][0]:
                rows = prev.execute("select article, text from pdf_spans where pdf_sha256 = ? "
                                    "order by position", (sha,)).fetchall()
                spans = dict(rows) if rows else None
        finally:
            prev.close()
    if spans is None:
        spans = article_spans(read_act_pdf(path).text)
    conn.executemany("insert or replace into pdf_spans (pdf_sha256, article, position, text) "
                     "values (?, ?, ?, ?)",
                     [(sha, a, i, t) for i, (a, t) in enumerate(spans.items())])
    return spans


def verify_against_pdfs(db, corpus_dir: Path, report=None, only: set[str] | None = None,
                        previous_db=None) -> dict[str, dict]:
    """Run the checks for every PDF whose act (Russian text from adilet-text) is loaded;
    with `only`, compare just those acts (the others' checks were copied with them), but keep
    every PDF's article spans in `pdf_spans` for the next build.

    Returns {act_id: {"edition", "match", "differs", "missing_in_pdf", "missing_in_text"}}.
    """
    from scrapers.adilet.pdf import PdfError, parse_pdf_name
    from scrapers.adilet.textfile import article_spans

    conn = getattr(db, "conn", db)
    summary: dict[str, dict] = {}
    for path in pdf_files(corpus_dir):
        named = parse_pdf_name(path.name)
        if named is None:
            if report is not None:
                report.fail("verify", f"adilet-pdf/{path.name}", "not an Adilet PDF name")
            continue
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            spans = _pdf_spans(conn, path, sha, previous_db)
        except (PdfError, OSError) as exc:
            if report is not None:
                report.fail("verify", f"adilet-pdf/{path.name}", str(exc))
            continue
        act_id, edition, lang = named
        if only is not None and act_id not in only:
            continue
        text_path = Path(corpus_dir) / "adilet-text" / lang / f"{act_id}.txt"
        row = conn.execute("select source_kind from acts where id = ?", (act_id,)).fetchone()
        if row is None or not text_path.exists():
            if report is not None:
                report.fail("verify", f"adilet-pdf/{path.name}",
                            f"act {act_id} has no page text loaded to compare with")
            continue
        results = compare(article_spans(text_path.read_text(encoding="utf-8")), spans)
        articles = dict(conn.execute(
            "select number, id from provisions where act_id = ? and kind = 'article'",
            (act_id,)).fetchall())
        conn.executemany(
            "insert into pdf_checks (act_id, article, provision_id, status, similarity, detail, "
            "pdf_file, pdf_edition, pdf_sha256) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(act_id, r["article"], articles.get(r["article"]), r["status"], r["similarity"],
              r["detail"], f"adilet-pdf/{path.name}", edition, sha) for r in results])
        # Every provision inside an article takes the article's verdict.
        verdict = {articles[r["article"]]: r["status"] for r in results if r["article"] in articles}
        parent_of = dict(conn.execute("select id, parent_id from provisions where act_id = ?",
                                      (act_id,)).fetchall())
        updates = []
        for pid in parent_of:
            node = pid
            while node is not None and node not in verdict:
                node = parent_of.get(node)
            if node is not None:
                updates.append((verdict[node], pid))
        conn.executemany("update provisions set pdf_check = ? where id = ?", updates)
        counts = {s: sum(1 for r in results if r["status"] == s)
                  for s in ("match", "differs", "missing_in_pdf", "missing_in_text")}
        summary[act_id] = {"edition": edition, **counts}
        conn.execute("update acts set pdf_edition = ?, pdf_check = ? where id = ?",
                     (edition, json.dumps(counts), act_id))
    conn.commit()
    return summary
