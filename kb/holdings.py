"""What the knowledge base holds, as Markdown tables made from a built database.

`kb holdings --write` puts them between `<!-- holdings:NAME -->` and `<!-- /holdings:NAME -->`
markers in README.md, docs/codebook.md and docs/holdings.md; tests/test_docs.py rebuilds the
tables from the corpus build and fails when a document says something else.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = {"summary": [REPO / "README.md", REPO / "docs" / "codebook.md"],
             "acts": [REPO / "docs" / "holdings.md"], "pdf": [REPO / "docs" / "holdings.md"]}
SOURCE_RU = {"adilet_page": "страница Adilet", "adilet_text": "текст страницы Adilet",
             "statutory_text": "текст акта (без разметки)"}


def _rows(conn, sql, params=()):
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, params).fetchall()


def summary_table(conn) -> str:
    """Totals: acts, provisions, tagged provisions, Kazakh texts, amendment records, PDF checks."""
    def one(sql):
        return conn.execute(sql).fetchone()[0]

    in_force = one("select count(*) from acts where status = 'in_force'")
    repealed = one("select count(*) from acts where status = 'repealed'")
    tagged = one("select count(*) from provisions where primary_dimension is not null")
    kaz_acts = one("select count(distinct act_id) from provision_texts where lang = 'kaz'")
    kaz_aligned = one("select count(provision_id) from provision_texts where lang = 'kaz'")
    dated = one("select count(*) from amendments where amending_date is not null")
    identical = one("select count(*) from pdf_checks where status = 'match'")
    pdf_acts = one("select count(distinct act_id) from pdf_checks")
    rows = [
        ("acts", one("select count(*) from acts"), f"{in_force} in force, {repealed} repealed"),
        ("provisions (Russian)", one("select count(*) from provisions"),
         f"{tagged} tagged with a child well-being dimension"),
        ("Kazakh provisions", one("select count(*) from provision_texts where lang = 'kaz'"),
         f"{kaz_acts} acts; {kaz_aligned} aligned to a Russian provision"),
        ("amendment and editor's notes", one("select count(*) from amendments"), f"{dated} dated"),
        ("articles checked against official PDFs", one("select count(*) from pdf_checks"),
         f"{identical} identical, in {pdf_acts} acts"),
        ("indicator observations", one("select count(*) from observations"),
         f"{one('select count(*) from indicators')} indicators"),
    ]
    lines = ["| what | count | detail |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def acts_table(conn) -> str:
    """One row per act: id, title, form, date, status, edition, provisions, tagged, languages."""
    rows = _rows(conn, """
        select a.id, a.title, a.form, a.number, a.date_adopted, a.status, a.edition_date,
               a.pdf_edition, a.pdf_check, a.provision_count, a.child_provisions,
               a.child_dimensions, a.source_kind,
               (select count(*) from provision_texts t where t.act_id = a.id and t.lang = 'kaz') kaz
        from acts a order by a.child_provisions desc, a.id""")
    lines = ["| act | title | form, №, date | status | text current to | provisions | "
             "child provisions (top dimensions) | Kazakh | official PDF |",
             "|---|---|---|---|---|---:|---|---:|---|"]
    for r in rows:
        dims = json.loads(r["child_dimensions"] or "{}")
        top = ", ".join(f"{k} {v}" for k, v in list(dims.items())[:3])
        pdf = ""
        if r["pdf_edition"]:
            check = json.loads(r["pdf_check"] or "{}")
            pdf = f"{r['pdf_edition']}: {check.get('match', 0)} of " \
                  f"{sum(check.values())} articles identical"
        title = (r["title"] or "").replace("|", "/")
        lines.append(
            f"| {r['id']} | {title} | {r['form'] or ''} {('№ ' + r['number']) if r['number'] else ''} "
            f"{r['date_adopted'] or ''} | {r['status']} | {r['edition_date'] or ''} | "
            f"{r['provision_count']} | {r['child_provisions']}{' (' + top + ')' if top else ''} | "
            f"{r['kaz'] or ''} | {pdf} |")
    return "\n".join(lines)


def pdf_findings_table(conn) -> str:
    """Every article where the page text and the official PDF are not identical."""
    rows = _rows(conn, """
        select act_id, article, status, similarity, detail, pdf_edition from pdf_checks
        where status != 'match'
        order by act_id, cast(article as integer), article""")
    lines = ["| act | article | PDF of | finding | similarity | where the copies part |",
             "|---|---|---|---|---:|---|"]
    for r in rows:
        detail = (r["detail"] or "").replace("|", "/")
        sim = f"{r['similarity']:.3f}" if r["similarity"] is not None else ""
        lines.append(f"| {r['act_id']} | {r['article']} | {r['pdf_edition']} | {r['status']} | "
                     f"{sim} | {detail} |")
    return "\n".join(lines)


TABLES = {"summary": summary_table, "acts": acts_table, "pdf": pdf_findings_table}


def render(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {name: fn(conn) for name, fn in TABLES.items()}
    finally:
        conn.close()


def _marked(name: str) -> re.Pattern:
    return re.compile(rf"<!-- holdings:{name} -->\n?(.*?)\n?<!-- /holdings:{name} -->", re.S)


def stale_documents(tables: dict[str, str]) -> list[str]:
    """Documents whose marked tables differ from `tables` (or lack the markers)."""
    out = []
    for name, docs in DOCUMENTS.items():
        for doc in docs:
            m = _marked(name).search(doc.read_text(encoding="utf-8")) if doc.exists() else None
            if m is None or m.group(1).strip() != tables[name].strip():
                out.append(f"{doc.relative_to(REPO)} ({name})")
    return out


def write_documents(tables: dict[str, str]) -> list[str]:
    written = []
    for name, docs in DOCUMENTS.items():
        for doc in docs:
            text = doc.read_text(encoding="utf-8")
            block = f"<!-- holdings:{name} -->\n{tables[name]}\n<!-- /holdings:{name} -->"
            new, n = _marked(name).subn(lambda m: block, text)
            if n and new != text:
                doc.write_text(new, encoding="utf-8")
                written.append(str(doc.relative_to(REPO)))
    return written
